"""The flow on a local Dask cluster (prefect-dask's DaskTaskRunner) against a real ``prefect server start``.

One run in a single process and one with clean, language, the MinHash band keys and derive per partition on a
``LocalCluster`` of two worker processes, both through ``papers run`` on the bundled sample: the published
datasets hold the same papers with the same record hashes. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from flows.publish import read_latest

pytestmark = pytest.mark.flow

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 600


def papers_run(server: Any, out: Path, *options: str) -> dict[str, Any]:
    """``papers run --json`` on the bundled sample with the server's environment; the run's summary."""
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--out", str(out), "--json", "--workers", "1", *options],
        cwd=REPO,
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


def published(out: Path) -> pl.DataFrame:
    latest = read_latest(out)
    assert latest is not None
    return pl.read_parquet(latest.path / "data" / "*.parquet").sort("paper_id")


def test_dask_run_publishes_the_same_dataset_as_one_process(prefect_server, tmp_path: Path) -> None:
    single = papers_run(prefect_server, tmp_path / "single")
    on_dask = papers_run(prefect_server, tmp_path / "dask", "--dask-workers", "2", "--partitions", "2")

    one, many = published(tmp_path / "single"), published(tmp_path / "dask")
    assert one.height == single["counts"]["published"] > 0
    assert many.select("paper_id", "record_hash").equals(one.select("paper_id", "record_hash"))
    assert many.equals(one)  # every column, not only the hashed ones
    assert on_dask["counts"] == single["counts"]
    stages = [stage["stage"] for stage in on_dask["stages"]]
    assert stages == ["ingest", "clean", "language", "signatures", "dedup", "derive", "validate", "publish"]
    by_stage = {stage["stage"]: stage for stage in on_dask["stages"]}
    assert by_stage["clean"]["records_in"] == single["counts"]["inputs"]
    assert by_stage["derive"]["records_out"] == single["counts"]["published"]

    # The partition tasks ran on the cluster's workers and reported to the server, two per stage.
    api = httpx.Client(base_url=prefect_server.api_url, timeout=30)
    runs = api.post("/task_runs/filter", json={"limit": 200}).raise_for_status().json()
    names = [run["name"] for run in runs if run["state_type"] == "COMPLETED"]
    for stage in ("clean", "language", "signatures", "derive"):
        assert sum(name.startswith(f"{stage}-partition") for name in names) == 2, (stage, sorted(names))
