"""What a killed ``papers run`` may leave behind, checked from outside (kill tests and bench/kill_trials.py).

After a SIGKILL at any point of a run, the output folder shows only complete versions (every folder under
``OUT/trending-papers/`` but the ``.staging-*`` ones has a manifest whose files all match their sha256 and row
count), ``latest`` is absent or points at such a version, no process of the run is left, and the next run
publishes every paper.

A kill is placed by the run's own progress (:class:`KillPoint`): after the line the run prints when a stage
finishes, or once it has started writing a version (its staging folder exists), never at a fraction of a
measured duration, so a slow or loaded machine moves the kill with the run instead of past its end.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import psutil
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[2]


def papers_run(
    out: Path, *inputs: Path, env: dict[str, str] | None = None, quiet: bool = True
) -> subprocess.Popen[str]:
    """The real command line (``python -m flows.cli run``, as the ``papers`` script) as a subprocess; not
    ``quiet``, it prints a line on stdout as each stage finishes."""
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", *map(str, inputs), "--out", str(out)]
        + (["--quiet"] if quiet else []),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def descendants(pid: int) -> list[psutil.Process]:
    """Every living process below ``pid`` (children, their children, ...)."""
    try:
        return [p for p in psutil.Process(pid).children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE]
    except psutil.NoSuchProcess:
        return []


def kill_and_collect(process: subprocess.Popen[str]) -> list[psutil.Process]:
    """SIGKILL the run (not its children) and reap it; returns the descendants it had just before."""
    below = descendants(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)  # not communicate(): a surviving child would hold the pipes open
    return below


def survivors(processes: list[psutil.Process], within_s: float = 5.0) -> list[str]:
    """Those of ``processes`` still alive after ``within_s`` seconds (a description each)."""
    deadline = time.monotonic() + within_s
    while True:
        alive = [p for p in processes if _alive(p)]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    described = []
    for process in alive:
        try:
            described.append(f"pid {process.pid}: {' '.join(process.cmdline())[:160]}")
        except psutil.Error:
            described.append(f"pid {process.pid}")
    return described


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def version_problems(out: Path) -> list[str]:
    """Why the output folder is not "only complete versions, ``latest`` valid or absent" (empty: it is)."""
    root = out / "trending-papers"
    if not root.exists():
        return []
    problems = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        if folder.name.startswith(".staging-"):
            continue
        problems += [f"{folder.name}: {problem}" for problem in _incomplete(folder)]
    latest = root / "latest"
    if latest.is_symlink():
        target = latest.resolve()
        if not target.is_dir() or target.parent != root.resolve() or target.name.startswith("."):
            problems.append(f"latest -> {os.readlink(latest)}: not a version folder")
    elif latest.exists():
        problems.append("latest is not a symlink")
    return problems


def _incomplete(folder: Path) -> list[str]:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"no readable manifest ({error})"]
    problems = []
    if not manifest.get("files"):
        problems.append("manifest lists no files")
    for entry in manifest.get("files", []):
        path = folder / entry["path"]
        if not path.is_file():
            problems.append(f"{entry['path']} missing")
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            problems.append(f"{entry['path']} sha256 differs")
        if "rows" in entry and pq.ParquetFile(path).metadata.num_rows != entry["rows"]:
            problems.append(f"{entry['path']} rows differ")
    return problems


def published_paper_ids(out: Path) -> set[str]:
    """``paper_id`` of every paper in the version ``latest`` points at (empty before the first publish)."""
    data = out / "trending-papers" / "latest" / "data"
    if not data.is_dir():
        return set()
    return set(pl.read_parquet(data / "*.parquet", columns=["paper_id"])["paper_id"].to_list())


@dataclass(frozen=True)
class KillPoint:
    """When a trial kills its run, read from the run's progress.

    ``after_stage``: once the run has printed the line of that finished stage (``ingest``, ``dedup``...);
    ``writing``: once a version's staging folder exists under the output (the run is writing its version); neither: from
    the start. ``delay_s`` more seconds are waited after that (bench/kill_trials.py draws them at random).
    """

    after_stage: str | None = None
    writing: bool = False
    delay_s: float = 0.0

    @property
    def label(self) -> str:
        where = f"after {self.after_stage}" if self.after_stage else "writing" if self.writing else "start"
        return f"{where}+{self.delay_s:.2f}s"

    def reached(self, stages: list[str], out: Path) -> bool:
        if self.after_stage is not None:
            return self.after_stage in stages
        if self.writing:
            return any((out / "trending-papers").glob(".staging-[0-9]*/"))  # a version, not the work folder
        return True


class StageLines:
    """Reads a run's stdout in a thread: the names of the stages it reported finished, in order."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.stages: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            words = line.split()
            if words:
                self.stages.append(words[0])

    def snapshot(self) -> list[str]:
        return list(self.stages)


@dataclass(frozen=True)
class Trial:
    """One kill: when, what was left, and whether the next run recovered."""

    point: str
    exit_before_kill: int | None
    versions_before: int
    problems: list[str]
    leftovers: list[str]
    recovery_exit: int
    missing_papers: int
    extra_papers: int

    @property
    def failed(self) -> bool:
        return bool(
            self.problems
            or self.leftovers
            or self.recovery_exit not in (0, 1)
            or self.missing_papers
            or self.extra_papers
        )

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "failed": self.failed}


def kill_trial(
    out: Path,
    inputs: tuple[Path, ...],
    point: KillPoint,
    reference: set[str],
    env: dict[str, str] | None = None,
    timeout_s: float = 1800.0,
) -> Trial:
    """Start a run on ``out``, SIGKILL it at ``point`` (unless it ended first), check what it left, run again
    to completion and compare the published papers with ``reference`` (an uninterrupted run's)."""
    process = papers_run(out, *inputs, env=env, quiet=False)
    lines = StageLines(process)
    exited = None
    below: list[psutil.Process] = []
    give_up = time.monotonic() + timeout_s
    deadline: float | None = None
    next_look = 0.0  # the process tree is walked every 0.2 s: a walk is slow next to a short-lived marker
    while time.monotonic() < give_up:
        if process.poll() is not None:
            exited = process.returncode
            break
        if deadline is None and point.reached(lines.snapshot(), out):
            deadline = time.monotonic() + point.delay_s
        if deadline is not None and time.monotonic() >= deadline:
            break
        if time.monotonic() >= next_look:
            below = _union(below, descendants(process.pid))
            next_look = time.monotonic() + 0.2
        time.sleep(0.002 if deadline is None else min(0.02, max(0.0, deadline - time.monotonic())))
    if exited is None:
        below = _union(below, kill_and_collect(process))
    else:
        process.wait(timeout=60)
    leftovers = survivors(below)
    problems = version_problems(out)
    versions = len([p for p in (out / "trending-papers").glob("2*") if p.is_dir()])
    recovery = papers_run(out, *inputs, env=env)
    _, err = recovery.communicate(timeout=1800)
    problems += [f"after recovery: {problem}" for problem in version_problems(out)]
    if recovery.returncode not in (0, 1):
        problems.append(f"recovery exit {recovery.returncode}: {err.strip()[-300:]}")
    published = published_paper_ids(out)
    return Trial(
        point=point.label,
        exit_before_kill=exited,
        versions_before=versions,
        problems=problems,
        leftovers=leftovers,
        recovery_exit=recovery.returncode,
        missing_papers=len(reference - published),
        extra_papers=len(published - reference),
    )


def _union(known: list[psutil.Process], new: list[psutil.Process]) -> list[psutil.Process]:
    pids = {p.pid for p in known}
    return known + [p for p in new if p.pid not in pids]
