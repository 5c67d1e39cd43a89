"""Prefect settings for a quiet, self-contained local run; must be applied before ``prefect`` is imported."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

QUIET_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}
"""No telemetry, no debug noise, and a generous start-up timeout for the ephemeral API on a busy 2-core box."""

SERVER_DEFAULTS = {
    "PREFECT_LOGGING_LEVEL": "INFO",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_ENABLED": "true",
}
"""With a real server (``PREFECT_API_URL``): run logs at INFO go to the server, the terminal still sees only
warnings (the command line prints its own stage lines)."""


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
