"""``papers verify``: every file of a version checked against its manifest, byte for byte.

A version is immutable once published, and its manifest lists every table file and listed document with its
size and sha256 (Parquet files also with their rows). A disk fault, a hand edit or a half-copied backup shows
here: a file missing, of another size or sha256, a Parquet file whose row count is not the manifest's, or a file
in the folder that the manifest does not list (the card, changelog and report are written beside the manifest,
not listed in it: they are the documents a release may render again).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from flows.errors import NotFound
from flows.store.catalog import read_manifest
from flows.store.files import sha256_file
from flows.store.layout import CARD_FILE, CHANGELOG_FILE, MANIFEST_FILE, REPORT_FILE

UNLISTED = frozenset({MANIFEST_FILE, CARD_FILE, CHANGELOG_FILE, REPORT_FILE})
"""Files of a version folder that its manifest does not list."""


@dataclass(frozen=True)
class FileCheck:
    """One file of a version and what is wrong with it (None: it is what the manifest says)."""

    path: str
    problem: str | None
    """``missing``, ``size-differs``, ``sha256-differs``, ``rows-differ``, ``not-parquet``, ``not-in-manifest``,
    ``outside-the-version`` (a listed path leading out of the folder), or (of ``manifest.json``) ``unreadable`` or
    ``malformed``."""


def verify_version(version_dir: Path) -> list[FileCheck]:
    """Every file the manifest of ``version_dir`` lists, checked, then every file it does not list (in path
    order). :class:`~flows.errors.NotFound` when the folder has no manifest."""
    try:
        manifest = read_manifest(version_dir)
    except (OSError, ValueError):
        return [FileCheck(MANIFEST_FILE, "unreadable")]
    if manifest is None:
        raise NotFound(f"{version_dir} has no {MANIFEST_FILE}")
    entries = manifest.get("files", []) if isinstance(manifest, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("path"), str) for entry in entries
    ):
        return [FileCheck(MANIFEST_FILE, "malformed")]
    checks = [FileCheck(entry["path"], _problem(version_dir, entry)) for entry in entries]
    listed = {entry["path"] for entry in entries} | UNLISTED
    found = sorted(
        path.relative_to(version_dir).as_posix() for path in version_dir.rglob("*") if path.is_file()
    )
    checks += [FileCheck(path, "not-in-manifest") for path in found if path not in listed]
    return checks


def _problem(version_dir: Path, entry: dict[str, object]) -> str | None:
    relative = Path(str(entry["path"]))
    if relative.is_absolute() or ".." in relative.parts:
        return "outside-the-version"
    path = version_dir / relative
    if not path.is_file():
        return "missing"
    if path.stat().st_size != entry.get("bytes"):
        return "size-differs"
    if sha256_file(path) != entry.get("sha256"):
        return "sha256-differs"
    if path.suffix == ".parquet" and "rows" in entry:
        try:
            rows = pq.read_metadata(path).num_rows
        except (OSError, ValueError):
            return "not-parquet"
        if rows != entry["rows"]:
            return "rows-differ"
    return None
