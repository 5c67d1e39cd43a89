"""Watch one command's process tree while it runs: RSS of the whole tree, disk under its output folder, when its
temporary Prefect API was spawned and answered, and a guard that kills the tree (every process carrying the
run's mark, in any session) above a memory or time limit. Used by ``bench/run_scale.py``; the measured
quantities are described there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.stages import tree_rss
from flows.store.layout import STAGING_PREFIX

REPO = Path(__file__).resolve().parents[1]
MARK = "RUN_SCALE_MARK"
"""Set in the environment of the measured command: every process it starts inherits it, in any session."""
RSS_INTERVAL = 0.05
DISK_EVERY = 10
"""Disk is measured every DISK_EVERY-th RSS sample (0.5 s), and at every sample while something is staged."""
GIB = 2**30


@dataclass
class Watched:
    """What was seen of one process tree from its start (times in seconds since then)."""

    exit_code: int | None = None
    wall: float = 0.0
    samples: list[tuple[float, int]] = field(default_factory=list)
    """(time, RSS of the tree in bytes)."""
    disk: list[tuple[float, int, int]] = field(default_factory=list)
    """(time, staging bytes, output folder bytes)."""
    lines: list[tuple[float, str]] = field(default_factory=list)
    """stderr lines as they arrived."""
    stdout: str = ""
    killed: str | None = None
    """Why the tree was killed (None: it ended by itself)."""
    killed_at: float | None = None
    killed_rss: int = 0
    left_behind: list[str] = field(default_factory=list)
    server_spawned: float | None = None
    server_ready: float | None = None
    server_peak: int = 0


def watch(
    command: Sequence[str],
    env: dict[str, str],
    out: Path | None,
    kill_above: float,
    min_available: float,
    timeout: float,
) -> Watched:
    """Run ``command`` in a session of its own and sample its tree until it ends (or kill it: see the guard)."""
    token = uuid.uuid4().hex
    seen = Watched()
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env={**env, MARK: token},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            seen.lines.append((time.monotonic() - started, line.rstrip("\n")))

    def read_stdout() -> None:
        assert process.stdout is not None
        seen.stdout = process.stdout.read()

    readers = [
        threading.Thread(target=read_stderr, daemon=True),
        threading.Thread(target=read_stdout, daemon=True),
    ]
    for reader in readers:
        reader.start()
    server = ServerWatch(started)
    count = 0
    while process.poll() is None:
        now = time.monotonic() - started
        rss = tree_rss(process.pid)
        seen.samples.append((now, rss))
        if seen.server_spawned is None or count % DISK_EVERY == 0:
            server.look(process.pid, seen)
        if out is not None and (count % DISK_EVERY == 0 or (seen.disk and seen.disk[-1][1])):
            seen.disk.append((now, *disk_bytes(out)))
        count += 1
        reason = _over_limit(rss, now, kill_above, min_available, timeout)
        if reason:
            seen.killed, seen.killed_at, seen.killed_rss = reason, now, rss
            seen.left_behind = kill_tree(process, token)
            break
        time.sleep(max(0.0, RSS_INTERVAL - (time.monotonic() - started - now)))
    process.wait()
    seen.wall = time.monotonic() - started
    seen.exit_code = process.returncode
    for reader in readers:
        reader.join(timeout=10)
    server.stop()
    server.look(process.pid, seen)
    if out is not None:
        seen.disk.append((seen.wall, *disk_bytes(out)))
    return seen


def _over_limit(rss: int, now: float, kill_above: float, min_available: float, timeout: float) -> str | None:
    if rss > kill_above * GIB:
        return f"tree RSS {rss / GIB:.2f} GiB above {kill_above:g} GiB"
    available = psutil.virtual_memory().available
    if available < min_available * GIB:
        return f"machine's available memory {available / GIB:.2f} GiB below {min_available:g} GiB"
    if now > timeout:
        return f"still running after {timeout:g} s"
    return None


class ServerWatch:
    """When the command's temporary Prefect API was spawned (first seen) and first answered ``/health``."""

    def __init__(self, started: float) -> None:
        self._started = started
        self._port: int | None = None
        self._stop = threading.Event()
        self._ready: float | None = None
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._pid: int | None = None

    def look(self, root: int, seen: Watched) -> None:
        if self._pid is None:
            for child in _descendants(root):
                try:
                    arguments = child.cmdline()
                except psutil.Error:
                    continue
                if "uvicorn" in arguments and "--port" in arguments:
                    self._pid = child.pid
                    self._port = int(arguments[arguments.index("--port") + 1])
                    seen.server_spawned = time.monotonic() - self._started
                    self._thread.start()
                    break
        if self._pid is not None:
            with contextlib.suppress(psutil.Error):
                seen.server_peak = max(seen.server_peak, psutil.Process(self._pid).memory_info().rss)
        seen.server_ready = self._ready

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self._port}/api/health", timeout=0.5
                ) as answer:
                    if answer.status == 200:
                        self._ready = time.monotonic() - self._started
                        return
            except OSError:
                pass
            self._stop.wait(0.05)

    def stop(self) -> None:
        self._stop.set()


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def kill_tree(process: subprocess.Popen[str], token: str) -> list[str]:
    """SIGKILL the command's process group, every descendant, and every process carrying ``token``; the
    processes still alive 5 s later (a description each)."""
    tree = _descendants(process.pid)
    with contextlib.suppress(ProcessLookupError, psutil.Error):
        os.killpg(process.pid, signal.SIGKILL)
    for child in tree:
        with contextlib.suppress(ProcessLookupError, psutil.Error):
            child.kill()
    process.wait()
    deadline = time.monotonic() + 5
    while True:
        marked = _marked(token)
        for survivor in marked:
            with contextlib.suppress(ProcessLookupError, psutil.Error):
                survivor.kill()
        if not marked or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return [f"pid {p.pid}" for p in _marked(token)]


def _marked(token: str) -> list[psutil.Process]:
    found = []
    for candidate in psutil.process_iter():
        try:
            if candidate.environ().get(MARK) == token and candidate.status() != psutil.STATUS_ZOMBIE:
                found.append(candidate)
        except psutil.Error:
            continue
    return found


def disk_bytes(out: Path) -> tuple[int, int]:
    """(staged, whole) bytes under ``out`` while a run writes into it (files vanish and folders are renamed
    under the walk: those are skipped). Staged: files in ``.staging-*`` folders or named ``.tmp-*``, not
    hard-linked to another file (a carried shard of the published version), so written but not yet a version.
    Whole: every file, a hard-linked one counted once (as ``stages.tree_bytes``)."""
    staged = whole = 0
    inodes: set[tuple[int, int]] = set()
    for folder, _, files in os.walk(out):
        in_staging = any(part.startswith(STAGING_PREFIX) for part in Path(folder).relative_to(out).parts)
        for name in files:
            try:
                stat = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if (stat.st_dev, stat.st_ino) not in inodes:
                inodes.add((stat.st_dev, stat.st_ino))
                whole += stat.st_size
            if (in_staging or name.startswith(".tmp-")) and stat.st_nlink == 1:
                staged += stat.st_size
    return staged, whole
