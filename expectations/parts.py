"""What the table suite reads of a version: one summary row per part, never the version's rows.

A version is written in parts, ranges of ``paper_id`` in key order (the ranges a run builds, the shards of a
published version). Ids unique and present in each part, and parts whose id ranges increase strictly from one
part to the next, mean ids unique and present in the whole version; so the table suite checks the version from a
summary of each part (:func:`summarize_part`, one pass over that part's ids and its column names), however large
the version is. A carried shard (a hard link of a shard of the previous version, which passed the suite when it
was published) is summarized from its manifest entry (:func:`carried_part`): its key range and rows, with its
id and column checks unknown (null), not assumed.

No Great Expectations here (importing it costs seconds): the parts are summarized range by range as a run builds
its version, and only the gate (``expectations/gate.py``) runs the suite on them.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

PART_SCHEMA = pl.Schema(
    {
        "part": pl.String,
        "rows": pl.Int64,
        "missing_ids": pl.Int64,
        "duplicate_ids": pl.Int64,
        "first_id": pl.String,
        "last_id": pl.String,
        "columns": pl.String,
    }
)
"""One row per part: its name (for a failure's observed values), its rows, how many have no ``paper_id`` and
how many repeat an id of the part, its least and greatest id, and its column names joined by ``COLUMN_SEPARATOR``
(null where not read: a carried shard)."""

COLUMN_SEPARATOR = ", "


def column_list(columns: Sequence[str]) -> str:
    """A part's ordered column names as the summary states them (and the suite compares them)."""
    return COLUMN_SEPARATOR.join(columns)


def summarize_part(papers: pl.DataFrame, part: str) -> pl.DataFrame:
    """The summary row of one part of a version (``papers``: its rows; ``part``: its name)."""
    if "paper_id" not in papers.columns:
        ids = pl.lit(None, dtype=pl.String)
        summary = papers.select(
            pl.len().cast(pl.Int64).alias("rows"), pl.len().cast(pl.Int64).alias("missing_ids")
        ).with_columns(
            pl.lit(0, pl.Int64).alias("duplicate_ids"), ids.alias("first_id"), ids.alias("last_id")
        )
    else:
        ids = pl.col("paper_id").cast(pl.String)
        summary = papers.select(
            pl.len().cast(pl.Int64).alias("rows"),
            ids.null_count().cast(pl.Int64).alias("missing_ids"),
            (ids.drop_nulls().len() - ids.drop_nulls().n_unique()).cast(pl.Int64).alias("duplicate_ids"),
            ids.min().alias("first_id"),
            ids.max().alias("last_id"),
        )
    return summary.select(
        pl.lit(part).alias("part"), pl.all(), pl.lit(column_list(papers.columns)).alias("columns")
    ).cast(PART_SCHEMA)


def carried_part(part: str, rows: int, first_id: str, last_id: str) -> pl.DataFrame:
    """The summary row of a carried shard, from its manifest entry: its ids and columns are not read again."""
    return pl.DataFrame(
        [{"part": part, "rows": rows, "first_id": first_id, "last_id": last_id}], schema=PART_SCHEMA
    )


def in_key_order(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """The parts' summaries as one frame, in the order given (the version's key order), each with the greatest id
    of the nearest part before it that has one (``previous_last_id``: null for the first)."""
    frame = pl.concat([pl.DataFrame(schema=PART_SCHEMA), *parts], how="vertical")
    return frame.with_columns(pl.col("last_id").forward_fill().shift(1).alias("previous_last_id"))
