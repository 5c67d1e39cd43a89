"""Run-level checks of the Daily Papers listing: volume per day, provisional days, freshness, empty sources.

A run counts the papers of each Daily Papers day it read (:class:`ListingTally`, in ingest) and, before
publishing, checks them (:func:`assess`, ``transforms/history/volume.py``): a day far below the median of its
weekday is *provisional*, recorded in the manifest's ``volume`` section with every fetch of it, and fetched
again by the later runs that fetch Daily Papers (:func:`refetch_days`) until it settles. The day's count is the
latest fetch's. The checks are Great Expectations (suite ``run_checks``, ``expectations/suites.py``) on small
frames of the run (its days against their medians, its freshness, its sources); their outcomes sit beside the
gate's in the version's validation results (a failure never stops the run):
the run summary, its artifact and the manifest show them; a provisional day makes the run degraded
(``flows/run/degraded.py``).

The history the medians read is the manifest's ``volume.day_counts`` (a version written before it has them
counted from its listings once).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from expectations.gate import run_check_outcomes
from expectations.outcomes import ExpectationOutcome
from expectations.suites import DAY_VOLUME, NEW_PAPER_KNOWN, NEW_PAPERS_RECENTLY, SOURCE_RETURNED
from flows.sources.settings import HF_DAILY, HF_PAGE, SourceSettings
from flows.store.catalog import read_manifest
from flows.store.previous import PreviousVersion
from transforms.history.volume import (
    DAY_COUNTS,
    FETCHES,
    OPEN,
    VOLUME_CHECKS,
    VolumeSettings,
    check_volume,
    day_counts,
    listing_day_counts,
    newest_new_day,
    open_days,
    quiet_days,
    settle,
    with_latest,
)

SECTION = "volume"
"""The manifest's section of the listing's volume (``day_counts``, ``provisional``, ``newest_new_day``,
``checks``)."""
_TALLIED = ("source", "listed_on", "arxiv_id", "title_raw", "captured_at")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ListingRead:
    """What a run read of the listing sources, for the run-level checks."""

    days: pl.DataFrame
    """Papers per Daily Papers day read (fetched, replayed or local), with the day's latest capture time
    (``FETCHES``)."""
    fetched: list[date]
    """The Daily Papers days the run fetched (or replayed) and did not fail: the candidates to be provisional."""
    records_by_source: dict[str, int]
    network_sources: list[str]
    """The network listing sources the run asked, and that did not fail on every target."""
    before: dict[str, Any] = field(default_factory=dict)
    """``latest``'s ``volume`` section (empty: no previous version)."""


class ListingTally:
    """The few columns of ingest's chunks the checks count (a row per record of the listing sources)."""

    def __init__(self) -> None:
        self._parts: list[pl.DataFrame] = []
        self._by_source: dict[str, int] = {}

    def add(self, chunk: pl.DataFrame) -> None:
        for source, rows in chunk.group_by("source").len().iter_rows():
            self._by_source[source] = self._by_source.get(source, 0) + rows
        self._parts.append(chunk.filter(pl.col("source") == HF_DAILY).select(_TALLIED))

    def result(
        self, sources: SourceSettings, failures: list[dict[str, str]], before: dict[str, Any], now: datetime
    ) -> ListingRead:
        records = pl.concat(self._parts) if self._parts else pl.DataFrame(schema=dict.fromkeys(_TALLIED))
        counted = day_counts(records, HF_DAILY) if records.height else pl.DataFrame(schema=DAY_COUNTS)
        latest = (
            records.group_by("listed_on").agg(pl.col("captured_at").max().alias("fetched_at"))
            if records.height
            else pl.DataFrame(schema={"listed_on": pl.Date, "fetched_at": FETCHES["fetched_at"]})
        )
        failed = {f["target"] for f in failures if f.get("source") == HF_DAILY}
        fetched = [day for day in sources.days if day.isoformat() not in failed]
        empty_days = pl.DataFrame({"listed_on": fetched}, schema={"listed_on": pl.Date}).join(
            counted, on="listed_on", how="anti"
        )
        days = (
            pl.concat([counted, empty_days.with_columns(papers=pl.lit(0, pl.Int64))])
            .join(latest.cast({"fetched_at": FETCHES["fetched_at"]}), on="listed_on", how="left")
            .with_columns(pl.col("fetched_at").fill_null(now))
            .select(list(FETCHES))
            .sort("listed_on")
        )
        asked = {HF_DAILY: len(sources.days), HF_PAGE: len(sources.hf_pages)}
        failing = {source: sum(f.get("source") == source for f in failures) for source in asked}
        return ListingRead(
            days=days,
            fetched=fetched,
            records_by_source=dict(self._by_source),
            network_sources=[source for source, n in asked.items() if n and failing[source] < n],
            before=before,
        )


@dataclass(frozen=True)
class VolumeOutcome:
    checks: list[ExpectationOutcome]
    provisional: list[str]
    """The Daily Papers days still provisional after the run (ISO days)."""
    section: dict[str, Any]
    """The manifest's ``volume`` section."""


def volume_before(previous: PreviousVersion | None) -> dict[str, Any]:
    """``latest``'s ``volume`` section; for a version written before it, its day counts and newest day with a new
    paper counted from its papers (a scan of two columns)."""
    if previous is None:
        return {}
    section = (read_manifest(previous.path) or {}).get(SECTION)
    if isinstance(section, dict):
        return section
    papers = previous.scan_papers()
    listings = (
        papers.select("paper_id", "listings").explode("listings").drop_nulls("listings").unnest("listings")
    )
    counts = listing_day_counts(listings, HF_DAILY)
    newest = papers.select(pl.col("first_listed_on").max()).collect().item()
    return {
        "day_counts": {day.isoformat(): papers for day, papers in counts.iter_rows()},
        "provisional": [],
        "newest_new_day": newest.isoformat() if isinstance(newest, date) else None,
    }


def refetch_days(before: dict[str, Any], settings: VolumeSettings, now: datetime) -> list[date]:
    """The provisional days of ``latest`` still open (not aged out by ``now``): a run fetching Daily Papers
    fetches them again."""
    earlier = _open_fetches(before)
    return open_days(settle(earlier, earlier.clear(), pl.DataFrame(schema=VOLUME_CHECKS), settings, now))


def assess(
    read: ListingRead,
    records: pl.DataFrame,
    run_papers: pl.DataFrame,
    settings: VolumeSettings,
    now: datetime | None = None,
) -> VolumeOutcome:
    """The run-level checks of a run (``records``: its records, with ``record_id`` and ``listed_on``;
    ``run_papers``: its published papers, with ``is_new`` and ``member_record_ids``)."""
    now = now or utc_now()
    before = read.before
    earlier = _open_fetches(before)
    history = pl.DataFrame(
        list(before.get("day_counts", {}).items()),
        schema={"listed_on": pl.String, "papers": pl.Int64},
        orient="row",
    ).select(pl.col("listed_on").str.to_date(), "papers")
    counts = read.days.select(list(DAY_COUNTS))
    known = with_latest(history, counts)
    checks = check_volume(
        counts, known.join(earlier.select("listed_on"), on="listed_on", how="anti"), settings
    )
    fetched = read.days.filter(pl.col("listed_on").is_in(read.fetched))
    provisional = settle(
        earlier, fetched, checks.filter(pl.col("listed_on").is_in(read.fetched)), settings, now
    )
    still_open = [day.isoformat() for day in open_days(provisional)]
    newest = _latest(
        before.get("newest_new_day"), newest_new_day(run_papers, records) if run_papers.height else None
    )
    outcomes = _checked(read, checks, newest, settings)
    section = {
        "day_counts": {day.isoformat(): papers for day, papers in known.iter_rows()},
        "provisional": [
            {**row, "listed_on": row["listed_on"].isoformat(), "fetched_at": row["fetched_at"].isoformat()}
            for row in provisional.iter_rows(named=True)
        ],
        "newest_new_day": newest.isoformat() if newest else None,
        "checks": [outcome.__dict__ for outcome in outcomes],
    }
    return VolumeOutcome(checks=outcomes, provisional=still_open, section=section)


def _open_fetches(before: dict[str, Any]) -> pl.DataFrame:
    rows = [row for row in before.get("provisional", []) if row.get("status") == OPEN]
    if not rows:
        return pl.DataFrame(schema=FETCHES)
    return pl.DataFrame(
        {
            "listed_on": [date.fromisoformat(row["listed_on"]) for row in rows],
            "papers": [int(row["papers"]) for row in rows],
            "fetched_at": [datetime.fromisoformat(row["fetched_at"]) for row in rows],
        },
        schema=FETCHES,
    )


def _latest(earlier: str | None, run: date | None) -> date | None:
    days = [day for day in (date.fromisoformat(earlier) if earlier else None, run) if day is not None]
    return max(days) if days else None


def _checked(
    read: ListingRead, checks: pl.DataFrame, newest: date | None, settings: VolumeSettings
) -> list[ExpectationOutcome]:
    """The ``run_checks`` suite on the frames that apply to the run, each failure's ``observed`` naming what
    failed (the days with their medians, the quiet days, the empty sources)."""
    frames = {"days": checks.select("listed_on", "papers", "weekday_median", "below")}
    observed_quiet = ""
    if read.days.height:  # freshness is judged from the latest Daily Papers day the run read
        latest = read.days.get_column("listed_on").max()
        assert isinstance(latest, date)
        frames["freshness"] = pl.DataFrame(
            {"latest_day": [latest], "newest_new_day": [newest], "quiet_days": [quiet_days(newest, latest)]},
            schema={"latest_day": pl.Date, "newest_new_day": pl.Date, "quiet_days": pl.Int64},
        )
        observed_quiet = (
            f"no new paper yet (latest day {latest})"
            if newest is None
            else (f"{(latest - newest).days} days since {newest}")
        )
    sources = _asked_sources(read, checks)
    if sources:
        frames["sources"] = pl.DataFrame(
            {"source": sources, "records": [read.records_by_source.get(s, 0) for s in sources]},
            schema={"source": pl.String, "records": pl.Int64},
        )
    below = checks.filter(pl.col("below").fill_null(False))
    observed = {
        DAY_VOLUME: ", ".join(
            f"{row['listed_on']}: {row['papers']} papers (median {row['weekday_median']:g})"
            for row in below.iter_rows(named=True)
        ),
        NEW_PAPER_KNOWN: observed_quiet,
        NEW_PAPERS_RECENTLY: observed_quiet,
        SOURCE_RETURNED: ", ".join(
            f"{source}: 0 records" for source in sources if not read.records_by_source.get(source)
        ),
    }
    return [
        replace(
            outcome, observed=None if outcome.success else (observed[outcome.name][:300] or outcome.observed)
        )
        for outcome in run_check_outcomes(frames, settings)
    ]


def _asked_sources(read: ListingRead, checks: pl.DataFrame) -> list[str]:
    """The network listing sources the run asked (and that did not fail on every target) that must return a
    record. Daily Papers days with no paper are normal where their weekday's known days have none (weekends):
    that source counts only when a day it read is judged with a median above 0."""
    expected_daily = checks.filter(pl.col("below").is_not_null() & (pl.col("weekday_median") > 0)).height > 0
    return [source for source in read.network_sources if source != HF_DAILY or expected_daily]
