"""Undoing a publish: roll ``latest`` back, retract papers (and keep them out), prune old versions.

Everything here changes a dataset folder (``OUT/trending-papers/``) and says so in its journal
(``flows/journal.py``). Versions stay immutable: a rollback only moves ``latest``; a retraction publishes a
new version without the papers; prune deletes whole old versions, never the one ``latest`` points at and never
the only copy of a released one.

Files beside the versions:

* ``retractions.json``: the papers kept out of every later run until ``papers unretract`` (rows of
  ``transforms.retraction.RETRACTION_SCHEMA``), written atomically.
* Released versions: ``OUT/releases/releases.jsonl`` (written by ``papers release``: version, Hub repo,
  commit) and, for releases made by other means, a ``<version>/released.json`` marker
  ``{"version": ..., "released_at": ..., "copies": [{"kind": "hub", "location": ..., "revision": ...}]}``.
  A released version with no other copy recorded (no Hub commit, no marker copy) is the only copy: prune keeps it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from flows.errors import UsageError
from flows.journal import record_event
from flows.ownership import OutputLocked, lock_if_present
from flows.publish import dataset_root, new_version_id, point_latest, publish_version, read_latest
from transforms.retraction import RETRACTION_SCHEMA, empty_retractions, retraction_rows
from transforms.schema import DATASET_NAME, LEDGER_SCHEMA, QUARANTINE_SCHEMA, SCHEMA_VERSION, empty

VERSION_ID = re.compile(r"^\d{8}T\d{6}\.\d{6}Z$")
RETRACTIONS_NAME = "retractions.json"
RELEASED_MARKER = "released.json"
PRUNING_PREFIX = ".pruning-"


# --- versions -----------------------------------------------------------------------------------------------


def list_versions(root: Path) -> list[str]:
    """Version ids under ``root``, oldest first (ids sort in time order)."""
    if not root.is_dir():
        return []
    return sorted(
        p.name for p in root.iterdir() if VERSION_ID.match(p.name) and p.is_dir() and not p.is_symlink()
    )


def latest_version(root: Path) -> str | None:
    link = root / "latest"
    return os.readlink(link) if link.is_symlink() else None


def require_version(root: Path, version: str) -> str:
    """``version`` (or ``latest``) as a version id; UsageError when there is no such version."""
    versions = list_versions(root)
    resolved = latest_version(root) if version == "latest" else version
    if resolved not in versions:
        known = ", ".join(versions[-5:]) or "none"
        raise UsageError(f"unknown version {version!r} under {root} (latest versions: {known})")
    return resolved


def release_marker(folder: Path) -> dict[str, Any] | None:
    """The version's ``released.json``, or None when there is none."""
    marker = folder / RELEASED_MARKER
    return json.loads(marker.read_text("utf-8")) if marker.exists() else None


def release_copies(out_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Released versions and their other copies: Hub commits from ``OUT/releases/releases.jsonl`` (written by
    ``papers release``) plus the ``copies`` of any ``released.json`` marker."""
    from flows.release import read_release_log

    copies: dict[str, list[dict[str, Any]]] = {}
    for entry in read_release_log(out_dir):
        hub = {"kind": "hub", "location": entry.get("repo_id"), "revision": entry.get("commit")}
        copies.setdefault(entry["version"], []).extend([hub] if entry.get("commit") else [])
    root = dataset_root(out_dir)
    for version in list_versions(root):
        marker = release_marker(root / version)
        if marker is not None:
            copies.setdefault(version, []).extend(marker.get("copies") or [])
    return copies


# --- rollback -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rollback:
    previous: str | None
    latest: str


def rollback(out_dir: Path, version: str, reason: str = "") -> Rollback:
    """Point ``latest`` at an earlier (or any existing) version and journal it; the next run builds on it."""
    with lock_if_present(out_dir):
        return _rollback(out_dir, version, reason)


def _rollback(out_dir: Path, version: str, reason: str) -> Rollback:
    root = dataset_root(out_dir)
    target = require_version(root, version)
    current = latest_version(root)
    if target == current:
        return Rollback(current, target)
    point_latest(root, target)
    record_event(root, "rollback", target, previous_latest=current, reason=reason)
    return Rollback(current, target)


# --- retractions --------------------------------------------------------------------------------------------


def read_retractions(out_dir: Path) -> pl.DataFrame:
    """The persisted retraction list (empty when there is none)."""
    path = dataset_root(out_dir) / RETRACTIONS_NAME
    if not path.exists():
        return empty_retractions()
    rows = json.loads(path.read_text("utf-8"))["retracted"]
    return pl.DataFrame(rows, schema=RETRACTION_SCHEMA, orient="row") if rows else empty_retractions()


def write_retractions(out_dir: Path, retractions: pl.DataFrame) -> None:
    root = dataset_root(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    body = {"dataset": DATASET_NAME, "retracted": retractions.sort("paper_id").to_dicts()}
    handle, temporary = tempfile.mkstemp(dir=root, prefix=".tmp-retractions-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, root / RETRACTIONS_NAME)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Retraction:
    version: str
    path: Path
    papers: list[dict[str, str]]
    """paper_id and title of every paper removed."""


def retract(out_dir: Path, paper_ids: list[str], reason: str) -> Retraction:
    """Publish a new version without ``paper_ids`` and keep them out of later runs until un-retracted.

    All or nothing: an id not in the latest version, or already retracted, is a UsageError and nothing
    changes. The list is written before the version, and restored if publishing fails.
    """
    if not reason.strip():
        raise UsageError("a retraction needs a --reason")
    with lock_if_present(out_dir):
        return _retract(out_dir, paper_ids, reason)


def _retract(out_dir: Path, paper_ids: list[str], reason: str) -> Retraction:
    root = dataset_root(out_dir)
    latest = read_latest(out_dir)
    if latest is None:
        raise UsageError(f"nothing is published under {root}")
    wanted = list(dict.fromkeys(paper_ids))
    retractions = read_retractions(out_dir)
    already = sorted(set(wanted) & set(retractions.get_column("paper_id").to_list()))
    if already:
        raise UsageError(f"already retracted: {', '.join(already)}")
    present = set(latest.papers.get_column("paper_id").to_list())
    unknown = [pid for pid in wanted if pid not in present]
    if unknown:
        raise UsageError(f"unknown paper id(s) in latest version {latest.version}: {', '.join(unknown)}")
    removed = latest.papers.filter(pl.col("paper_id").is_in(wanted))
    kept = latest.papers.filter(~pl.col("paper_id").is_in(wanted))
    if kept.height == 0:
        raise UsageError("retracting every paper would leave an empty version; roll back instead")

    from expectations.gate import require_table

    require_table(kept)
    version = new_version_id(datetime.now(UTC), max([latest.version, *list_versions(root)]))
    now = datetime.now(UTC).isoformat()
    rows = retraction_rows(removed, reason.strip(), now, version)
    papers = removed.select("paper_id", "title").sort("paper_id").to_dicts()
    manifest = _retraction_manifest(latest, version, kept, papers, reason.strip())
    index = latest.dedup_index
    if index is not None:
        index = index.filter(~pl.col("paper_id").is_in(wanted))
    from flows.card import build_card
    from flows.report import render_changelog
    from transforms.changes import diff_papers

    changes = diff_papers(latest.papers, kept)
    manifest["changes"] = {"since": latest.version, **changes}
    card = build_card(manifest, kept, changes=changes, since=latest.version)
    write_retractions(out_dir, pl.concat([retractions, rows]))
    try:
        path = publish_version(
            out_dir,
            version,
            kept,
            empty(QUARANTINE_SCHEMA),
            empty(LEDGER_SCHEMA),
            manifest,
            card,
            index,
            changelog=render_changelog(version, latest.version, changes),
        )
    except BaseException:
        write_retractions(out_dir, retractions)
        raise
    return Retraction(version, path, papers)


def unretract(out_dir: Path, paper_ids: list[str], reason: str = "") -> list[str]:
    """Take papers off the retraction list (later runs publish them again when they capture them)."""
    with lock_if_present(out_dir):
        return _unretract(out_dir, paper_ids, reason)


def _unretract(out_dir: Path, paper_ids: list[str], reason: str) -> list[str]:
    retractions = read_retractions(out_dir)
    listed = set(retractions.get_column("paper_id").to_list())
    wanted = list(dict.fromkeys(paper_ids))
    unknown = [pid for pid in wanted if pid not in listed]
    if unknown:
        raise UsageError(f"not retracted: {', '.join(unknown)}")
    write_retractions(out_dir, retractions.filter(~pl.col("paper_id").is_in(wanted)))
    root = dataset_root(out_dir)
    record_event(root, "unretract", latest_version(root), papers=wanted, reason=reason)
    return wanted


def _retraction_manifest(
    latest: Any, version: str, kept: pl.DataFrame, papers: list[dict[str, str]], reason: str
) -> dict[str, Any]:
    from flows.report import code_version

    previous_manifest = _manifest(latest.path)
    counts = {
        "inputs": 0,
        "published": 0,
        "duplicates": 0,
        "quarantined": 0,
        "quarantined_by_reason": {},
        "accounting_holds": True,
        "new_papers": 0,
        "updated_papers": 0,
        "retracted_papers": len(papers),
        "papers_total": kept.height,
        "papers_previous": latest.papers.height,
    }
    return {
        "dataset": DATASET_NAME,
        "version": version,
        "previous_version": latest.version,
        "created_at": datetime.now(UTC).isoformat(),
        "code_version": code_version(),
        "schema_version": SCHEMA_VERSION,
        "operation": "retract",
        "retraction": {"reason": reason, "papers": papers},
        "config": previous_manifest.get("config"),
        "inputs": [],
        "source_failures": [],
        "listing_days": previous_manifest.get("listing_days", []),
        "provenance": previous_manifest.get("provenance", []),
        "counts": counts,
    }


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


# --- prune --------------------------------------------------------------------------------------------------


@dataclass
class Prune:
    removed: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)
    """Version -> why it was kept (``newest``, ``latest``, ``released-only-copy``)."""


def prune(out_dir: Path, keep: int, dry_run: bool = False) -> Prune:
    """Delete all but the newest ``keep`` versions; keep ``latest``'s and every released version's only copy.

    A version disappears in one rename (to ``.pruning-<version>``) before its files are deleted, so a
    crash never leaves half a version visible; leftovers of a crashed prune are removed first.
    """
    if keep < 1:
        raise UsageError(f"--keep must be at least 1, got {keep}")
    if dry_run:
        return _prune(out_dir, keep, dry_run)
    with lock_if_present(out_dir):
        return _prune(out_dir, keep, dry_run)


def _prune(out_dir: Path, keep: int, dry_run: bool) -> Prune:
    root = dataset_root(out_dir)
    if not dry_run:
        for leftover in root.glob(f"{PRUNING_PREFIX}*") if root.is_dir() else []:
            shutil.rmtree(leftover, ignore_errors=True)
    versions = list_versions(root)
    latest = latest_version(root)
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
    if dry_run:
        return result
    for version in result.removed:
        doomed = root / f"{PRUNING_PREFIX}{version}"
        (root / version).rename(doomed)
        _remove_tree(doomed)
    if result.removed:
        record_event(
            root,
            "prune",
            latest,
            removed=result.removed,
            kept={v: why for v, why in sorted(result.kept.items())},
        )
    return result


def _remove_tree(folder: Path) -> None:
    """Delete a version's read-only files (their folders are writable, so unlinking is allowed)."""
    shutil.rmtree(folder)


# --- command line -------------------------------------------------------------------------------------------


def rollback_command(args: argparse.Namespace) -> int:
    return _guarded(lambda: _say_rollback(rollback(args.out, args.version, args.reason or "")))


def retract_command(args: argparse.Namespace) -> int:
    from expectations.gate import ContractBroken
    from flows.cli import EXIT_CONTRACT_BROKEN

    try:
        return _guarded(lambda: _say_retract(retract(args.out, args.paper_ids, args.reason)))
    except ContractBroken as error:
        print(f"contract broken, nothing published: {error}", file=sys.stderr)
        return EXIT_CONTRACT_BROKEN


def unretract_command(args: argparse.Namespace) -> int:
    def run() -> None:
        ids = unretract(args.out, args.paper_ids, args.reason or "")
        print(f"unretracted {len(ids)} paper(s): later runs publish them again when they capture them")

    return _guarded(run)


def prune_command(args: argparse.Namespace) -> int:
    def run() -> None:
        result = prune(args.out, args.keep, dry_run=args.dry_run)
        verb = "would remove" if args.dry_run else "removed"
        reasons = sorted(set(result.kept.values()))
        print(
            f"{verb} {len(result.removed)} version(s), kept {len(result.kept)} ({', '.join(reasons) or 'none'})"
            + (f": {', '.join(result.removed)}" if result.removed else "")
        )

    return _guarded(run)


def _say_rollback(result: Rollback) -> None:
    if result.previous == result.latest:
        print(f"latest already points at {result.latest}: nothing to do")
        return
    print(f"latest -> {result.latest} (was {result.previous}); the next run builds on {result.latest}")


def _say_retract(result: Retraction) -> None:
    ids = ", ".join(paper["paper_id"] for paper in result.papers)
    print(f"published {result.version} without {len(result.papers)} retracted paper(s): {ids}")


def _guarded(action: Any) -> int:
    """Run a command: 0 when done, 3 on a usage error, 5 when another run holds the output (one line on stderr)."""
    from flows.cli import EXIT_OUTPUT_LOCKED, EXIT_PUBLISHED, EXIT_USAGE

    try:
        action()
    except UsageError as error:
        print(f"papers: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OutputLocked as error:
        print(f"papers: {error}; nothing was changed", file=sys.stderr)
        return EXIT_OUTPUT_LOCKED
    return EXIT_PUBLISHED
