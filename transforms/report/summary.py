"""The tables of a version's report (``report.html``): small aggregates of the papers and the quarantine.

Pure polars; ``flows/render/report.py`` draws and writes them. Every table is sorted deterministically so the
same version always gives the same report.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

ACCEPTED_STATUSES = ("published", "accepted")


@dataclass(frozen=True)
class VersionSummary:
    """Everything the report shows, as small frames."""

    topics: pl.DataFrame
    """topic, papers, share (of all papers)."""
    code_by_topic: pl.DataFrame
    """topic, papers, with_code, share (of the topic's papers with a repository)."""
    venues: pl.DataFrame
    """venue, papers (accepted or published), main_track, workshop: the top venues."""
    weekly: pl.DataFrame
    """week (Monday), papers: papers by the week they were first listed."""
    quarantine_reasons: pl.DataFrame
    """reason, records: this run's quarantined records per reason (a record with two reasons counts twice)."""
    new_papers: pl.DataFrame
    """title, url, topic, venue, has_code, upvotes: the papers this run added, most upvoted first."""


def listed_on() -> pl.Expr:
    """The date a paper was first listed: its Daily Papers date when known, else its first capture."""
    return pl.coalesce(pl.col("submitted_on_daily_at"), pl.col("first_seen")).dt.date()


def topic_distribution(papers: pl.DataFrame) -> pl.DataFrame:
    return (
        papers.group_by("topic")
        .agg(pl.len().cast(pl.Int64).alias("papers"))
        .with_columns((pl.col("papers") / pl.col("papers").sum()).alias("share"))
        .sort(["papers", "topic"], descending=[True, False])
    )


def code_share_by_topic(papers: pl.DataFrame) -> pl.DataFrame:
    return (
        papers.group_by("topic")
        .agg(
            pl.len().cast(pl.Int64).alias("papers"),
            pl.col("has_code").sum().cast(pl.Int64).alias("with_code"),
        )
        .with_columns((pl.col("with_code") / pl.col("papers")).alias("share"))
        .sort(["share", "papers", "topic"], descending=[True, True, False])
    )


def top_venues(papers: pl.DataFrame, limit: int = 15) -> pl.DataFrame:
    """Venues of papers accepted or published there (strongest hint), main track and workshop apart."""
    accepted = papers.filter(pl.col("venue_status").is_in(ACCEPTED_STATUSES))
    return (
        accepted.group_by("venue")
        .agg(
            pl.len().cast(pl.Int64).alias("papers"),
            (~pl.col("venue_workshop").fill_null(False)).sum().cast(pl.Int64).alias("main_track"),
            pl.col("venue_workshop").fill_null(False).sum().cast(pl.Int64).alias("workshop"),
        )
        .sort(["papers", "venue"], descending=[True, False])
        .head(limit)
    )


def weekly_new_papers(papers: pl.DataFrame) -> pl.DataFrame:
    return (
        papers.select(listed_on().dt.truncate("1w").alias("week"))
        .drop_nulls()
        .group_by("week")
        .agg(pl.len().cast(pl.Int64).alias("papers"))
        .sort("week")
    )


def quarantine_reasons(quarantine: pl.DataFrame) -> pl.DataFrame:
    return (
        quarantine.select(pl.col("reasons").explode().alias("reason"))
        .drop_nulls()
        .group_by("reason")
        .agg(pl.len().cast(pl.Int64).alias("records"))
        .sort(["records", "reason"], descending=[True, False])
    )


def new_papers(papers: pl.DataFrame, new_ids: list[str]) -> pl.DataFrame:
    return (
        papers.filter(pl.col("paper_id").is_in(new_ids))
        .select("title", "url", "topic", "venue", "has_code", "upvotes")
        .sort(["upvotes", "title"], descending=[True, False], nulls_last=True)
    )


def summarize(papers: pl.DataFrame, quarantine: pl.DataFrame, new_ids: list[str]) -> VersionSummary:
    """The report's tables for a version's papers, this run's quarantine and the ids this run added."""
    return VersionSummary(
        topics=topic_distribution(papers),
        code_by_topic=code_share_by_topic(papers),
        venues=top_venues(papers),
        weekly=weekly_new_papers(papers),
        quarantine_reasons=quarantine_reasons(quarantine),
        new_papers=new_papers(papers, new_ids),
    )
