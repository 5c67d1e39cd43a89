"""Columns made for analysis: flat answers to questions the nested columns make awkward.

* ``venue``, ``venue_year``, ``venue_status``, ``venue_workshop``: the paper's strongest venue hint, so "papers
  accepted at each venue and year" is a ``group_by`` instead of an explode-and-rank over ``venue_hints``.
* ``has_code``: the paper links a source repository (GitHub, GitLab, Bitbucket, Codeberg, an anonymous
  review repository). A Hugging Face Hub model or dataset is a checkpoint, not code, so it does not count,
  although ``code_urls`` lists it.

All are functions of other contract columns, so they are recomputed for every paper of a version after the
upsert (a paper seen again can gain a repository).
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

_FrameT = TypeVar("_FrameT", pl.LazyFrame, pl.DataFrame)

ANALYSIS_COLUMNS = ("venue", "venue_year", "venue_status", "venue_workshop", "has_code")

STATUS_STRENGTH = ("published", "accepted", "under-review", "submitted", "mentioned")
"""Venue statuses from strongest to weakest evidence that the paper appears at the venue."""

HUB_PREFIX = "https://huggingface.co/"
"""Canonical Hub URLs in ``code_urls`` (models and datasets; Spaces are project pages)."""


def strongest_venue_hint(hints: pl.Expr) -> pl.Expr:
    """The hint with the strongest status; among equals the first one (structured fields come first).

    ``hints`` is a ``venue_hints`` list; the result is one hint struct, null for an empty or null list.
    """
    strength = (
        pl.element()
        .struct.field("status")
        .replace_strict(
            list(STATUS_STRENGTH), list(range(len(STATUS_STRENGTH))), default=len(STATUS_STRENGTH)
        )
    )
    # arg_min takes the first of equal minima; list.get on the index (sorting inside list.eval and then taking
    # a struct field crashes polars 2.1).
    return hints.list.get(hints.list.eval(strength).list.arg_min(), null_on_oob=True)


def has_repository(code_urls: pl.Expr) -> pl.Expr:
    """True when ``code_urls`` holds a URL that is not on the Hugging Face Hub; False for none or null."""
    return (
        code_urls.list.eval(~pl.element().str.starts_with(HUB_PREFIX))
        .list.any()
        .fill_null(False)
        .alias("has_code")
    )


def add_analysis_columns(papers: _FrameT) -> _FrameT:
    """Add (or recompute) ``ANALYSIS_COLUMNS`` from ``venue_hints`` and ``code_urls``."""
    best = strongest_venue_hint(pl.col("venue_hints"))
    return papers.with_columns(
        best.struct.field("venue").alias("venue"),
        best.struct.field("year").cast(pl.Int32).alias("venue_year"),
        best.struct.field("status").alias("venue_status"),
        best.struct.field("workshop").alias("venue_workshop"),
        has_repository(pl.col("code_urls")),
    )
