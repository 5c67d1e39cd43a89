"""The version history: merging a run's papers into the previous version's (``upsert``).

A paper seen again keeps its id and descriptive fields and gains what the new records add; see :func:`upsert`.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from transforms.dedup import clean_aliases
from transforms.schema import PAPER_SCHEMA, polars_schema

__all__ = ["datetime_literal", "upsert"]

_MAX_COLUMNS = ("upvotes", "num_comments")
"""Counters that only grow: a merged paper keeps the highest value seen."""

_SEEN_COLUMNS = ("first_seen", "last_seen", "times_seen")


def upsert(previous: pl.DataFrame | None, new_papers: pl.DataFrame, seen_at: datetime) -> pl.DataFrame:
    """Every paper of the previous version plus this run's, in PAPER_SCHEMA columns, sorted by paper_id.

    ``new_papers`` has every PAPER_SCHEMA column but the three ``*_seen`` ones, with ``paper_id`` from
    :func:`match_previous`. A paper seen again keeps its ``paper_id``, ``first_seen`` and descriptive fields
    (title, abstract, raw text, authors...: the previous value unless it is empty), gains ``arxiv_id`` and
    other missing values from the new row, takes ``last_seen`` = the latest capture, ``times_seen + 1``,
    ``upvotes``/``num_comments`` = maximum, and the union of ``sources``, ``duplicates``, ``aliases`` (plus
    the new title when its normalised form differs), ``code_urls``, ``project_urls`` and ``cleaning_flags``.
    Several new rows with one ``paper_id`` (possible when two records each match one older paper) are merged
    the same way first. Untouched previous rows are returned unchanged.

    A new paper's ``first_seen``/``last_seen`` are the earliest/latest ``captured_at`` of its ``sources``, so a
    backfill of many days in one run dates each paper by its own captures; ``seen_at`` stands in for a paper
    without capture times.
    """
    target = polars_schema(PAPER_SCHEMA)
    seen = datetime_literal(seen_at)
    captured = pl.col("sources").list.eval(pl.element().struct.field("captured_at"))
    incoming = new_papers.with_columns(
        pl.coalesce(captured.list.min(), seen).alias("first_seen"),
        pl.coalesce(captured.list.max(), seen).alias("last_seen"),
        pl.lit(1, dtype=pl.Int64).alias("times_seen"),
    ).select([pl.col(name).cast(dtype) for name, dtype in target.items()])
    incoming = _merge_same_id(incoming, run_count=pl.lit(1, dtype=pl.Int64))
    if previous is None or previous.height == 0:
        return incoming.sort("paper_id")
    old = previous.select([pl.col(name).cast(dtype) for name, dtype in target.items()])
    seen_before = pl.col("paper_id").is_in(old["paper_id"].implode())
    touched = old.filter(pl.col("paper_id").is_in(incoming["paper_id"].implode()))
    untouched = old.filter(~pl.col("paper_id").is_in(incoming["paper_id"].implode()))
    again = incoming.filter(seen_before)
    both = pl.concat(
        [touched.with_columns(pl.lit(0).alias("_order")), again.with_columns(pl.lit(1).alias("_order"))]
    )
    merged = _merge_same_id(both.sort("paper_id", "_order").drop("_order"), run_count=None)
    return pl.concat([untouched, merged, incoming.filter(~seen_before)]).sort("paper_id")


def datetime_literal(value: datetime) -> pl.Expr:
    """A UTC microsecond timestamp literal (naive datetimes are taken as UTC)."""
    return (
        pl.lit(value).cast(pl.Datetime("us", "UTC"))
        if value.tzinfo
        else pl.lit(value).dt.replace_time_zone("UTC").cast(pl.Datetime("us", "UTC"))
    )


_UNION_LISTS = ("sources", "duplicates", "code_urls", "project_urls", "cleaning_flags")


def _merge_same_id(frame: pl.DataFrame, run_count: pl.Expr | None) -> pl.DataFrame:
    """Merge rows sharing ``paper_id`` (in frame order: the first row wins descriptive fields).

    ``run_count`` set: rows are from one run, so ``times_seen`` stays as given; otherwise the row from the
    previous version is first and ``times_seen`` is its count plus one.
    """
    if frame["paper_id"].is_duplicated().sum() == 0:
        return frame
    schema = frame.schema
    aggregations: list[pl.Expr] = []
    for name, dtype in schema.items():
        if name == "paper_id":
            continue
        col = pl.col(name)
        if name == "first_seen":
            aggregations.append(col.min())
        elif name == "last_seen":
            aggregations.append(col.max())
        elif name == "times_seen":
            aggregations.append(col.first() if run_count is not None else col.first() + 1)
        elif name in _MAX_COLUMNS:
            aggregations.append(col.max())
        elif name in _UNION_LISTS:
            aggregations.append(
                col.list.explode(keep_nulls=False, empty_as_null=False)
                .unique(maintain_order=True)
                .alias(name)
            )
        elif name == "aliases":
            aggregations.append(
                col.list.explode(keep_nulls=False, empty_as_null=False)
                .append(pl.col("title").slice(1))
                .alias("_alias_candidates")
            )
        elif isinstance(dtype, pl.List):
            non_empty = col.filter(col.list.len() > 0)
            aggregations.append(
                pl.when(non_empty.len() > 0).then(non_empty.first()).otherwise(col.first()).alias(name)
            )
        elif dtype == pl.String:
            present = col.filter(col.str.strip_chars() != "")
            aggregations.append(
                pl.when(present.len() > 0).then(present.first()).otherwise(col.first()).alias(name)
            )
        else:
            aggregations.append(col.drop_nulls().first().alias(name))
    merged = frame.group_by("paper_id", maintain_order=True).agg(aggregations)
    merged = merged.with_columns(
        clean_aliases(merged),
        pl.col("sources").list.eval(
            pl.element().sort_by(
                pl.element().struct.field("captured_at"),
                pl.element().struct.field("source"),
                pl.element().struct.field("raw_sha256"),
                nulls_last=True,
            )
        ),
    ).drop("_alias_candidates")
    return merged.select(list(schema.names()))
