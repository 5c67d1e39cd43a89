"""How long ``papers prune`` keeps the raw zone's days and the failed-run records.

The raw zone grows by every response of every run (``OUT/raw/<source>/<YYYY-MM-DD>/``, the day the responses
were received) and ``OUT/failed-runs/`` by the records of every run that published nothing or crashed; neither is
ever read again by a published version, which carries its own copy of what it needs. Past the retention:

- a raw day received more than ``raw_days`` days ago goes, whole: its bodies and its log. A version whose rows
  came from it can then no longer be replayed from the raw zone (its rows keep each capture's ``raw_sha256``),
  and a backfill of those days fetches them again;
- a failed-run record (``failed-runs/<version>/``, ``failed-runs/<id>-crashed/``) older than ``failed_run_days``
  goes, whole. Its age is the time in its name (a version id, ``20261202T130558.071792Z``), else its manifest's
  ``created_at``, else the folder's modification time.

Like a version, a folder disappears in one rename (to ``.pruning-<name>`` beside it) before its files are deleted,
so a crash never leaves half a day or half a record that a replay or a person would take for whole.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flows.store.layout import PRUNING_PREFIX, failed_runs_root, raw_root

DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STAMPED = re.compile(r"^(\d{8}T\d{6})")


@dataclass(frozen=True)
class Retention:
    """What ``papers prune`` keeps besides versions (``--raw-days``, ``--failed-run-days``); 0 keeps everything."""

    raw_days: int = 365
    """Days of raw captures kept, counted back from today (UTC) by the day they were received: a year, so a
    version of the last year can be replayed, at ~0.1–1 MB a day for the daily sources."""
    failed_run_days: int = 90
    """Days a failed or crashed run's record is kept: long enough to look into a failure found late."""


@dataclass
class Expired:
    raw: list[str] = field(default_factory=list)
    """``<source>/<YYYY-MM-DD>`` raw days removed (or that would be)."""
    failed_runs: list[str] = field(default_factory=list)
    """``failed-runs/`` folder names removed (or that would be)."""


def expired(out_dir: Path, retention: Retention, now: datetime | None = None) -> Expired:
    """What is past ``retention`` under ``out_dir``, oldest first (nothing is removed)."""
    now = now or datetime.now(UTC)
    found = Expired()
    raw = raw_root(out_dir)
    if retention.raw_days and raw.is_dir():
        oldest_kept = (now - timedelta(days=retention.raw_days)).date()
        days = [
            day
            for source in sorted(raw.iterdir())
            if source.is_dir() and not source.name.startswith(".")
            for day in sorted(source.iterdir())
            if day.is_dir() and DAY_FOLDER.match(day.name)
        ]
        found.raw = [
            f"{day.parent.name}/{day.name}" for day in days if date.fromisoformat(day.name) < oldest_kept
        ]
    failed = failed_runs_root(out_dir)
    if retention.failed_run_days and failed.is_dir():
        cutoff = now - timedelta(days=retention.failed_run_days)
        found.failed_runs = sorted(
            folder.name
            for folder in failed.iterdir()
            if folder.is_dir() and not folder.name.startswith(".") and _made_at(folder) < cutoff
        )
    return found


def remove_expired(out_dir: Path, retention: Retention, now: datetime | None = None) -> Expired:
    """Remove what :func:`expired` finds (the caller holds the output lock), leftovers of a crashed prune first."""
    for leftover in _leftovers(out_dir):
        shutil.rmtree(leftover, ignore_errors=True)
    found = expired(out_dir, retention, now)
    for name in found.raw:
        source, day = name.split("/")
        _remove(raw_root(out_dir) / source, day)
    for name in found.failed_runs:
        _remove(failed_runs_root(out_dir), name)
    return found


def _remove(parent: Path, name: str) -> None:
    doomed = parent / f"{PRUNING_PREFIX}{name}"
    (parent / name).rename(doomed)
    shutil.rmtree(doomed)


def _leftovers(out_dir: Path) -> list[Path]:
    raw, failed = raw_root(out_dir), failed_runs_root(out_dir)
    parents = [failed, *(source for source in raw.iterdir() if source.is_dir())] if raw.is_dir() else [failed]
    return [item for parent in parents if parent.is_dir() for item in parent.glob(f"{PRUNING_PREFIX}*")]


def _made_at(folder: Path) -> datetime:
    stamp = STAMPED.match(folder.name)
    if stamp:
        return datetime.strptime(stamp.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    try:
        created = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["created_at"]
        made = datetime.fromisoformat(created)
        return made if made.tzinfo else made.replace(tzinfo=UTC)
    except (OSError, ValueError, KeyError, TypeError):
        return datetime.fromtimestamp(folder.stat().st_mtime, UTC)
