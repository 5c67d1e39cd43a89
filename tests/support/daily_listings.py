"""Synthetic Daily Papers days for backfill tests: real titles and abstracts from the bundled sample page.

Day ``i`` of a range lists three sample papers of its own plus the last paper of the day before (a paper
listed on two days, as on the real site), with upvotes that grow day by day, so every day's bytes differ.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from flows.sources.local import BUNDLED_SAMPLE
from tests.support.capture_server import CaptureServer, Reply

PAPERS_PER_DAY = 3


def sample_papers() -> list[tuple[str, str]]:
    """(title, abstract) pairs of the bundled page (after its two newsletter lines)."""
    lines = [line for line in BUNDLED_SAMPLE.read_text("utf-8").splitlines() if line.strip()][2:]
    return [(lines[i].removeprefix("Subscribe"), lines[i + 1]) for i in range(0, len(lines) - 1, 2)]


def day_listing(first: date, day: date) -> bytes:
    """The API response for ``day`` of a range starting at ``first``."""
    papers = sample_papers()
    offset = (day - first).days
    numbers = [offset * PAPERS_PER_DAY + k for k in range(PAPERS_PER_DAY)]
    if offset:
        numbers.insert(0, offset * PAPERS_PER_DAY - 1)
    items = []
    for n in numbers:
        title, abstract = papers[n % len(papers)]
        stamp = f"{day.isoformat()}T08:00:00.000Z"
        items.append(
            {
                "paper": {
                    "id": f"2501.{10000 + n}",
                    "title": title,
                    "summary": abstract,
                    "authors": [{"name": "Ada Lovelace"}, {"name": f"Author {n}"}],
                    "publishedAt": "2025-01-01T00:00:00.000Z",
                    "submittedOnDailyAt": stamp,
                    "upvotes": 5 + offset + n % 7,
                },
                "publishedAt": stamp,
                "title": title,
                "summary": abstract,
                "numComments": n % 3,
            }
        )
    return json.dumps(items).encode()


def serve_days(
    server: CaptureServer, first: date, count: int, failing: set[date] = frozenset()
) -> list[date]:
    """Route ``count`` days from ``first`` (a failing day answers 500); returns the days."""
    days = [first + timedelta(days=i) for i in range(count)]
    for day in days:
        if day in failing:
            server.route("/api/daily_papers", Reply(500, b"oops"), date=day.isoformat())
        else:
            server.route("/api/daily_papers", Reply(200, day_listing(first, day)), date=day.isoformat())
    return days


def daily_requests(server: CaptureServer) -> list[str]:
    """The ``date`` of every daily-papers API request the server saw, in order."""
    return [seen.query["date"] for seen in server.requests if seen.path == "/api/daily_papers"]
