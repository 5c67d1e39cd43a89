"""The data contract: every frame that crosses a stage boundary or is written has one of these schemas.

Three schemas, one module:

* ``RECORD_SCHEMA``: one row per input record, as parsers emit it (``transforms/parse_*``). The pipeline's
  working frame is this plus the columns each stage adds (see ``WORKING_COLUMNS``).
* ``PAPER_SCHEMA``: one row per paper in a published version (``data/*.parquet``).
* ``QUARANTINE_SCHEMA``: one row per rejected input record (``quarantine/*.parquet``).
* ``LEDGER_SCHEMA``: one row per input record of a run with its outcome (``ledger.parquet``), so a run accounts
  for every record it read.

Nothing is inferred: writers call :func:`conform` (polars) or :func:`to_arrow` (pyarrow) before every write.
Bump ``SCHEMA_VERSION`` (semver) whenever a schema here changes: minor for added columns, major for anything else.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

SCHEMA_VERSION = "2.0.0"
DATASET_NAME = "trending-papers"

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

SOURCE_REF = pa.struct(
    [
        pa.field("source", pa.string()),
        pa.field("captured_at", UTC_TIMESTAMP),
        pa.field("raw_sha256", pa.string()),
    ]
)
"""Where a record came from: the source adapter, when it was captured, and the sha256 of the raw capture."""

DUPLICATE_REF = pa.struct(
    [
        pa.field("title", pa.string()),
        pa.field("source", pa.string()),
        pa.field("raw_sha256", pa.string()),
        pa.field("similarity", pa.float64()),
    ]
)
"""A record merged into a paper: its title, where it came from, and how similar it was to the kept record."""

VENUE_HINT = pa.struct(
    [
        pa.field("venue", pa.string()),
        pa.field("year", pa.int32()),
        pa.field("status", pa.string()),
        pa.field("workshop", pa.bool_()),
        pa.field("evidence", pa.string()),
        pa.field("field", pa.string()),
    ]
)
"""A venue mention: canonical venue, year, status (accepted/published/under-review/submitted/mentioned)."""

TOPIC_SCORE = pa.struct(
    [
        pa.field("topic", pa.string()),
        pa.field("score", pa.float64()),
        pa.field("evidence", pa.list_(pa.string())),
    ]
)
"""Why a topic was assigned: its score and the terms or signals that matched."""

LINK = pa.struct(
    [
        pa.field("url", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("field", pa.string()),
    ]
)
"""A link found for a paper: canonical url, kind (code/project) and the field it came from."""

CODE_STATUSES = ("linked", "claimed", "planned", "none")
OUTCOMES = ("published", "duplicate", "quarantined")

RECORD_SCHEMA = pa.schema(
    [
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("input_path", pa.string()),
        pa.field("raw_sha256", pa.string(), nullable=False),
        pa.field("raw_index", pa.int32(), nullable=False),
        pa.field("captured_at", UTC_TIMESTAMP),
        pa.field("title_raw", pa.string()),
        pa.field("abstract_raw", pa.string()),
        pa.field("arxiv_id", pa.string()),
        pa.field("arxiv_version", pa.int32()),
        pa.field("url", pa.string()),
        pa.field("authors", pa.list_(pa.string())),
        pa.field("published_at", UTC_TIMESTAMP),
        pa.field("submitted_on_daily_at", UTC_TIMESTAMP),
        pa.field("upvotes", pa.int64()),
        pa.field("num_comments", pa.int64()),
        pa.field("keywords", pa.list_(pa.string())),
        pa.field("source_code_url", pa.string()),
        pa.field("source_project_url", pa.string()),
        pa.field("arxiv_comment", pa.string()),
        pa.field("journal_ref", pa.string()),
        pa.field("doi", pa.string()),
        pa.field("categories", pa.list_(pa.string())),
        pa.field("primary_category", pa.string()),
        pa.field("venue_field", pa.string()),
        pa.field("parse_error", pa.string()),
    ]
)
"""What a parser emits per input record.

``record_id`` is stable for a record: sha256 of ``raw_sha256:raw_index`` (see :func:`record_id_expr`).
``source_code_url``/``source_project_url`` are links the source itself provides (HF ``githubRepo``/``projectPage``).
``venue_field`` is a structured venue from the source (Papers with Code ``conference``/``proceeding``).
``parse_error`` is set when the record (or the whole input) could not be parsed; such rows go to quarantine.
"""

PAPER_SCHEMA = pa.schema(
    [
        pa.field("paper_id", pa.string(), nullable=False),
        pa.field("title", pa.string(), nullable=False),
        pa.field("abstract", pa.string(), nullable=False),
        pa.field("title_raw", pa.string()),
        pa.field("abstract_raw", pa.string()),
        pa.field("aliases", pa.list_(pa.string())),
        pa.field("duplicates", pa.list_(DUPLICATE_REF)),
        pa.field("arxiv_id", pa.string()),
        pa.field("arxiv_version", pa.int32()),
        pa.field("url", pa.string()),
        pa.field("authors", pa.list_(pa.string())),
        pa.field("published_at", UTC_TIMESTAMP),
        pa.field("submitted_on_daily_at", UTC_TIMESTAMP),
        pa.field("upvotes", pa.int64()),
        pa.field("num_comments", pa.int64()),
        pa.field("keywords", pa.list_(pa.string())),
        pa.field("arxiv_comment", pa.string()),
        pa.field("journal_ref", pa.string()),
        pa.field("doi", pa.string()),
        pa.field("categories", pa.list_(pa.string())),
        pa.field("primary_category", pa.string()),
        pa.field("sources", pa.list_(SOURCE_REF)),
        pa.field("language", pa.string()),
        pa.field("language_score", pa.float64()),
        pa.field("topic", pa.string()),
        pa.field("topics", pa.list_(pa.string())),
        pa.field("topic_scores", pa.list_(TOPIC_SCORE)),
        pa.field("venue_hints", pa.list_(VENUE_HINT)),
        pa.field("code_urls", pa.list_(pa.string())),
        pa.field("project_urls", pa.list_(pa.string())),
        pa.field("links", pa.list_(LINK)),
        pa.field("code_status", pa.string()),
        pa.field("first_seen", UTC_TIMESTAMP),
        pa.field("last_seen", UTC_TIMESTAMP),
        pa.field("times_seen", pa.int64()),
        pa.field("cleaning_flags", pa.list_(pa.string())),
        pa.field("record_hash", pa.string()),
    ]
)

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("input_path", pa.string()),
        pa.field("raw_sha256", pa.string()),
        pa.field("raw_index", pa.int32()),
        pa.field("captured_at", UTC_TIMESTAMP),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("reasons", pa.list_(pa.string()), nullable=False),
        pa.field("title_raw", pa.string()),
        pa.field("abstract_raw", pa.string()),
        pa.field("arxiv_id", pa.string()),
        pa.field("language", pa.string()),
        pa.field("language_score", pa.float64()),
        pa.field("raw_record", pa.string()),
    ]
)
"""``raw_record`` is the parsed input record as JSON, so nothing about a rejected record is lost."""

LEDGER_SCHEMA = pa.schema(
    [
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("raw_sha256", pa.string()),
        pa.field("raw_index", pa.int32()),
        pa.field("outcome", pa.string(), nullable=False),
        pa.field("paper_id", pa.string()),
        pa.field("merged_into", pa.string()),
        pa.field("similarity", pa.float64()),
        pa.field("reasons", pa.list_(pa.string())),
    ]
)
"""``merged_into`` names the kept record of a duplicate's cluster; ``paper_id`` the paper it ended up in."""

DEDUP_INDEX_SCHEMA = pa.schema(
    [
        pa.field("paper_id", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("band", pa.int16()),
        pa.field("key", pa.uint64()),
        pa.field("fingerprint", pa.string()),
    ]
)
"""Lookup keys of a version's papers (``index/dedup-keys.parquet``), so a run matches only candidate papers.

``kind`` is ``arxiv``, ``title`` or ``band`` (an LSH band key of the abstract, ``band`` its number);
``fingerprint`` names the dedup parameters the keys were built with (see ``transforms/dedup.py``).
"""

WORKING_COLUMNS = {
    "title": pl.String,
    "abstract": pl.String,
    "cleaning_flags": pl.List(pl.String),
    "language": pl.String,
    "language_score": pl.Float64,
    "reasons": pl.List(pl.String),
}
"""Columns the clean and language stages add to the record frame; ``reasons`` collects quarantine tags."""


def polars_schema(schema: pa.Schema) -> pl.Schema:
    """The polars view of a pyarrow schema (used to build empty frames and to cast)."""
    return pl.Schema(pl.from_arrow(schema.empty_table()).schema)


def conform(frame: pl.DataFrame, schema: pa.Schema) -> pl.DataFrame:
    """Select the schema's columns in order and cast to their types; fails loudly on a missing column."""
    target = polars_schema(schema)
    missing = [name for name in target if name not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks contract columns {missing}")
    return frame.select([pl.col(name).cast(dtype, strict=True) for name, dtype in target.items()])


def to_arrow(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """The frame as a pyarrow table with exactly ``schema`` (field nullability checked by pyarrow)."""
    table = conform(frame, schema).to_arrow()
    return table.cast(schema)


def empty(schema: pa.Schema) -> pl.DataFrame:
    """An empty frame with the schema's columns and types."""
    return pl.DataFrame(schema=polars_schema(schema))


def record_id_expr(raw_sha256: pl.Expr, raw_index: pl.Expr) -> pl.Expr:
    """Stable id of an input record: the first 16 hex digits of sha256("<raw_sha256>:<raw_index>")."""
    key = pl.concat_str([raw_sha256, pl.lit(":"), raw_index.cast(pl.String)])
    return key.map_batches(_sha256_hex16, return_dtype=pl.String)


def _sha256_hex16(keys: pl.Series) -> pl.Series:
    import hashlib

    return pl.Series(
        [None if k is None else hashlib.sha256(k.encode()).hexdigest()[:16] for k in keys.to_list()],
        dtype=pl.String,
    )


COLUMN_DOCS: dict[str, str] = {
    "paper_id": "Stable id: `arxiv:<id>` when an arXiv id is known, else `title:<sha256 of normalised title, 16 hex>`;"
    " a paper keeps its id across versions.",
    "title": "Cleaned title.",
    "abstract": "Cleaned abstract.",
    "title_raw": "Title as captured.",
    "abstract_raw": "Abstract as captured.",
    "aliases": "Other titles of records merged into this paper.",
    "duplicates": "Records merged into this paper: title, source, raw_sha256, similarity to the kept record.",
    "arxiv_id": "arXiv identifier without version (string, never a number).",
    "arxiv_version": "arXiv version number when the source gave one.",
    "url": "Canonical page of the paper at its source.",
    "authors": "Author names in source order.",
    "published_at": "Publication time given by the source (UTC).",
    "submitted_on_daily_at": "When the paper entered Hugging Face Daily Papers (UTC).",
    "upvotes": "Upvotes at the latest capture (highest seen).",
    "num_comments": "Comments at the latest capture.",
    "keywords": "Keywords given by the source (HF `ai_keywords`).",
    "arxiv_comment": "arXiv comment field (often the venue).",
    "journal_ref": "arXiv journal reference.",
    "doi": "DOI from arXiv.",
    "categories": "arXiv categories.",
    "primary_category": "arXiv primary category.",
    "sources": "Every capture this paper was seen in: source adapter, capture time, sha256 of the raw capture.",
    "language": "Language of the cleaned abstract (langdetect, seeded).",
    "language_score": "langdetect probability of `language` (1.0 where the English gate settled it).",
    "topic": "Primary topic id from the taxonomy (`general-ml` when nothing else fits).",
    "topics": "Every topic that applies.",
    "topic_scores": "Per topic: score and the terms or signals that decided it.",
    "venue_hints": "Venue mentions: canonical venue, year, status, workshop, evidence text, field it came from.",
    "code_urls": "Canonical code repository URLs.",
    "project_urls": "Project pages.",
    "links": "Every link with its kind (code/project) and the field it came from.",
    "code_status": "`linked` (repository URL), `claimed` (code said to be public, no URL), `planned`, or `none`.",
    "first_seen": "First capture time of this paper (UTC).",
    "last_seen": "Latest capture time of this paper (UTC).",
    "times_seen": "Number of runs that saw this paper.",
    "cleaning_flags": "Cleaning rules that changed the title or abstract (`<field>:<rule>`).",
    "record_hash": "sha256 of the paper's content columns: changes when the content changes.",
}
"""One line per published column, for the README and the dataset card."""


def column_table(schema: pa.Schema = PAPER_SCHEMA) -> str:
    """A markdown table of the published columns with their types and meaning."""
    lines = ["| column | type | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{f.name}` | `{f.type}` | {COLUMN_DOCS.get(f.name, '')} |" for f in schema]
    return "\n".join(lines)
