"""A real ``prefect server start`` on a free 127.0.0.1 port, for tests of deployments, workers and task runners.

The ephemeral API of ``prefect_test_harness`` cannot schedule runs or serve workers; these tests need the real
server, started here from the installed Prefect with its own temporary ``PREFECT_HOME`` and database.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

START_TIMEOUT_S = 300.0
"""Start-up takes ~10-20 s on an idle machine (database migrations) and over 120 s on a shared, loaded one."""

REUSE_ENV = "PAPERS_TEST_PREFECT_API_URL"
"""Set to a running server's API URL (and ``PAPERS_TEST_PREFECT_HOME`` to its home) to reuse it while developing."""


@dataclass(frozen=True)
class PrefectServer:
    api_url: str
    home: Path
    log: Path

    def env(self) -> dict[str, str]:
        """Environment for a process that talks to this server (CLI run, worker, ``prefect deploy``)."""
        return {**os.environ, "PREFECT_API_URL": self.api_url, "PREFECT_HOME": str(self.home)}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(home: Path) -> Iterator[PrefectServer]:
    """Start the server, wait until ``/api/health`` answers, and stop it (and its children) afterwards."""
    if os.environ.get(REUSE_ENV):
        yield PrefectServer(
            api_url=os.environ[REUSE_ENV],
            home=Path(os.environ.get("PAPERS_TEST_PREFECT_HOME", home)),
            log=home / "server.log",
        )
        return
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log = home / "server.log"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    }
    env.pop("PREFECT_API_URL", None)
    prefect = Path(sys.executable).with_name("prefect")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(api_url, process, log)
        yield PrefectServer(api_url=api_url, home=home, log=log)
    finally:
        _stop(process)


def _wait_healthy(api_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prefect server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{api_url}/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"prefect server did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-4000:]}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, SIGKILL if it lingers: no server outlives the test session."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
