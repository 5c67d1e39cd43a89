"""Derived fields: topic, venue hints and code links (see ``derive_fields``)."""

from __future__ import annotations

import polars as pl

from transforms.derive.analysis import ANALYSIS_COLUMNS, add_analysis_columns
from transforms.derive.links import TEXT_FIELDS, extract_links
from transforms.derive.topic import assign_topics
from transforms.derive.topic_model import load_model
from transforms.derive.venue_area import prefer_venue_area
from transforms.derive.venues import venue_hints

DERIVED_COLUMNS = (
    "topic",
    "topics",
    "topic_scores",
    "topic_method",
    "venue_hints",
    "code_urls",
    "project_urls",
    "links",
    "code_status",
    *ANALYSIS_COLUMNS,
)
"""What :func:`derive_fields` adds, in the order it adds them."""

DERIVE_INPUTS = (
    "title",
    "abstract",
    "arxiv_comment",
    "journal_ref",
    "venue_field",
    "source_code_url",
    "source_project_url",
    "categories",
    "primary_category",
)
"""The columns :func:`derive_fields` needs; with :data:`CAPTURED_INPUTS` where present, every column it reads (a
caller may hand it these alone and add what it returns)."""

CAPTURED_INPUTS = tuple(f"{field}_raw" for field in TEXT_FIELDS)
"""The captured texts links are read from when a frame has them (``transforms/derive/links.py``)."""


def derive_fields(papers: pl.LazyFrame) -> pl.LazyFrame:
    """Add topic, topics, topic_scores, venue_hints, code_urls, project_urls, links, code_status and the
    analysis columns (venue, venue_year, venue_status, venue_workshop, has_code).

    Needs :data:`DERIVE_INPUTS` (all but title/abstract may be null) and reads :data:`CAPTURED_INPUTS` where
    present; rows keep their order. Topics come first, then venue hints,
    then the venue's area is moved to the front of ``topics`` where the text supports it.
    """
    stages = (assign_topics, venue_hints, prefer_venue_area, extract_links, add_analysis_columns)
    for stage in stages:
        papers = _materialised(stage(papers))
    return papers


def topic_method() -> str:
    """The method :func:`assign_topics` records in ``topic_method`` (the bundled model and taxonomy versions)."""
    return load_model().method


def stale_topics() -> pl.Expr:
    """True for a paper whose topics another method derived (null ``topic_method``: before schema 2.4.0)."""
    return pl.col("topic_method").fill_null("").ne(topic_method())


def rederive_topics(papers: pl.DataFrame) -> pl.DataFrame:
    """``papers`` (a version's rows) with ``topic``, ``topics``, ``topic_scores`` and ``topic_method`` derived
    again, by this code's method, for every paper another method derived; the others are returned as they are,
    in the same order.

    A change of method changes what ``topic`` means, so no version may mix two: a run re-derives every carried
    paper of an older method once (``flows/run/version.py``), and ``papers rederive`` does it without a run.
    The topic inputs (title, abstract, categories) and ``venue_hints`` are columns of the version, so nothing
    else is read; the venue's area goes first again as in :func:`derive_fields`.
    """
    if "topic_method" not in papers.columns or papers.height == 0:
        return papers
    stale = papers.select(stale_topics()).to_series()
    if not stale.any():
        return papers
    row = "__rederive_row"
    indexed = papers.with_row_index(row)
    fresh = prefer_venue_area(assign_topics(indexed.filter(stale).lazy())).collect()
    return pl.concat([indexed.filter(~stale), fresh.select(indexed.columns)]).sort(row).drop(row)


def _materialised(papers: pl.LazyFrame) -> pl.LazyFrame:
    """The stage's result computed once. venue_hints and prefer_venue_area read their input in several branches
    (joins, a split and concat); left lazy, polars re-ran every upstream stage per branch: 24.4 s instead of
    2.6 s for 1,000 papers (bench/experiments/derive-lazy-chain-vs-staged.md)."""
    return papers.collect().lazy()


__all__ = [
    "ANALYSIS_COLUMNS",
    "CAPTURED_INPUTS",
    "DERIVED_COLUMNS",
    "DERIVE_INPUTS",
    "add_analysis_columns",
    "assign_topics",
    "derive_fields",
    "extract_links",
    "prefer_venue_area",
    "rederive_topics",
    "stale_topics",
    "topic_method",
    "venue_hints",
]
