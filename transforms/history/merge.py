"""The version history: when and where each paper was listed and captured, merged across runs (``upsert``).

Every history column of a paper is derived from two lists, and each list is merged by a union that is
commutative and idempotent, so the history does not depend on how the input was batched into runs:

* ``sources``: one entry per capture (``source``, ``raw_sha256``) with its earliest ``captured_at``. Reading the
  same bytes again adds nothing. ``first_seen``/``last_seen`` are the earliest/latest capture time,
  ``times_seen`` the number of captures.
* ``listings``: one entry per (``listed_on``, ``source``) with the highest upvotes, comments and GitHub stars
  and the best rank seen for that day. ``first_listed_on``/``last_listed_on`` are the earliest/latest day,
  ``days_listed`` the number of distinct days.

One run over N days and N day-by-day runs therefore give the same history; re-reading a day adds nothing twice.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from transforms.dedup.collapse import clean_aliases
from transforms.dedup.identity import known_arxiv_id
from transforms.schema import PAPER_SCHEMA, polars_schema

__all__ = ["attach_listings", "datetime_literal", "history_columns", "in_paper_order", "upsert"]

_MAX_COLUMNS = ("upvotes", "num_comments")
_LATEST_COLUMNS = ("github_stars",)
"""Counts that rise and fall (a repository's stars): the value of the row captured last, not the highest."""
"""Counters that only grow: a merged paper keeps the highest value seen."""

HISTORY_COLUMNS = (
    "first_seen",
    "last_seen",
    "times_seen",
    "first_listed_on",
    "last_listed_on",
    "days_listed",
)
"""Derived from ``sources`` and ``listings`` by :func:`history_columns`, never merged on their own."""

_LISTING_FIELDS = ("listed_on", "source", "upvotes", "num_comments", "rank", "github_stars")
_LISTINGS_DTYPE = polars_schema(PAPER_SCHEMA)["listings"]
_SOURCES_DTYPE = polars_schema(PAPER_SCHEMA)["sources"]


def attach_listings(papers: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """This run's papers with ``listings`` built from their member records (``member_record_ids``).

    ``records`` needs ``record_id``, ``listed_on``, ``source``, ``upvotes``, ``num_comments`` and ``rank``.
    Records without a ``listed_on`` add no listing.
    """
    members = papers.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_paper"),
        pl.col("member_record_ids").alias("record_id"),
    ).explode("record_id")
    entries = members.join(records.select("record_id", *_LISTING_FIELDS), on="record_id", how="inner").drop(
        "record_id"
    )
    listings = _listings_by(entries, "_paper")
    # Only the new column is gathered into the papers' order: joining the papers themselves copied every
    # column of the run's papers (the largest frame of the validate stage) to add one.
    aligned = (
        pl.DataFrame({"_paper": pl.int_range(papers.height, dtype=pl.UInt32, eager=True)})
        .join(listings, on="_paper", how="left", maintain_order="left")
        .get_column("listings")
    )
    return papers.with_columns(aligned.fill_null(pl.lit([], dtype=_LISTINGS_DTYPE)).alias("listings"))


def listing_rows(papers: pl.DataFrame) -> pl.DataFrame:
    """The ``listings`` of ``papers`` (sorted by ``paper_id``) as a long table: one row per (paper_id, listed_on,
    source), in that order (``LISTING_ROW_SCHEMA``)."""
    return (
        papers.select("paper_id", "listings")
        .explode("listings")
        .drop_nulls("listings")
        .unnest("listings")
        .select("paper_id", *_LISTING_FIELDS)
        .sort("paper_id", "listed_on", "source")
    )


def history_columns(seen_at: datetime | None = None) -> list[pl.Expr]:
    """The six history columns from ``sources`` and ``listings``.

    ``seen_at`` stands in for ``first_seen``/``last_seen`` of a paper whose captures carry no time.
    """
    captured = pl.col("sources").list.eval(pl.element().struct.field("captured_at"))
    days = pl.col("listings").list.eval(pl.element().struct.field("listed_on").drop_nulls())
    fallback = datetime_literal(seen_at) if seen_at else pl.lit(None, pl.Datetime("us", "UTC"))
    return [
        pl.coalesce(captured.list.min(), fallback).alias("first_seen"),
        pl.coalesce(captured.list.max(), fallback).alias("last_seen"),
        pl.col("sources").list.len().cast(pl.Int64).alias("times_seen"),
        days.list.min().alias("first_listed_on"),
        days.list.max().alias("last_listed_on"),
        days.list.n_unique().cast(pl.Int64).alias("days_listed"),
    ]


def upsert(previous: pl.DataFrame | None, new_papers: pl.DataFrame, seen_at: datetime) -> pl.DataFrame:
    """Every paper of the previous version plus this run's, in PAPER_SCHEMA columns, sorted by paper_id.

    ``new_papers`` has every PAPER_SCHEMA column but the history ones (``listings`` from
    :func:`attach_listings`; a missing or null one counts as empty), with ``paper_id`` from
    :func:`match_previous`. Rows sharing a ``paper_id`` (a paper seen again, or two new rows matching one older
    paper) are merged: the row listed first (then captured first, then the previous version's) keeps its
    descriptive fields (title, abstract, raw text, authors...: unless empty), missing values such as
    ``arxiv_id`` come from the others, ``upvotes``/``num_comments`` are the maximum, ``github_stars`` the last
    captured row's, and ``sources``,
    ``listings``, ``duplicates``, ``aliases`` (plus the other rows' titles when their normalised form differs),
    ``code_urls``, ``project_urls`` and ``cleaning_flags`` are unions. The history columns are then derived
    (:func:`history_columns`). Untouched previous rows are returned unchanged.
    """
    target = polars_schema(PAPER_SCHEMA)
    if "listings" not in new_papers.columns:
        new_papers = new_papers.with_columns(pl.lit(None, dtype=_LISTINGS_DTYPE).alias("listings"))
    incoming = new_papers.with_columns(
        pl.col("listings").fill_null(pl.lit([], dtype=_LISTINGS_DTYPE)),
        *[pl.lit(None, dtype=target[name]).alias(name) for name in HISTORY_COLUMNS],
    ).select([pl.col(name).cast(dtype) for name, dtype in target.items()])
    if previous is None or previous.height == 0:
        rows, untouched = incoming.with_columns(pl.lit(1).alias("_order")), None
    else:
        old = previous.select([pl.col(name).cast(dtype) for name, dtype in target.items()])
        ids = incoming["paper_id"].implode()
        untouched = old.filter(~pl.col("paper_id").is_in(ids))
        rows = pl.concat(
            [
                old.filter(pl.col("paper_id").is_in(ids)).with_columns(pl.lit(0).alias("_order")),
                incoming.with_columns(pl.lit(1).alias("_order")),
            ]
        )
    _refuse_two_arxiv_ids(rows)
    repeated = pl.col("paper_id").is_duplicated()
    if rows.select(repeated.any()).item():
        merged = pl.concat(
            [
                canonical_rows(rows.filter(~repeated).drop("_order")),
                _merge_same_id(_earliest_first(rows.filter(repeated)).drop("_order")),
            ]
        )
    else:  # every id once (a first version, mostly): no row is copied before the final sort
        merged = canonical_rows(rows.drop("_order"))
    merged = merged.with_columns(history_columns(seen_at)).select(list(target.names()))
    return in_paper_order(merged if untouched is None else pl.concat([untouched, merged]))


def in_paper_order(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted by ``paper_id``. Rows already in that order (a run's papers leave dedup sorted, and the
    merge keeps their order) are checked, not sorted (a sort copies every column), and flagged as sorted, so
    that a later sort of them is free."""
    ids = frame.get_column("paper_id")
    if ids.is_sorted():
        return frame.with_columns(ids.set_sorted())
    return frame.sort("paper_id")


def _refuse_two_arxiv_ids(rows: pl.DataFrame) -> None:
    """Rows sharing a ``paper_id`` never carry two different known arXiv ids: merging them would lose one
    paper. :func:`transforms.dedup.matching.match_previous` never assigns ids that way; this guards the invariant."""
    clashes = (
        rows.select("paper_id", known_arxiv_id(pl.col("arxiv_id")).alias("arxiv"))
        .drop_nulls("arxiv")
        .group_by("paper_id")
        .agg(pl.col("arxiv").unique().sort())
        .filter(pl.col("arxiv").list.len() > 1)
        .sort("paper_id")
    )
    if clashes.height:
        example = clashes.row(0)
        raise ValueError(
            f"{clashes.height} paper_id(s) would merge different arXiv ids, e.g. {example[0]}: {example[1]}"
        )


def datetime_literal(value: datetime) -> pl.Expr:
    """A UTC microsecond timestamp literal (naive datetimes are taken as UTC)."""
    return (
        pl.lit(value).cast(pl.Datetime("us", "UTC"))
        if value.tzinfo
        else pl.lit(value).dt.replace_time_zone("UTC").cast(pl.Datetime("us", "UTC"))
    )


_UNION_LISTS = ("duplicates", "code_urls", "project_urls", "cleaning_flags")


def _earliest_first(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows ordered so that, per paper, the first-listed (then first-captured, then previous) row comes first."""
    first_day = pl.col("listings").list.eval(pl.element().struct.field("listed_on").drop_nulls()).list.min()
    first_capture = pl.col("sources").list.eval(pl.element().struct.field("captured_at")).list.min()
    return rows.sort(
        pl.col("paper_id"), first_day, first_capture, pl.col("_order"), nulls_last=True, maintain_order=True
    )


def _merge_same_id(frame: pl.DataFrame) -> pl.DataFrame:
    """Merge rows sharing ``paper_id`` (in frame order: the first row wins descriptive fields); every row's
    ``sources`` and ``listings`` come out canonical (one entry per key, sorted)."""
    schema = frame.schema
    aggregations: list[pl.Expr] = []
    for name, dtype in schema.items():
        if name == "paper_id":
            continue
        col = pl.col(name)
        if name in HISTORY_COLUMNS:
            aggregations.append(col.first())
        elif name in _MAX_COLUMNS:
            aggregations.append(col.max())
        elif name in _LATEST_COLUMNS:  # the value of the row captured last
            last_capture = pl.col("sources").list.eval(pl.element().struct.field("captured_at")).list.max()
            aggregations.append(col.sort_by(last_capture, nulls_last=False).drop_nulls().last())
        elif name in ("sources", "listings"):
            aggregations.append(col.list.explode(keep_nulls=False, empty_as_null=False).alias(name))
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
    merged = merged.with_columns(clean_aliases(merged)).drop("_alias_candidates")
    keyed = merged.with_row_index("_paper")
    sources = _sources_by(
        keyed.select("_paper", pl.col("sources")).explode("sources").drop_nulls("sources").unnest("sources"),
        "_paper",
    )
    listings = _listings_by(
        keyed.select("_paper", pl.col("listings"))
        .explode("listings")
        .drop_nulls("listings")
        .unnest("listings"),
        "_paper",
    )
    return (
        keyed.drop("sources", "listings")
        .join(sources, on="_paper", how="left", maintain_order="left")
        .join(listings, on="_paper", how="left", maintain_order="left")
        .with_columns(
            pl.col("sources").fill_null(pl.lit([], dtype=_SOURCES_DTYPE)),
            pl.col("listings").fill_null(pl.lit([], dtype=_LISTINGS_DTYPE)),
        )
        .select(list(schema.names()))
    )


def canonical_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows of distinct ``paper_id`` as :func:`_merge_same_id` leaves them (each row merged with itself: canonical
    ``sources`` and ``listings``, distinct entries of the union lists, cleaned ``aliases``), computed column by
    column: a row of one id has nothing to merge, so the row itself is not copied (the version's texts are)."""
    row = pl.DataFrame({"_paper": pl.int_range(frame.height, dtype=pl.UInt32, eager=True)})
    entries = frame.select("sources", "listings").with_columns(row.get_column("_paper"))
    sources = _sources_by(
        entries.select("_paper", "sources").explode("sources").drop_nulls("sources").unnest("sources"),
        "_paper",
    )
    listings = _listings_by(
        entries.select("_paper", "listings").explode("listings").drop_nulls("listings").unnest("listings"),
        "_paper",
    )
    aligned = row.join(sources, on="_paper", how="left", maintain_order="left").join(
        listings, on="_paper", how="left", maintain_order="left"
    )
    schema = frame.schema
    return frame.with_columns(
        aligned.get_column("sources").fill_null(pl.lit([], dtype=_SOURCES_DTYPE)),
        aligned.get_column("listings").fill_null(pl.lit([], dtype=_LISTINGS_DTYPE)),
        clean_aliases(frame.select("title", pl.col("aliases").alias("_alias_candidates"))),
        *[
            pl.col(name).list.unique(maintain_order=True).fill_null(pl.lit([], dtype=schema[name]))
            for name in _UNION_LISTS
        ],
    )


def _listings_by(entries: pl.DataFrame, key: str) -> pl.DataFrame:
    """``key`` and its ``listings``: one entry per (day, source), highest counts and best rank, sorted."""
    return (
        entries.drop_nulls("listed_on")
        .group_by(key, "listed_on", "source")
        .agg(
            pl.col("upvotes").max(),
            pl.col("num_comments").max(),
            pl.col("rank").min(),
            pl.col("github_stars").max(),
        )
        .sort(key, "listed_on", "source")
        .group_by(key, maintain_order=True)
        .agg(pl.struct(*_LISTING_FIELDS).alias("listings"))
        .with_columns(pl.col("listings").cast(_LISTINGS_DTYPE))
    )


def _sources_by(entries: pl.DataFrame, key: str) -> pl.DataFrame:
    """``key`` and its ``sources``: one entry per (source, raw_sha256) with the earliest capture time, sorted."""
    return (
        entries.group_by(key, "source", "raw_sha256")
        .agg(pl.col("captured_at").min())
        .sort(key, "captured_at", "source", "raw_sha256", nulls_last=True)
        .group_by(key, maintain_order=True)
        .agg(pl.struct("source", "captured_at", "raw_sha256").alias("sources"))
        .with_columns(pl.col("sources").cast(_SOURCES_DTYPE))
    )
