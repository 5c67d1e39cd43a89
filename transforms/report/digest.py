"""The daily digest's entries: which papers were listed on the latest listing days, ranked by that day's votes.

A reader of the digest (its Atom feed, its page, its e-mail) sees one entry per paper and listing day, so the id
of an entry is made of the two (:data:`ENTRY_ID_PREFIX`): a paper listed on two days is two entries, and the
same paper and day keep the same id in every later version, so a feed reader never shows it twice. A day's
entries are ranked by that day's upvotes (most first), then by its rank on the day's list, then by ``paper_id``
(a total order: the same version always gives the same digest).

Pure polars: the version's papers in (``DIGEST_READS``), the entries out (``ENTRY_SCHEMA``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

DIGEST_READS = (
    "paper_id",
    "title",
    "abstract",
    "arxiv_id",
    "url",
    "authors",
    "topics",
    "code_urls",
    "venue",
    "venue_year",
    "github_stars",
    "organization_fullname",
    "last_listed_on",
    "listings",
)
"""The columns of a version's papers the digest reads (the others are never loaded)."""

ENTRY_ID_PREFIX = "tag:trending-papers,2026:paper/"
"""An entry's id is this, the ``paper_id``, ``/`` and the day (an RFC 4151 tag URI, fixed forever: readers
remember entries by it)."""
FEED_ID_PREFIX = "tag:trending-papers,2026:digest"
"""The id of the digest's feed (``/<profile>`` appended for a profile's)."""
SUMMARY_CHARS = 400
"""A summary is the abstract's sentences that fit in this many characters (the whole abstract when it fits)."""

ENTRY_SCHEMA = pl.Schema(
    {
        "day": pl.Date(),
        "position": pl.UInt32(),
        "entry_id": pl.String(),
        "paper_id": pl.String(),
        "title": pl.String(),
        "link": pl.String(),
        "authors": pl.List(pl.String()),
        "summary": pl.String(),
        "topics": pl.List(pl.String()),
        "code_url": pl.String(),
        "venue": pl.String(),
        "stars": pl.Int64(),
        "upvotes": pl.Int64(),
        "rank": pl.Int32(),
        "organization": pl.String(),
        "provisional": pl.Boolean(),
    }
)
"""One row per paper and listing day of the digest, in reading order (day, newest first; then ``position``)."""


@dataclass(frozen=True)
class Selection:
    """Which entries a digest holds (a subscription profile is a topic filter and a minimum of upvotes)."""

    days: int = 7
    """Calendar days ending at the newest listing day of the version (a weekend has no Daily Papers list)."""
    top: int | None = None
    """At most this many entries a day (None: every paper listed that day)."""
    topics: tuple[str, ...] = field(default_factory=tuple)
    """Only papers with one of these topics (empty: every topic)."""
    min_upvotes: int = 0
    """Only entries with at least this many upvotes that day."""


def newest_day(papers: pl.LazyFrame) -> date | None:
    """The newest listing day of a version's papers (None: no paper was ever listed)."""
    value = papers.select(pl.col("last_listed_on").max()).collect().item()
    return value if isinstance(value, date) else None


def window(newest: date, days: int) -> tuple[date, date]:
    """The first and last day (inclusive) of a digest of ``days`` days ending at ``newest``."""
    return newest - timedelta(days=max(days, 1) - 1), newest


def digest_entries(
    papers: pl.LazyFrame,
    selection: Selection,
    newest: date,
    provisional: tuple[date, ...] = (),
) -> pl.DataFrame:
    """The entries of the ``selection.days`` days ending at ``newest`` (``ENTRY_SCHEMA``).

    ``papers``: a version's papers (at least ``DIGEST_READS``); ``provisional``: the days the version marks as
    provisional (their lists may still grow). A paper's values for a day are the best of that day's listings
    (most upvotes and stars, best rank) when several sources list it.
    """
    first, last = window(newest, selection.days)
    days = (
        papers.select("paper_id", "last_listed_on", "listings")
        .filter(pl.col("last_listed_on") >= first)
        .explode("listings")
        .unnest("listings")
        .filter(pl.col("listed_on").is_between(first, last))
        .group_by("paper_id", "listed_on")
        .agg(
            pl.col("upvotes").max(),
            pl.col("rank").min(),
            pl.col("github_stars").max().alias("day_stars"),
        )
    )
    about = papers.select(DIGEST_READS).filter(pl.col("last_listed_on") >= first).drop("listings")
    if selection.topics:
        about = about.filter(pl.col("topics").list.eval(pl.element().is_in(selection.topics)).list.any())
    entries = (
        days.filter(pl.col("upvotes").fill_null(0) >= selection.min_upvotes)
        .join(about, on="paper_id", how="inner")
        .sort(
            ["listed_on", "upvotes", "rank", "paper_id"],
            descending=[True, True, False, False],
            nulls_last=True,
        )
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("listed_on").alias("position"))
    )
    if selection.top is not None:
        entries = entries.filter(pl.col("position") <= selection.top)
    return (
        entries.select(
            pl.col("listed_on").alias("day"),
            "position",
            pl.concat_str(
                pl.lit(ENTRY_ID_PREFIX), "paper_id", pl.lit("/"), pl.col("listed_on").dt.to_string("%Y-%m-%d")
            ).alias("entry_id"),
            "paper_id",
            "title",
            pl.coalesce(
                _web_url(pl.col("url")),
                pl.concat_str(pl.lit("https://arxiv.org/abs/"), "arxiv_id"),
            ).alias("link"),
            pl.col("authors").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            summary(pl.col("abstract")).alias("summary"),
            pl.col("topics").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            _web_url(pl.col("code_urls").list.first()).alias("code_url"),
            pl.when(pl.col("venue").is_not_null())
            .then(
                pl.concat_str("venue", pl.lit(" "), pl.col("venue_year").cast(pl.String), ignore_nulls=True)
            )
            .alias("venue"),
            pl.coalesce("day_stars", "github_stars").alias("stars"),
            "upvotes",
            "rank",
            pl.col("organization_fullname").alias("organization"),
            pl.col("listed_on").is_in(list(provisional)).alias("provisional"),
        )
        .collect()
        .cast(dict(ENTRY_SCHEMA))  # type: ignore[arg-type]
    )


def summary(abstract: pl.Expr, limit: int = SUMMARY_CHARS) -> pl.Expr:
    """The abstract cut after its last sentence that ends within ``limit`` characters; an abstract without
    one is cut at a word, with an ellipsis; one that fits is whole."""
    text = abstract.fill_null("").str.replace_all(r"\s+", " ").str.strip_chars()
    sentences = text.str.extract(rf"^(.{{1,{limit - 1}}}[.!?])(?:\s|$)", 1)
    words = text.str.extract(rf"^(.{{1,{limit - 1}}})\s", 1)
    return (
        pl.when(text.str.len_chars() <= limit)
        .then(text)
        .when(sentences.is_not_null())
        .then(sentences)
        .when(words.is_not_null())
        .then(pl.concat_str(words.str.strip_chars_end(" ,;:"), pl.lit(" …")))
        .otherwise(pl.concat_str(text.str.slice(0, limit - 1), pl.lit("…")))
    )


def _web_url(url: pl.Expr) -> pl.Expr:
    """``url`` when it is an http(s) address (a ``javascript:`` or ``data:`` value from a source is no link)."""
    return pl.when(url.str.contains(r"^https?://[^\s<>\"]+$")).then(url)


def entries_per_day(entries: pl.DataFrame) -> dict[str, int]:
    """How many entries each day of a digest has (newest day first), for the command's summary line."""
    counts = entries.group_by("day").len().sort("day", descending=True)
    return {day.isoformat(): int(n) for day, n in counts.iter_rows()}
