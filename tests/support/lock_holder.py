"""Another live process holding an output folder's lock: what every writing command must refuse at once."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from flows.store.lock import output_lock
    with output_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(60)
    """
)


def hold_lock_in_child(out: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out)], stdout=subprocess.PIPE, text=True, cwd=Path.cwd()
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "locked"
    return child


def main_while_locked(out: Path, argv: list[str]) -> tuple[int, int]:
    """``papers ARGV --out OUT`` while a child process holds OUT's lock: (exit code, the holder's pid)."""
    from flows.cli import main

    child = hold_lock_in_child(out)
    try:
        return main([*argv, "--out", str(out)]), child.pid
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


def assert_refused_in_one_line(err: str, holder: int) -> None:
    """One line on stderr naming the holder, no traceback."""
    assert err.count("\n") == 1 and f"locked by another run (pid {holder}" in err and "Traceback" not in err
