"""The real ``papers`` command line as a subprocess, watched from outside (for tests/flows/test_cli_matrix.py).

A command is started as the ``papers`` script is (``python -m flows.cli``, cwd the checkout), its stdout and
stderr read by threads as they come, so a test can wait for a marker (a stage line, a reader blocked on a
FIFO, a deployment on the server) instead of sleeping, then signal it and look at how it ended.
"""

from __future__ import annotations

import contextlib
import errno
import os
import platform
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from flows.runtime.prefect import QUIET_DEFAULTS

REPO = Path(__file__).resolve().parents[2]
GIVE_UP_S = 600.0
"""How long a test waits for a marker or an exit before it fails: a hang, never a slow machine."""
POLL_S = 0.05


@dataclass(frozen=True)
class Published:
    """An output folder with two published versions of the bundled sample (never changed: tests copy it)."""

    out: Path
    first: str
    latest: str
    paper_id: str
    """A paper of the latest version."""

    def copy(self, to: Path) -> Path:
        shutil.copytree(self.out, to, symlinks=True)
        return to


def environment(tmp: Path, prefect_api: str | None = None) -> dict[str, str]:
    """A user's shell: no Prefect settings of the test session (the command picks its own), temporary files in
    ``tmp`` (where a crash log goes when OUT cannot be written), the Hub offline with a token (never sent),
    and ``PREFECT_API_URL`` only when given."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in QUIET_DEFAULTS and k != "PREFECT_API_URL"}
    env |= {
        "PYTHONPATH": str(REPO),
        "TMPDIR": str(tmp),
        "HF_HUB_OFFLINE": "1",
        "HF_TOKEN": "hf_matrix_test_token_never_sent",
    }
    if prefect_api:
        env["PREFECT_API_URL"] = prefect_api
    return env


@dataclass(frozen=True)
class Ended:
    code: int
    out: str
    err: str


def papers(argv: list[str], env: dict[str, str]) -> Ended:
    """Run ``papers ARGV`` to its end."""
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", *argv],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=GIVE_UP_S,
    )
    return Ended(done.returncode, done.stdout, done.stderr)


@dataclass
class Running:
    """``papers ARGV`` started in a session (and process group) of its own, as a terminal's foreground job is
    in a group of its own: signalling its group leaves the test's group alone."""

    argv: list[str]
    env: dict[str, str]
    out_lines: list[str] = field(default_factory=list)
    err_lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", *self.argv],
            cwd=REPO,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self._readers = [
            threading.Thread(target=_collect, args=(self.process.stdout, self.out_lines), daemon=True),
            threading.Thread(target=_collect, args=(self.process.stderr, self.err_lines), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_until(self, reached: Callable[[], bool], what: str) -> None:
        """Poll ``reached`` until it is true; fails when the command ends first (or after :data:`GIVE_UP_S`)."""
        give_up = time.monotonic() + GIVE_UP_S
        while not reached():
            if self.process.poll() is not None:
                self.finish()
                raise AssertionError(
                    f"papers {self.argv[0]} ended ({self.process.returncode}) before {what}:\n"
                    + "".join(self.out_lines + self.err_lines)[-3000:]
                )
            if time.monotonic() > give_up:
                raise AssertionError(f"papers {self.argv[0]} never reached {what} in {GIVE_UP_S:g} s")
            time.sleep(POLL_S)

    def finish(self) -> Ended:
        """Wait for the command's end and for its output pipes to close."""
        code = self.process.wait(timeout=GIVE_UP_S)
        for reader in self._readers:
            reader.join(timeout=GIVE_UP_S)
        return Ended(code, "".join(self.out_lines), "".join(self.err_lines))

    def stop(self) -> None:
        """SIGKILL whatever of the command's session is left (after a failed check)."""
        for process in session_members(self.pid):
            with contextlib.suppress(psutil.Error):
                process.kill()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _collect(stream: object, lines: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.append(line)


def descendants(pid: int) -> list[psutil.Process]:
    """Every living process below ``pid`` now."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def session_members(leader: int) -> list[psutil.Process]:
    """The living processes whose process group or session is ``leader``'s."""
    members = []
    for process in psutil.process_iter():
        with contextlib.suppress(OSError, psutil.Error):
            ours = leader in (os.getpgid(process.pid), os.getsid(process.pid))
            if ours and process.pid != leader and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process)
    return members


def left_alive(processes: list[psutil.Process], leader: int) -> list[str]:
    """Of ``processes`` and of ``leader``'s group and session, those still alive once they had
    :data:`GIVE_UP_S` to go (they go at once when nothing is wrong); a description each."""
    give_up = time.monotonic() + GIVE_UP_S
    while True:
        alive = [p for p in processes if _alive(p)]
        alive += [p for p in session_members(leader) if p.pid not in {q.pid for q in alive}]
        if not alive or time.monotonic() > give_up:
            break
        time.sleep(POLL_S)
    return [_describe(p) for p in alive]


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _describe(process: psutil.Process) -> str:
    try:
        return f"pid {process.pid}: {' '.join(process.cmdline())[:200]}"
    except psutil.Error:
        return f"pid {process.pid}"


def fifo_instead_of(path: Path) -> Path:
    """Replace ``path`` (a file, or nothing yet) with a FIFO of the same name: a command that opens and reads
    it blocks in ``open()``/``read()`` until the test writes or signals."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    return path


def reader_blocked(fifo: Path, pid: int, held: list[int]) -> Callable[[], bool]:
    """A marker: true once process ``pid`` is blocked in ``read()`` on ``fifo``.

    First a reader must have opened it: opening the write end without blocking fails with ENXIO until then;
    the descriptor is kept in ``held`` (the caller closes it after the command ended), so the reader gets
    neither data nor end of file. Then its main thread must be asleep in ``read`` on that file
    (``/proc/PID/syscall``): a signal that came between ``open()`` and ``read()`` would be seen by Python
    only once the read returned, that is never.
    """
    target = fifo.resolve()

    def reached() -> bool:
        if not held:
            try:
                held.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError as error:
                if error.errno != errno.ENXIO:
                    raise
                return False
        return _reading(pid, target)

    return reached


READ_SYSCALL = {"x86_64": 0, "aarch64": 63}.get(platform.machine())


def _reading(pid: int, target: Path) -> bool:
    """Whether ``pid``'s main thread sleeps in ``read(fd)`` with ``fd`` open on ``target``."""
    try:
        fields = Path(f"/proc/{pid}/syscall").read_text().split()
        if len(fields) < 2 or fields[0] == "running":
            return False
        if READ_SYSCALL is not None and int(fields[0]) != READ_SYSCALL:
            return False
        return Path(os.readlink(f"/proc/{pid}/fd/{int(fields[1], 16)}")) == target
    except (OSError, ValueError):
        return False


HOLD_LOCK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from flows.store.lock import output_lock
    with output_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        sys.stdin.read()  # until the test closes the pipe
    """
)


@contextlib.contextmanager
def lock_held(out: Path, env: dict[str, str]) -> Iterator[int]:
    """Another live process holds ``out``'s lock for the block (until the test lets go, not for a time);
    yields its pid."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out)],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder.pid
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=GIVE_UP_S)
