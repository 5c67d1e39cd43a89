"""Run-time failures: one line and exit 4, the traceback in a log file; full or read-only disks leave nothing."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.cli import ExitCode, main

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs (needs mount rights: root in CI); skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_an_internal_error_is_one_line_with_the_traceback_in_the_failed_run_folder(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Imported here so that GX's import-time DeprecationWarnings (shown under pytest, ignored in the CLI's own
    # process) are raised now and not logged to stderr during the run.
    import flows.run.flow
    import flows.run.frames

    def broken(*_: object, **__: object) -> None:
        raise KeyError("an internal bug")

    monkeypatch.setattr(flows.run.frames, "derive_fields", broken)  # the derive stage's call
    out = tmp_path / "out"
    capfd.readouterr()
    assert main(["run", "--out", str(out)]) == ExitCode.RUNTIME_FAILURE == 4
    line = one_line(capfd.readouterr().err)
    assert "failed, nothing published: KeyError" in line
    logs = list((out / "failed-runs").glob("*-crashed/traceback.log"))
    assert len(logs) == 1 and str(logs[0]) in line
    assert "Traceback" in logs[0].read_text() and "an internal bug" in logs[0].read_text()
    assert not list((out / "trending-papers").glob("2*")), "nothing was published"
    assert not list(out.rglob(".staging-*")), "nothing half-written"


def test_a_full_disk_is_a_clear_message_and_leaves_nothing_half_written(
    small_disk: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    assert main(["run", "--out", str(small_disk)]) == ExitCode.RUNTIME_FAILURE
    line = one_line(capfd.readouterr().err)
    assert "no space left on the device" in line
    assert not list(small_disk.rglob(".staging-*"))
    assert not list(small_disk.glob("trending-papers/2*"))
    for folder in small_disk.glob("failed-runs/*"):  # whole or absent: never an empty or partial folder
        assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "traceback.log"]


def test_a_read_only_output_is_a_clear_message(small_disk: Path, capfd: pytest.CaptureFixture[str]) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    capfd.readouterr()
    assert main(["run", "--out", str(small_disk / "out")]) == ExitCode.RUNTIME_FAILURE
    assert "read-only file system" in one_line(capfd.readouterr().err)


def _raised_while_handling(error: BaseException, during: BaseException) -> BaseException:
    try:
        try:
            raise during
        except BaseException:
            raise error  # noqa: B904 (the context is the point: a cleanup failing on the way out)
    except BaseException as raised:
        return raised


def test_an_error_raised_while_a_ctrl_c_was_handled_is_the_ctrl_c() -> None:
    """Prefect's task engine, interrupted before its task run exists, raises "Task run is not set" from its crash
    handler: the command ends as interrupted (exit 130, no crash record), not as a crash."""
    from flows.cli.exits import code_for, interrupted, is_crash

    during_ctrl_c = _raised_while_handling(ValueError("Task run is not set"), KeyboardInterrupt())
    assert interrupted(during_ctrl_c) and code_for(during_ctrl_c) == ExitCode.INTERRUPTED
    assert not is_crash(during_ctrl_c)
    plain = _raised_while_handling(ValueError("boom"), OSError("disk"))
    assert not interrupted(plain) and code_for(plain) == ExitCode.RUNTIME_FAILURE and is_crash(plain)
