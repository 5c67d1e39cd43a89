"""Replaying the raw zone: the captures a run parsed, and what it already holds by fetch target.

:func:`read_raw_zone` rebuilds the captures of a run (or of every run) from the zone alone, with their
original source and capture time, so a replay parses exactly what the run parsed. :class:`RawIndex` tells, by
fetch target, what the zone already holds: whole Daily Papers days and captured pages. A backfill resumes from
this: a day whose every page is in the raw zone is replayed from it, never fetched
again. A day counts as complete when one run captured pages ``p=0..k`` with HTTP 200 and the last one ended
the listing the way :func:`flows.sources.adapters.fetch_hf_daily_captures` stops: a page shorter than its ``limit``, a
page repeating the one before, or the page cap. A day cut short (an interrupted run, a failed page) is not
complete, and is fetched again from its first page.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flows.sources.settings import HF_DAILY, HF_PAGE
from flows.store.raw_zone import CAPTURE, LOG_NAME, LogProblem, RawEntry, read_entries, read_log
from transforms.parse import Capture
from transforms.parse.hf_daily import daily_items
from transforms.parse.listing import RAW_ZONE
from transforms.parse.values import load_json


@dataclass(frozen=True)
class Replay:
    """The captures a raw zone replays, and the log lines and bodies it left out, each with its reason."""

    captures: list[Capture]
    problems: list[LogProblem]


def read_raw_zone(root: Path, run: str | None = None) -> Replay:
    """The captures a run parsed, rebuilt from the raw zone alone (no network), in canonical order.

    ``root`` may be the zone (``OUT/raw``) or any folder inside it; ``run`` restricts to one run's captures.
    The same bytes from the same source are one capture (the earliest). A log line that is not one, or a capture
    whose body is missing or no longer has its sha256, is left out alone (:class:`Replay` says why); the other
    captures are replayed.
    """
    entries, problems = read_log(root)
    zone_root = _zone_root(root, entries)
    captures: list[Capture] = []
    for entry in entries:
        if entry.kind != CAPTURE or (run is not None and entry.run != run):
            continue
        body = zone_root / entry.file
        try:
            content = body.read_bytes()
        except OSError:
            problems.append(LogProblem(str(body), "raw-zone-body-missing"))
            continue
        if hashlib.sha256(content).hexdigest() != entry.sha256:
            problems.append(LogProblem(str(body), "raw-zone-body-changed"))
            continue
        captured_at = datetime.fromisoformat(entry.captured_at)
        captures.append(Capture(entry.source, entry.url, content, captured_at, RAW_ZONE))
    return Replay(unique_captures(captures), problems)


def unique_captures(captures: Iterable[Capture]) -> list[Capture]:
    """One capture per (source, sha256), the earliest, in canonical order: the same bytes parse to the same
    records (record ids derive from the sha256), so parsing them twice would only fake duplicates."""
    earliest: dict[tuple[str, str], Capture] = {}
    for capture in sorted(captures, key=capture_order):
        earliest.setdefault((capture.source, capture.sha256), capture)
    return sorted(earliest.values(), key=capture_order)


def capture_order(capture: Capture) -> tuple[datetime, str, str, str]:
    """The canonical order of captures, shared by live runs and replays so both parse in the same order."""
    return (capture.captured_at, capture.source, capture.location, capture.sha256)


def _zone_root(path: Path, entries: list[RawEntry]) -> Path:
    """The zone root for a folder inside it: log ``file`` paths are ``<source>/<day>/<name>`` (checked when the
    line was read), so the root is two folders above the day folder of a log."""
    log = next(path.rglob(LOG_NAME), None)
    if log is None or not entries:
        return path
    return log.parents[2] if len(log.parents) > 2 else path


@dataclass
class RawIndex:
    """The raw zone's captures of ``hf-daily`` days and ``hf-page`` URLs, read once from its logs."""

    root: Path
    days: dict[date, dict[str | None, list[RawEntry]]] = field(default_factory=dict)
    """Per listing day, per run: that run's HTTP 200 captures of the day's API pages."""
    pages: dict[str, list[RawEntry]] = field(default_factory=dict)
    """Per page URL: its HTTP 200 captures, oldest first."""

    @classmethod
    def load(cls, root: Path) -> RawIndex:
        """Index ``root`` (``OUT/raw``); an absent zone is an empty index."""
        index = cls(root)
        days: dict[date, dict[str | None, list[RawEntry]]] = defaultdict(lambda: defaultdict(list))
        pages: dict[str, list[RawEntry]] = defaultdict(list)
        for source in (HF_DAILY, HF_PAGE):
            folder = root / source
            if not folder.is_dir():
                continue
            for entry in read_entries(folder):
                if entry.kind != CAPTURE or entry.status != 200:
                    continue
                if source == HF_DAILY:
                    day = _query_date(entry.url)
                    if day is not None:
                        days[day][entry.run].append(entry)
                else:
                    pages[entry.url].append(entry)
        index.days = {day: dict(runs) for day, runs in days.items()}
        index.pages = dict(pages)
        return index

    def day_captures(self, day: date, max_pages: int) -> list[Capture] | None:
        """The captures of the latest run that fetched ``day`` completely, or None when no run did."""
        complete = [
            entries
            for entries in self.days.get(day, {}).values()
            if self._complete(entries, max_pages) is not None
        ]
        if not complete:
            return None
        latest = max(complete, key=lambda entries: max(e.captured_at for e in entries))
        return unique_captures(self._capture(entry) for entry in self._complete(latest, max_pages) or [])

    def page_capture(self, url: str) -> Capture | None:
        """The latest capture of a page URL, or None when it was never captured."""
        entries = self.pages.get(url)
        return self._capture(max(entries, key=lambda e: e.captured_at)) if entries else None

    def complete_days(self, days: list[date], max_pages: int) -> set[date]:
        return {day for day in days if self.day_captures(day, max_pages) is not None}

    def _complete(self, entries: list[RawEntry], max_pages: int) -> list[RawEntry] | None:
        """Pages ``0..k`` of one run (the latest capture of each) when they end the listing, else None."""
        by_page: dict[int, RawEntry] = {}
        for entry in sorted(entries, key=lambda e: e.captured_at):
            page = _query_int(entry.url, "p", 0)
            by_page[page] = entry
        chain: list[RawEntry] = []
        for page in range(max_pages):
            latest = by_page.get(page)
            if latest is None:
                return None
            if chain and latest.sha256 == chain[-1].sha256:
                return chain
            chain.append(latest)
            if self._item_count(latest) < _query_int(latest.url, "limit", 100):
                return chain
        return chain

    def _item_count(self, entry: RawEntry) -> int:
        try:
            return len(daily_items(load_json(self._body(entry))))
        except ValueError:
            return 0

    def _body(self, entry: RawEntry) -> bytes:
        content = (self.root / entry.file).read_bytes()
        if hashlib.sha256(content).hexdigest() != entry.sha256:
            raise ValueError(f"raw file {entry.file} does not match its sha256")
        return content

    def _capture(self, entry: RawEntry) -> Capture:
        captured_at = datetime.fromisoformat(entry.captured_at)
        return Capture(entry.source, entry.url, self._body(entry), captured_at, RAW_ZONE)


def _query_date(url: str) -> date | None:
    values = parse_qs(urlsplit(url).query).get("date")
    try:
        return date.fromisoformat(values[-1]) if values else None
    except ValueError:
        return None


def _query_int(url: str, name: str, default: int) -> int:
    values = parse_qs(urlsplit(url).query).get(name)
    try:
        return int(values[-1]) if values else default
    except ValueError:
        return default
