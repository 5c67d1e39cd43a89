"""Reading local inputs: files or folders become captures (bytes kept verbatim, sha256-identified)."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from flows.input_scan import Skipped, scan_inputs
from flows.raw_zone import read_raw_zone, unique_captures
from flows.sources import ARXIV, SourceSettings, every_listing_source_failed, gather
from transforms.enrich import enrich_with_arxiv
from transforms.listing import FILE_MTIME, date_listings
from transforms.parse import DEFAULT_LIMITS, Capture, InputLimits, parse_capture
from transforms.parse.common import safe_text
from transforms.schema import RECORD_SCHEMA, empty

BUNDLED_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "trending-papers-page.txt"
"""The default input: a text copy of the trending-papers page this product was specified from."""


@dataclass(frozen=True)
class InputReport:
    """One input (local file, fetched response, or a path skipped with a reason) as the manifest lists it."""

    path: str
    sha256: str | None
    bytes: int
    duplicate_of: str | None = None
    source: str = "auto"
    skipped: str | None = None
    """Why the path was not read (see ``flows.input_scan.SKIP_REASONS``); None when it was read."""


@dataclass(frozen=True)
class InputRecords:
    """Everything a run read: its records, the inputs they came from, and the sources that failed."""

    records: pl.DataFrame
    inputs: list[InputReport]
    source_failures: list[dict[str, str]]
    every_source_failed: bool = False
    """Listing sources were configured and not one of their targets returned a capture."""


def read_inputs(
    paths: list[Path],
    sources: SourceSettings,
    raw_dir: Path,
    run: str,
    limits: InputLimits = DEFAULT_LIMITS,
) -> InputRecords:
    """Local files and fetched responses, parsed to records; arXiv feeds fetched for enrichment are joined in.

    Fetched responses are stored in the raw zone (``raw_dir``) by :func:`flows.sources.gather`. Local arXiv
    files are listings like any other input; arXiv captures fetched (or replayed) for enrichment only fill
    missing fields of the other records and are not records themselves. Every record is dated
    (``listed_on`` and its evidence, :func:`transforms.listing.date_listings`).
    """
    local, reports = read_local_captures(paths, limits)
    fetched, failures = (
        gather(sources, raw_dir, run=run, local_captures=local) if sources.fetches_anything else ([], [])
    )
    reports += [InputReport(c.location, c.sha256, len(c.content), source=c.source) for c in fetched]
    captures = [*local, *fetched]
    listings = [parse_capture(c, limits) for c in captures if c.source != ARXIV]
    records = (pl.concat(listings) if listings else empty(RECORD_SCHEMA)).lazy().pipe(date_listings).collect()
    source_failures = [asdict(failure) for failure in failures]
    enrichment = [parse_capture(c, limits) for c in captures if c.source == ARXIV]
    if enrichment:
        arxiv = pl.concat(enrichment)
        broken = arxiv.filter(pl.col("parse_error").is_not_null())
        source_failures += [
            {"source": ARXIV, "target": path, "reason": reason}
            for path, reason in broken.select("input_path", "parse_error").iter_rows()
        ]
        records = enrich_with_arxiv(records.lazy(), arxiv.filter(pl.col("parse_error").is_null())).collect()
    return InputRecords(
        records=records,
        inputs=reports,
        source_failures=source_failures,
        every_source_failed=every_listing_source_failed(sources, fetched, failures),
    )


def expand_inputs(paths: list[Path], limits: InputLimits = DEFAULT_LIMITS) -> list[Path]:
    """The local files a run reads from ``paths`` (raw-zone folders and skipped paths excluded)."""
    return scan_inputs(paths, limits.max_file_bytes).files


def read_local_captures(
    paths: list[Path], limits: InputLimits = DEFAULT_LIMITS
) -> tuple[list[Capture], list[InputReport]]:
    """Captures for local files; a file whose bytes were already read is reported but parsed once.

    A raw-zone folder (``OUT/raw`` or any folder inside it, recognised by its log) is replayed: its captures
    keep the source and ``captured_at`` of the run that fetched them, and their location is the URL they were
    fetched from. Every other path found is a report too: read, duplicate, or skipped with a reason.
    """
    scan = scan_inputs(paths, limits.max_file_bytes)
    skipped = list(scan.skipped)
    replayed: list[Capture] = []
    for day in scan.raw_days:
        try:
            replayed.extend(read_raw_zone(day))
        except (OSError, ValueError, TypeError) as error:
            skipped.append(Skipped(str(day), f"raw-zone-damaged:{type(error).__name__}"))
    read: list[tuple[str, Capture]] = [(capture.location, capture) for capture in unique_captures(replayed)]
    for path in scan.files:
        capture = _local_capture(path, limits.max_file_bytes)
        if isinstance(capture, Skipped):
            skipped.append(capture)
        else:
            read.append((capture.location, capture))
    captures: list[Capture] = []
    reports: list[InputReport] = []
    seen: dict[str, str] = {}
    for location, capture in read:
        content = capture.content
        reports.append(InputReport(location, capture.sha256, len(content), seen.get(capture.sha256)))
        if capture.sha256 not in seen:
            seen[capture.sha256] = location
            captures.append(capture)
    reports += [InputReport(safe_text(s.path), None, 0, skipped=s.reason) for s in skipped]
    return captures, reports


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
