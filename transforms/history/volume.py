"""Volume and freshness of the Daily Papers listing: is a day far below its usual size, and is it settled?

The daily list upstream fills during the day: a fetch made early can hold a fraction of the day's papers and
look like a quiet day. So a day's count is compared with the median of the same weekday over the days before it
(weekdays differ: Daily Papers has no weekend lists), and a day far below that median is *provisional*: later
runs fetch it again until it is *stable*, which it is when two fetches at least ``settle_hours`` apart agree on
its count, or ``stable_after_hours`` after the day ended. The latest fetch's count is the day's count.

Small days are normal (late January 2025 had 3 to 7 papers a day, against weekday medians of 9 to 14), so a
day is judged only against enough history (``min_history_days``), only below a share of the median
(``min_share``), and never when it has at least ``min_papers`` papers.

Pure polars: frames in, frames out, the clock a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import polars as pl

DAY_COUNTS = pl.Schema({"listed_on": pl.Date(), "papers": pl.Int64()})
"""Papers per listing day of the Daily Papers source: the history, and what a run read."""
FETCHES = pl.Schema({"listed_on": pl.Date(), "papers": pl.Int64(), "fetched_at": pl.Datetime("us", "UTC")})
"""One row per fetch of a day: how many papers it held, and when it was made."""
VOLUME_CHECKS = pl.Schema(
    {
        "listed_on": pl.Date(),
        "papers": pl.Int64(),
        "history_days": pl.UInt32(),
        "weekday_median": pl.Float64(),
        "threshold": pl.Float64(),
        "below": pl.Boolean(),
    }
)
"""A day's count against the median of the same weekday (``below`` null: not judged, too little history)."""
PROVISIONAL = pl.Schema({**FETCHES, "status": pl.String()})
"""The fetches of the days still open or just settled, with each day's status (on every row of the day)."""

OPEN = "provisional"
AGREED = "stable:agreed"
AGED = "stable:aged"


@dataclass(frozen=True)
class VolumeSettings:
    """Thresholds of the run-level volume and freshness checks (``docs/operators.md``). With these, 3 of the 188
    Daily Papers days of ``../shared/data`` are far below their median (1 or 2 papers against medians of 9 to
    16.5), none of late January 2025's days of 3 to 7 papers is (``bench/volume_days.py``, ``bench/RESULTS.md``)."""

    min_share: float = 0.25
    """A day with fewer papers than this share of its weekday's median is far below it (provisional)."""
    min_papers: int = 3
    """A day with at least this many papers is never far below (late January 2025 had days of 3 papers)."""
    min_history_days: int = 4
    """Days of the same weekday the history needs before a day is judged against their median."""
    history_days: int = 8
    """The median reads at most this many of the latest days of the same weekday before the day (the volume
    grows over the years; a gap in the history is skipped over, not counted as empty days)."""
    settle_hours: float = 12.0
    """A provisional day is stable when two fetches at least this many hours apart agree on its count."""
    stable_after_hours: float = 72.0
    """... or this many hours after the day ended (UTC), whatever its fetches say."""
    max_quiet_days: int = 4
    """No new paper on a listing day for more than this many days before the run's latest day fails the
    freshness check (a weekend is 2 days without lists, a long weekend 3)."""


def day_counts(records: pl.DataFrame, source: str) -> pl.DataFrame:
    """Papers per listing day of ``source`` in ``records`` (``listed_on``, ``source``, ``arxiv_id``,
    ``title_raw``): distinct arXiv ids, or titles for items without one (``DAY_COUNTS``)."""
    return (
        records.lazy()
        .filter((pl.col("source") == source) & pl.col("listed_on").is_not_null())
        .group_by("listed_on")
        .agg(pl.coalesce("arxiv_id", "title_raw").n_unique().cast(pl.Int64).alias("papers"))
        .sort("listed_on")
        .collect()
    )


def listing_day_counts(listings: pl.DataFrame | pl.LazyFrame, source: str) -> pl.DataFrame:
    """Papers per listing day of ``source`` in a version's long ``listings`` rows (``paper_id``, ``listed_on``,
    ``source``): the history of a version whose manifest does not carry it (``DAY_COUNTS``)."""
    return (
        listings.lazy()
        .filter((pl.col("source") == source) & pl.col("listed_on").is_not_null())
        .group_by("listed_on")
        .agg(pl.col("paper_id").n_unique().cast(pl.Int64).alias("papers"))
        .sort("listed_on")
        .collect()
    )


def with_latest(history: pl.DataFrame, latest: pl.DataFrame) -> pl.DataFrame:
    """``history`` with the days of ``latest`` replaced by their counts there: the latest fetch's count wins
    (``DAY_COUNTS``, sorted)."""
    kept = history.join(latest.select("listed_on"), on="listed_on", how="anti")
    return pl.concat([kept.cast(DAY_COUNTS), latest.select(list(DAY_COUNTS)).cast(DAY_COUNTS)]).sort(
        "listed_on"
    )


def check_volume(days: pl.DataFrame, history: pl.DataFrame, settings: VolumeSettings) -> pl.DataFrame:
    """Each of ``days`` against the median of the latest ``history_days`` days of its weekday before it in
    ``history`` (``DAY_COUNTS`` both; leave the open provisional days out of ``history``): ``VOLUME_CHECKS``,
    in the order of ``days``.

    ``below`` is null when fewer than ``min_history_days`` such days are known, else whether the day has fewer
    than ``min_papers`` papers and fewer than ``min_share`` of the median."""
    past = history.select(
        pl.col("listed_on").alias("_past"),
        pl.col("papers").alias("_past_papers"),
        weekday=_weekday("listed_on"),
    )
    baseline = (
        days.select("listed_on")
        .unique()
        .with_columns(weekday=_weekday("listed_on"))
        .join(past, on="weekday", how="inner")
        .filter(pl.col("_past") < pl.col("listed_on"))
        .sort("listed_on", "_past", descending=[False, True])
        .group_by("listed_on")
        .head(settings.history_days)
        .group_by("listed_on")
        .agg(
            pl.len().cast(pl.UInt32).alias("history_days"),
            pl.col("_past_papers").median().cast(pl.Float64).alias("weekday_median"),
        )
    )
    judged = pl.col("history_days") >= settings.min_history_days
    threshold = pl.col("weekday_median") * settings.min_share
    return (
        days.select(pl.col("listed_on").cast(pl.Date), pl.col("papers").cast(pl.Int64))
        .join(baseline, on="listed_on", how="left", maintain_order="left")
        .with_columns(pl.col("history_days").fill_null(0))
        .with_columns(
            pl.when(judged).then(threshold).alias("threshold"),
            pl.when(judged)
            .then((pl.col("papers") < settings.min_papers) & (pl.col("papers") < threshold))
            .alias("below"),
        )
        .select(list(VOLUME_CHECKS))
    )


def settle(
    earlier: pl.DataFrame,
    fetched: pl.DataFrame,
    checks: pl.DataFrame,
    settings: VolumeSettings,
    now: datetime,
) -> pl.DataFrame:
    """The provisional days after a run (``PROVISIONAL``): the days open before it (``earlier``: their fetches,
    ``FETCHES``) and the days it fetched (``fetched``, ``FETCHES``) that are far below their median
    (``checks``, :func:`check_volume`), each with every fetch and its status.

    A day is ``stable:agreed`` when its latest fetch has the count of a fetch made at least ``settle_hours``
    before it, ``stable:aged`` when ``now`` is ``stable_after_hours`` or more after the day ended, else still
    ``provisional``. A day that was not open and is not far below does not appear."""
    flagged = checks.filter(pl.col("below").fill_null(False)).select("listed_on")
    fetches = pl.concat(
        [earlier.select(list(FETCHES)).cast(FETCHES), fetched.select(list(FETCHES)).cast(FETCHES)]
    )
    tracked = pl.concat([earlier.select("listed_on").cast(pl.Date), flagged]).unique()
    rows = (
        fetches.join(tracked, on="listed_on", how="semi").unique().sort("listed_on", "fetched_at", "papers")
    )
    latest = rows.group_by("listed_on").agg(
        pl.col("fetched_at").max().alias("_latest_at"),
        pl.col("papers").sort_by("fetched_at").last().alias("_latest_papers"),
    )
    settle_gap = pl.duration(microseconds=int(settings.settle_hours * 3_600_000_000))
    agreed = (
        rows.join(latest, on="listed_on")
        .filter(
            (pl.col("papers") == pl.col("_latest_papers"))
            & (pl.col("fetched_at") <= pl.col("_latest_at") - settle_gap)
        )
        .select("listed_on")
        .unique()
        .with_columns(pl.lit(True).alias("_agreed"))
    )
    aged_before = _as_utc(now) - timedelta(hours=settings.stable_after_hours) - timedelta(days=1)
    status = (
        pl.when(pl.col("_agreed").fill_null(False))
        .then(pl.lit(AGREED))
        .when(
            pl.col("listed_on").cast(pl.Datetime("us", "UTC"))
            <= pl.lit(aged_before).cast(pl.Datetime("us", "UTC"))
        )
        .then(pl.lit(AGED))
        .otherwise(pl.lit(OPEN))
    )
    return (
        rows.join(agreed, on="listed_on", how="left", maintain_order="left")
        .with_columns(status.alias("status"))
        .select(list(PROVISIONAL))
    )


def open_days(provisional: pl.DataFrame) -> list[date]:
    """The days of :func:`settle`'s result still provisional, oldest first."""
    return sorted(set(provisional.filter(pl.col("status") == OPEN).get_column("listed_on").to_list()))


def quiet_days(newest_new: date | None, latest_day: date) -> int | None:
    """Days from the latest listing day with a new paper to the latest day a run read (None: no new paper yet)."""
    return None if newest_new is None else (latest_day - newest_new).days


def newest_new_day(papers: pl.DataFrame, records: pl.DataFrame) -> date | None:
    """The latest listing day of a record of a new paper (``papers``: ``is_new``, ``member_record_ids``;
    ``records``: ``record_id``, ``listed_on``); None when no new paper has a listing day."""
    members = (
        papers.lazy()
        .filter(pl.col("is_new"))
        .select(pl.col("member_record_ids").alias("record_id"))
        .explode("record_id")
    )
    found = (
        members.join(records.lazy().select("record_id", "listed_on"), on="record_id")
        .select(pl.col("listed_on").max())
        .collect()
        .item()
    )
    return found if isinstance(found, date) else None


def _weekday(column: str) -> pl.Expr:
    return pl.col(column).dt.weekday()


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
