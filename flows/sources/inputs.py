"""Everything a run reads, as records: local files and folders, and the captures of the network sources.

Local files become captures (``flows/sources/local.py``), network sources are fetched into the raw zone
(``flows/sources/gather.py``); every capture is parsed to records by ``transforms/parse/``, each record dated
(``listed_on`` and its evidence), and arXiv feeds fetched for enrichment fill missing fields of the others.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from itertools import chain
from pathlib import Path

import polars as pl

from flows.sources.gather import every_listing_source_failed, gather
from flows.sources.local import InputReport, LocalCaptures
from flows.sources.settings import ARXIV, SourceSettings
from transforms.parse import DEFAULT_LIMITS, Capture, InputLimits, Parsed, parse_capture, parse_capture_as
from transforms.parse.enrich import enrich_with_arxiv
from transforms.parse.listing import date_listings
from transforms.schema import RECORD_SCHEMA, empty


@dataclass(frozen=True)
class InputRecords:
    """Everything a run read: its records, the inputs they came from, and the sources that failed."""

    records: pl.DataFrame
    inputs: list[InputReport]
    source_failures: list[dict[str, str]]
    every_source_failed: bool = False
    """Listing sources were configured and not one of their targets returned a capture."""


class InputReading:
    """What a run reads, as chunks of records: local files one at a time, then the network sources' captures.

    Network sources are fetched first (into the raw zone, by :func:`flows.sources.gather.gather`), since an
    arXiv enrichment asks for the ids of every listing, local ones included. Local arXiv files are listings
    like any other input; arXiv captures fetched (or replayed) for enrichment only fill missing fields of the
    other records and are not records themselves. Every record is dated (``listed_on`` and its evidence,
    :func:`transforms.parse.listing.date_listings`). ``inputs``, ``source_failures`` and
    ``every_source_failed`` are complete once :meth:`chunks` is exhausted.
    """

    def __init__(
        self,
        paths: list[Path],
        sources: SourceSettings,
        raw_dir: Path,
        run: str,
        limits: InputLimits = DEFAULT_LIMITS,
        mapping: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.paths, self.sources, self.raw_dir, self.run, self.limits = paths, sources, raw_dir, run, limits
        self.mapping = mapping
        self.inputs: list[InputReport] = []
        self.source_failures: list[dict[str, str]] = []
        self.every_source_failed = False

    def chunks(self, rows: int) -> Iterator[pl.DataFrame]:
        """The records, whole captures at a time, in chunks of at least ``rows`` records (the last may be
        smaller; at least one chunk, empty when nothing was read)."""
        local = LocalCaptures(self.paths, self.limits)
        fetched, failures = (
            gather(self.sources, self.raw_dir, run=self.run, local_captures=local)
            if self.sources.fetches_anything
            else ([], [])
        )
        self.source_failures = [asdict(failure) for failure in failures]
        self.every_source_failed = every_listing_source_failed(self.sources, fetched, failures)
        arxiv = self._enrichment([*local.replayed, *fetched])
        pending: list[pl.DataFrame] = []
        held = 0
        yielded = False
        read: dict[str, Parsed] = {}
        for capture in chain(local, fetched):
            if capture.source == ARXIV:
                continue
            parsed = parse_capture_as(capture, self.limits, self.mapping)
            read[capture.sha256] = parsed
            pending.append(parsed.records)
            held += pending[-1].height
            if held >= rows:
                yield _dated(pending, arxiv)
                pending, held, yielded = [], 0, True
        if pending or not yielded:
            yield _dated(pending, arxiv)
        reports = local.reports + [
            InputReport(c.location, c.sha256, len(c.content), source=c.source) for c in fetched
        ]
        self.inputs = [_with_format(report, read) for report in reports]

    def _enrichment(self, captures: list[Capture]) -> pl.DataFrame | None:
        """The arXiv records that fill missing fields of the listings; a broken arXiv capture is a source
        failure."""
        enrichment = [parse_capture(c, self.limits) for c in captures if c.source == ARXIV]
        if not enrichment:
            return None
        arxiv = pl.concat(enrichment)
        broken = arxiv.filter(pl.col("parse_error").is_not_null())
        self.source_failures += [
            {"source": ARXIV, "target": path, "reason": reason}
            for path, reason in broken.select("input_path", "parse_error").iter_rows()
        ]
        return arxiv.filter(pl.col("parse_error").is_null())


def _with_format(report: InputReport, read: dict[str, Parsed]) -> InputReport:
    """The report of an input parsed in this run with its format and, for the generic reader, its mapping."""
    parsed = read.get(report.sha256 or "") if report.duplicate_of is None else None
    return report if parsed is None else replace(report, format=parsed.format, mapping=parsed.mapping)


def _dated(listings: list[pl.DataFrame], arxiv: pl.DataFrame | None) -> pl.DataFrame:
    records = (pl.concat(listings) if listings else empty(RECORD_SCHEMA)).lazy().pipe(date_listings)
    return (enrich_with_arxiv(records, arxiv) if arxiv is not None else records).collect()


def read_inputs(
    paths: list[Path],
    sources: SourceSettings,
    raw_dir: Path,
    run: str,
    limits: InputLimits = DEFAULT_LIMITS,
    mapping: Mapping[str, Sequence[str]] | None = None,
) -> InputRecords:
    """Every record of :class:`InputReading` at once (one chunk)."""
    reading = InputReading(paths, sources, raw_dir, run, limits, mapping)
    (records,) = reading.chunks(rows=sys.maxsize)
    return InputRecords(records, reading.inputs, reading.source_failures, reading.every_source_failed)
