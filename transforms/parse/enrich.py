"""Enrichment: arXiv metadata joined into other records by ``arxiv_id``.

Listing sources (Hugging Face, text pages) rarely carry the arXiv comment or journal reference, which hold the
venue hints. The arXiv API does. This is a pure left join: a record keeps every value it has and only missing
ones are filled, so enrichment never overwrites what a listing source said.
"""

from __future__ import annotations

import polars as pl

FILLED_WHEN_NULL = (
    "arxiv_comment",
    "journal_ref",
    "doi",
    "primary_category",
    "published_at",
    "arxiv_version",
)
"""Scalar fields taken from arXiv when the record's own value is null."""

FILLED_WHEN_EMPTY = ("categories", "authors")
"""List fields taken from arXiv when the record's own list is null or empty."""

ENRICHED_FIELDS = (*FILLED_WHEN_NULL, *FILLED_WHEN_EMPTY)
_SUFFIX = "__arxiv"


def arxiv_by_id(arxiv_records: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """One arXiv record per ``arxiv_id``: parse failures and id-less rows dropped; among repeats (overlapping
    pages, several fetches) the highest version, then the latest capture, then the first in order wins."""
    return (
        arxiv_records.lazy()
        .filter(pl.col("arxiv_id").is_not_null() & pl.col("parse_error").is_null())
        .with_row_index("_order")
        .sort(
            ["arxiv_id", "arxiv_version", "captured_at", "_order"],
            descending=[False, True, True, False],
            nulls_last=True,
        )
        .unique(subset="arxiv_id", keep="first", maintain_order=True)
        .drop("_order")
    )


def enrich_with_arxiv(
    records: pl.LazyFrame | pl.DataFrame, arxiv_records: pl.LazyFrame | pl.DataFrame
) -> pl.LazyFrame:
    """``records`` with missing arXiv fields (see ``ENRICHED_FIELDS``) filled from ``arxiv_records``.

    Needs ``arxiv_id`` and the ``ENRICHED_FIELDS`` columns in ``records``, and ``RECORD_SCHEMA`` rows (as
    :func:`transforms.parse.arxiv.parse_arxiv_feed` emits) in ``arxiv_records``. Row count, row order and all
    other columns are unchanged; records without an ``arxiv_id`` or without a match pass through untouched.
    """
    lazy = records.lazy()
    lookup = (
        arxiv_by_id(arxiv_records)
        .select("arxiv_id", *ENRICHED_FIELDS)
        .rename({name: f"{name}{_SUFFIX}" for name in ENRICHED_FIELDS})
    )
    joined = lazy.join(lookup, on="arxiv_id", how="left", maintain_order="left")
    fills = [pl.coalesce(pl.col(name), pl.col(f"{name}{_SUFFIX}")).alias(name) for name in FILLED_WHEN_NULL]
    fills += [
        pl.when(pl.col(name).list.len().fill_null(0) > 0)
        .then(pl.col(name))
        .otherwise(pl.coalesce(pl.col(f"{name}{_SUFFIX}"), pl.col(name)))
        .alias(name)
        for name in FILLED_WHEN_EMPTY
    ]
    return joined.with_columns(fills).drop([f"{name}{_SUFFIX}" for name in ENRICHED_FIELDS])


def matched_arxiv_captures(
    records: pl.LazyFrame | pl.DataFrame, arxiv_records: pl.LazyFrame | pl.DataFrame
) -> pl.LazyFrame:
    """``record_id`` with the ``source``/``captured_at``/``raw_sha256`` of the arXiv capture that enriched it.

    For provenance: lets the caller add the arXiv capture to a paper's ``sources``.
    """
    chosen = arxiv_by_id(arxiv_records).select("arxiv_id", "source", "captured_at", "raw_sha256")
    return (
        records.lazy()
        .select("record_id", "arxiv_id")
        .join(chosen, on="arxiv_id", how="inner", maintain_order="left")
        .drop("arxiv_id")
    )
