"""A killed run leaves no process behind: a tiny watchdog kills the run's descendants once the run is gone.

Without ``PREFECT_API_URL`` Prefect starts a temporary API server (uvicorn) as a child of the run and stops it
from an ``atexit`` handler, which SIGKILL never runs: the server lived on. Language detection's spawn workers
and multiprocessing's resource tracker are children too.

:func:`reap_descendants_at_exit` marks the run's environment with a fresh token (every process the run starts
inherits it, however deep) and starts this file as a separate watchdog in its own session, holding the read
end of a pipe whose write end only the run holds. When the run ends, normally or by SIGKILL, the kernel closes
the write end; the watchdog reads EOF, SIGKILLs every process whose environment carries the token and exits.
Why not ``prctl(PR_SET_PDEATHSIG)`` on the server: it would need Prefect's ``subprocess.Popen`` patched with a
``preexec_fn`` (unsafe once threads run), it fires when the *thread* that forked exits rather than the process,
and it covers one child only. The watchdog needs neither Prefect internals nor the process tree (orphans are
re-parented away from it), costs one idle ~10 MB process, and catches every descendant. Linux only (``/proc``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid

TOKEN_VARIABLE = "PAPERS_RUN_TOKEN"

_watchdog: subprocess.Popen[bytes] | None = None


def reap_descendants_at_exit() -> None:
    """Start the watchdog for this process (once; before it starts any child). A no-op off Linux."""
    global _watchdog
    if _watchdog is not None or not sys.platform.startswith("linux"):
        return
    token = f"{os.getpid()}-{uuid.uuid4().hex}"
    read_end, write_end = os.pipe()  # not inheritable: no child of the run holds the write end
    try:
        _watchdog = subprocess.Popen(
            [sys.executable, "-I", "-S", os.path.abspath(__file__), str(read_end), token],
            pass_fds=(read_end,),
            start_new_session=True,  # Ctrl-C and terminal hang-ups reach the run, not the watchdog
            stdin=subprocess.DEVNULL,
        )
    except OSError:
        os.close(write_end)
        return
    finally:
        os.close(read_end)
    os.environ[TOKEN_VARIABLE] = token  # after the watchdog started: it does not carry the mark itself
    _keep_open.append(write_end)


_keep_open: list[int] = []
"""The pipe's write end, open until this process ends."""


def marked(token: str) -> list[int]:
    """Pids of the living processes whose environment holds ``TOKEN_VARIABLE=token``."""
    needle = f"\0{TOKEN_VARIABLE}={token}\0".encode()
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            try:
                with open(f"/proc/{name}/environ", "rb") as file:
                    environ = b"\0" + file.read() + b"\0"
            except OSError:  # gone, or another user's
                continue
            if needle in environ:
                pids.append(int(name))
    return pids


def watch(read_end: int, token: str) -> None:
    """Block until the run's end closes the pipe, then SIGKILL what carries its token (a few passes)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while os.read(read_end, 4096):
        pass
    for _ in range(20):
        pids = marked(token)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):  # gone meanwhile
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


if __name__ == "__main__":
    watch(int(sys.argv[1]), sys.argv[2])
