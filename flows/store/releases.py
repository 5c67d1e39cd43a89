"""What has been released where: ``OUT/releases/releases.jsonl`` and ``released.json`` markers.

``papers release`` appends one JSON line per release (version, Hub repository, commit, tag, files). A version
released by other means may carry a ``<version>/released.json`` marker
``{"version": ..., "released_at": ..., "copies": [{"kind": "hub", "location": ..., "revision": ...}]}``.
A released version with no other copy recorded (no Hub commit, no marker copy) is the only copy: prune keeps it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flows.store.catalog import Catalog
from flows.store.layout import RELEASE_LOG, releases_root

RELEASED_MARKER = "released.json"


def release_log_path(out_dir: Path) -> Path:
    return releases_root(out_dir) / RELEASE_LOG


def read_release_log(out_dir: Path) -> list[dict[str, Any]]:
    """Every release made from this output folder, oldest first."""
    path = release_log_path(out_dir)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def record_release(out_dir: Path, entry: dict[str, Any]) -> None:
    """Append one release line (written and fsynced in one ``write``)."""
    path = release_log_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(entry, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def release_marker(folder: Path) -> dict[str, Any] | None:
    """The version's ``released.json``, or None when there is none."""
    marker = folder / RELEASED_MARKER
    if not marker.exists():
        return None
    found: dict[str, Any] = json.loads(marker.read_text("utf-8"))
    return found


def released_to(out_dir: Path) -> dict[str, list[str]]:
    """Version -> the Hub repositories it was released to (from the release log)."""
    released: dict[str, list[str]] = {}
    for entry in read_release_log(out_dir):
        released.setdefault(entry["version"], []).append(entry["repo_id"])
    return released


def release_copies(out_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Released versions and their other copies: Hub commits from the release log plus the ``copies`` of any
    ``released.json`` marker."""
    copies: dict[str, list[dict[str, Any]]] = {}
    for entry in read_release_log(out_dir):
        hub = {"kind": "hub", "location": entry.get("repo_id"), "revision": entry.get("commit")}
        copies.setdefault(entry["version"], []).extend([hub] if entry.get("commit") else [])
    catalog = Catalog(out_dir)
    for version in catalog.versions():
        marker = release_marker(catalog.path(version))
        if marker is not None:
            copies.setdefault(version, []).extend(marker.get("copies") or [])
    return copies
