"""A small multi-day dataset for the analysts' tests: two curation runs, so two published versions.

Real captures, copied into a temporary folder with each file's modification time set to the day it lists
(as a daily capture job would have written them; a local file's capture time is its mtime):

1. ``hf-daily-api`` 2024-06-03..07: one week of Daily Papers.
2. A week later: ``hf-daily-api`` 2024-06-10..14 (the next week); ``hf-scraped-2024`` 2024-06-03..05, another
   scraper's later capture of the first week's papers with other upvote counts; the arXiv API feed of the
   query "testing" (100 papers, many with venue comments: main tracks and workshops); the bundled sample page;
   and two inputs that are quarantined (an arXiv error feed, a papers page without papers).

The ``../shared`` captures (``$PAPERS_SHARED``) are read at test time, never committed.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flows.run.config import RunConfig
from flows.run.flow import curate
from flows.run.results import RunSummary
from flows.sources.local import BUNDLED_SAMPLE
from flows.store.layout import dataset_root

TESTS = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PAPERS_SHARED", TESTS.parent.parent / "shared")) / "data"


@dataclass(frozen=True)
class MultiDayDataset:
    out_dir: Path
    runs: list[RunSummary]

    @property
    def latest(self) -> Path:
        return dataset_root(self.out_dir) / "latest"


def _days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]


def _copy_dated(source: Path, folder: Path, day: date, hour: int = 12) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{source.parent.name}-{source.name}"
    shutil.copyfile(source, target)
    stamp = datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp()
    os.utime(target, (stamp, stamp))
    return target


def build(work: Path) -> MultiDayDataset:
    """Run the pipeline three times into ``work/out`` (see the module docstring)."""
    daily, scraped = SHARED_DATA / "hf-daily-api", SHARED_DATA / "hf-scraped-2024"
    if not daily.is_dir() or not scraped.is_dir():
        raise FileNotFoundError(f"the shared captures are missing: {SHARED_DATA} (set PAPERS_SHARED)")
    out = work / "out"
    week1, week2 = _days(date(2024, 6, 3), 5), _days(date(2024, 6, 10), 5)
    end_of_week2 = week2[-1]
    arxiv = SHARED_DATA / "arxiv-api" / "recorded-2026" / "q_testing_s0_m100_cfe7536492ca.xml"
    batches: list[list[Path]] = [
        [_copy_dated(daily / f"{d}.json", work / "run1", d) for d in week1],
        [
            *[_copy_dated(daily / f"{d}.json", work / "run2", d) for d in week2],
            *[_copy_dated(scraped / f"{d}.json", work / "run2", d + timedelta(days=7)) for d in week1[:3]],
            _copy_dated(arxiv, work / "run2", end_of_week2),
            _copy_dated(BUNDLED_SAMPLE, work / "run2", end_of_week2),
            _copy_dated(
                TESTS / "data" / "arxiv" / "recorded-2026-error-400.xml", work / "run2", end_of_week2
            ),
            _copy_dated(TESTS / "data" / "hf-page" / "no-papers.html", work / "run2", end_of_week2),
        ],
    ]
    runs = [curate(RunConfig(inputs=[batch[0].parent], out_dir=out, language_workers=1)) for batch in batches]
    return MultiDayDataset(out_dir=out, runs=runs)
