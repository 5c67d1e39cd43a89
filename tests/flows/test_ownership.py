"""One writer per output folder: the lock, its recovery after a kill, and staging folders owned by their run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from flows.ownership import LOCK_NAME, OutputLocked, claim, output_lock
from flows.publish import remove_stale_staging

HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from flows.ownership import output_lock
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


def test_a_second_writer_is_refused_while_the_first_lives_and_admitted_after_it_is_killed(
    tmp_path: Path,
) -> None:
    child = hold_lock_in_child(tmp_path)
    try:
        with pytest.raises(OutputLocked, match=f"pid {child.pid}"), output_lock(tmp_path):
            pass
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with output_lock(tmp_path):  # the kernel released the dead owner's lock: no manual cleanup
        holder = json.loads((tmp_path / LOCK_NAME).read_text())
        assert holder["pid"] == os.getpid()


def test_the_lock_is_released_when_the_block_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), output_lock(tmp_path):
        raise RuntimeError("boom")
    with output_lock(tmp_path):
        pass


def test_only_staging_folders_of_dead_owners_are_removed(tmp_path: Path) -> None:
    root = tmp_path / "trending-papers"
    root.mkdir()
    live = root / ".staging-20240102T000000.000000Z"
    claim(live)
    live.mkdir()
    dead = root / ".staging-20240101T000000.000000Z"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from flows.ownership import claim; from pathlib import Path; claim(Path({str(dead)!r}))",
        ]
    )
    child.wait()
    dead.mkdir()
    unclaimed = root / ".staging-20231231T000000.000000Z"
    unclaimed.mkdir()
    assert remove_stale_staging(tmp_path) == [unclaimed, dead]
    assert live.exists() and not dead.exists() and not unclaimed.exists()
    assert sorted(p.name for p in root.iterdir()) == [live.name, live.name + ".owner"]


def test_a_reused_pid_does_not_keep_a_staging_folder_alive(tmp_path: Path) -> None:
    root = tmp_path / "trending-papers"
    root.mkdir()
    staging = root / ".staging-20240101T000000.000000Z"
    staging.mkdir()
    (root / (staging.name + ".owner")).write_text(
        json.dumps({"pid": os.getpid(), "host": os.uname().nodename, "started": "1"})
    )
    assert remove_stale_staging(tmp_path) == [staging]


def test_concurrent_runs_on_one_output_never_lose_an_update(tmp_path: Path) -> None:
    """Two real `papers run` at once: one publishes, the other exits 5 at once; nothing is lost or mixed."""
    sample = Path(__file__).resolve().parents[2] / "data" / "sample" / "trending-papers-page.txt"
    out = tmp_path / "out"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-a")}
    first = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", str(sample), "--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (out / LOCK_NAME).exists() or not (out / LOCK_NAME).read_text():
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.05)
    second = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", str(sample), "--out", str(out)],
        env={**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-b")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    first_out, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    assert second.returncode == 5, second.stderr
    assert "locked by another run" in second.stderr and "Traceback" not in second.stderr
    versions = [
        p for p in (out / "trending-papers").iterdir() if not p.name.startswith(".") and p.name != "latest"
    ]
    assert len(versions) == 1
