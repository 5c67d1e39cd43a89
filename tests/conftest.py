"""Test-wide settings: Prefect state in a temporary folder, quiet, and one ephemeral API per session."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.runtime.prefect import configure_prefect

configure_prefect(Path(tempfile.mkdtemp(prefix="prefect-home-")))
os.environ.setdefault("HYPOTHESIS_PROFILE", "ci")

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect API and database for the whole session (started once: it costs ~10 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory):
    """A real ``prefect server start`` on a free 127.0.0.1 port for the whole session
    (tests/support/prefect_server.py)."""
    from tests.support.prefect_server import running_server

    with running_server(tmp_path_factory.mktemp("prefect-server-home")) as server:
        yield server


@pytest.fixture(scope="session")
def multi_day_dataset(tmp_path_factory: pytest.TempPathFactory, prefect_harness):
    """Two published versions of real captures over two weeks (see tests/support/multi_day.py)."""
    from tests.support.multi_day import SHARED_DATA, build

    if not (SHARED_DATA / "hf-daily-api").is_dir() or not (SHARED_DATA / "hf-scraped-2024").is_dir():
        pytest.skip(f"the multi-day fixture needs the shared captures at {SHARED_DATA} (set PAPERS_SHARED)")
    return build(tmp_path_factory.mktemp("multi-day"))
