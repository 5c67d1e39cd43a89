"""Changes to the set of versions that publish nothing new: roll ``latest`` back, prune old versions, and
reconcile the journal with the version folders.

Versions stay immutable: a rollback only moves ``latest``; prune deletes whole old versions, never the one
``latest`` points at and never the only copy of a released one (``flows/store/releases.py``). Both hold the
output lock and say what they did in the journal. A run reconciles the journal before it starts
(:func:`reconcile_journal`): the version folders are the truth.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from flows.errors import UsageError
from flows.store.catalog import Catalog
from flows.store.journal import read_journal, record_event
from flows.store.layout import PRUNING_PREFIX
from flows.store.lock import lock_if_present
from flows.store.publish import point_latest
from flows.store.releases import release_copies
from flows.store.retention import Expired, Retention, expired, remove_expired


@dataclass(frozen=True)
class Rollback:
    previous: str | None
    """What ``latest`` pointed at before."""
    latest: str


def rollback(out_dir: Path, version: str, reason: str = "") -> Rollback:
    """Point ``latest`` at an earlier (or any existing) version and journal it; the next run builds on it."""
    with lock_if_present(out_dir):
        catalog = Catalog(out_dir)
        target = catalog.resolve(version)
        current = catalog.latest()
        if target != current:
            point_latest(catalog.root, target)
            record_event(catalog.root, "rollback", target, previous_latest=current, reason=reason)
        return Rollback(current, target)


@dataclass
class Prune:
    removed: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)
    """Version -> why it was kept (``newest``, ``latest``, ``released-only-copy``)."""
    expired: Expired = field(default_factory=Expired)
    """Raw days and failed-run records past the retention (``flows/store/retention.py``)."""


def prune(out_dir: Path, keep: int, dry_run: bool = False, retention: Retention | None = None) -> Prune:
    """Delete all but the newest ``keep`` versions; keep ``latest``'s and every released version's only copy;
    then the raw days and failed-run records past ``retention`` (default :class:`Retention`).

    A version disappears in one rename (to ``.pruning-<version>``) before its files are deleted, so a crash
    never leaves half a version visible; leftovers of a crashed prune are removed first.
    """
    if keep < 1:
        raise UsageError(f"--keep must be at least 1, got {keep}")
    retention = retention or Retention()
    if dry_run:
        plan = _plan(out_dir, keep)
        plan.expired = expired(out_dir, retention)
        return plan
    with lock_if_present(out_dir):
        root = Catalog(out_dir).root
        for leftover in root.glob(f"{PRUNING_PREFIX}*") if root.is_dir() else []:
            shutil.rmtree(leftover, ignore_errors=True)
        result = _plan(out_dir, keep)
        for version in result.removed:
            doomed = root / f"{PRUNING_PREFIX}{version}"
            (root / version).rename(doomed)
            shutil.rmtree(doomed)  # read-only files in writable folders: unlinking is allowed
        result.expired = remove_expired(out_dir, retention)
        if result.removed or result.expired.raw or result.expired.failed_runs:
            record_event(
                root,
                "prune",
                Catalog(out_dir).latest(),
                removed=result.removed,
                kept={v: why for v, why in sorted(result.kept.items())},
                raw_removed=result.expired.raw,
                failed_runs_removed=result.expired.failed_runs,
                retention={"raw_days": retention.raw_days, "failed_run_days": retention.failed_run_days},
            )
        return result


def _plan(out_dir: Path, keep: int) -> Prune:
    catalog = Catalog(out_dir)
    versions, latest = catalog.versions(), catalog.latest()
    result = Prune()
    for version in versions[-keep:]:
        result.kept[version] = "newest"
    if latest in versions:
        result.kept.setdefault(latest, "latest")
    released = release_copies(out_dir)
    for version in versions:
        if version not in result.kept and version in released and not released[version]:
            result.kept[version] = "released-only-copy"
    result.removed = [v for v in versions if v not in result.kept]
    return result


def reconcile_journal(out_dir: Path) -> list[str]:
    """Journal every version folder the journal does not mention (a publish killed after its version became
    visible, before its journal line): one ``reconcile`` event each, oldest first, with its manifest's
    ``previous_version``. ``latest`` is not moved. Returns the versions recorded. The caller holds the lock."""
    catalog = Catalog(out_dir)
    mentioned = {
        name
        for event in read_journal(catalog.root)
        for name in (event.get("latest"), event.get("version"))
        if name
    }
    missing = [name for name in catalog.versions() if name not in mentioned]
    latest = catalog.latest()
    for name in missing:
        manifest = catalog.manifest(name)
        record_event(
            catalog.root,
            "reconcile",
            latest,
            version=name,
            previous_version=manifest.get("previous_version"),
            complete=bool(manifest),
            found="a version folder the journal did not mention",
        )
    return missing
