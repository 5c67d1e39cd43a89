"""The daily deployment against a real ``prefect server start`` (fixture ``prefect_server``), sources on loopback.

Two setups, one run each (these are the slow tests of the suite; timings are in bench/RESULTS.md, "Operations"):
- ``prefect.yaml`` deployed with ``prefect deploy``, executed by a process worker: it publishes, and the run's
  artifacts and stage logs are on the server;
- ``papers serve``: a run whose sources all fail ends Failed, with the reason, and publishes nothing.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from flows.run.deployment import DEPLOYMENT_NAME, daily_parameters
from flows.store.previous import open_latest
from tests.support.capture_server import CaptureServer, Reply, serving
from tests.support.prefect_runs import (
    FLOW_NAME,
    background,
    operator_env,
    recorded,
    run_cli,
    run_logs,
    trigger,
    wait_for,
    wait_for_deployment,
)

pytestmark = pytest.mark.flow

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
PREFECT = Path(sys.executable).with_name("prefect")


def test_prefect_yaml_declares_the_same_daily_deployment_as_papers_serve() -> None:
    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    (daily,) = [d for d in config["deployments"] if d["name"] == DEPLOYMENT_NAME]
    assert daily["parameters"] == daily_parameters()
    assert daily["schedules"] == [{"cron": "30 6 * * *", "timezone": "UTC", "active": True}]
    assert daily["entrypoint"] == "flows/run/flow.py:curate"


def test_deployed_daily_run_on_a_worker_publishes_with_artifacts_and_logs(
    prefect_server, tmp_path: Path
) -> None:
    env = operator_env(prefect_server)
    run_cli([str(PREFECT), "work-pool", "create", "papers", "--type", "process", "--overwrite"], env)
    run_cli([str(PREFECT), "--no-prompt", "deploy", "--prefect-file", "prefect.yaml", "-n", "daily"], env)
    api = httpx.Client(base_url=prefect_server.api_url, timeout=30)
    deployment = api.get(f"/deployments/name/{FLOW_NAME}/{DEPLOYMENT_NAME}").raise_for_status().json()
    assert deployment["schedules"][0]["schedule"]["cron"] == "30 6 * * *"
    assert deployment["parameters"] == daily_parameters()

    with (
        serving() as server,
        background([str(PREFECT), "worker", "start", "--pool", "papers"], env, tmp_path),
    ):
        serve_captures(server)
        out = tmp_path / "out"
        started = time.monotonic()
        run = trigger(api, deployment["id"], loopback_config(server, out, day="2025-07-03"))
        finished = wait_for(api, run["id"])
        print(f"deployed run: {time.monotonic() - started:.1f} s from trigger to {finished['state_type']}")

    assert finished["state_type"] == "COMPLETED", finished["state"]
    latest = open_latest(out)
    assert latest is not None and latest.papers.height > 0
    manifest = json.loads((latest.path / "manifest.json").read_text())
    assert [stage["stage"] for stage in manifest["stages"]] == [
        "ingest", "clean", "language", "signatures", "dedup", "retract", "derive", "validate"
    ]  # fmt: skip
    artifacts = api.post(
        "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}}
    ).json()
    by_key = {artifact["key"]: artifact for artifact in artifacts}
    assert set(by_key) == {"curation-summary", "curation-topics"}
    assert f"published version `{latest.version}`" in by_key["curation-summary"]["data"]
    assert "| publish |" in by_key["curation-summary"]["data"]
    assert by_key["curation-topics"]["type"] == "table"
    recorded(
        lambda: run_logs(api, run["id"]),
        lambda messages: any(message.startswith("stage dedup") for message in messages),
        "the flow's stage log lines",
    )


def test_served_run_whose_sources_all_fail_ends_failed_with_the_reason(
    prefect_server, tmp_path: Path
) -> None:
    env = operator_env(prefect_server)
    name = "serve-test"
    with (
        serving() as server,
        background([sys.executable, "-m", "flows.cli", "serve", "--name", name], env, tmp_path),
    ):
        server.route(
            "/api/daily_papers", Reply(500, b"oops"), date="2025-07-04"
        )  # a bad day; no trending page
        api = httpx.Client(base_url=prefect_server.api_url, timeout=30)
        deployment = wait_for_deployment(api, name)
        out = tmp_path / "out"
        run = trigger(api, deployment["id"], loopback_config(server, out, day="2025-07-04"))
        finished = wait_for(api, run["id"])

    assert finished["state_type"] == "FAILED"
    message = finished["state"]["message"]
    assert message.startswith("every source failed (hf-daily 2025-07-04: "), message
    daily_reason = message.split(";")[0]
    assert "500" in daily_reason, message
    assert f"{server.base_url}/papers/trending: http-status:404" in message
    assert open_latest(out) is None


def loopback_config(server: CaptureServer, out: Path, day: str) -> dict[str, Any]:
    """The daily deployment's parameters, pointed at the loopback server and without pacing or retries."""
    config = daily_parameters(out_dir=out)["config"]
    config["sources"] |= {
        "hf_daily": day,
        "hf_pages": [f"{server.base_url}/papers/trending"],
        "hf_base_url": server.base_url,
        "arxiv_base_url": server.base_url,
        "min_interval": 0,
        "arxiv_min_interval": 0,
        "max_retries": 0,
        "task_retries": 0,
        "read_timeout": 10,
    }
    return {"config": config}


def serve_captures(server: CaptureServer) -> None:
    """2025-07-03 and the trending page answer; 2025-07-04 fails with 500, as on a bad day."""
    excerpt = (DATA / "hf-daily" / "2025-07-03-excerpt.json").read_bytes()
    server.route("/api/daily_papers", Reply(200, excerpt), date="2025-07-03", p="0")
    server.route("/api/daily_papers", Reply(200, b"[]"), date="2025-07-03", p="1")
    server.route("/api/daily_papers", Reply(500, b"oops"), date="2025-07-04")
    server.route("/papers/trending", Reply(200, (DATA / "hf-page" / "listing-embedded.html").read_bytes()))
    server.route("/api/query", Reply(200, (DATA / "arxiv" / "recorded-2026-2104.12255v1.xml").read_bytes()))
