"""What the stages of a run hand each other, and what a run ends with."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from expectations.outcomes import ExpectationOutcome
from flows.run.degraded import degraded_reasons
from flows.run.volume import ListingRead
from flows.sources.local import InputReport
from flows.store.previous import Incremental, PreviousVersion
from flows.store.spill import Spilled
from transforms.history.retraction import empty_retractions


@dataclass
class Ingested:
    version: str
    """The id the version of this run will have (also tags its raw captures)."""
    records: Spilled
    """The records read, chunk by chunk, in the run's work folder."""
    inputs: list[InputReport]
    source_failures: list[dict[str, str]]
    previous: PreviousVersion | None
    """``latest`` for incremental runs (opened from its manifest, read where the run needs it)."""
    retractions: pl.DataFrame = field(default_factory=empty_retractions)
    """Papers kept out of every run until un-retracted (``OUT/trending-papers/retractions.json``)."""
    every_source_failed: bool = False
    """Every network source of the run failed: the run ends Failed whatever it read locally."""
    listing: ListingRead | None = None
    """What the run read of the listing sources, for the run-level checks (``flows/run/volume.py``)."""


@dataclass
class Deduplicated:
    records: pl.DataFrame
    """Every record, with ``cluster_id``/``similarity``/``match_rule`` where it reached dedup; with ``captured``,
    only its ``ACCOUNTED_COLUMNS`` (``transforms/report/accounting.py``)."""
    papers: pl.DataFrame
    """One row per cluster of this run, with ``paper_id`` (previous id when seen before) and ``is_new``, in no
    particular order (empty once :func:`flows.run.version.in_ranges` spilled them to the work folder, range by
    range of ``paper_id``)."""
    captured: Spilled | None = None
    """Every record as dedup read it, in the run's work folder: the columns ``records`` no longer carries are read
    back from here for the records that go to quarantine (None: ``records`` carries every column)."""


@dataclass
class Validated:
    records: pl.DataFrame
    run_papers: pl.DataFrame
    """``RUN_PAPER_COLUMNS`` of this run's papers that passed the row gate (new or updated,
    ``flows/run/version.py``)."""
    version_counts: pl.DataFrame
    """The new version's papers (previous version plus this run) counted by what the card and report count
    (:func:`~transforms.report.summary.paper_counts`)."""
    new_papers: pl.DataFrame
    """The report's columns of this run's most upvoted new papers, as the version has them
    (:func:`~transforms.report.summary.new_papers`)."""
    dedup_index: pl.DataFrame | Spilled
    """Lookup keys of every paper of the new version, spilled range by range (on a run merged shard by shard:
    of the touched index shards)."""
    outcomes: list[ExpectationOutcome]
    """Every expectation's result (row suite on this run's papers, table suite on the version, or on the
    rewritten shards of an incremental run: carried shards are files of the validated previous version)."""
    incremental: Incremental | None = None
    """A run merged shard by shard into ``latest``: the shards it rewrites and their new rows, spilled."""
    version: Spilled | None = None
    """Every row of the new version in ``PAPER_SCHEMA``, spilled range by range to the run's work folder (None
    on an incremental run: ``incremental`` holds its rewritten rows)."""
    captured: Spilled | None = None
    """As :attr:`Deduplicated.captured`."""


@dataclass(frozen=True)
class RunSummary:
    version: str | None
    path: Path | None
    counts: dict[str, Any]
    source_failures: list[dict[str, str]]
    error: str | None = None
    every_source_failed: bool = False
    provisional_days: list[str] = field(default_factory=list)
    """Daily Papers days of the version still provisional (``flows/run/volume.py``)."""
    run_checks: list[ExpectationOutcome] = field(default_factory=list)
    """The run-level checks' outcomes (volume per day, freshness, empty sources)."""
    follow_up_failures: list[dict[str, str]] = field(default_factory=list)
    """Steps after publishing that failed (``step``, ``reason``): where a follow-up (a digest send) records its
    failure."""

    @property
    def degraded(self) -> bool:
        """Published, but not all it should be (``flows/run/degraded.py``: the one definition)."""
        return bool(degraded_reasons(self))
