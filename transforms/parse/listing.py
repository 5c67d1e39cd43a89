"""When each record was listed: ``listed_on`` from the most direct evidence, and which evidence that was.

A record's ``listed_on`` is the day of the listing it came from (a Hugging Face daily list, a dated papers page,
a day's capture dump, a text copy of a listing page). Inputs that are not listings (an arXiv feed, a Papers with
Code page, a single paper's page: :data:`LISTING_INPUTS`) give their records no day, evidence
:data:`NOT_A_LISTING`: a file's modification day would count an enrichment record as "trending that week". Such
a paper has a listing day only when a listing also has it.

A record's ``captured_at`` is when the bytes were fetched; the capture says where that time came from
(``captured_at_evidence``: ``raw-zone`` or ``file-mtime``). Parsers propose what the content says (a
``document:`` day named by the capture, or an ``item:`` day from the item's own timestamps); :func:`date_listings`
adds what the capture's location says and keeps the best candidate in the order of :data:`LISTED_ON_EVIDENCE`.

Why the listing's own day beats the items' timestamps: on older API days the item-level ``publishedAt`` is the
time the paper was submitted to Daily Papers, and a paper submitted in the evening (UTC) is listed the next day
(231 of the 2,375 such items in ``hf-daily-api``, all from late November 2024 on); and a paper on several days'
lists has one ``submittedOnDailyAt`` for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from polars.expr.whenthen import ChainedThen, Then

RAW_ZONE = "raw-zone"
"""``captured_at_evidence`` of fetched and replayed captures: the response time the raw zone logged."""
FILE_MTIME = "file-mtime"
"""``captured_at_evidence`` of local files: their modification time, the last resort."""

LISTED_ON_EVIDENCE: dict[str, str] = {
    "url:date-param": "the `date=YYYY-MM-DD` parameter of the URL the capture was fetched from (the daily API"
    " request, also on replay from the raw zone)",
    "url:papers-date": "a `/papers/date/YYYY-MM-DD` URL the capture was fetched from",
    "document:date": "the capture names its day: the API wrapper's `date`, a page dump's `date`, a page's"
    " canonical `/papers/date/YYYY-MM-DD` URL",
    "file-name": "a `YYYY-MM-DD` date in a local file's name (capture dumps name their files by day)",
    "item:submittedOnDailyAt": "the UTC day of the item's `submittedOnDailyAt` (newer API days, papers pages)",
    "item:publishedAt": "the UTC day of the daily item's own `publishedAt` (older API days lack"
    " `submittedOnDailyAt`; the paper's `publishedAt` is its arXiv date and is never used)",
    "item:<column>": "a generic file's date column (`item:scraped_date`), as its mapping names it"
    " ([scraper fields](scraper-fields.md))",
    f"captured-at:{RAW_ZONE}": "the UTC day the capture was fetched (a live list such as `/papers/trending`"
    " shows that day's list)",
    f"captured-at:{FILE_MTIME}": "the UTC day the local file was last modified: the last resort",
}
"""Evidence for ``listed_on``, best first: the value of ``listed_on_evidence`` and what it means."""

NOT_A_LISTING = "not-a-listing"
"""``listed_on_evidence`` of a record whose input is not a listing: its ``listed_on`` is null."""

LISTING_INPUTS: dict[str, tuple[bool, str]] = {
    "hf-daily": (True, "Hugging Face daily-papers API days (fetched, replayed, or their saved JSON)"),
    "hf-scraped": (True, "scrapers' dumps of a day's papers page (`{papers: [...]}` with a date)"),
    "hf-page": (
        True,
        "Hugging Face papers listing pages (daily, weekly, monthly, trending) and their saved HTML",
    ),
    "text": (True, "text copies of a listing page (title and abstract lines, such as the bundled sample)"),
    "hf-page (paper)": (False, "a single paper's page (`/papers/<arXiv id>`): the paper, not a list"),
    "arxiv": (
        False,
        "arXiv API feeds (fetched for enrichment, or local files): metadata, not a trending list",
    ),
    "pwc": (False, "Papers with Code pages and papers: a catalogue, not a trending list"),
    "generic": (
        True,
        "any scraper's records (JSON, JSON Lines, CSV, TSV) read by field mapping: a listing only when every"
        " record has a day (a `YYYY-MM-DD` file name or a date column); otherwise, like an arXiv digest,"
        " `not-a-listing`",
    ),
}
"""Which inputs are listings (their records get a ``listed_on``) and which are not (:data:`NOT_A_LISTING`)."""

_URL = r"^[A-Za-z][A-Za-z0-9+.-]*://"
_DAY = r"(\d{4}-\d{2}-\d{2})"


def date_listings(records: pl.LazyFrame) -> pl.LazyFrame:
    """Set ``listed_on``/``listed_on_evidence`` of every record to the best evidence available.

    Needs ``input_path``, ``captured_at``, ``captured_at_evidence`` and the parser's proposal in ``listed_on`` and
    ``listed_on_evidence`` (``document:…`` or ``item:…``, :data:`NOT_A_LISTING`, or null). Every record of a
    listing gets a day: at worst the day of its capture time, with evidence ``captured-at:<captured_at_evidence>``;
    a record whose parser said :data:`NOT_A_LISTING` gets none.
    """
    location = pl.col("input_path").fill_null("")
    is_url = location.str.contains(_URL)
    proposed = pl.col("listed_on_evidence").fill_null("")
    file_day = _file_name(location).str.extract(rf"(?:^|\D){_DAY}(?:\D|$)")
    candidates: list[tuple[pl.Expr, pl.Expr]] = [
        (_where(is_url, _day(location.str.extract(rf"[?&]date={_DAY}(?:[&#]|$)"))), pl.lit("url:date-param")),
        (
            _where(is_url, _day(location.str.extract(rf"/papers/date/{_DAY}(?:[/?#]|$)"))),
            pl.lit("url:papers-date"),
        ),
        (_where(proposed.str.starts_with("document:"), pl.col("listed_on")), pl.col("listed_on_evidence")),
        (_where(~is_url, _day(file_day)), pl.lit("file-name")),
        (_where(proposed.str.starts_with("item:"), pl.col("listed_on")), pl.col("listed_on_evidence")),
        (
            pl.col("captured_at").dt.date(),
            pl.concat_str([pl.lit("captured-at:"), pl.col("captured_at_evidence")]),
        ),
    ]
    listing = proposed != NOT_A_LISTING
    return records.with_columns(
        _where(listing, pl.coalesce([value for value, _ in candidates])).alias("listed_on"),
        pl.when(listing)
        .then(_first_evidence(candidates))
        .otherwise(pl.lit(NOT_A_LISTING))
        .alias("listed_on_evidence"),
    )


def is_listing_format(name: str) -> bool:
    """Whether records of the format ``name`` (``transforms/parse/FORMATS``) come from listings; a listing
    format's parser still marks the records of a page that is not one (:func:`not_a_listing`)."""
    return LISTING_INPUTS.get(name, (True, ""))[0]


def not_a_listing(records: pl.DataFrame) -> pl.DataFrame:
    """``records`` of an input that is not a listing, marked so that :func:`date_listings` gives them no day."""
    return records.with_columns(listed_on=pl.lit(None, pl.Date), listed_on_evidence=pl.lit(NOT_A_LISTING))


def _first_evidence(candidates: Sequence[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    value, evidence = candidates[0]
    chain: Then | ChainedThen = pl.when(value.is_not_null()).then(evidence)
    for value, evidence in candidates[1:]:
        chain = chain.when(value.is_not_null()).then(evidence)
    return chain.otherwise(pl.lit(None, pl.String))


def _where(condition: pl.Expr, value: pl.Expr) -> pl.Expr:
    return pl.when(condition).then(value).otherwise(None)


def _day(text: pl.Expr) -> pl.Expr:
    return text.str.to_date("%Y-%m-%d", strict=False)


def _file_name(location: pl.Expr) -> pl.Expr:
    return location.str.extract(r"([^/\\]*)$")


def evidence_table() -> str:
    """The markdown tables of :data:`LISTED_ON_EVIDENCE` (best evidence first) and :data:`LISTING_INPUTS`."""
    lines = ["| order | `listed_on_evidence` | the day comes from |", "| --- | --- | --- |"]
    lines += [
        f"| {n} | `{name}` | {meaning} |" for n, (name, meaning) in enumerate(LISTED_ON_EVIDENCE.items(), 1)
    ]
    lines += [
        "",
        "Which inputs are listings (recognised from their content, `transforms/parse/`): records of the others get"
        f" no `listed_on` (evidence `{NOT_A_LISTING}`), and their paper has a listing day only when a listing also"
        " has it.",
        "",
        "| input format | a listing | what it is |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| `{name}` | {'yes' if listing else 'no'} | {meaning} |"
        for name, (listing, meaning) in LISTING_INPUTS.items()
    ]
    return "\n".join(lines)
