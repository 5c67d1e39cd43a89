"""Where every input record ended up: published, merged as a duplicate, or quarantined (and why).

The accounting rule checked on every run::

    inputs == published + duplicates + quarantined

* ``inputs``: records parsed from this run's inputs (an input that could not be parsed at all counts as one).
* ``published``: records kept as the representative of a paper row in the new version (a new paper, or an
  update of a paper already in the previous version).
* ``duplicates``: records merged into another record of this run (``merged_into`` names the kept record).
* ``quarantined``: records with at least one reason (parse, cleaning, language or expectation).
"""

from __future__ import annotations

import hashlib
from typing import Any

import polars as pl

from transforms.schema import LEDGER_SCHEMA, QUARANTINE_SCHEMA, RECORD_SCHEMA, conform

STAGE_OF_REASON_PREFIX = {
    "parse": "ingest",
    "title": "clean",
    "abstract": "clean",
    "language": "language",
    "dedup": "dedup",
    "expectation": "validate",
    "retracted": "retract",
}
"""The stage that rejects a record, from its first reason's prefix (``abstract:too-short`` -> ``clean``)."""

HASHED_COLUMNS = (
    "paper_id",
    "title",
    "abstract",
    "arxiv_id",
    "arxiv_version",
    "url",
    "authors",
    "published_at",
    "keywords",
    "arxiv_comment",
    "journal_ref",
    "doi",
    "categories",
    "language",
    "topic",
    "topics",
    "venue_hints",
    "code_urls",
    "project_urls",
    "code_status",
    "cleaning_flags",
)
"""What ``record_hash`` covers: the paper's content, not when or how often it was seen."""


ACCOUNTED_COLUMNS = (
    "record_id",
    "source",
    "raw_sha256",
    "raw_index",
    "captured_at",
    "captured_at_evidence",
    "listed_on",
    "listed_on_evidence",
    "rank",
    "upvotes",
    "num_comments",
    "github_stars",
    "reasons",
    "cluster_id",
    "similarity",
    "match_rule",
    "decisions",
)
"""What a record needs after dedup: the ledger's columns, the listing it adds to its paper
(:func:`~transforms.history.merge.attach_listings`) and dedup's decisions. Its texts and other fields are read back
for the records that go to quarantine (``captured`` of :func:`build_quarantine`)."""


def accounted(records: pl.DataFrame) -> pl.DataFrame:
    """``records`` with only the :data:`ACCOUNTED_COLUMNS` they have."""
    return records.select(name for name in ACCOUNTED_COLUMNS if name in records.columns)


def stage_expr(reasons: pl.Expr) -> pl.Expr:
    prefix = reasons.list.first().str.split(":").list.first()
    return prefix.replace_strict(STAGE_OF_REASON_PREFIX, default="validate", return_dtype=pl.String)


def raw_record_expr() -> pl.Expr:
    """The parsed input record as JSON (the contract's record columns), so quarantine loses nothing."""
    return pl.struct([pl.col(name) for name in RECORD_SCHEMA.names]).struct.json_encode()


def build_quarantine(records: pl.DataFrame, captured: pl.DataFrame | None = None) -> pl.DataFrame:
    """``QUARANTINE_SCHEMA`` rows for every record carrying a reason.

    ``captured``: the rest of the records' columns by ``record_id`` (at least those of the rejected records), when
    ``records`` carries only :data:`ACCOUNTED_COLUMNS`; its columns that ``records`` has are not read.
    """
    rejected = records.filter(pl.col("reasons").list.len() > 0)
    if captured is not None:
        rest = [name for name in captured.columns if name not in rejected.columns]
        rejected = rejected.join(
            captured.select("record_id", *rest), on="record_id", how="left", maintain_order="left"
        )
    for optional in ("language", "language_score"):
        if optional not in rejected.columns:
            rejected = rejected.with_columns(pl.lit(None).alias(optional))
    return conform(
        rejected.with_columns(
            stage_expr(pl.col("reasons")).alias("stage"),
            raw_record_expr().alias("raw_record"),
        ),
        QUARANTINE_SCHEMA,
    )


def build_ledger(records: pl.DataFrame, published: pl.DataFrame) -> pl.DataFrame:
    """``LEDGER_SCHEMA``: one row per record with its outcome and the paper it ended up in.

    ``records`` carries ``reasons`` and, for records that reached dedup, ``cluster_id``/``similarity``/
    ``match_rule`` and ``decisions`` (see :func:`with_paper_decisions`; absent or null counts as none);
    ``published`` holds this run's published papers with ``paper_id`` and ``member_record_ids``.
    """
    no_decisions = pl.lit([], dtype=pl.List(pl.String))
    if "decisions" not in records.columns:
        records = records.with_columns(no_decisions.alias("decisions"))
    membership = published.select("paper_id", pl.col("member_record_ids").alias("record_id")).explode(
        "record_id"
    )
    quarantined = pl.col("reasons").list.len() > 0
    merged = pl.col("match_rule").is_not_null() & (pl.col("match_rule") != "kept")
    ledger = records.join(membership, on="record_id", how="left").with_columns(
        pl.when(quarantined)
        .then(pl.lit("quarantined"))
        .when(merged)
        .then(pl.lit("duplicate"))
        .otherwise(pl.lit("published"))
        .alias("outcome"),
        pl.when(merged & ~quarantined).then(pl.col("cluster_id")).alias("merged_into"),
        pl.when(~quarantined).then(pl.col("similarity")).alias("similarity"),
        pl.when(~quarantined).then(pl.col("paper_id")).alias("paper_id"),
        pl.col("decisions").fill_null(no_decisions),
    )
    return conform(ledger, LEDGER_SCHEMA)


def with_paper_decisions(records: pl.DataFrame, papers: pl.DataFrame) -> pl.DataFrame:
    """Each record's ``decisions`` plus those of the paper it is a member of (``member_record_ids``), distinct
    and sorted, so the ledger carries what dedup and matching decided (``dedup:split_arxiv_conflict``,
    ``match:split_arxiv_conflict``). Records of no paper keep theirs (null becomes empty)."""
    empty_list = pl.lit([], dtype=pl.List(pl.String))
    own = pl.col("decisions").fill_null(empty_list) if "decisions" in records.columns else empty_list
    if "decisions" not in papers.columns:
        return records.with_columns(own.alias("decisions"))
    by_record = (
        papers.select(pl.col("member_record_ids").alias("record_id"), pl.col("decisions").alias("_paper"))
        .explode("record_id")
        .drop_nulls("record_id")
        .unique("record_id", keep="first")
    )
    return (
        records.join(by_record, on="record_id", how="left", maintain_order="left")
        .with_columns(
            own.list.concat(pl.col("_paper").fill_null(empty_list))
            .list.unique()
            .list.sort()
            .alias("decisions")
        )
        .drop("_paper")
    )


def count_outcomes(ledger: pl.DataFrame) -> dict[str, Any]:
    """The manifest's ``counts``: totals per outcome, quarantine per reason, whether the rule holds, and how
    many records were dated by each kind of evidence (``listed_on_evidence_counts``,
    ``captured_at_evidence_counts``)."""
    per_outcome = dict(ledger.group_by("outcome").len().iter_rows())
    per_reason = dict(
        ledger.filter(pl.col("outcome") == "quarantined")
        .select(pl.col("reasons").explode())
        .group_by("reasons")
        .len()
        .sort("len", "reasons", descending=[True, False])
        .iter_rows()
    )
    counts = {
        "inputs": ledger.height,
        "published": per_outcome.get("published", 0),
        "duplicates": per_outcome.get("duplicate", 0),
        "quarantined": per_outcome.get("quarantined", 0),
        "quarantined_by_reason": per_reason,
    }
    counts["accounting_holds"] = counts["inputs"] == (
        counts["published"] + counts["duplicates"] + counts["quarantined"]
    )
    counts |= {f"{column}_counts": _per_value(ledger, column) for column in DATING_EVIDENCE}
    return counts


DATING_EVIDENCE = ("listed_on_evidence", "captured_at_evidence")
"""Per-record evidence columns counted in the manifest, so an operator sees how many times are guesses."""


def _per_value(ledger: pl.DataFrame, column: str) -> dict[str, int]:
    per_value = (
        ledger.group_by(pl.col(column).fill_null("none")).len().sort("len", column, descending=[True, False])
    )
    return dict(per_value.iter_rows())


def record_hash_expr() -> pl.Expr:
    """sha256 of the paper's content columns (JSON, fixed column order): equal content, equal hash."""
    return (
        pl.struct([pl.col(name) for name in HASHED_COLUMNS])
        .struct.json_encode()
        .map_batches(_sha256_hex, return_dtype=pl.String)
    )


HASH_BATCH_ROWS = 8_192
"""Rows hashed at a time by :func:`with_record_hash`: each row's content is a JSON text while it is hashed, so a
batch, not the version, bounds those texts."""


def with_record_hash(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``record_hash`` (:func:`record_hash_expr`), computed :data:`HASH_BATCH_ROWS` rows at a time."""
    hashes = [batch.select(record_hash_expr()).to_series() for batch in frame.iter_slices(HASH_BATCH_ROWS)]
    column = pl.concat(hashes) if hashes else pl.Series([], dtype=pl.String)
    return frame.with_columns(column.alias("record_hash"))


def _sha256_hex(values: pl.Series) -> pl.Series:
    return pl.Series([hashlib.sha256(v.encode()).hexdigest() for v in values.to_list()], dtype=pl.String)
