"""``papers backfill FROM TO``: fetch Daily Papers day by day into the raw zone, then publish per chunk of days.

Resumable at both ends:

* **Fetching.** A day already complete in the raw zone (:mod:`flows.raw_index`) is not fetched again; the
  other days are fetched one by one with the run's one polite client (robots.txt, per-host pacing, retries
  with backoff, ``Retry-After``), so an interrupted backfill loses at most the day it was on.
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

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flows.config import RunConfig
from flows.errors import UsageError
from flows.http import PoliteClient
from flows.ownership import OutputLocked, output_lock
from flows.publish import dataset_root
from flows.raw_index import RawIndex
from flows.raw_zone import RawZone
from flows.sources import (
    HF_DAILY,
    HF_PAGE,
    SourceFailure,
    SourceSettings,
    _reason,
    fetch_hf_daily_captures,
    fetch_hf_page_captures,
    parse_days,
)

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


def backfill_days(first: str, last: str, today: date | None = None) -> list[date]:
    """The days ``first..last`` (inclusive); UsageError for malformed, reversed, too long or future ranges."""
    try:
        days = parse_days(f"{first}..{last}")
    except ValueError as error:
        raise UsageError(str(error)) from None
    today = today or datetime.now(UTC).date()
    if days[-1] > today:
        raise UsageError(f"{days[-1]} is after today ({today}, UTC): there is no listing yet")
    return days


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
    publishes between this backfill's chunks (:class:`~flows.ownership.OutputLocked` when one holds it).
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
    raw_dir = config.out_dir / "raw"
    result = BackfillResult(days=days)
    index = RawIndex.load(raw_dir)
    pending = [day for day in days if not _complete(index, day, settings, pages)]
    result.in_raw_zone = [day for day in days if day not in pending]
    _fetch(pending, settings, raw_dir, index, pages, result, progress, client, len(days))

    index = RawIndex.load(raw_dir)
    ready = [day for day in days if _complete(index, day, settings, pages)]
    published = set(_latest_listing_days(config.out_dir))
    result.already_published = [day for day in ready if day.isoformat() in published]
    todo = [day for day in ready if day.isoformat() not in published]
    chunks = consecutive_chunks(todo, chunk_days)
    task = progress.add_task("publish", total=len(chunks)) if progress is not None and chunks else None
    from flows.curate import run_curation

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
    http = client or PoliteClient(settings.http_config())
    try:
        for day in pending:
            source, target = HF_DAILY, day.isoformat()
            try:
                if index.day_captures(day, settings.hf_max_pages) is None:
                    fetch_hf_daily_captures(settings, day, http, zone, _utc_now)
                url = date_page_url(settings, day)
                if pages and index.page_capture(url) is None:
                    source, target = HF_PAGE, url
                    fetch_hf_page_captures(settings, url, http, zone, _utc_now)
                result.fetched.append(day)
            except Exception as error:  # one bad day must not stop the others
                result.failures.append(SourceFailure(source, target, _reason(error)))
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


def _latest_listing_days(out_dir: Path) -> list[str]:
    manifest = dataset_root(out_dir) / "latest" / "manifest.json"
    if not manifest.exists():
        return []
    return json.loads(manifest.read_text("utf-8")).get("listing_days", [])


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --- command line -------------------------------------------------------------------------------------------


def backfill_command(args: argparse.Namespace) -> int:
    from flows.cli import (
        EXIT_CONTRACT_BROKEN,
        EXIT_NOTHING_PUBLISHED,
        EXIT_OUTPUT_LOCKED,
        EXIT_PUBLISHED,
        EXIT_USAGE,
    )

    try:
        days = backfill_days(args.first, args.last)
        if args.chunk_days < 0:
            raise UsageError(f"--chunk-days must be 0 or more, got {args.chunk_days}")
        config = RunConfig(
            out_dir=args.out,
            inputs=[],
            allowed_languages=tuple(c.strip() for c in args.languages.split(",") if c.strip()),
            sources=SourceSettings(arxiv_enrich=args.arxiv_enrich, contact=args.contact),
        )
    except UsageError as error:
        print(f"papers: {error}", file=sys.stderr)
        return EXIT_USAGE
    from flows.prefect_env import configure_prefect

    configure_prefect()
    from expectations.gate import ContractBroken

    def say(chunk: dict[str, Any]) -> None:
        if not args.quiet:
            print(_chunk_line(chunk), file=sys.stderr)

    try:
        with _progress(args.quiet) as progress:
            result = backfill(
                days, config, chunk_days=args.chunk_days, pages=args.pages, progress=progress, on_chunk=say
            )
    except ContractBroken as error:
        print(f"contract broken, nothing more published: {error}", file=sys.stderr)
        return EXIT_CONTRACT_BROKEN
    except OutputLocked as error:
        print(f"papers: {error}; nothing was fetched or published", file=sys.stderr)
        return EXIT_OUTPUT_LOCKED
    except KeyboardInterrupt:
        print("interrupted: fetched days are kept; run the same command to resume", file=sys.stderr)
        return 130
    for failure in result.failures:
        print(f"source failed: {failure.source} {failure.target}: {failure.reason}", file=sys.stderr)
    print(summary_line(result))
    return EXIT_PUBLISHED if result.complete else EXIT_NOTHING_PUBLISHED


def summary_line(result: BackfillResult) -> str:
    days = result.days
    return (
        f"backfill {days[0]}..{days[-1]}: {len(days)} days ({len(result.fetched)} fetched, "
        f"{len(result.in_raw_zone)} already in the raw zone, {len(result.failures)} failed); "
        f"{len(result.versions)} version(s) published, {len(result.already_published)} days already published"
        + (f"; latest {result.versions[-1]}" if result.versions else "")
    )


def _chunk_line(chunk: dict[str, Any]) -> str:
    counts = chunk["counts"]
    if not chunk["version"]:
        return f"  {chunk['days']}: nothing published ({counts['quarantined']} quarantined)"
    return (
        f"  {chunk['days']}: published {chunk['version']} ({counts['new_papers']} new, "
        f"{counts['updated_papers']} updated, {counts['quarantined']} quarantined)"
    )


def _progress(quiet: bool) -> Any:
    """A rich progress bar on stderr; disabled with ``--quiet`` or when stderr is not a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(
        TextColumn("{task.description:<8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
    )
