"""The alerts of ``papers deploy`` against a real ``prefect server start`` (fixture ``prefect_server``): a loopback
receiver stands in for the webhook, and the server's own automations send to it.

- a deployed run on a process worker whose sources all fail: the "failed" alert, with its reason, counts and link,
  and no engine traceback in the run's logs; then a degraded run: the "degraded" alert; then a run whose process
  is killed: Crashed, and the "failed" alert again;
- ``papers serve --notify`` with a 15 s window and no run: the "no run completed" alert, fired by the server's
  evaluation of the proactive trigger.

Latencies are printed (``-s``) for bench/RESULTS.md, never asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.flows.test_deployment import DATA, loopback_config
from tests.support.capture_server import CaptureServer, Reply, serving
from tests.support.prefect_runs import (
    FLOW_NAME,
    REPO,
    answer,
    background,
    operator_env,
    recorded,
    run_cli,
    run_logs,
    trigger,
    wait_for,
    wait_for_deployment,
)
from tests.support.webhook_receiver import Received, WebhookReceiver

pytestmark = pytest.mark.flow

PREFECT = Path(sys.executable).with_name("prefect")
PAPERS = [sys.executable, "-m", "flows.cli"]
ALERT_TIMEOUT_S = 300.0
"""How long an alert may take to arrive: the server's triggers and actions run as services on a loaded box."""


def test_deployed_runs_that_fail_or_degrade_are_alerted_with_reason_counts_and_link(
    prefect_server, tmp_path: Path, cleanup: list[str]
) -> None:
    cleanup.append("trending-papers/daily: ")
    env = operator_env(prefect_server)
    ui = prefect_server.api_url.removesuffix("/api")
    with WebhookReceiver() as receiver:
        deploy = [*PAPERS, "deploy", "--notify", "alerts-test", "--webhook-url", receiver.url()]
        run_cli(deploy, env)
        again = subprocess.run(
            [*deploy, "--json"], env=env, cwd=REPO, capture_output=True, text=True, timeout=300
        )  # twice: the deployment is deployed again, the automations are left as they are
        assert again.returncode == 0, again.stderr
        assert [alert["change"] for alert in json.loads(again.stdout)["alerts"]] == ["unchanged"] * 3
        api = httpx.Client(base_url=prefect_server.api_url, timeout=30)
        assert _automation_names(api) >= {
            "trending-papers/daily: failed",
            "trending-papers/daily: degraded",
            "trending-papers/daily: no run completed",
        }
        assert len([n for n in _all_automation_names(api) if n.startswith("trending-papers/daily:")]) == 3
        deployment = answer(lambda: api.get(f"/deployments/name/{FLOW_NAME}/daily")).json()

        with (
            serving() as server,
            background([str(PREFECT), "worker", "start", "--pool", "papers"], env, tmp_path) as worker,
        ):
            serve_day(server)
            failed = trigger(
                api, deployment["id"], loopback_config(server, tmp_path / "out", day="2025-07-04")
            )
            ended = wait_for(api, failed["id"])
            assert ended["state_type"] == "FAILED", ended["state"]
            alert = receiver.wait_for(
                lambda r: failed["id"] in r.payload.get("body", ""), ALERT_TIMEOUT_S, "failed"
            )
            print(f"failed alert: {_latency(alert, ended):.1f} s after the run ended")
            body = alert.payload["body"].splitlines()
            assert alert.payload["subject"] == f"{FLOW_NAME}/daily: run {ended['name']} failed"
            assert body[0] == f"Failed: {ended['state']['message']}"
            assert body[0].startswith(
                "Failed: every source failed (hf-daily 2025-07-04: retries-exhausted:http:500 (http 500 after 1 "
                f"attempt); hf-page {server.base_url}/papers/trending: http-status:404 (http 404 after 1 attempt))"
            )
            assert body[0].endswith(
                "[counts: inputs 0, published 0, quarantined 0, duplicates 0, new_papers 0, updated_papers 0, "
                "papers_total 0]"
            )
            assert body[1] == f"run: {ui}/runs/flow-run/{failed['id']}"
            _wait_until_no_child(worker.pid)  # the run's process has flushed its logs
            messages = recorded(
                lambda: run_logs(api, failed["id"]),
                lambda logged: any(m.startswith("Finished in state Failed") for m in logged),
                "the run's end",
            )
            engine = [
                m for m in messages if "exited with unexpected exception" in m or "cannot be resolved" in m
            ]
            assert not engine, engine  # the fetch tasks' own failures are logged by Prefect's task engine
            assert any(m.startswith("source failed: hf-daily 2025-07-04: ") for m in messages), messages

            degraded = trigger(
                api, deployment["id"], loopback_config(server, tmp_path / "out", day="2025-07-03")
            )
            ended = wait_for(api, degraded["id"])
            assert (ended["state_type"], ended["state"]["name"]) == ("COMPLETED", "Degraded"), ended["state"]
            alert = receiver.wait_for(
                lambda r: degraded["id"] in r.payload.get("body", ""), ALERT_TIMEOUT_S, "degraded"
            )
            print(f"degraded alert: {_latency(alert, ended):.1f} s after the run ended")
            body = alert.payload["body"].splitlines()
            assert alert.payload["subject"] == f"{FLOW_NAME}/daily: run {ended['name']} is degraded"
            assert body[0] == f"Degraded: {ended['state']['message']}"
            assert body[0].startswith("Degraded: published ")
            assert (
                f", but a source failed: hf-page {server.base_url}/papers/trending: http-status:404 ("
                in body[0]
            )
            assert "[counts: inputs " in body[0] and ", new_papers " in body[0]
            assert body[1] == f"run: {ui}/runs/flow-run/{degraded['id']}"

            crashed = _crashed_run(api, deployment["id"], server, worker.pid, tmp_path / "crashed-out")
            crash_alert = receiver.wait_for(
                lambda r: crashed["id"] in r.payload.get("body", ""), ALERT_TIMEOUT_S, "crashed"
            )
            print(f"crashed alert: {_latency(crash_alert, crashed):.1f} s after the run ended")
            body = crash_alert.payload["body"].splitlines()
            assert crash_alert.payload["subject"] == f"{FLOW_NAME}/daily: run {crashed['name']} failed"
            assert body[0] == f"Crashed: {crashed['state']['message']}", body
            assert "exited with status code: -9" in body[0], body  # the worker's reason: SIGKILL
            assert body[1] == f"run: {ui}/runs/flow-run/{crashed['id']}"
        about_degraded = [
            r.payload["subject"] for r in receiver.received if degraded["id"] in r.payload["body"]
        ]
        assert about_degraded == [alert.payload["subject"]], "one alert per run, of its kind"


def test_no_run_completed_within_the_window_is_alerted_by_the_servers_own_evaluation(
    prefect_server, tmp_path: Path, cleanup: list[str]
) -> None:
    env = operator_env(prefect_server)
    name = f"quiet-{uuid.uuid4().hex[:8]}"  # a new automation, whatever an earlier session left on the server
    cleanup.append(f"trending-papers/{name}: ")
    window = 15
    with WebhookReceiver() as receiver:
        command = [
            *PAPERS,
            "serve",
            "--name",
            name,
            "--notify",
            name,
            "--webhook-url",
            receiver.url(),
        ]
        with background([*command, "--window", f"{window}s", "--out", str(tmp_path / "out")], env, tmp_path):
            api = httpx.Client(base_url=prefect_server.api_url, timeout=30)
            deployment = wait_for_deployment(api, name)
            automation = recorded(
                lambda: _automation(api, f"trending-papers/{name}: no run completed"),
                lambda found: found is not None,
                "the no-run-completed automation",
            )
            assert automation is not None and automation["trigger"]["posture"] == "Proactive"
            assert automation["trigger"]["within"] == window
            assert automation["trigger"]["after"] == automation["trigger"]["expect"]
            alert = receiver.wait_for(
                lambda r: r.payload.get("subject", "").startswith(f"{FLOW_NAME}/{name}: no run completed"),
                ALERT_TIMEOUT_S,
                "quiet",
            )
    created = datetime.fromisoformat(automation["created"])
    due = created + timedelta(seconds=window)
    print(f"no-run-completed alert: {(alert.at - due).total_seconds():.1f} s after the window ended")
    assert alert.payload["subject"] == f"{FLOW_NAME}/{name}: no run completed in 15 s"
    assert f"No run of {FLOW_NAME}/{name} reached Completed or Degraded within" in alert.payload["body"]
    ui = prefect_server.api_url.removesuffix("/api")
    assert f"deployment: {ui}/deployments/deployment/{deployment['id']}" in alert.payload["body"]
    assert alert.at >= due


def serve_day(server: CaptureServer) -> None:
    """2025-07-03 answers; 2025-07-04 fails with 500; the trending page is missing (404)."""
    excerpt = (DATA / "hf-daily" / "2025-07-03-excerpt.json").read_bytes()
    server.route("/api/daily_papers", Reply(200, excerpt), date="2025-07-03", p="0")
    server.route("/api/daily_papers", Reply(200, b"[]"), date="2025-07-03", p="1")
    server.route("/api/daily_papers", Reply(500, b"oops"), date="2025-07-04")
    server.route("/api/query", Reply(200, (DATA / "arxiv" / "recorded-2026-2104.12255v1.xml").read_bytes()))


def _crashed_run(
    api: httpx.Client, deployment_id: str, server: CaptureServer, worker: int, out: Path
) -> dict[str, Any]:
    """A run whose process is SIGKILLed while it waits for the daily API (a day that never answers): the worker
    reports it Crashed, which the "failed" alert covers too. Killed once the server has the run's request."""
    _wait_until_no_child(worker)  # the earlier runs' processes are gone: the one found below is this run's
    server.route("/api/daily_papers", Reply(200, b"[]", delay=600), date="2025-07-05")
    parameters = loopback_config(server, out, day="2025-07-05")
    parameters["config"]["sources"]["read_timeout"] = 600  # the run waits until it is killed
    run = trigger(api, deployment_id, parameters)
    deadline = time.monotonic() + ALERT_TIMEOUT_S
    while not any(seen.query.get("date") == "2025-07-05" for seen in server.requests):
        if time.monotonic() > deadline:
            raise AssertionError(f"the run never asked for 2025-07-05 within {ALERT_TIMEOUT_S:.0f} s")
        time.sleep(0.1)
    engines = _engine_children(psutil.Process(worker))
    assert len(engines) == 1, engines
    engines[0].kill()
    ended = wait_for(api, run["id"])
    assert ended["state_type"] == "CRASHED", ended["state"]
    return ended


def _latency(alert: Received, run: dict[str, Any]) -> float:
    ended = datetime.fromisoformat(run["end_time"] or run["state"]["timestamp"]).astimezone(UTC)
    return (alert.at - ended).total_seconds()


def _all_automation_names(api: httpx.Client) -> list[str]:
    return [a["name"] for a in answer(lambda: api.post("/automations/filter", json={})).json()]


def _automation_names(api: httpx.Client) -> set[str]:
    return set(_all_automation_names(api))


def _delete_automations(api_url: str, prefix: str) -> None:
    """The test's automations go with it: left on the session's server they would keep firing at a closed
    receiver (a proactive one every window), or on later tests' runs of the same deployment."""
    with httpx.Client(base_url=api_url, timeout=30) as api:
        for automation in answer(lambda: api.post("/automations/filter", json={})).json():
            if automation["name"].startswith(prefix):
                answer(lambda: api.delete(f"/automations/{automation['id']}"))  # noqa: B023 (called at once)


@pytest.fixture
def cleanup(prefect_server) -> Iterator[list[str]]:
    """Prefixes of automation names to delete when the test ends, however it ends."""
    prefixes: list[str] = []
    yield prefixes
    for prefix in prefixes:
        _delete_automations(prefect_server.api_url, prefix)


def _automation(api: httpx.Client, name: str) -> dict[str, Any] | None:
    found = [a for a in answer(lambda: api.post("/automations/filter", json={})).json() if a["name"] == name]
    return found[0] if found else None


def _wait_until_no_child(pid: int, timeout: float = 120.0) -> None:
    """Until the worker has no flow-run process left: a run's process sends its last logs as it exits."""
    deadline = time.monotonic() + timeout
    while _engine_children(psutil.Process(pid)):
        if time.monotonic() > deadline:
            raise AssertionError(f"the worker's flow-run process did not exit within {timeout:.0f} s")
        time.sleep(0.5)


def _engine_children(worker: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in worker.children(recursive=True):
        try:
            if "prefect.engine" in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.Error:  # gone meanwhile
            continue
    return found
