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

SCHEMA_VERSION = "2.4.0"
"""Semver of the published contract; every change is written in ``SCHEMA_CHANGELOG.md``."""
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
"""A link found for a paper: canonical url, kind (code/project/model/dataset/space) and the field it came from."""

LISTING = pa.struct(
    [
        pa.field("listed_on", pa.date32()),
        pa.field("source", pa.string()),
        pa.field("upvotes", pa.int64()),
        pa.field("num_comments", pa.int64()),
        pa.field("rank", pa.int32()),
        pa.field("github_stars", pa.int64()),
    ]
)
"""One day a paper was on a source's list: the day, the source, its upvotes and comments, its 1-based rank, and
the stars of its GitHub repository that day (when the source gives them)."""

CODE_STATUSES = ("linked", "claimed", "planned", "none")
OUTCOMES = ("published", "duplicate", "quarantined")

SOURCE_GIVEN_FIELDS = (
    pa.field("github_stars", pa.int64()),
    pa.field("github_repo_added_by", pa.string()),
    pa.field("organization_id", pa.string()),
    pa.field("organization_name", pa.string()),
    pa.field("organization_fullname", pa.string()),
    pa.field("ai_summary", pa.string()),
)
"""Fields the Hugging Face daily-papers API gives on recent days (``githubStars``, ``githubRepoAddedBy``,
``organization``, ``ai_summary``), in records and papers alike."""

# The schemas' fields are tuples: mypy types a list of fields of mixed types as list[object].
RECORD_SCHEMA = pa.schema(
    (
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("input_path", pa.string()),
        pa.field("raw_sha256", pa.string(), nullable=False),
        pa.field("raw_index", pa.int32(), nullable=False),
        pa.field("captured_at", UTC_TIMESTAMP),
        pa.field("captured_at_evidence", pa.string()),
        pa.field("listed_on", pa.date32()),
        pa.field("listed_on_evidence", pa.string()),
        pa.field("rank", pa.int32()),
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
        *SOURCE_GIVEN_FIELDS,
        pa.field("arxiv_comment", pa.string()),
        pa.field("journal_ref", pa.string()),
        pa.field("doi", pa.string()),
        pa.field("categories", pa.list_(pa.string())),
        pa.field("primary_category", pa.string()),
        pa.field("venue_field", pa.string()),
        pa.field("parse_error", pa.string()),
        pa.field("raw_item", pa.string()),
    )
)
"""What a parser emits per input record.

``record_id`` is stable for a record: sha256 of ``raw_sha256:raw_index`` (see :func:`record_id_expr`).
``captured_at`` is when the bytes were fetched and ``listed_on`` the day of the listing the record came from;
``captured_at_evidence``/``listed_on_evidence`` say where each came from (``transforms/parse/listing.py``). ``rank`` is
the record's 1-based position in its listing when the source gives an order.
``source_code_url``/``source_project_url`` are links the source itself provides (HF ``githubRepo``/``projectPage``).
``venue_field`` is a structured venue from the source (Papers with Code ``conference``/``proceeding``).
``parse_error`` is set when the record (or the whole input) could not be parsed; such rows go to quarantine.
``raw_item`` is the item of a record whose item failed to parse, as JSON (the whole input is in the raw zone).
"""

PAPER_SCHEMA = pa.schema(
    (
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
        *SOURCE_GIVEN_FIELDS,
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
        pa.field("topic_method", pa.string()),
        pa.field("venue_hints", pa.list_(VENUE_HINT)),
        pa.field("code_urls", pa.list_(pa.string())),
        pa.field("project_urls", pa.list_(pa.string())),
        pa.field("links", pa.list_(LINK)),
        pa.field("code_status", pa.string()),
        pa.field("venue", pa.string()),
        pa.field("venue_year", pa.int32()),
        pa.field("venue_status", pa.string()),
        pa.field("venue_workshop", pa.bool_()),
        pa.field("has_code", pa.bool_()),
        pa.field("first_seen", UTC_TIMESTAMP),
        pa.field("last_seen", UTC_TIMESTAMP),
        pa.field("times_seen", pa.int64()),
        pa.field("first_listed_on", pa.date32()),
        pa.field("last_listed_on", pa.date32()),
        pa.field("days_listed", pa.int64()),
        pa.field("listings", pa.list_(LISTING)),
        pa.field("cleaning_flags", pa.list_(pa.string())),
        pa.field("record_hash", pa.string()),
    )
)

QUARANTINE_SCHEMA = pa.schema(
    (
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
    )
)
"""``raw_record`` is the parsed input record as JSON, so nothing about a rejected record is lost."""

LEDGER_SCHEMA = pa.schema(
    (
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("raw_sha256", pa.string()),
        pa.field("raw_index", pa.int32()),
        pa.field("outcome", pa.string(), nullable=False),
        pa.field("paper_id", pa.string()),
        pa.field("merged_into", pa.string()),
        pa.field("similarity", pa.float64()),
        pa.field("reasons", pa.list_(pa.string())),
        pa.field("captured_at", UTC_TIMESTAMP),
        pa.field("captured_at_evidence", pa.string()),
        pa.field("listed_on", pa.date32()),
        pa.field("listed_on_evidence", pa.string()),
        pa.field("decisions", pa.list_(pa.string())),
    )
)
"""``merged_into`` names the kept record of a duplicate's cluster; ``paper_id`` the paper it ended up in; the
capture time and listing day of each record come with the evidence they were taken from. ``decisions`` are
identity decisions that shaped the record's outcome without being a quarantine reason (``reasons`` stays empty
for every record that was not quarantined): ``dedup:split_arxiv_conflict`` (its cluster was cut out of a
component that held two known arXiv ids) and ``match:split_arxiv_conflict`` (its paper and another of the run,
with a different arXiv id, matched one previous paper without an id; the more similar one took it)."""

LISTING_ROW_SCHEMA = pa.schema(
    (
        pa.field("paper_id", pa.string(), nullable=False),
        pa.field("listed_on", pa.date32(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("upvotes", pa.int64()),
        pa.field("num_comments", pa.int64()),
        pa.field("rank", pa.int32()),
        pa.field("github_stars", pa.int64()),
    )
)
"""The ``listings`` table of a version (``listings/train-*.parquet``): the papers' ``listings`` as a long table,
one row per (``paper_id``, ``listed_on``, ``source``), sorted so; a time series per paper without unnesting."""

DEDUP_INDEX_SCHEMA = pa.schema(
    (
        pa.field("paper_id", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("band", pa.int16()),
        pa.field("key", pa.uint64()),
        pa.field("fingerprint", pa.string()),
    )
)
"""Lookup keys of a version's papers (``index/dedup-keys.parquet``), so a run matches only candidate papers.

``kind`` is ``arxiv``, ``title`` or ``band`` (an LSH band key of the abstract, ``band`` its number);
``fingerprint`` names the dedup parameters the keys were built with (see ``transforms/dedup/clusters.py``).
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


def arrow_frame(table: pa.Table) -> pl.DataFrame:
    """``pl.from_arrow`` of a table, typed as the frame it is (polars types its result as a frame or a series)."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame), "pl.from_arrow of a table makes a frame"
    return frame


def polars_schema(schema: pa.Schema) -> pl.Schema:
    """The polars view of a pyarrow schema (used to build empty frames and to cast)."""
    return pl.Schema(arrow_frame(schema.empty_table()).schema)


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
    "submitted_on_daily_at": "When the paper was submitted to Hugging Face Daily Papers (UTC): the paper's"
    " `submittedOnDailyAt`, or on older API days (which lack it) the daily item's `publishedAt`.",
    "upvotes": "Upvotes at the latest capture (highest seen).",
    "num_comments": "Comments at the latest capture.",
    "keywords": "Keywords given by the source (HF `ai_keywords`).",
    "github_stars": "Stars of the paper's GitHub repository at its latest capture that gives them (HF"
    " `githubStars`); `listings` has them per day.",
    "github_repo_added_by": "Who linked the repository on Hugging Face (`githubRepoAddedBy`: `author`, `user`...).",
    "organization_id": "Id of the Hugging Face organisation the paper is claimed by (HF `organization._id`).",
    "organization_name": "Handle of that organisation on the Hub (`organization.name`, e.g. `google`).",
    "organization_fullname": "Display name of that organisation (`organization.fullname`, e.g. `Google`).",
    "ai_summary": "Hugging Face's machine-written one-sentence summary of the paper (`ai_summary`): not the"
    " authors' words.",
    "arxiv_comment": "arXiv comment field (often the venue).",
    "journal_ref": "arXiv journal reference.",
    "doi": "DOI from arXiv.",
    "categories": "arXiv categories.",
    "primary_category": "arXiv primary category.",
    "sources": "Every capture this paper was found in, once per (source, raw_sha256): source adapter, capture"
    " time (the earliest, when the same bytes were read twice), sha256 of the raw capture.",
    "language": "Language of the cleaned abstract (langdetect, seeded).",
    "language_score": "langdetect probability of `language` (1.0 where the English gate settled it).",
    "topic": "Primary topic id from the taxonomy: the area the primary arXiv category implies, else the learned"
    " model's confident area, else the strongest keyword topic (`general-ml` when nothing fits).",
    "topics": "Every topic the text (or an arXiv category) supports, `topic` first.",
    "topic_scores": "Per topic: score (a model area's probability 0-1, another topic's keyword score) and the"
    " evidence: `model <p>, threshold <t>` with the features that added most, matched terms, `category:<id>`.",
    "topic_method": "The method that derived `topic`, `topics` and `topic_scores` (`model-<version>+taxonomy-"
    "<version>`): the same for every paper of a version.",
    "venue_hints": "Venue mentions: canonical venue, year, status, workshop, evidence text, field it came from.",
    "code_urls": "Canonical source-code repository URLs (Hub models, datasets and Spaces are not code).",
    "project_urls": "Project pages.",
    "links": "Every link with its kind (`code` repository, `project` page, Hugging Face Hub `model`, `dataset` or"
    " `space`) and the field it came from.",
    "code_status": "`linked` (repository URL), `claimed` (code said to be public, no URL), `planned`, or `none`.",
    "first_seen": "Earliest `captured_at` of the paper's `sources` (UTC): when its bytes were first fetched"
    " (the raw zone's response time; for a local file, its modification time).",
    "last_seen": "Latest `captured_at` of the paper's `sources` (UTC).",
    "times_seen": "Number of distinct captures (`sources`) the paper was found in: the same bytes read again, in"
    " any run, do not count twice, so the value does not depend on how runs were batched.",
    "first_listed_on": "Earliest day the paper was on a listing (`listings`); null for a paper only read from"
    " inputs that are not listings (arXiv feeds, Papers with Code, its own paper page).",
    "last_listed_on": "Latest day the paper was on a listing.",
    "days_listed": "Number of distinct days in `listings` (0: no listing has the paper).",
    "listings": "One entry per (day, source) the paper was listed: the day (see *Listing dates*), source, upvotes"
    " and comments that day, its 1-based rank on that day's list when the source gives an order, and its"
    " repository's stars that day (highest counts and best rank when several captures list it that day). The"
    " `listings` config has the same entries as a table.",
    "venue": "Venue of the strongest hint in `venue_hints` (status published > accepted > under-review > submitted"
    " > mentioned; among equals the first, structured fields first); null when there is no hint.",
    "venue_year": "Year of that hint (null when the hint names none).",
    "venue_status": "Status of that hint: `published`, `accepted`, `under-review`, `submitted` or `mentioned`.",
    "venue_workshop": "Whether that hint is a workshop (or an event co-located with the venue), not its main track.",
    "has_code": "The paper links a source repository (GitHub, GitLab, Bitbucket, Codeberg, anonymous review repo);"
    " a Hugging Face model or dataset alone is a checkpoint, not code.",
    "cleaning_flags": "Cleaning rules that changed the title or abstract (`<field>:<rule>`).",
    "record_hash": "sha256 of the paper's content columns: changes when the content changes.",
}
"""One line per published column, for the README and the dataset card."""


def column_table(schema: pa.Schema = PAPER_SCHEMA) -> str:
    """A markdown table of the published columns with their types and meaning."""
    lines = ["| column | type | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{f.name}` | `{f.type}` | {COLUMN_DOCS.get(f.name, '')} |" for f in schema]
    return "\n".join(lines)
