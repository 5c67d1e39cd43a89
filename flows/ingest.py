"""Reading local inputs: files or folders become captures (bytes kept verbatim, sha256-identified)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from flows.raw_zone import LOG_NAME, is_raw_zone, read_raw_zone
from flows.sources import ARXIV, SourceSettings, every_listing_source_failed, gather
from transforms.enrich import enrich_with_arxiv
from transforms.parse import Capture, parse_capture
from transforms.schema import RECORD_SCHEMA, empty

BUNDLED_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "trending-papers-page.txt"
"""The default input: a text copy of the trending-papers page this product was specified from."""

IGNORED_NAMES = {"PROVENANCE.txt", "README.md", "LICENSE", LOG_NAME}
"""Documentation and logs that sit beside captures in data folders: never an input."""

SIDECAR_SUFFIX = ".meta.json"
"""``x.meta.json`` beside ``x.<ext>`` describes that capture (URL, HTTP status): metadata, not an input."""


@dataclass(frozen=True)
class InputReport:
    """One input (local file or fetched response) as the manifest lists it."""

    path: str
    sha256: str
    bytes: int
    duplicate_of: str | None = None
    source: str = "auto"


@dataclass(frozen=True)
class InputRecords:
    """Everything a run read: its records, the inputs they came from, and the sources that failed."""

    records: pl.DataFrame
    inputs: list[InputReport]
    source_failures: list[dict[str, str]]
    every_source_failed: bool = False
    """Listing sources were configured and not one of their targets returned a capture."""


def read_inputs(paths: list[Path], sources: SourceSettings, raw_dir: Path, run: str) -> InputRecords:
    """Local files and fetched responses, parsed to records; arXiv feeds fetched for enrichment are joined in.

    Fetched responses are stored in the raw zone (``raw_dir``) by :func:`flows.sources.gather`. Local arXiv
    files are listings like any other input; arXiv captures fetched (or replayed) for enrichment only fill
    missing fields of the other records and are not records themselves.
    """
    local, reports = read_local_captures(paths)
    fetched, failures = (
        gather(sources, raw_dir, run=run, local_captures=local) if sources.fetches_anything else ([], [])
    )
    reports += [InputReport(c.location, c.sha256, len(c.content), source=c.source) for c in fetched]
    captures = [*local, *fetched]
    listings = [parse_capture(c) for c in captures if c.source != ARXIV]
    records = pl.concat(listings) if listings else empty(RECORD_SCHEMA)
    source_failures = [asdict(failure) for failure in failures]
    enrichment = [parse_capture(c) for c in captures if c.source == ARXIV]
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


def expand_inputs(paths: list[Path]) -> list[Path]:
    """Files as given; folders walked recursively in sorted order; hidden files and docs skipped."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.name not in IGNORED_NAMES
                    and not _is_sidecar(p)
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"input not found: {path}")
    return files


def read_local_captures(paths: list[Path]) -> tuple[list[Capture], list[InputReport]]:
    """Captures for local files; a file whose bytes were already read is reported but parsed once.

    A folder that is (or lies inside) a raw zone (``OUT/raw``) is replayed: its captures keep the source and
    ``captured_at`` of the run that fetched them, and their location is the URL they were fetched from.
    """
    captures: list[Capture] = []
    reports: list[InputReport] = []
    seen: dict[str, str] = {}
    raw_zones = [path for path in paths if is_raw_zone(path)]
    local = expand_inputs([path for path in paths if path not in raw_zones])
    replayed = [capture for zone in raw_zones for capture in read_raw_zone(zone)]
    read = [(capture.location, capture) for capture in replayed] + [
        (str(path), _local_capture(path)) for path in local
    ]
    for location, capture in read:
        content = capture.content
        reports.append(InputReport(location, capture.sha256, len(content), seen.get(capture.sha256)))
        if capture.sha256 not in seen:
            seen[capture.sha256] = location
            captures.append(capture)
    return captures, reports


def _local_capture(path: Path) -> Capture:
    """A local file as a capture: format recognised later from its content; mtime as the capture time."""
    mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return Capture(source="auto", location=str(path), content=path.read_bytes(), captured_at=mtime)


def _is_sidecar(path: Path) -> bool:
    if not path.name.endswith(SIDECAR_SUFFIX):
        return False
    stem = path.name[: -len(SIDECAR_SUFFIX)]
    return any(sibling != path and sibling.name.startswith(f"{stem}.") for sibling in path.parent.iterdir())
