"""Per-stage wall time and peak RSS of the curation pipeline on a corpus from ``bench/corpus.py``.

    .venv/bin/python bench/corpus.py --records 100000 --out /tmp/corpus-100k
    .venv/bin/python bench/stages.py /tmp/corpus-100k [--history /tmp/corpus-1m] [--floor] [--repeat 3]

Each repetition is a fresh process that runs the flow's stages in order (the task functions of
``flows/run/flow.py``, without Prefect's orchestration, which adds a constant few seconds) into a temporary output
folder and prints one JSON line: per stage its wall seconds and the process's peak RSS during it (this process
plus its children, sampled every 20 ms). ``--floor`` also times a plain polars read of the same JSON files and
a Parquet write of what was read: the yardstick of the "≤ 10× the floor" target. ``--history DIR`` first
publishes DIR's corpus (once, not timed) and then times a run of the given corpus on top of it: the daily case.
The parent prints the medians as a Markdown row.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
STAGES = ("ingest", "clean", "language", "dedup", "derive", "validate", "publish")


def _rss_bytes(pid: int) -> int:
    return _memory(pid)[1]


def _memory(pid: int) -> tuple[int, int]:
    """(VmSize, VmRSS) of a process in bytes; (0, 0) when it is gone."""
    size = rss = 0
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmSize:"):
                    size = int(line.split()[1]) * 1024
                elif line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return size, rss


def _exe(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


def tree_rss(pid: int) -> int:
    """RSS of the process plus its descendants, not counting a child that has not exec'd yet.

    ``subprocess`` starts a program by vfork (or fork) and exec: until the exec, the child runs the parent's
    program in the parent's pages (same executable, same VmSize) and reports their RSS as its own, so summing
    both counted memory the machine held once twice (a 7.8 GB "peak" of a 3.9 GB process, caught while
    ``git`` was being started for the manifest's code version). A spawned Python worker has exec'd a fresh
    interpreter: same executable, its own VmSize, counted.
    """
    own, own_exe = _memory(pid), _exe(pid)
    total = own[1]
    for child in _children(pid):
        before = _exe(child)  # read around the sizes: the exec can fall between the reads
        size, rss = _memory(child)
        if not (size == own[0] and own_exe in (before, _exe(child))):
            total += rss
    return total


def _children(pid: int) -> list[int]:
    """Descendants of ``pid``: the children of every thread (a child started from a worker thread is listed
    under that thread's task, not the main thread's), then theirs."""
    direct: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children") as handle:
                direct += [int(child) for child in handle.read().split()]
        except OSError:
            continue
    return direct + [grandchild for child in direct for grandchild in _children(child)]


class PeakRss:
    """Samples the RSS of this process and its descendants; ``peak`` since the last ``reset``."""

    def __init__(self, interval: float = 0.02) -> None:
        self.peak = 0
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        pid = os.getpid()
        while not self._stop.is_set():
            total = tree_rss(pid)
            self.peak = max(self.peak, total)
            time.sleep(self._interval)

    def reset(self) -> None:
        self.peak = _rss_bytes(os.getpid())

    def stop(self) -> None:
        self._stop.set()


@contextmanager
def measured(name: str, results: dict[str, Any], sampler: PeakRss) -> Iterator[None]:
    sampler.reset()
    started = time.perf_counter()
    yield
    time.sleep(sampler._interval * 2)
    results[name] = {
        "seconds": round(time.perf_counter() - started, 2),
        "peak_mb": round(sampler.peak / 2**20),
    }


def run_child(corpus: Path, history: Path | None, floor: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        from flows.runtime.prefect import configure_prefect

        configure_prefect(Path(scratch) / ".prefect")
        from bench.pipeline import stage_tasks

        stages = stage_tasks()
        from flows.run.config import RunConfig

        out = Path(scratch) / "out"
        results: dict[str, Any] = {"corpus": str(corpus)}
        sampler = PeakRss()
        days = sorted((corpus / "days").glob("*.json"))
        if floor:
            with measured("floor", results, sampler):
                read_and_write(days, Path(scratch) / "floor.parquet")
        if history is not None:
            _run_stages(
                stages, RunConfig(inputs=[history / "days"], out_dir=out), {}, sampler, measured_=False
            )
            results["history_bytes"] = tree_bytes(out / "trending-papers")
        before = tree_bytes(out / "trending-papers") if history is not None else 0
        started = time.perf_counter()
        summary = _run_stages(stages, RunConfig(inputs=[corpus / "days"], out_dir=out), results, sampler)
        results["total_seconds"] = round(time.perf_counter() - started, 2)
        results["peak_mb"] = max(value["peak_mb"] for name, value in results.items() if name in STAGES)
        results["counts"] = {
            k: summary.counts[k]
            for k in ("records", "published", "merged", "quarantined")
            if k in summary.counts
        }
        results["version_bytes"] = tree_bytes(summary.path) if summary.path else 0
        results["new_bytes"] = tree_bytes(out / "trending-papers") - before
        sampler.stop()
        return results


def _run_stages(
    stages: Any, config: Any, results: dict[str, Any], sampler: PeakRss, measured_: bool = True
) -> Any:
    def step(name: str, call: Callable[[], Any]) -> Any:
        if not measured_:
            return call()
        with measured(name, results, sampler):
            value = call()
        return value

    from flows.run.stages import in_run_order
    from flows.run.version import in_ranges
    from tests.support.inline_runner import stage_context

    with stage_context(config) as (work, runner):
        ingested = step("ingest", lambda: stages.ingest.fn(config, work))
        cleaned = step("clean", lambda: stages.clean(ingested.records, config, work, runner))
        detected = step(
            "language",
            lambda: in_run_order(stages.language(cleaned, ingested.previous, config, work, runner)),
        )
        deduplicated, ranges = step(
            "dedup",
            lambda: in_ranges(
                stages.dedup.fn(detected, ingested.previous, config), work, config.chunk_records
            ),
        )
        detected = None  # release the frame before the next stage
        derived = step("derive", lambda: stages.derive(ranges, config, work, runner))
        validated = step(
            "validate",
            lambda: stages.validate.fn(deduplicated, derived, ingested.previous, config, work),
        )
        return step("publish", lambda: stages.publish.fn(ingested, validated, config))


def read_and_write(days: list[Path], target: Path) -> None:
    """The floor: a plain polars read of the corpus's JSON files and a Parquet write of what was read."""
    import polars as pl

    frame = pl.concat([pl.read_json(day, infer_schema_length=None) for day in days], how="diagonal_relaxed")
    frame.write_parquet(target)


def tree_bytes(path: Path) -> int:
    """Bytes on disk under ``path``, counting a hard-linked file once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for file in path.rglob("*") if path.exists() else []:
        if file.is_file() and not file.is_symlink():
            stat = file.stat()
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_size
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--history", type=Path)
    parser.add_argument("--floor", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.corpus, args.history, args.floor)))
        return
    runs = []
    for _ in range(args.repeat):
        command = [sys.executable, __file__, str(args.corpus), "--child"]
        command += ["--history", str(args.history)] if args.history else []
        command += ["--floor"] if args.floor else []
        done = subprocess.run(
            command,
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1]), flush=True)
    names = [name for name in ("floor", *STAGES) if name in runs[0]]
    median = {name: statistics.median(run[name]["seconds"] for run in runs) for name in names}
    peak = {name: statistics.median(run[name]["peak_mb"] for run in runs) for name in names}
    print("| " + " | ".join(["total s", "peak MB", *names]) + " |")
    print(
        "| "
        + " | ".join(
            [
                f"{statistics.median(run['total_seconds'] for run in runs):.1f}",
                f"{statistics.median(run['peak_mb'] for run in runs):.0f}",
                *[f"{median[name]:.1f} s / {peak[name]:.0f} MB" for name in names],
            ]
        )
        + " |"
    )


if __name__ == "__main__":
    main()
