"""Venue hints from structured fields (journal_ref, venue_field) and free text (arXiv comment, abstract).

Each field is split into clauses; venue mentions from the lexicon (``transforms/data/venues.toml``) are
extracted per clause with one regex, then year, status (accepted/published/under-review/submitted/mentioned)
and workshop are read from the clause. Journals outside the lexicon come through from ``journal_ref`` as
written.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import polars as pl

from transforms.schema import PAPER_SCHEMA, polars_schema

VENUE_HINTS_DTYPE: pl.DataType = polars_schema(PAPER_SCHEMA)["venue_hints"]
VENUE_FIELDS = ("journal_ref", "venue_field", "arxiv_comment", "abstract")
STRUCTURED_FIELDS = ("journal_ref", "venue_field")
B = r"(?-u:\b)"
YEAR_SUFFIX = r"(?:[\s\-_]*'\s?\d{2}|-\d{2}|[\s\-_]*(?:19|20)\d{2})"
CLAUSE_YEAR = r"(?:^|[^0-9])(19[5-9]\d|20[0-4]\d)(?:$|[^0-9])"
# Abbreviations whose period does not end a sentence (protected before splitting into clauses).
ABBREVIATIONS = (
    r"(?i)\b(proc|int|conf|trans|j|vol|no|pp|lett|rev|phys|symp|intl|assoc|comput|ed|eds|al|vs|e\.g|i\.e|"
    r"anal|mach|intell|learn|res|vis|artif|inf)\."
)
PROTECTED_DOT = "\x1e"
UNDER_REVIEW = r"\b(?:under review|under submission|in submission|under consideration|in review)\b"
SUBMITTED = r"\bsubmitted\b|\bsubmission to\b|\brejected (?:from|at|by)\b"
ACCEPTED = (
    r"\b(?:accepted|early accept|to appear|to be published|to be presented|camera[\s\-]ready|will appear|"
    r"will be presented|"
    r"appearing|forthcoming|oral|spotlight|poster)\b"
)
PUBLISHED = r"\b(?:published|proceedings|proc\.|presented at|appeared in)\b|^\s*in\b"
# A sentence that opens with "In" is not "In Proceedings of ...": "In this paper, we propose ACL (Aligned
# Contrastive Learning)", "In addition, ... neural information processing systems".
IN_SENTENCE = (
    r"^\s*in\s+(?:this|these|that|the present|our|addition|contrast|comparison|particular|practice|summary|"
    r"short|general|order|doing so|response|turn|recent|many|most|such|both|each|all|light|other|some|real)\b"
)
STRUCTURED_SUBMITTED = r"\b(?:reject|rejected|withdraw|withdrawn|desk reject)\b"
STRUCTURED_UNDER_REVIEW = r"\b(?:active|under review)\b"
# A workshop, or an event co-located with the conference (not its main track).
WORKSHOP = r"(?i)\bworkshops?\b|\bco[\s\-]?located with\b|\bpart of the\b|\bin conjunction with\b|@"
# A clause about a competition names the venue that hosts it, not one the paper appears at, unless a status cue
# sits right before the venue ("accepted to CVPR 2024; winning entry of the NTIRE challenge"): a bare
# "143 teams submitted" in the clause is not the paper's status.
NOT_A_VENUE_TAIL = r"\b(?:challenge|competition|shared task|cup|leaderboard|hackathon|benchmark)\b"
# In an abstract, the words of an event's report as well: "Challenges at CVPR2025", "the CVPR 2025 private test
# set", "prizes awarded during the LiveRAG Workshop at SIGIR 2025" (a comment's "Held in Conjunction with MICCAI
# 2024" names the paper's workshop).
ABSTRACT_EVENT = r"\b(?:challenges|competitions|shared tasks|test[\s\-]sets?|held|hosted|finalists|prizes)\b"
# A venue used as an adjective is not a venue: "ICLR-style baselines", "a NeurIPS-like rubric".
STYLE_TAIL = r"[\s\-]*(?:style|like|format|formatted|template)\b"
# An abstract clause about venues' papers as data (citation studies, review corpora, datasets named after a
# venue) mentions venues without being published at them. "this paper" / "our work" do not count.
BIBLIOMETRIC = (
    r"\b(?:citations?|cited|citing|bibliometrics?|bibliometric|scientometrics?|scientometric|submissions|"
    r"papers|paper|articles|publications|proceedings|reviews|reviewers|openreview|peer[\s\-]review|corpus|"
    r"corpora|dataset|datasets|anthology|authors|submission|reports|conferences|venues)\b"
)
# Venues' papers as the object of a study, even with a status word: "papers accepted to ICML", "research
# published in top-tier conferences (ACL, EMNLP)", "submissions to ICLR", "accepted papers of NeurIPS".
CORPUS = (
    r"\b(?:papers|submissions|articles|publications|research|works|studies|reports)\s+(?:\w+\s+)?"
    r"(?:accepted|published|presented|submitted|appearing)\s+(?:to|at|in|by)\b"
    r"|\baccepted\s+(?:papers|submissions|articles)\b"
)
OWN_PAPER = r"\b(?:this|our|the present|the current)\s+(?:paper|work|article|submission|report)\b"
# A mention of a venue that is also an ordinary word ("Science", "Nature") counts only right after a cue:
# "published in Nature", not "Computer Vision for Science".
CUE_BEFORE = (
    r"(?i)\b(?:accepted|published|appear(?:s|ed|ing)?|submitted|presented|under review|forthcoming|"
    r"to be published|rejected)\s+(?:in|to|at|by|for|from)\s+(?:the\s+)?(?:journal\s+)?"
)
# The tail of a journal reference after the journal's name: volume, issue, pages, article number, date.
JOURNAL_TAIL = (
    r"(?i)(?:\s*\(\s*(?:vol\.?|volume)\b[^)]*\)"
    r"|,?\s*\b(?:vol\.?|volume|no\.?|issue|pp\.?|pages?)\s*[:.]?\s*\d.*"
    r"|[\s,.]+\d+\s*(?:\(\d+\))?\s*[:,]\s*e?\d.*"
    r"|\s*\((?:19|20)\d{2}\).*"
    r"|[\s,]+(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+)?(?:19|20)\d{2}\)?)$"
)
NOT_A_JOURNAL = r"(?i)\barxiv\b|\bcorr\b|\bpreprint\b"
# A URL is never venue evidence ("github.com/x/ACL-tools", "icst2021.example.org").
URL = r"(?i)\b(?:[a-z][a-z0-9+.\-]*://|www\.)\S+"
# A comma followed by a status cue that names its own venue starts a new clause:
# "journal version of our NIPS 2017 paper, submitted to JMLR".
STATUS_CUE_WITH_VENUE = (
    r"(?:and\s+|now\s+)?(?:submitted|accepted|under review|to appear|published)\s+(?:to|at|in|by|for)\s"
)
STATUS_COMMA = r"(?i),\s*(" + STATUS_CUE_WITH_VENUE + ")"
# Words that continue a journal family name ("Nature Communications", "Science Robotics"): another journal.
FAMILY_TAIL_FREE = r"(?:\s+[A-Z][a-z]+)*"
FAMILY_TAIL_STRUCTURED = r"(?:\s+[A-Za-z][a-z]+)*"


@dataclass(frozen=True)
class Venue:
    """A lexicon entry."""

    name: str
    acronyms: tuple[str, ...]
    names: tuple[str, ...]
    needs_cue: bool
    journal_family: bool
    area: str | None = None
    """The taxonomy topic a single-area venue is devoted to (``transforms/derive/venue_area.py``)."""


@cache
def load_venues() -> tuple[Venue, ...]:
    """Read the bundled venue lexicon once per process."""
    text = resources.files("transforms").joinpath("data/venues.toml").read_text(encoding="utf-8")
    return tuple(
        Venue(
            name=entry["name"],
            acronyms=tuple(entry.get("acronyms", ())),
            # An abbreviated name's final period would defeat the closing word boundary ("Comput. Vis.").
            names=tuple(name.rstrip(".") for name in entry.get("names", ())),
            needs_cue=bool(entry.get("needs_cue", False)),
            journal_family=bool(entry.get("journal_family", False)),
            area=entry.get("area"),
        )
        for entry in tomllib.loads(text)["venue"]
    )


@cache
def abbreviations_regex() -> str:
    """:data:`ABBREVIATIONS` plus every abbreviated word of the lexicon's names ("Nat. Commun.", "Softw.")."""
    text = resources.files("transforms").joinpath("data/venues.toml").read_text(encoding="utf-8")
    words = {
        word.rstrip(".").lower()
        for entry in tomllib.loads(text)["venue"]
        for name in entry.get("names", ())
        for word in name.replace(".", ". ").split()
        if word.endswith(".")
    }
    extra = "".join("|" + re.escape(word) for word in sorted(words - {""}))
    return ABBREVIATIONS[:-3] + extra + r")\."


def _alias_key(text: pl.Expr) -> pl.Expr:
    """Alias text normalised to join a mention to the lexicon (year removed, lower-case, single spaces)."""
    return (
        text.str.replace(YEAR_SUFFIX + "$", "")
        .str.to_lowercase()
        .str.replace_all(r"\.[\s\-_]*", ". ")
        .str.replace_all(r"[\s\-_]+", " ")
        .str.strip_chars()
    )


def _name_pattern(name: str) -> str:
    """A full or abbreviated name: words joined by spaces/hyphens, optional after an abbreviation's period
    ("Phys.Lett.B" is "Phys. Lett. B")."""
    words = name.split()
    body = re.escape(words[0])
    for previous, word in itertools.pairwise(words):
        body += (r"[\s\-]*" if previous.endswith(".") else r"[\s\-]+") + re.escape(word)
    return body


@cache
def mention_regex(structured: bool) -> str:
    """One alternation over every alias, longest first; acronyms case-sensitive unless ``structured``.

    A journal-family acronym also takes the title words after it ("Nature Machine Intelligence"), so a sibling
    journal does not join the lexicon as the family's flagship.
    """
    parts: list[tuple[int, str]] = []
    for venue in load_venues():
        for name in venue.names:
            parts.append((len(name), f"(?i:{_name_pattern(name)})"))
        tail = ""
        if venue.journal_family:
            tail = FAMILY_TAIL_STRUCTURED if structured else FAMILY_TAIL_FREE
        for acronym in venue.acronyms:
            body = re.escape(acronym)
            parts.append((len(acronym), (f"(?i:{body})" if structured else body) + tail))
    ordered = [pattern for _, pattern in sorted(parts, key=lambda item: -item[0])]
    return B + "(?:" + "|".join(ordered) + ")" + YEAR_SUFFIX + "?" + B


@cache
def alias_table() -> pl.DataFrame:
    """alias key -> canonical venue name and whether free-text mentions need a status cue."""
    rows = [
        {"_alias": alias, "venue": venue.name, "_needs_cue": venue.needs_cue}
        for venue in load_venues()
        for alias in (*venue.acronyms, *venue.names)
    ]
    frame = pl.DataFrame(rows).with_columns(_alias_key(pl.col("_alias")).alias("_alias"))
    return frame.unique(subset="_alias", keep="first", maintain_order=True)


def _clauses(papers: pl.LazyFrame) -> pl.LazyFrame:
    """One row per (paper, field, clause) with the clause text and its order."""
    parts = []
    for rank, field in enumerate(VENUE_FIELDS):
        # "Phys.Lett.B573:94" is "Phys. Lett. B" volume 573.
        text = (
            pl.col(field)
            .fill_null("")
            .str.replace_all(r"\s+", " ")
            .str.replace_all(r"(\.[A-Z])(\d)", "$1 $2")
        )
        split = (
            text.str.replace_all(abbreviations_regex(), "$1" + PROTECTED_DOT)
            .str.replace_all(r"([;])\s*|(\.)\s+", "$1$2\n")
            .str.replace_all(STATUS_COMMA, "\n${1}")
            .str.split("\n")
        )
        parts.append(
            papers.select(
                "_row",
                pl.lit(field).alias("field"),
                pl.lit(rank, dtype=pl.Int32).alias("_rank"),
                split.alias("evidence"),
            )
            .explode("evidence")
            .with_columns(
                pl.col("evidence").str.replace_all(PROTECTED_DOT, ".").str.strip_chars(" ;.,"),
                pl.int_range(pl.len()).over("_row").alias("_clause"),
            )
            .filter(pl.col("evidence").str.len_chars() > 0)
            .with_columns(pl.col("evidence").shift(-1).over("_row", order_by="_clause").alias("_next"))
        )
    return pl.concat(parts, how="vertical")


def _status(clause: pl.Expr, field: pl.Expr) -> pl.Expr:
    """Status from the clause's cues, else the field's default."""
    lower = clause.str.to_lowercase()
    structured = field.is_in(list(STRUCTURED_FIELDS))
    published = lower.str.contains(PUBLISHED) & ~(
        lower.str.contains(IN_SENTENCE) & ~lower.str.contains(PUBLISHED.removesuffix(r"|^\s*in\b"))
    )
    return (
        pl.when(lower.str.contains(UNDER_REVIEW) | (structured & lower.str.contains(STRUCTURED_UNDER_REVIEW)))
        .then(pl.lit("under-review"))
        .when(lower.str.contains(SUBMITTED) | (structured & lower.str.contains(STRUCTURED_SUBMITTED)))
        .then(pl.lit("submitted"))
        .when(lower.str.contains(ACCEPTED))
        .then(pl.lit("accepted"))
        .when(published | (field == "journal_ref"))
        .then(pl.lit("published"))
        .when(field == "venue_field")
        .then(pl.lit("accepted"))
        .otherwise(pl.lit("mentioned"))
    )


def _year(text: pl.Expr) -> pl.Expr:
    """A four-digit year from "2024", "'24" or "CVPR2023"-style text, else null."""
    four = text.str.extract(r"((?:19|20)\d{2})", 1).cast(pl.Int32, strict=False)
    two = text.str.extract(r"(?:'\s?|-)(\d{2})$", 1).cast(pl.Int32, strict=False)
    two = pl.when(two > 50).then(two + 1900).otherwise(two + 2000)
    return pl.coalesce(four, two).cast(pl.Int32)


def _continuation_year(structured: pl.Expr) -> pl.Expr:
    """The next clause's year when it names no venue of its own: a reference cut by a sentence break, as in
    "To appear in the Proceedings of the 41st International Conference on Machine Learning, Vienna. PMLR 235,
    2024"."""
    following = pl.col("_next").fill_null("").str.replace_all(URL, " ")
    names_venue = (
        pl.when(structured)
        .then(following.str.contains(mention_regex(True)))
        .otherwise(following.str.contains(mention_regex(False)))
    )
    return pl.when(~names_venue).then(following.str.extract(CLAUSE_YEAR, 1).cast(pl.Int32))


def canonical_journal_name(journal: pl.Expr) -> pl.Expr:
    """A journal reference outside the lexicon without volume, issue, pages and date, a leading year or a
    parenthesised acronym: "Neural Computation, Volume 36, Issue 3, March 2024" is "Neural Computation"."""
    name = journal.str.replace_all(r"\s*\([A-Z][A-Za-z0-9\-]*(?:\s(?:19|20)\d{2})?\)", "")
    for _ in range(3):  # tails nest: "..., Vol.3, No.1, January 2012"
        name = name.str.replace(JOURNAL_TAIL, "")
    name = name.str.replace(r"^(?:19|20)\d{2}\s+", "").str.strip_chars(" .;,:")
    return pl.when(name.str.len_chars() > 0).then(name).otherwise(journal)


def venue_hints(papers: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``venue_hints`` (List[VENUE_HINT]). Needs journal_ref, venue_field, arxiv_comment, abstract."""
    indexed = papers.with_row_index("_row")
    clauses = _clauses(indexed)
    structured = pl.col("field").is_in(list(STRUCTURED_FIELDS))
    mentions = (
        clauses.with_columns(
            pl.when(structured)
            .then(pl.col("evidence").str.replace_all(URL, " ").str.extract_all(mention_regex(True)))
            .otherwise(pl.col("evidence").str.replace_all(URL, " ").str.extract_all(mention_regex(False)))
            .alias("_mention")
        )
        .explode("_mention")
        .filter(pl.col("_mention").is_not_null())
        .with_columns(_alias_key(pl.col("_mention")).alias("_alias"))
        .join(alias_table().lazy(), on="_alias", how="inner", maintain_order="left")
        .with_columns(
            _status(pl.col("evidence"), pl.col("field")).alias("status"),
            pl.coalesce(
                _year(pl.col("_mention").str.extract(YEAR_SUFFIX + "$", 0)),
                pl.col("evidence").str.extract(CLAUSE_YEAR, 1).cast(pl.Int32),
                _continuation_year(structured),
            ).alias("year"),
            pl.col("evidence").str.contains(WORKSHOP).alias("workshop"),
            pl.col("_mention").str.contains(YEAR_SUFFIX + "$").alias("_adjacent_year"),
        )
    )
    free_text = ~structured
    mentioned = pl.col("status") == "mentioned"
    evidence = pl.col("evidence").str.replace_all(URL, " ")
    abstract = pl.col("field") == "abstract"
    challenge = evidence.str.to_lowercase().str.contains(NOT_A_VENUE_TAIL) | (
        abstract & evidence.str.to_lowercase().str.contains(ABSTRACT_EVENT)
    )
    mention = pl.col("_mention").str.escape_regex()
    style = evidence.str.contains(pl.concat_str(pl.lit("(?i)"), mention, pl.lit(STYLE_TAIL)))
    lower = evidence.str.to_lowercase().str.replace_all(OWN_PAPER, " ")
    bibliometric = (
        lower.str.contains(BIBLIOMETRIC) & ~lower.str.contains(r"\b(?:accepted|to appear)\b")
    ) | lower.str.contains(CORPUS)
    cued = evidence.str.contains(pl.concat_str(pl.lit(CUE_BEFORE), mention))
    # "(CVPR 2024)", "[ICML 2018]", "(Hu et al., ACL 2025)": a mention closing a bracket cites another paper.
    citation = mentioned & evidence.str.contains(pl.concat_str(mention, pl.lit(r"\s*[)\]]")))
    # In an abstract, a mention glued to a name is a dataset or an event named after the venue ("NSL-KDD",
    # "ASNR-MICCAI BraTS", "WiCV@CVPR 2025 marked its 16th edition"); in a comment it is usually the paper's
    # workshop or a joint conference ("UDM-KDD'24", "LREC-COLING 2024").
    glued = evidence.str.contains(pl.concat_str(pl.lit(r"[A-Za-z0-9][\-/@]"), mention))
    # Another venue whose name begins with this one's: "AAAI/ACM Conference on AI, Ethics, and Society" (AIES),
    # "International Conference on Machine Learning and Applications" (ICMLA, not ICML).
    longer_name = evidence.str.contains(pl.concat_str(mention, pl.lit(r"/[A-Z]"))) | (
        pl.col("_mention").str.replace(YEAR_SUFFIX + "$", "").str.contains(" ")
        & evidence.str.contains(pl.concat_str(mention, pl.lit(r"\s+(?:and|&)\s+[A-Z][a-z]")))
    )
    keep = ~(
        (free_text & pl.col("_needs_cue") & (mentioned | ~cued))
        | (free_text & challenge & ~cued)
        | (free_text & style)
        | (free_text & longer_name)
        | (abstract & (bibliometric | citation | (glued & ~cued)))
        | (abstract & mentioned & ~pl.col("_adjacent_year"))
    )
    lexicon_hints = mentions.filter(keep).select(
        "_row", "_rank", "_clause", "venue", "year", "status", "workshop", "evidence", "field"
    )
    journal = pl.col("journal_ref").fill_null("").str.replace_all(r"\s+", " ").str.strip_chars(" .;,")
    journal_name = canonical_journal_name(journal)
    with_lexicon_journal = lexicon_hints.filter(pl.col("field") == "journal_ref").select("_row").unique()
    passthrough = (
        indexed.filter((journal.str.len_chars() > 0) & ~journal.str.contains(NOT_A_JOURNAL))
        .join(with_lexicon_journal, on="_row", how="anti")
        .select(
            "_row",
            pl.lit(0, dtype=pl.Int32).alias("_rank"),
            pl.lit(0, dtype=pl.Int64).alias("_clause"),
            journal_name.alias("venue"),
            journal.str.extract(CLAUSE_YEAR, 1).cast(pl.Int32).alias("year"),
            pl.lit("published").alias("status"),
            journal.str.contains(WORKSHOP).alias("workshop"),
            journal.alias("evidence"),
            pl.lit("journal_ref").alias("field"),
        )
    )
    hints = (
        pl.concat([lexicon_hints.with_columns(pl.col("_clause").cast(pl.Int64)), passthrough], how="vertical")
        .sort("_row", "_rank", "_clause", maintain_order=True)
        .unique(subset=["_row", "venue", "workshop"], keep="first", maintain_order=True)
        .group_by("_row", maintain_order=True)
        .agg(pl.struct("venue", "year", "status", "workshop", "evidence", "field").alias("venue_hints"))
    )
    return (
        indexed.join(hints, on="_row", how="left", maintain_order="left")
        .with_columns(
            pl.col("venue_hints").fill_null(pl.lit([], dtype=VENUE_HINTS_DTYPE)).cast(VENUE_HINTS_DTYPE)
        )
        .drop("_row")
    )
