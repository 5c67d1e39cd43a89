"""Finding the inputs of a run: every path given or found below a folder is either read or skipped with a reason.

Nothing found disappears: the manifest lists what was read (files, raw-zone captures) and what was skipped,
with one of :data:`SKIP_REASONS`. Nothing found can block or crash the run either: a FIFO is never opened,
a symbolic-link loop is never followed twice, a file over the size limit is never read.
"""

from __future__ import annotations

import errno
import stat
from dataclasses import dataclass, field
from pathlib import Path

from flows.raw_zone import LOG_NAME, raw_log_kinds

DOCUMENTATION_NAMES = frozenset({"PROVENANCE.txt", "README.md", "LICENSE"})
"""Documentation that sits beside captures in data folders: never an input."""

SIDECAR_SUFFIX = ".meta.json"
"""``x.meta.json`` beside ``x.<ext>`` describes that capture (URL, HTTP status): metadata, not an input."""

SKIP_REASONS = {
    "documentation": "PROVENANCE.txt, README.md or LICENSE beside the captures",
    "sidecar": "x.meta.json describing the capture x.<ext> beside it",
    "hidden": "a hidden file or folder (name starting with '.'), not descended into",
    "raw-zone-log": "the responses.jsonl log of a raw-zone folder (its captures are replayed)",
    "raw-zone-not-a-capture": "a raw-zone body that the run did not parse (retried attempt, robots.txt, rejected)",
    "link-loop": "a symbolic link leading back to a folder being walked, or a link that resolves to itself",
    "dangling-link": "a symbolic link to nothing",
    "not-a-regular-file": "a FIFO, socket or device: never opened",
    "too-large": "larger than the max_file_bytes input limit",
    "not-found": "no such file or folder",
    "unreadable": "the file or folder could not be read (permissions)",
}
"""Why a path found under an input was not read (documented in the README)."""


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Scan:
    """What a run found: local files to read, raw-zone day folders to replay, and the paths skipped."""

    files: list[Path] = field(default_factory=list)
    raw_days: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def scan_inputs(paths: list[Path], max_file_bytes: int) -> Scan:
    """Walk ``paths`` (files as given, folders recursively in name order) and sort every path found."""
    scan = Scan()
    for path in paths:
        _visit(path, scan, max_file_bytes, ancestors=(), given=True)
    return scan


def _visit(
    path: Path, scan: Scan, max_file_bytes: int, ancestors: tuple[tuple[int, int], ...], given: bool
) -> None:
    skip = scan.skipped.append
    if not given and path.name.startswith("."):
        skip(Skipped(str(path), "hidden"))
        return
    try:
        info = path.stat()
    except OSError as error:
        if error.errno == errno.ELOOP:
            skip(Skipped(str(path), "link-loop"))
        elif path.is_symlink():
            skip(Skipped(str(path), "dangling-link"))
        elif error.errno in {errno.EACCES, errno.EPERM}:
            skip(Skipped(str(path), "unreadable"))
        else:
            skip(Skipped(str(path), "not-found"))
        return
    if stat.S_ISDIR(info.st_mode):
        key = (info.st_dev, info.st_ino)
        if key in ancestors:
            skip(Skipped(str(path), "link-loop"))
            return
        _visit_folder(path, scan, max_file_bytes, (*ancestors, key))
    elif not stat.S_ISREG(info.st_mode):
        skip(Skipped(str(path), "not-a-regular-file"))
    elif info.st_size > max_file_bytes:
        skip(Skipped(str(path), "too-large"))
    elif not given and path.name in DOCUMENTATION_NAMES:
        skip(Skipped(str(path), "documentation"))
    elif not given and _is_sidecar(path):
        skip(Skipped(str(path), "sidecar"))
    else:
        scan.files.append(path)


def _visit_folder(
    folder: Path, scan: Scan, max_file_bytes: int, ancestors: tuple[tuple[int, int], ...]
) -> None:
    try:
        children = sorted(folder.iterdir())
    except OSError:
        scan.skipped.append(Skipped(str(folder), "unreadable"))
        return
    kinds = raw_log_kinds(folder / LOG_NAME)
    if kinds is not None:  # a real raw-zone day folder: its captures are replayed, its other bodies accounted
        scan.raw_days.append(folder)
        scan.skipped.append(Skipped(str(folder / LOG_NAME), "raw-zone-log"))
        for child in children:
            kind = kinds.get(child.name)
            if kind is None and child.name != LOG_NAME:
                _visit(child, scan, max_file_bytes, ancestors, given=False)
            elif kind is not None and kind != "capture":
                scan.skipped.append(Skipped(str(child), "raw-zone-not-a-capture"))
        return
    for child in children:
        _visit(child, scan, max_file_bytes, ancestors, given=False)


def _is_sidecar(path: Path) -> bool:
    if not path.name.endswith(SIDECAR_SUFFIX):
        return False
    stem = path.name[: -len(SIDECAR_SUFFIX)]
    try:
        return any(
            sibling != path and sibling.name.startswith(f"{stem}.") for sibling in path.parent.iterdir()
        )
    except OSError:
        return False
