"""SIGKILL of a real ``papers run``: no process outlives it, no partial version is visible, the next run recovers.

The checks live in tests/support/kill_checks.py, shared with bench/kill_trials.py (20+ seeded random kill points).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import psutil
import pytest

from flows.runtime.prefect import QUIET_DEFAULTS
from tests.support.kill_checks import (
    KillPoint,
    descendants,
    kill_and_collect,
    kill_trial,
    papers_run,
    published_paper_ids,
    survivors,
)

pytestmark = pytest.mark.flow


def test_a_killed_run_leaves_no_ephemeral_prefect_server_behind(tmp_path: Path) -> None:
    # no PREFECT_API_URL: Prefect starts its temporary server (uvicorn) as a child of the run
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    process = papers_run(tmp_path / "out", env=env)
    seen = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            seen = descendants(process.pid)
            if any("uvicorn" in " ".join(child.cmdline()) for child in seen):
                break
            time.sleep(0.05)
        assert process.poll() is None, "the run ended before its server was seen"
        assert any("uvicorn" in " ".join(child.cmdline()) for child in seen), "no ephemeral server seen"
        seen = kill_and_collect(process)
        left = survivors(seen, within_s=5.0)
    finally:
        if process.poll() is None:
            process.kill()
        for child in seen:  # a failing test must not leak the server either
            with contextlib.suppress(psutil.Error):
                child.kill()
    assert left == [], f"alive 5 s after the run was SIGKILLed: {left}"


KILL_POINTS = {
    "after-ingest": KillPoint(after_stage="ingest"),
    "after-dedup": KillPoint(after_stage="dedup"),
    "after-validate": KillPoint(after_stage="validate"),
    "writing-the-version": KillPoint(writing=True),
}
"""Early (cleaning, language), middle (derive, validate), publish before it writes, and publish while it writes."""


@pytest.mark.parametrize("point", KILL_POINTS.values(), ids=KILL_POINTS.keys())
def test_a_run_killed_at_any_point_leaves_only_whole_versions_and_the_next_run_publishes_everything(
    prefect_server, reference_papers: set[str], tmp_path: Path, point: KillPoint
) -> None:
    env = {key: value for key, value in prefect_server.env().items() if key not in QUIET_DEFAULTS}
    trial = kill_trial(tmp_path / "out", (), point, reference_papers, env=env)
    print(trial.as_dict())
    assert not trial.failed, trial.as_dict()
    assert trial.exit_before_kill is None, "the run ended before the kill: nothing was tested"


@pytest.fixture(scope="module")
def reference_papers(prefect_server, tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The papers of an uninterrupted run of the bundled sample."""
    out = tmp_path_factory.mktemp("reference")
    env = {key: value for key, value in prefect_server.env().items() if key not in QUIET_DEFAULTS}
    process = papers_run(out, env=env)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return published_paper_ids(out)
