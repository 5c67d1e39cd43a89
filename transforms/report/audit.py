"""The dedup audit of a version: how many records each paper absorbed, and every merge, for a person to check."""

from __future__ import annotations

import polars as pl

from transforms.dedup.identity import normalise_title

AUDIT_COLUMNS = ("paper_id", "title", "duplicates")
"""The papers' columns :func:`dedup_merges` reads."""


def dedup_merges(papers: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(papers with ``cluster_size``, one row per merged record with ``kept_title`` and ``title_differs``)."""
    sized = papers.select(AUDIT_COLUMNS).with_columns(
        (pl.col("duplicates").list.len() + 1).alias("cluster_size")
    )
    merges = (
        sized.select("paper_id", pl.col("title").alias("kept_title"), "duplicates")
        .explode("duplicates", keep_nulls=False, empty_as_null=False)
        .unnest("duplicates")
        .with_columns(
            (normalise_title(pl.col("title")) != normalise_title(pl.col("kept_title"))).alias("title_differs")
        )
    )
    return sized, merges
