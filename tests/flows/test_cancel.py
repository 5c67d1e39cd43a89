"""A run cancelled from the Prefect UI, against a real ``prefect server start`` (fixture ``prefect_server``).

The UI's "Cancel" sets the run's state to Cancelling; the process serving the deployment (``papers serve``) then
stops the run's process. The run is cancelled while it is blocked fetching its day (the marker: the capture
server received the request, and holds it), and must end Cancelled, leave the output lock free and ``latest``
as it was, with no version, staging or work folder of its own left behind.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from flows.store.layout import dataset_root
from flows.store.lock import output_lock
from flows.store.previous import open_latest
from tests.flows.test_deployment import loopback_config
from tests.support.capture_server import Reply, serving
from tests.support.prefect_runs import REPO, background, operator_env, trigger, wait_for, wait_for_deployment

pytestmark = pytest.mark.flow

MARKER_TIMEOUT_S = 300.0


def test_a_run_cancelled_from_the_ui_ends_cancelled_unlocked_and_publishes_nothing(
    prefect_server, tmp_path: Path
) -> None:
    env = operator_env(prefect_server)
    out = tmp_path / "out"
    first = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--out", str(out), "--quiet"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert first.returncode == 0, first.stderr
    before = open_latest(out)
    assert before is not None
    entries_before = sorted(path.name for path in dataset_root(out).iterdir())

    name = "cancel-test"
    with (
        serving() as server,
        background([sys.executable, "-m", "flows.cli", "serve", "--name", name], env, tmp_path),
    ):
        server.route("/api/daily_papers", Reply(200, b"[]", delay=900))  # held until the run is gone
        api = httpx.Client(base_url=prefect_server.api_url, timeout=30)
        deployment = wait_for_deployment(api, name)
        run = trigger(api, deployment["id"], loopback_config(server, out, day="2025-07-03"))
        _wait_for_request(server, "/api/daily_papers")
        assert api.get(f"/flow_runs/{run['id']}").json()["state_type"] == "RUNNING"
        started = time.monotonic()
        cancelled = api.post(
            f"/flow_runs/{run['id']}/set_state",
            json={"state": {"type": "CANCELLING", "name": "Cancelling"}, "force": True},
        )  # what the UI's Cancel sends
        assert cancelled.status_code in (200, 201), cancelled.text
        ended = wait_for(api, run["id"])
        print(f"cancel: {time.monotonic() - started:.1f} s from Cancelling to {ended['state_type']}")

    assert ended["state_type"] == "CANCELLED", ended["state"]
    with output_lock(out):  # free: the run's process let go of it
        pass
    after = open_latest(out)
    assert after is not None and after.version == before.version
    assert sorted(path.name for path in dataset_root(out).iterdir()) == entries_before


def _wait_for_request(server, path: str) -> None:
    deadline = time.monotonic() + MARKER_TIMEOUT_S
    while path not in server.paths():
        if time.monotonic() > deadline:
            raise AssertionError(f"the run did not request {path} within {MARKER_TIMEOUT_S:.0f} s")
        time.sleep(0.2)
