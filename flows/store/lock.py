"""Who may write an output folder: one live run at a time (a lock), and staging folders owned by their run.

The lock is an exclusive ``flock`` on ``OUT/.papers.lock``, taken before ``latest`` is read and held until the
run ends. The kernel releases it when its process dies, however it dies, so a killed run never blocks the
next one; the file's content (pid, host, start) only explains who holds it. Staging folders record their
owner beside them (``.staging-<version>.owner``); only a staging folder whose owner is dead is stale.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flows.errors import OutputLocked

LOCK_NAME = ".papers.lock"


@dataclass(frozen=True)
class Owner:
    """A process, identified so that a reused pid is not mistaken for it (Linux: start time in /proc)."""

    pid: int
    host: str
    started: str | None

    @staticmethod
    def me() -> Owner:
        return Owner(os.getpid(), socket.gethostname(), process_start(os.getpid()))

    def is_alive(self) -> bool:
        """True unless the owner is known to be dead (on another host it is assumed alive)."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return self.started is None or process_start(self.pid) == self.started

    def to_json(self) -> str:
        return json.dumps({"pid": self.pid, "host": self.host, "started": self.started})

    @staticmethod
    def from_file(path: Path) -> Owner | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Owner(int(data["pid"]), str(data["host"]), data.get("started"))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of ``/proc/<pid>/stat``), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


_held = threading.local()
"""Per thread: how deeply each output folder's lock is held (a command that runs flows holds it across them)."""


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output folder's lock for the block; :class:`OutputLocked` at once when another run has it.

    Re-entrant within one thread, so that a command holding the lock (a backfill, a retraction) can run the
    curation flow, which takes it too; another thread or process is refused, as before.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    key = str(out_dir.resolve())
    depth: dict[str, int] = _held.__dict__.setdefault("depth", {})
    if depth.get(key):
        depth[key] += 1
        try:
            yield
        finally:
            depth[key] -= 1
        return
    path = out_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder(fd)
        os.close(fd)
        raise OutputLocked(out_dir, holder) from None
    depth[key] = 1
    try:
        me = Owner.me()
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({**json.loads(me.to_json()), "since": _now()}).encode(), 0)
        yield
    finally:
        depth.pop(key, None)
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def lock_if_present(out_dir: Path) -> contextlib.AbstractContextManager[None]:
    """The output lock when ``out_dir`` exists; nothing otherwise (there is nothing to protect, and a command
    on a mistyped folder should say so rather than create it)."""
    return output_lock(out_dir) if out_dir.is_dir() else contextlib.nullcontext()


def _read_holder(fd: int) -> dict[str, object]:
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def owner_file(staging: Path) -> Path:
    return staging.with_name(staging.name + ".owner")


def claim(staging: Path) -> None:
    """Record this process as the owner of ``staging`` (before the folder is created)."""
    owner_file(staging).write_text(Owner.me().to_json(), encoding="utf-8")


def release(staging: Path) -> None:
    owner_file(staging).unlink(missing_ok=True)


def is_stale(staging: Path) -> bool:
    """A staging folder whose owner is dead (or unrecorded: it was never claimed, so no live run has it)."""
    owner = Owner.from_file(owner_file(staging))
    return owner is None or not owner.is_alive()
