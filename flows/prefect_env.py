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


def configure_prefect(home: Path | None = None) -> Path:
    """Point ``PREFECT_HOME`` at a predictable folder (default: ``.prefect/`` in the project) and quiet Prefect.

    Values already set in the environment win, so an operator can still point at a real Prefect server
    (``PREFECT_API_URL``) or raise the log level.
    """
    prefect_home = Path(os.environ.get("PREFECT_HOME") or home or PROJECT_ROOT / ".prefect")
    prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(prefect_home)
    for name, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(name, value)
    return prefect_home
