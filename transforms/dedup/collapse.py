"""One row per duplicate cluster: the kept record, its members' provenance and their merged fields."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from transforms.dedup.clusters import kept_order
from transforms.dedup.identity import normalise_title
from transforms.schema import DUPLICATE_REF, SOURCE_REF, arrow_frame

if TYPE_CHECKING:
    import pyarrow as pa

_MAX_COLUMNS = ("upvotes", "num_comments")
_KEPT_COLUMNS = (
    "record_id",
    "source",
    "input_path",
    "raw_sha256",
    "raw_index",
    "captured_at",
    "title",
    "abstract",
    "title_raw",
    "abstract_raw",
    "language",
    "language_score",
    "cleaning_flags",
    "reasons",
    "cluster_id",
    "similarity",
    "match_rule",
)
_UNION_COLUMNS = ("cleaning_flags", "decisions")
_LATEST_COLUMNS = ("github_stars",)
"""Counts that change over time and never go back to an old value by merging: the latest capture's."""


def collapse_clusters(clustered: pl.DataFrame) -> pl.DataFrame:
    """One row per cluster: the kept record, its members' provenance and merged fields.

    Merges: record-level columns (ids, source, title, abstract, raw text, language) are the kept record's;
    ``upvotes``/``num_comments`` are the maximum over members; ``github_stars`` the latest captured member's;
    every other column (arxiv_id, arxiv_version, url, authors, keywords, published_at, categories, journal_ref,
    doi...) is the kept record's value if present and non-empty, else the first non-empty value in kept order;
    ``cleaning_flags`` is the union. Adds ``aliases`` (distinct other titles, by normalised form, sorted),
    ``duplicates`` (DUPLICATE_REF per merged record, sorted by similarity descending then source, raw_sha256),
    ``sources`` (SOURCE_REF for all members, distinct, sorted by captured_at, source, raw_sha256) and
    ``member_record_ids`` (sorted).

    Rows may carry :data:`~transforms.dedup.clusters.ABSTRACT_CHARS` instead of ``abstract`` (dedup's papers of
    a few columns, collapsed again later from their members' every column): it orders the members as the
    abstract would, and the cluster keeps the kept record's.
    """
    columns = [c for c in clustered.columns if c != "doc"]
    ranked = clustered.sort(
        ["cluster_id", pl.col("record_id") != pl.col("cluster_id"), *kept_order(clustered.columns)]
    )
    schema = ranked.schema
    aggregations: list[pl.Expr] = []
    for name in columns:
        if name == "cluster_id":
            continue
        dtype = schema[name]
        if name in _MAX_COLUMNS:
            aggregations.append(pl.col(name).max())
        elif name in _LATEST_COLUMNS:
            aggregations.append(pl.col(name).sort_by("captured_at", nulls_last=False).drop_nulls().last())
        elif name in _UNION_COLUMNS and isinstance(dtype, pl.List):
            aggregations.append(
                pl.col(name).list.explode(keep_nulls=False, empty_as_null=False).unique().sort().alias(name)
            )
        elif name in _KEPT_COLUMNS:
            aggregations.append(pl.col(name).first())
        elif isinstance(dtype, pl.List):
            non_empty = pl.col(name).filter(pl.col(name).list.len() > 0)
            aggregations.append(
                pl.when(non_empty.len() > 0)
                .then(non_empty.first())
                .otherwise(pl.col(name).first())
                .alias(name)
            )
        elif dtype == pl.String:
            present = pl.col(name).filter(pl.col(name).str.strip_chars() != "")
            aggregations.append(
                pl.when(present.len() > 0).then(present.first()).otherwise(pl.col(name).first()).alias(name)
            )
        else:
            aggregations.append(pl.col(name).drop_nulls().first().alias(name))

    title_key = normalise_title(pl.col("title"))
    is_other = pl.col("record_id") != pl.col("cluster_id")
    kept_title_key = title_key.first()
    alias_titles = (
        pl.col("title")
        .filter(is_other & (title_key != kept_title_key) & (title_key != ""))
        .sort_by(
            title_key.filter(is_other & (title_key != kept_title_key) & (title_key != "")),
            maintain_order=True,
        )
    )
    duplicate_struct = pl.struct(
        pl.col("title"), pl.col("source"), pl.col("raw_sha256"), pl.col("similarity").cast(pl.Float64)
    )
    source_struct = pl.struct(pl.col("source"), pl.col("captured_at"), pl.col("raw_sha256"))
    aggregations += [
        alias_titles.alias("_alias_candidates"),
        duplicate_struct.filter(is_other)
        .sort_by(
            [
                (-pl.col("similarity")).filter(is_other),
                pl.col("source").filter(is_other),
                pl.col("raw_sha256").filter(is_other),
                pl.col("record_id").filter(is_other),
            ]
        )
        .alias("duplicates"),
        source_struct.unique().alias("_sources_unsorted"),
        pl.col("record_id").sort().alias("member_record_ids"),
    ]
    collapsed = ranked.group_by("cluster_id", maintain_order=True).agg(aggregations)
    collapsed = collapsed.with_columns(
        clean_aliases(collapsed),
        pl.col("_sources_unsorted")
        .list.eval(
            pl.element().sort_by(
                pl.element().struct.field("captured_at"),
                pl.element().struct.field("source"),
                pl.element().struct.field("raw_sha256"),
                nulls_last=True,
            )
        )
        .alias("sources"),
    ).drop("_alias_candidates", "_sources_unsorted")
    collapsed = collapsed.with_columns(
        pl.col("duplicates").cast(_polars_dtype(DUPLICATE_REF, "duplicates")),
        pl.col("sources").cast(_polars_dtype(SOURCE_REF, "sources")),
    )
    return collapsed.select(*columns, "aliases", "duplicates", "sources", "member_record_ids").sort(
        "cluster_id"
    )


def _polars_dtype(struct: pa.StructType, name: str) -> pl.DataType:
    import pyarrow as pa

    return arrow_frame(pa.schema([pa.field(name, pa.list_(struct))]).empty_table()).schema[name]


def clean_aliases(frame: pl.DataFrame) -> pl.Series:
    """Distinct (by normalised form) ``_alias_candidates`` other than the row's own title, first kept."""
    long = (
        frame.select(
            pl.col("_alias_candidates").alias("alias"), normalise_title(pl.col("title")).alias("own")
        )
        .with_row_index("row")
        .explode("alias")
        .drop_nulls("alias")
        .with_columns(normalise_title(pl.col("alias")).alias("key"))
        .filter((pl.col("key") != "") & (pl.col("key") != pl.col("own")))
        .unique(["row", "key"], keep="first", maintain_order=True)
        .group_by("row")
        .agg("alias")
    )
    rows = pl.DataFrame({"row": pl.int_range(frame.height, dtype=pl.UInt32, eager=True)})
    joined = rows.join(long, on="row", how="left", maintain_order="left")
    return joined["alias"].fill_null(pl.lit([], dtype=pl.List(pl.String))).alias("aliases")
