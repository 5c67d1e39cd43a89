"""Everything a run reads, as records: local files and folders, and the captures of the network sources.

Local files become captures (``flows/sources/local.py``), network sources are fetched into the raw zone
(``flows/sources/gather.py``); every capture is parsed to records by ``transforms/parse/``, each record dated
(``listed_on`` and its evidence), and arXiv feeds fetched for enrichment fill missing fields of the others.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from flows.sources.gather import every_listing_source_failed, gather
from flows.sources.local import InputReport, read_local_captures
from flows.sources.settings import ARXIV, SourceSettings
from transforms.parse import DEFAULT_LIMITS, InputLimits, parse_capture
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


def read_inputs(
    paths: list[Path],
    sources: SourceSettings,
    raw_dir: Path,
    run: str,
    limits: InputLimits = DEFAULT_LIMITS,
) -> InputRecords:
    """Local files and fetched responses, parsed to records; arXiv feeds fetched for enrichment are joined in.

    Fetched responses are stored in the raw zone (``raw_dir``) by :func:`flows.sources.gather.gather`. Local arXiv
    files are listings like any other input; arXiv captures fetched (or replayed) for enrichment only fill
    missing fields of the other records and are not records themselves. Every record is dated
    (``listed_on`` and its evidence, :func:`transforms.parse.listing.date_listings`).
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
