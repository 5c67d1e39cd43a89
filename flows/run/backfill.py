"""``papers backfill FROM TO``: fetch Daily Papers day by day into the raw zone, then publish per chunk of days.

Resumable at both ends:

* **Fetching.** A day already complete in the raw zone (:class:`flows.sources.replay.RawIndex`) is not
  fetched again; the other days are fetched one by one with the run's one polite client (robots.txt, per-host
  pacing, retries with backoff, ``Retry-After``), so an interrupted backfill loses at most the day it was on.
* **Publishing.** Each version's manifest lists the Daily Papers days its history has read
  (``listing_days``). Days already listed by the version ``latest`` points at are not published again; the
  others are published in chunks of consecutive days (``chunk_days``, default 7; 0 = one version), each chunk
  one ordinary curation run that replays its days from the raw zone (``SourceSettings.reuse_raw``).

Why chunks: a chunk is the unit of work lost to an interruption or a bad day, and each chunk is a complete,
validated version analysts can already use, while a year of days still makes ~50 versions, not 365. After a
rollback, the days of the versions rolled back from are no longer in ``latest``'s history, so a backfill
publishes them again on top of the rolled-back version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flows.errors import UsageError
from flows.net.client import PoliteClient
from flows.run.config import RunConfig
from flows.run.flow import run_curation
from flows.sources.adapters import fetch_hf_daily_captures, fetch_hf_page_captures, utc_now
from flows.sources.gather import SourceFailure, failure_reason, load_credentials
from flows.sources.replay import RawIndex
from flows.sources.settings import HF_DAILY, HF_PAGE, SourceSettings
from flows.store.catalog import Catalog
from flows.store.layout import raw_root
from flows.store.lock import output_lock
from flows.store.raw_zone import RawZone

DEFAULT_CHUNK_DAYS = 7


@dataclass
class BackfillResult:
    days: list[date]
    in_raw_zone: list[date] = field(default_factory=list)
    """Days complete in the raw zone before this backfill: not fetched."""
    fetched: list[date] = field(default_factory=list)
    failures: list[SourceFailure] = field(default_factory=list)
    already_published: list[date] = field(default_factory=list)
    """Days already in the history of the version ``latest`` pointed at: not published again."""
    versions: list[str] = field(default_factory=list)
    chunks: list[dict[str, Any]] = field(default_factory=list)
    """Per chunk run: ``days`` (first..last), ``version`` (None when nothing was published) and counts."""

    @property
    def complete(self) -> bool:
        """Every requested day is now in the latest version's history."""
        return not self.failures and all(chunk["version"] for chunk in self.chunks)


def backfill(
    days: list[date],
    config: RunConfig,
    *,
    chunk_days: int = DEFAULT_CHUNK_DAYS,
    pages: bool = False,
    progress: Any = None,
    client: PoliteClient | None = None,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
) -> BackfillResult:
    """Fetch the days missing from the raw zone, then publish the days missing from ``latest``'s history.

    ``progress`` is a ``rich.progress.Progress`` (or None); ``on_chunk`` is called after each chunk run. The
    output lock is held from the first fetch to the last chunk, so no other run writes the raw zone or
    publishes between this backfill's chunks (:class:`~flows.errors.OutputLocked` when one holds it).
    """
    if chunk_days < 0:
        raise UsageError(f"--chunk-days must be 0 or more, got {chunk_days}")
    with output_lock(config.out_dir):
        return _backfill(days, config, chunk_days, pages, progress, client, on_chunk)


def _backfill(
    days: list[date],
    config: RunConfig,
    chunk_days: int,
    pages: bool,
    progress: Any,
    client: PoliteClient | None,
    on_chunk: Callable[[dict[str, Any]], None] | None,
) -> BackfillResult:
    settings = config.sources
    raw_dir = raw_root(config.out_dir)
    result = BackfillResult(days=days)
    index = RawIndex.load(raw_dir)
    pending = [day for day in days if not _complete(index, day, settings, pages)]
    result.in_raw_zone = [day for day in days if day not in pending]
    _fetch(pending, settings, raw_dir, index, pages, result, progress, client, len(days))

    index = RawIndex.load(raw_dir)
    ready = [day for day in days if _complete(index, day, settings, pages)]
    published = set(Catalog(config.out_dir).listing_days())
    result.already_published = [day for day in ready if day.isoformat() in published]
    todo = [day for day in ready if day.isoformat() not in published]
    chunks = consecutive_chunks(todo, chunk_days)
    task = progress.add_task("publish", total=len(chunks)) if progress is not None and chunks else None
    for chunk in chunks:
        summary = run_curation(_chunk_config(config, chunk, pages))
        record = {
            "days": f"{chunk[0]}..{chunk[-1]}",
            "version": summary.version,
            "counts": summary.counts,
            "source_failures": summary.source_failures,
        }
        result.chunks.append(record)
        if summary.version:
            result.versions.append(summary.version)
        if on_chunk:
            on_chunk(record)
        if task is not None:
            progress.advance(task)
    return result


def consecutive_chunks(days: list[date], size: int) -> list[list[date]]:
    """Runs of consecutive days (a gap starts a new chunk), each at most ``size`` days (0: no limit)."""
    chunks: list[list[date]] = []
    for day in sorted(days):
        last = chunks[-1] if chunks else None
        if last and (day - last[-1]).days == 1 and (size == 0 or len(last) < size):
            last.append(day)
        else:
            chunks.append([day])
    return chunks


def date_page_url(settings: SourceSettings, day: date) -> str:
    return f"{settings.hf_base_url.rstrip('/')}/papers/date/{day.isoformat()}"


def _complete(index: RawIndex, day: date, settings: SourceSettings, pages: bool) -> bool:
    if index.day_captures(day, settings.hf_max_pages) is None:
        return False
    return not pages or index.page_capture(date_page_url(settings, day)) is not None


def _fetch(
    pending: list[date],
    settings: SourceSettings,
    raw_dir: Path,
    index: RawIndex,
    pages: bool,
    result: BackfillResult,
    progress: Any,
    client: PoliteClient | None,
    total: int,
) -> None:
    """Fetch each pending day (its API pages, then its date page) politely; a failed day is recorded."""
    task = progress.add_task("fetch", total=total, completed=total - len(pending)) if progress else None
    if not pending:
        return
    zone = RawZone(raw_dir, run=f"backfill-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S.%fZ')}")
    http = client or PoliteClient(settings.http_config(load_credentials(settings.credentials_block)))
    try:
        for day in pending:
            source, target = HF_DAILY, day.isoformat()
            try:
                if index.day_captures(day, settings.hf_max_pages) is None:
                    fetch_hf_daily_captures(settings, day, http, zone, utc_now)
                url = date_page_url(settings, day)
                if pages and index.page_capture(url) is None:
                    source, target = HF_PAGE, url
                    fetch_hf_page_captures(settings, url, http, zone, utc_now)
                result.fetched.append(day)
            except Exception as error:  # one bad day must not stop the others
                result.failures.append(SourceFailure(source, target, failure_reason(error)))
            if task is not None:
                progress.advance(task)
    finally:
        if client is None:
            http.close()


def _chunk_config(config: RunConfig, chunk: list[date], pages: bool) -> RunConfig:
    """One curation run over ``chunk``, replayed from the raw zone (nothing is fetched but arXiv)."""
    settings = config.sources
    sources = SourceSettings.model_validate(
        settings.model_dump()
        | {
            "hf_daily": f"{chunk[0].isoformat()}..{chunk[-1].isoformat()}",
            "hf_pages": [date_page_url(settings, day) for day in chunk] if pages else [],
            "reuse_raw": True,
        }
    )
    return RunConfig.model_validate(config.model_dump() | {"inputs": [], "sources": sources})
