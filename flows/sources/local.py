"""Local inputs: every path given or found below a folder is either read as a capture or skipped with a reason.

Nothing found disappears: the manifest lists what was read (files, raw-zone captures) and what was skipped,
with one of :data:`SKIP_REASONS`. Nothing found can block or crash the run either: a FIFO is never opened,
a symbolic-link loop is never followed twice, a file over the size limit is never read.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flows.runtime.project import PROJECT_ROOT
from flows.sources.replay import read_raw_zone, unique_captures
from flows.store.raw_zone import LOG_NAME, raw_log_kinds
from transforms.parse import DEFAULT_LIMITS, Capture, InputLimits
from transforms.parse.common import safe_text
from transforms.parse.listing import FILE_MTIME

BUNDLED_SAMPLE = PROJECT_ROOT / "data" / "sample" / "trending-papers-page.txt"
"""The default input: a text copy of the trending-papers page this product was specified from."""

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
    "raw-zone-bad-line:<why>": "a line of a raw-zone log that is not a log line (not JSON, a field missing or of "
    "the wrong type, an unknown kind, a body path outside its day folder): that line alone is not replayed",
    "raw-zone-body-missing": "a raw-zone capture whose body file is gone: that capture alone is not replayed",
    "raw-zone-body-changed": "a raw-zone capture whose body no longer has its sha256: that capture alone is not "
    "replayed",
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


@dataclass(frozen=True)
class InputReport:
    """One input (local file, fetched response, or a path skipped with a reason) as the manifest lists it."""

    path: str
    sha256: str | None
    bytes: int
    duplicate_of: str | None = None
    source: str = "auto"
    skipped: str | None = None
    """Why the path was not read (see ``SKIP_REASONS``); None when it was read."""
    format: str | None = None
    """The format that parsed it (``hf-daily``, ``generic``...); None when none did or it was not parsed."""
    mapping: dict[str, Any] | None = None
    """How the generic reader read it: shape, records, the columns of each field, whether it is a listing, the
    counts it could not read (``transforms/parse/generic.py`` ``describe``)."""


def expand_inputs(paths: list[Path], limits: InputLimits = DEFAULT_LIMITS) -> list[Path]:
    """The local files a run reads from ``paths`` (raw-zone folders and skipped paths excluded)."""
    return scan_inputs(paths, limits.max_file_bytes).files


class LocalCaptures:
    """The captures of local files and raw-zone folders, read one at a time as they are iterated.

    A raw-zone folder (``OUT/raw`` or any folder inside it, recognised by its log) is replayed: its captures
    keep the source and ``captured_at`` of the run that fetched them, and their location is the URL they were
    fetched from (they are read when this object is made: the raw zone holds a run's network captures). A file
    is read when the iteration reaches it, so a run holds one file's bytes at a time; a file whose bytes were
    already read is reported but not yielded again (it would parse to the same records). Every path found is a
    report, complete once an iteration ends: read, duplicate, or skipped with a reason.
    """

    def __init__(self, paths: list[Path], limits: InputLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self._scan = scan_inputs(paths, limits.max_file_bytes)
        self._damaged: list[Skipped] = []
        replayed: list[Capture] = []
        for day in self._scan.raw_days:
            replay = read_raw_zone(day)
            replayed.extend(replay.captures)
            self._damaged.extend(Skipped(problem.location, problem.reason) for problem in replay.problems)
        self.replayed: list[Capture] = unique_captures(replayed)
        self.reports: list[InputReport] = []

    def __iter__(self) -> Iterator[Capture]:
        reports: list[InputReport] = []
        skipped = [*self._scan.skipped, *self._damaged]
        seen: dict[str, str] = {}

        def first_time(capture: Capture) -> bool:
            sha256 = capture.sha256
            reports.append(InputReport(capture.location, sha256, len(capture.content), seen.get(sha256)))
            if sha256 in seen:
                return False
            seen[sha256] = capture.location
            return True

        for capture in self.replayed:
            if first_time(capture):
                yield capture
        for path in self._scan.files:
            read = _local_capture(path, self.limits.max_file_bytes)
            if isinstance(read, Skipped):
                skipped.append(read)
            elif first_time(read):
                yield read
        self.reports = reports + [InputReport(safe_text(s.path), None, 0, skipped=s.reason) for s in skipped]


def read_local_captures(
    paths: list[Path], limits: InputLimits = DEFAULT_LIMITS
) -> tuple[list[Capture], list[InputReport]]:
    """Every capture of :class:`LocalCaptures` at once, and the reports of every path found."""
    local = LocalCaptures(paths, limits)
    captures = list(local)
    return captures, local.reports


def _local_capture(path: Path, max_bytes: int) -> Capture | Skipped:
    """A local file as a capture (format recognised later from its content; mtime as the capture time), or
    why it could not be read. Never reads more than ``max_bytes + 1`` bytes, never opens a non-regular file."""
    try:
        with open(path, "rb", opener=_open_regular_only) as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                return Skipped(str(path), "not-a-regular-file")
            content = handle.read(max_bytes + 1)
    except OSError as error:
        return Skipped(str(path), "unreadable" if error.errno in {errno.EACCES, errno.EPERM} else "not-found")
    if len(content) > max_bytes:
        return Skipped(str(path), "too-large")
    mtime = datetime.fromtimestamp(info.st_mtime, tz=UTC)
    return Capture(
        source="auto",
        location=safe_text(str(path)),
        content=content,
        captured_at=mtime,
        captured_at_evidence=FILE_MTIME,  # the last resort: nothing else says when the bytes were fetched
    )


def _open_regular_only(path: str, flags: int) -> int:
    """Open without blocking (a FIFO swapped in after the scan must not hang the run)."""
    return os.open(path, flags | os.O_NONBLOCK)
