"""One writer per output folder: the lock, its recovery after a kill, and staging folders owned by their run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest

from flows.errors import OutputLocked
from flows.store.lock import LOCK_NAME, claim, output_lock
from flows.store.publish import remove_stale_staging
from tests.support.lock_holder import assert_refused_in_one_line, hold_lock_in_child, main_while_locked


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
            f"from flows.store.lock import claim; from pathlib import Path; claim(Path({str(dead)!r}))",
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


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_harness")
def test_concurrent_runs_on_one_output_never_lose_an_update(tmp_path: Path) -> None:
    """Two runs at once on different inputs (threads of one process, one Prefect API): each publishes or is
    refused with OutputLocked; when both publish, the later version holds the papers of both. Before the lock,
    both published from the same ``latest`` and the later version silently lacked the other's papers."""
    from flows.run.config import RunConfig
    from flows.run.flow import curate

    repo = Path(__file__).resolve().parents[2]
    inputs = [repo / "data" / "sample" / "trending-papers-page.txt", repo / "tests" / "data" / "hf-daily"]
    out = tmp_path / "out"
    start = threading.Barrier(len(inputs))
    results: dict[int, object] = {}

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = curate(RunConfig(inputs=[inputs[index]], out_dir=out))
        except OutputLocked as refused:
            results[index] = refused

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(inputs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    published = [index for index, result in results.items() if not isinstance(result, OutputLocked)]
    assert len(results) == 2 and published, results
    latest = pl.read_parquet(out / "trending-papers" / "latest" / "data" / "*.parquet")
    titles = " ".join(latest.get_column("title").to_list())
    assert all(_a_title_of(inputs[index]) in titles for index in published), (
        "a published run's papers were lost"
    )
    versions = [
        p
        for p in (out / "trending-papers").iterdir()
        if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
    ]
    assert len(versions) == len(published)


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_harness")
def test_cli_exits_5_with_one_line_when_another_run_holds_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from flows.cli import ExitCode

    code, holder = main_while_locked(tmp_path, ["run"])
    assert code == ExitCode.OUTPUT_LOCKED == 5
    assert_refused_in_one_line(capsys.readouterr().err, holder)
    assert not (tmp_path / "trending-papers").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["backfill", "2025-07-01", "2025-07-02", "--quiet"],
        ["rollback", "20250701T000000.000000Z"],
        ["retract", "arxiv:2507.00001", "--reason", "duplicate of a journal version"],
        ["unretract", "arxiv:2507.00001"],
        ["prune", "--keep", "1"],
        ["rederive"],
    ],
    ids=lambda command: command[0],
)
def test_every_command_that_writes_the_output_exits_5_while_another_run_holds_it(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Backfill, rollback, retract, unretract, prune and rederive take the same lock as a run, before reading
    anything."""
    import expectations.gate  # noqa: F401  its import-time library warnings reach stderr only under pytest
    from flows.cli import ExitCode

    code, holder = main_while_locked(tmp_path, command)
    assert code == ExitCode.OUTPUT_LOCKED
    assert_refused_in_one_line(capsys.readouterr().err, holder)
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_NAME]


def test_the_lock_is_reentrant_in_its_thread_and_refused_to_another_thread(tmp_path: Path) -> None:
    """A backfill holds the lock and runs the curation flow, which takes it again in the same thread."""
    refused: list[BaseException] = []

    def other_thread() -> None:
        try:
            with output_lock(tmp_path):
                pass
        except OutputLocked as error:
            refused.append(error)

    with output_lock(tmp_path):
        with output_lock(tmp_path):
            pass
        thread = threading.Thread(target=other_thread)  # still held by the outer block
        thread.start()
        thread.join()
    assert len(refused) == 1
    with output_lock(tmp_path):  # released once the outer block ended
        pass


def _a_title_of(given: Path) -> str:
    if given.is_dir():
        return "STR-Match"  # tests/data/hf-daily/2025-07-03-excerpt.json
    return "Learning Hierarchical Polynomials with Three-Layer Neural Networks"
