"""Usage errors: caught before Prefect is imported, one line on stderr, exit status 3, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from unittest.mock import ANY

import pytest

from flows.cli import ExitCode, main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("not a folder\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["run", "{tmp}/missing.txt"], "input not found: {tmp}/missing.txt"),
        (["run", "--out", "{file}"], "--out: not a folder: {file}"),
        (["run", "--out", "{file}/sub"], "--out: not a folder: {file} (in {file}/sub)"),
        (["run", "--hf-daily", "2025-13-01"], "--hf-daily: not a calendar date: '2025-13-01'"),
        (["run", "--hf-daily", "2025-01-10..2025-01-01"], "--hf-daily: date range ends before it starts"),
        (["run", "--hf-daily", "tomorrow"], "--hf-daily: expected YYYY-MM-DD, today, yesterday or -Nd"),
        (["run", "--hf-page", "huggingface.co/papers"], "--hf-page: expected an absolute http(s) URL"),
        (["run", "--languages", " , "], "--languages: give at least one language code"),
        (["run", "--languages", "english"], "--languages: not a language code: 'english'"),
        (["run", "--workers", "-1"], "--workers must be 0 (one per core) or more, got -1"),
        (["run", "--workers", "two"], "argument --workers: invalid int value: 'two'"),
        (["run", "--quiet", "--json"], "--quiet and --json exclude each other"),
        (
            ["run", "--dask-address", "tcp://127.0.0.1:9", "--dask-workers", "2"],
            "--dask-address (an existing cluster) and --dask-workers (a local one) exclude each other",
        ),
        (["run", "--dask-workers", "0"], "--dask-workers must be 1 or more, got 0"),
        (["run", "--partitions", "0"], "--partitions must be 1 or more, got 0"),
        (["run", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["nonsense"], "argument COMMAND: invalid choice: 'nonsense'"),
        (["dedup-report", "--out", "{file}"], "--out: not a folder: {file}"),
        (["serve", "--cron", "daily"], "papers serve needs a Prefect server"),
        (["deploy", "--notify", "ops"], "papers deploy needs a Prefect server"),
        (["deploy"], "the following arguments are required: --notify"),
        (
            ["prune", "--keep", "1", "--failed-run-days", "-2"],
            "--failed-run-days must be 0 (keep all) or more",
        ),
    ],
)
def test_usage_error_is_one_line_and_exit_3(
    arguments: list[str],
    message: str,
    tmp_path: Path,
    a_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    fill = {"tmp": str(tmp_path), "file": str(a_file)}
    assert main([argument.format(**fill) for argument in arguments]) == ExitCode.USAGE
    captured = capsys.readouterr()
    if "--json" in arguments:  # asked for JSON: the failure as JSON on stdout too
        assert json.loads(captured.out) == {"status": "usage", "exit_code": 3, "error": ANY}
    else:
        assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    command = arguments[0] if arguments[0] != "nonsense" else None
    assert lines[0].startswith(f"papers {command}: error: " if command else "papers: error: ")
    assert message.format(**fill) in lines[0]


def test_serve_checks_its_cron_once_a_server_is_configured(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert main(["serve", "--cron", "daily"]) == ExitCode.USAGE
    assert "--cron: expected five fields" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--window", "26 hours"], "--window: expected a number and s, m, h or d (26h, 90m), got '26 hours'"),
        (["--window", "9s"], "--window: Prefect evaluates it no finer than 10s, got '9s'"),
        (["--webhook-url", "hooks.example.org/x"], "--webhook-url: expected an absolute http(s) URL"),
    ],
)
def test_deploy_checks_its_alert_options_once_a_server_is_configured(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert main(["deploy", "--notify", "ops", *arguments]) == ExitCode.USAGE
    assert message in capsys.readouterr().err


def test_deploy_to_a_server_that_does_not_answer_is_one_line_and_exit_4(tmp_path: Path) -> None:
    """A typed failure, not a crash: one line, no crash log (deploy has no output folder of its own). Run as the
    ``papers`` script is: in this process, a test's Prefect settings would win over ``PREFECT_API_URL``."""
    import os

    from tests.support.prefect_server import free_port

    url = f"http://127.0.0.1:{free_port()}/api"
    env = {**os.environ, "PREFECT_API_URL": url, "PREFECT_HOME": str(tmp_path / "prefect")}
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "deploy", "--notify", "ops", "--alerts-only"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == ExitCode.RUNTIME_FAILURE
    assert done.stderr.splitlines() == [
        f"papers deploy: the Prefect server at {url} did not answer (ConnectError)"
    ]
    assert done.stdout == ""  # and no "(traceback in ...)": a typed failure writes no crash log


def test_relative_ranges_may_start_with_a_dash(tmp_path: Path, a_file: Path, capsys) -> None:
    """``--hf-daily -7d..yesterday`` is a value, not an option (argparse alone would refuse it)."""
    assert main(["run", "--hf-daily", "-7d..yesterday", "--out", str(a_file)]) == ExitCode.USAGE
    assert "--out: not a folder" in capsys.readouterr().err  # the date passed; the next check stopped it


HEAVY = ("prefect", "great_expectations", "polars")
"""Libraries a command imports only once its arguments passed their checks (seconds of start-up each)."""


@pytest.mark.parametrize(
    "arguments",
    [
        ["--help"],
        ["run", "--help"],
        ["run", "--hf-daily", "2025-13-01", "--out", "{tmp}"],
        ["backfill", "2025-01-02", "2025-01-01", "--out", "{tmp}"],
        ["release", "--out", "{tmp}"],
        ["versions", "--frobnicate"],
    ],
)
def test_help_and_usage_errors_import_no_heavy_library(tmp_path: Path, arguments: list[str]) -> None:
    script = (
        "import sys\n"
        "from flows.cli import main\n"
        "try:\n"
        "    code = main(sys.argv[1:])\n"
        "except SystemExit as end:\n"
        "    code = end.code\n"
        f"loaded = [name for name in {HEAVY!r} if name in sys.modules]\n"
        "assert not loaded, f'imported {loaded}'\n"
        "sys.exit(code)\n"
    )
    filled = [argument.format(tmp=tmp_path) for argument in arguments]
    result = subprocess.run(
        [sys.executable, "-c", script, *filled], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode in (0, ExitCode.USAGE), result.stderr
    assert "Traceback" not in result.stderr
    if result.returncode == ExitCode.USAGE:
        assert len(result.stderr.splitlines()) == 1 and ": error: " in result.stderr, result.stderr
