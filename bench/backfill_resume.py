"""Backfill of real Daily Papers days against the loopback capture server: first run, then resumed runs.

Serves ``DAYS`` consecutive files of ``../shared/data/hf-daily-api`` as ``/api/daily_papers?date=D`` (page 0;
page 1 answers ``[]``) on 127.0.0.1, then:

1. ``first``: an empty output folder, the whole range (fetch + publish per chunk);
2. ``interrupted``: a fresh folder, stopped (KeyboardInterrupt) after half the days were fetched;
3. ``resumed``: the same command on that folder (fetches only the rest, publishes everything);
4. ``again``: the same command once more (nothing to fetch, nothing to publish).

For each: requests seen by the server (API and robots.txt), and wall time split into fetching and publishing.
Politeness is the default (1 s between requests to a host), as a real backfill would be paced.

    .venv/bin/python bench/backfill_resume.py --shared ../shared [--days 20] [--chunk-days 7]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.runtime.prefect import configure_prefect  # noqa: E402

configure_prefect(Path(tempfile.mkdtemp(prefix="bench-prefect-")))

from flows.run.backfill import backfill  # noqa: E402
from flows.run.config import RunConfig  # noqa: E402
from flows.sources.settings import SourceSettings  # noqa: E402
from tests.support.capture_server import Reply, serving  # noqa: E402


class StopAfter:
    def __init__(self, n: int) -> None:
        self.left = n

    def add_task(self, *_: object, **__: object) -> int:
        return 0

    def advance(self, *_: object) -> None:
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt


class Timed:
    """Progress stand-in that records when the fetch phase ended (the publish task is added then)."""

    def __init__(self) -> None:
        self.fetch_done: float | None = None

    def add_task(self, name: str, **_: object) -> str:
        if name == "publish":
            self.fetch_done = time.perf_counter()
        return name

    def advance(self, *_: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--chunk-days", type=int, default=7)
    parser.add_argument("--start", default="2024-06-03")
    args = parser.parse_args()
    folder = args.shared / "data" / "hf-daily-api"
    files = sorted(p for p in folder.glob("*.json") if p.stem >= args.start)[: args.days]
    days = [date.fromisoformat(p.stem) for p in files]
    work = Path(tempfile.mkdtemp(prefix="bench-backfill-"))
    with serving() as server:
        for path, day in zip(files, days, strict=True):
            server.route("/api/daily_papers", Reply(200, path.read_bytes()), date=day.isoformat(), p="0")
            server.route("/api/daily_papers", Reply(200, b"[]"), date=day.isoformat(), p="1")
        sources = SourceSettings(hf_base_url=server.base_url)

        def run(name: str, out: Path, progress: object = None) -> None:
            server.requests.clear()
            timer = progress or Timed()
            start = time.perf_counter()
            try:
                result = backfill(
                    days,
                    RunConfig(inputs=[], sources=sources, out_dir=out),
                    chunk_days=args.chunk_days,
                    progress=timer,
                )
                outcome = (
                    f"{len(result.fetched)} fetched, {len(result.in_raw_zone)} in raw zone, "
                    f"{len(result.versions)} versions"
                )
            except KeyboardInterrupt:
                outcome = "interrupted"
            total = time.perf_counter() - start
            fetch = ((timer.fetch_done or time.perf_counter()) - start) if isinstance(timer, Timed) else total
            api = sum(1 for s in server.requests if s.path == "/api/daily_papers")
            robots = sum(1 for s in server.requests if s.path == "/robots.txt")
            print(
                f"| {name} | {api} | {robots} | {fetch:.1f} | {total - fetch:.1f} | {total:.1f} | {outcome} |",
                flush=True,
            )

        print(
            f"{len(days)} days {days[0]}..{days[-1]}, chunk {args.chunk_days}, Python {sys.version.split()[0]}"
        )
        print("| run | API requests | robots.txt | fetch s | publish s | total s | outcome |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        run("first", work / "a")
        run("interrupted after half", work / "b", StopAfter(len(days) // 2))
        run("resumed", work / "b")
        run("again", work / "b")
        run("again (first folder)", work / "a")


if __name__ == "__main__":
    main()
