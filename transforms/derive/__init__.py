"""Derived fields: topic, venue hints and code links (see ``derive_fields``)."""

from __future__ import annotations

import polars as pl

from transforms.derive.analysis import ANALYSIS_COLUMNS, add_analysis_columns
from transforms.derive.links import extract_links
from transforms.derive.topic import assign_topics
from transforms.derive.venues import venue_hints

DERIVED_COLUMNS = (
    "topic",
    "topics",
    "topic_scores",
    "venue_hints",
    "code_urls",
    "project_urls",
    "links",
    "code_status",
    *ANALYSIS_COLUMNS,
)


def derive_fields(papers: pl.LazyFrame) -> pl.LazyFrame:
    """Add topic, topics, topic_scores, venue_hints, code_urls, project_urls, links, code_status and the
    analysis columns (venue, venue_year, venue_status, venue_workshop, has_code).

    Needs title, abstract, arxiv_comment, journal_ref, venue_field, source_code_url, source_project_url,
    categories and primary_category (all but title/abstract may be null).
    """
    return add_analysis_columns(extract_links(venue_hints(assign_topics(papers))))


__all__ = [
    "ANALYSIS_COLUMNS",
    "DERIVED_COLUMNS",
    "add_analysis_columns",
    "assign_topics",
    "derive_fields",
    "extract_links",
    "venue_hints",
]
