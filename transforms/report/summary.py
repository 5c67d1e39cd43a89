"""The tables of a version's report (``report.html``), card and run artifacts: small aggregates of the version's
paper counts (:func:`paper_counts`), this run's quarantine and its new papers.

Pure polars; ``flows/render/report.py`` draws and writes them. Every table is sorted deterministically so the
same version always gives the same report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

ACCEPTED_STATUSES = ("published", "accepted")

COUNT_KEYS = (
    "topic",
    "language",
    "has_code",
    "code_status",
    "venue",
    "venue_status",
    "venue_workshop",
    "week",
)
"""What the card, the report and the run's artifacts count papers by (``week``: the Monday of the week a paper
was first listed, :func:`listed_on`)."""

COUNTED_COLUMNS = (*COUNT_KEYS[:-1], "first_listed_on", "listings")
"""The columns of the papers that :func:`paper_counts` reads."""

NEW_PAPER_COLUMNS = ("title", "url", "topic", "venue", "has_code", "upvotes")
NEW_PAPERS_SHOWN = 50
"""The report lists this run's most upvoted new papers, up to this many."""


@dataclass(frozen=True)
class VersionSummary:
    """Everything the report shows, as small frames."""

    topics: pl.DataFrame
    """topic, papers, share (of all papers)."""
    code_by_topic: pl.DataFrame
    """topic, papers, with_code, share (of the topic's papers with a repository), enough (at least
    ``MIN_TOPIC_PAPERS`` papers)."""
    venues: pl.DataFrame
    """venue, papers (accepted or published), main_track, workshop: the top venues."""
    weekly: pl.DataFrame
    """week (Monday), papers: papers by the week they were first listed."""
    unlisted: int
    """Papers with no listing day (from inputs that are not listings: no week counts them)."""
    quarantine_reasons: pl.DataFrame
    """reason, records: this run's quarantined records per reason (a record with two reasons counts twice)."""
    new_papers: pl.DataFrame
    """``NEW_PAPER_COLUMNS``: this run's most upvoted new papers (at most ``NEW_PAPERS_SHOWN``)."""


def listed_on() -> pl.Expr:
    """The day a paper was first listed (``first_listed_on``: from its listings, never from when a file was
    captured or copied; null for a paper no listing dates, which no weekly count includes)."""
    return pl.col("first_listed_on")


def paper_counts(papers: pl.DataFrame) -> pl.DataFrame:
    """How many papers have each combination of ``COUNT_KEYS`` (column ``papers``) and how many ``listings``
    entries they hold (the rows of the version's ``listings`` table), sorted by the keys.

    Everything the card, the report and the run's artifacts say about a whole version is a sum over these rows:
    a few thousand of them stand for any number of papers, and the counts of parts of a version add up to the
    version's (:func:`summed_counts`), so no step holds a column of every paper to describe it.
    """
    return (
        papers.group_by(*COUNT_KEYS[:-1], listed_on().dt.truncate("1w").alias("week"))
        .agg(
            pl.len().cast(pl.Int64).alias("papers"),
            pl.col("listings").list.len().sum().cast(pl.Int64).alias("listings"),
        )
        .sort(COUNT_KEYS, nulls_last=True)
    )


def summed_counts(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """The counts of a version from those of its parts (:func:`paper_counts` of each; at least one)."""
    return (
        pl.concat(parts, how="vertical_relaxed")
        .group_by(COUNT_KEYS)
        .agg(pl.exclude(COUNT_KEYS).sum())
        .sort(COUNT_KEYS, nulls_last=True)
    )


def total_listings(counts: pl.DataFrame) -> int:
    """The listing entries of the papers the counts stand for (the rows of the ``listings`` table)."""
    return int(counts.get_column("listings").sum()) if "listings" in counts.columns else 0


def total_papers(counts: pl.DataFrame) -> int:
    """The papers the counts stand for."""
    return int(counts.get_column("papers").sum())


def papers_where(counts: pl.DataFrame, condition: pl.Expr) -> int:
    """The papers of the counts whose keys meet ``condition``."""
    return int(counts.filter(condition).get_column("papers").sum())


def topic_distribution(counts: pl.DataFrame) -> pl.DataFrame:
    return (
        counts.group_by("topic")
        .agg(pl.col("papers").sum())
        .with_columns((pl.col("papers") / pl.col("papers").sum()).alias("share"))
        .sort(["papers", "topic"], descending=[True, False])
    )


MIN_TOPIC_PAPERS = 10
"""A topic with fewer papers has a share that says little (one paper with code is 100 %): it is ranked after the
others, and the report draws it in no chart."""


def code_share_by_topic(counts: pl.DataFrame, min_papers: int = MIN_TOPIC_PAPERS) -> pl.DataFrame:
    """topic, papers, with_code, share: the topics of at least ``min_papers`` papers first, by share, then the
    smaller ones (``enough``: whether a topic has that many)."""
    return (
        counts.group_by("topic")
        .agg(
            pl.col("papers").sum(),
            pl.col("papers").filter(pl.col("has_code").fill_null(False)).sum().alias("with_code"),
        )
        .with_columns(
            (pl.col("with_code") / pl.col("papers")).alias("share"),
            (pl.col("papers") >= min_papers).alias("enough"),
        )
        .sort(["enough", "share", "papers", "topic"], descending=[True, True, True, False])
    )


def top_venues(counts: pl.DataFrame, limit: int = 15) -> pl.DataFrame:
    """Venues of papers accepted or published there (strongest hint), main track and workshop apart."""
    workshop = pl.col("venue_workshop").fill_null(False)
    return (
        counts.filter(pl.col("venue_status").is_in(ACCEPTED_STATUSES))
        .group_by("venue")
        .agg(
            pl.col("papers").sum(),
            pl.col("papers").filter(~workshop).sum().alias("main_track"),
            pl.col("papers").filter(workshop).sum().alias("workshop"),
        )
        .sort(["papers", "venue"], descending=[True, False])
        .head(limit)
    )


def weekly_new_papers(counts: pl.DataFrame) -> pl.DataFrame:
    return (
        counts.filter(pl.col("week").is_not_null()).group_by("week").agg(pl.col("papers").sum()).sort("week")
    )


def quarantine_reasons(quarantine: pl.DataFrame) -> pl.DataFrame:
    return (
        quarantine.select(pl.col("reasons").explode().alias("reason"))
        .drop_nulls()
        .group_by("reason")
        .agg(pl.len().cast(pl.Int64).alias("records"))
        .sort(["records", "reason"], descending=[True, False])
    )


def new_papers(
    papers: pl.DataFrame, new_ids: pl.Series | list[str], limit: int = NEW_PAPERS_SHOWN
) -> pl.DataFrame:
    """The most upvoted of ``papers`` whose ids are ``new_ids``, at most ``limit`` of them. The most upvoted of a
    version's are the most upvoted of those of its parts: ``most_upvoted(pl.concat(tops))``."""
    wanted = pl.col("paper_id").is_in(pl.Series(new_ids, dtype=pl.String).implode())
    return most_upvoted(papers.filter(wanted).select(NEW_PAPER_COLUMNS), limit)


def most_upvoted(papers: pl.DataFrame, limit: int = NEW_PAPERS_SHOWN) -> pl.DataFrame:
    """``papers`` (``NEW_PAPER_COLUMNS``) most upvoted first (ties by title), at most ``limit``."""
    return papers.sort(["upvotes", "title"], descending=[True, False], nulls_last=True).head(limit)


def summarize(counts: pl.DataFrame, quarantine: pl.DataFrame, new: pl.DataFrame) -> VersionSummary:
    """The report's tables from a version's counts (:func:`paper_counts`), this run's quarantine and its most
    upvoted new papers (:func:`new_papers`)."""
    return VersionSummary(
        topics=topic_distribution(counts),
        code_by_topic=code_share_by_topic(counts),
        venues=top_venues(counts),
        weekly=weekly_new_papers(counts),
        unlisted=int(counts.filter(pl.col("week").is_null()).get_column("papers").sum()),
        quarantine_reasons=quarantine_reasons(quarantine),
        new_papers=most_upvoted(new),
    )
