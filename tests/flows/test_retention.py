"""``papers prune`` keeps the raw zone and ``failed-runs/`` to their retention (``flows/store/retention.py``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.cli import ExitCode, main
from flows.cli.version_commands import FAILED_RUN_DAYS, RAW_DAYS
from flows.store.layout import failed_runs_root, new_version_id, raw_root
from flows.store.raw_zone import RawZone
from flows.store.retention import Retention, expired, remove_expired

NOW = datetime.now(UTC)


def make_out(tmp_path: Path) -> Path:
    """Raw days received 400, 366, 364 and 0 days ago; failed-run records made 120, 91 and 10 days ago (one
    crashed, one whose name has no time: its manifest's ``created_at`` counts)."""
    out = tmp_path / "out"
    zone = RawZone(raw_root(out), run="r")
    for days in (400, 366, 364, 0):
        when = NOW - timedelta(days=days)
        zone.store("hf-daily", f"https://hf.co/api?d={days}", 200, f"[{days}]".encode(), when)
    zone.store("arxiv", "https://export.arxiv.org/api/query", 200, b"<feed/>", NOW - timedelta(days=500))
    for days, suffix in ((120, ""), (91, "-crashed"), (10, "")):
        folder = failed_runs_root(out) / f"{new_version_id(NOW - timedelta(days=days))}{suffix}"
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text("{}")
    unnamed = failed_runs_root(out) / "by-hand"
    unnamed.mkdir()
    (unnamed / "manifest.json").write_text(
        json.dumps({"created_at": (NOW - timedelta(days=200)).isoformat()})
    )
    return out


def day(days: int) -> str:
    return (NOW - timedelta(days=days)).date().isoformat()


def test_the_default_retention_removes_what_is_past_it_and_keeps_the_rest(tmp_path: Path) -> None:
    out = make_out(tmp_path)
    found = expired(out, Retention(), NOW)
    assert found.raw == [f"arxiv/{day(500)}", f"hf-daily/{day(400)}", f"hf-daily/{day(366)}"]
    assert len(found.failed_runs) == 3 and "by-hand" in found.failed_runs
    assert not any(
        name.startswith(new_version_id(NOW - timedelta(days=10))[:8]) for name in found.failed_runs
    )

    removed = remove_expired(out, Retention(), NOW)
    assert removed == found
    kept = sorted(p.relative_to(raw_root(out)).as_posix() for p in raw_root(out).glob("*/*") if p.is_dir())
    assert kept == [f"hf-daily/{day(364)}", f"hf-daily/{day(0)}"]
    assert [p.name for p in failed_runs_root(out).iterdir()] == [new_version_id(NOW - timedelta(days=10))]
    assert not list(out.rglob(".pruning-*"))


def test_zero_keeps_everything(tmp_path: Path) -> None:
    out = make_out(tmp_path)
    found = remove_expired(out, Retention(raw_days=0, failed_run_days=0), NOW)
    assert (found.raw, found.failed_runs) == ([], [])
    assert len(list(raw_root(out).glob("*/*"))) == 5


def test_a_crashed_prunes_leftovers_are_removed_first(tmp_path: Path) -> None:
    out = make_out(tmp_path)
    leftover = raw_root(out) / "hf-daily" / f".pruning-{day(999)}"
    leftover.mkdir()
    (leftover / "x.json").write_text("[]")
    remove_expired(out, Retention(), NOW)
    assert not leftover.exists()


def test_papers_prune_applies_the_retention_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = make_out(tmp_path)
    args = ["prune", "--keep", "1", "--raw-days", "365", "--failed-run-days", "100", "--out", str(out)]
    assert main([*args, "--dry-run"]) == ExitCode.DONE
    said = capsys.readouterr().out
    assert (
        "would remove 3 raw day(s) older than 365 days and 2 failed-run record(s) older than 100 days" in said
    )
    assert len(list(raw_root(out).glob("*/*"))) == 5

    assert main([*args, "--json"]) == ExitCode.DONE
    document = json.loads(capsys.readouterr().out)
    assert document["raw_removed"] == [f"arxiv/{day(500)}", f"hf-daily/{day(400)}", f"hf-daily/{day(366)}"]
    assert len(document["failed_runs_removed"]) == 2
    assert document["retention"] == {"raw_days": 365, "failed_run_days": 100}
    assert len(list(raw_root(out).glob("*/*"))) == 2


def test_a_negative_retention_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["prune", "--keep", "1", "--raw-days", "-1", "--out", str(tmp_path)]) == ExitCode.USAGE


def test_the_command_lines_defaults_are_the_retentions() -> None:
    assert (Retention().raw_days, Retention().failed_run_days) == (RAW_DAYS, FAILED_RUN_DAYS)
