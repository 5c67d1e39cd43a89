"""Prefect for a command of this project: quiet settings, and an API the command's flows can talk to.

:func:`configure_prefect` must run before ``prefect`` is imported: it points ``PREFECT_HOME`` at a predictable
folder and quiets Prefect. :func:`prefect_api` gives a command the configured API (``PREFECT_API_URL``, a
profile, or a test harness) or, without one, a temporary server of its own.

Why not Prefect's own temporary server: Prefect starts it as a child in the terminal's process group, so the
Ctrl-C a shell sends to the whole group stops it too, and the interrupted run then spent minutes retrying to
tell the dead server it had crashed. This one runs the same application (``prefect.server.api.server``, no UI,
the SQLite database under ``PREFECT_HOME``) in a session of its own, so only the command hears Ctrl-C; the
command stops it when it exits, and the reaper (``flows/runtime/reaper.py``) when the command is killed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from flows.runtime.project import PROJECT_ROOT

QUIET_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}
"""No telemetry, no debug noise, and a generous start-up timeout for a temporary API on a busy 2-core box."""

SERVER_DEFAULTS = {
    "PREFECT_LOGGING_LEVEL": "INFO",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_ENABLED": "true",
}
"""With a real server (``PREFECT_API_URL``): run logs at INFO go to the server, the terminal still sees only
warnings (the command line prints its own stage lines)."""

SERVER_LOG = "temporary-server.log"
"""The temporary server's own output, under ``PREFECT_HOME`` (it never reaches the terminal)."""


def configure_prefect(home: Path | None = None) -> Path:
    """Point ``PREFECT_HOME`` at a predictable folder (default: ``.prefect/`` in the project) and quiet Prefect.

    Values already set in the environment win, so an operator can still point at a real Prefect server
    (``PREFECT_API_URL``: then the run's logs go to that server) or raise the log level.
    """
    prefect_home = Path(os.environ.get("PREFECT_HOME") or home or PROJECT_ROOT / ".prefect")
    prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(prefect_home)
    if os.environ.get("PREFECT_API_URL"):
        for name, value in SERVER_DEFAULTS.items():
            os.environ.setdefault(name, value)
    for name, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(name, value)
    return prefect_home


@contextlib.contextmanager
def prefect_api() -> Iterator[str]:
    """The API URL the block's flows use: the configured one, else this process's temporary server.

    The temporary server starts on the first call of the process and is stopped at its exit (after Prefect's
    own exit handlers have flushed their logs and events to it); ``PREFECT_API_URL`` points at it for the
    block, in this process's settings and in the environment its children inherit (Dask workers).
    """
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    configured = get_current_settings().api.url
    if configured:
        yield configured
        return
    url = _temporary_server().api_url
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before


class TemporaryServer:
    """Prefect's API application on a free 127.0.0.1 port, in its own session, output to a log file."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self, timeout_s: float) -> None:
        import httpx

        deadline = time.monotonic() + timeout_s
        while True:
            self.port = _free_port()
            self.process = self._spawn()
            while self.process.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                        return
                time.sleep(0.1)
            if self.process.poll() != 3 or time.monotonic() >= deadline:  # 3: uvicorn lost the port race
                break
        self.stop()
        raise RuntimeError(
            f"the temporary Prefect API did not start within {timeout_s:g} s (its log: {self.home / SERVER_LOG})"
        )

    def _spawn(self) -> subprocess.Popen[bytes]:
        import prefect
        from prefect.settings import get_current_settings

        environment = {
            **os.environ,
            **get_current_settings().to_environment_variables(exclude_unset=True),
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        log = (self.home / SERVER_LOG).open("ab")
        try:
            return subprocess.Popen(
                [
                    *(
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "--app-dir",
                        str(Path(prefect.__file__).parent.parent),
                    ),
                    *("--factory", "prefect.server.api.server:create_app"),
                    *(
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(self.port),
                        "--log-level",
                        "error",
                        "--lifespan",
                        "on",
                    ),
                ],
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # Ctrl-C in the terminal reaches the command, not its API
            )
        finally:
            log.close()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_server: TemporaryServer | None = None


def _temporary_server() -> TemporaryServer:
    global _server
    if _server is None:
        from prefect.settings import get_current_settings

        settings = get_current_settings()
        server = TemporaryServer(Path(settings.home))
        server.start(timeout_s=float(settings.server.ephemeral.startup_timeout_seconds))
        atexit.register(server.stop)  # registered before Prefect's log and event workers: stopped after them
        _server = server
    return _server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
