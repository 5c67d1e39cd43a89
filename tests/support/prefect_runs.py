"""Driving flow runs on a real Prefect server from a test or a bench: a worker or ``papers serve`` in the
background, a run triggered through the REST API and waited for."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from flows.runtime.prefect import QUIET_DEFAULTS

REPO = Path(__file__).resolve().parents[2]
FLOW_NAME = "curate-trending-papers"
RUN_TIMEOUT_S = 300.0
RECORDED_TIMEOUT_S = 120.0
"""How long a finished run's logs and task runs may take to be recorded: the run's process sends them in batches
(the last at its exit) and the server records task runs from events, both after the run's state says it ended."""

T = TypeVar("T")


def operator_env(prefect_server) -> dict[str, str]:
    """What an operator's shell has: the server's URL, Prefect's own defaults (INFO logs), a fast worker poll."""
    env = {key: value for key, value in prefect_server.env().items() if key not in QUIET_DEFAULTS}
    return env | {
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def run_cli(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"{command}: {result.stdout[-3000:]}\n{result.stderr[-3000:]}"


@contextmanager
def background(command: list[str], env: dict[str, str], folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A worker or ``papers serve`` for the duration of the block; SIGINT then SIGKILL to its process group."""
    log = (folder / "background.log").open("wb")
    process = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()


BUSY = {429, 502, 503}
"""What Prefect's server answers while its database is busy (a loaded machine): nothing was done, ask again, as
Prefect's own client does."""


def answer(send: Callable[[], httpx.Response], attempts: int = 8) -> httpx.Response:
    """``send()``'s response, sent again (up to ``attempts`` times, 0.5 s apart and more) while the server is busy."""
    for attempt in range(attempts):
        response = send()
        if response.status_code not in BUSY or attempt == attempts - 1:
            return response.raise_for_status()
        time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def trigger(api: httpx.Client, deployment_id: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return answer(
        lambda: api.post(f"/deployments/{deployment_id}/create_flow_run", json={"parameters": parameters})
    ).json()


def wait_for(api: httpx.Client, flow_run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        run = answer(lambda: api.get(f"/flow_runs/{flow_run_id}")).json()
        if run["state_type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
            return run
        time.sleep(1)
    raise AssertionError(f"flow run {flow_run_id} did not finish within {RUN_TIMEOUT_S} s: {run['state']}")


def recorded(read: Callable[[], T], done: Callable[[T], bool], what: str) -> T:
    """``read()``'s answer once ``done`` holds for it, read again every half second (up to ``RECORDED_TIMEOUT_S``):
    what a run sends the server asynchronously is there eventually, not when the run's state changes."""
    deadline = time.monotonic() + RECORDED_TIMEOUT_S
    while not done(answer := read()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not recorded within {RECORDED_TIMEOUT_S:.0f} s: {answer!r}")
        time.sleep(0.5)
    return answer


def run_logs(api: httpx.Client, flow_run_id: str) -> list[str]:
    """The messages the server holds for one flow run (its own and its worker's), oldest first."""
    query = {"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "sort": "TIMESTAMP_ASC", "limit": 200}
    return [log["message"] for log in answer(lambda: api.post("/logs/filter", json=query)).json()]


def wait_for_deployment(api: httpx.Client, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        response = api.get(f"/deployments/name/{FLOW_NAME}/{name}")
        if response.status_code == 200:
            return response.json()
        time.sleep(1)
    raise AssertionError(f"papers serve did not register {name} within {RUN_TIMEOUT_S} s")
