"""The flow on a local Dask cluster (prefect-dask's DaskTaskRunner) against a real ``prefect server start``.

One run in a single process and one with clean, language, the MinHash band keys and derive per partition on a
``LocalCluster`` of two worker processes (``--dask-workers 2``), both on the bundled sample: the published
datasets hold the same papers with the same record hashes. Everything listens on 127.0.0.1. The runs are in
this process (a ``papers run`` subprocess would import the whole project again, twice).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import polars as pl
import pytest

from flows.cli.parser import build_parser
from flows.cli.run import run_config
from flows.run.config import RunConfig
from flows.store.previous import open_latest
from tests.support.prefect_runs import recorded

pytestmark = pytest.mark.flow

PARTITION_STAGES = ("clean", "language", "signatures", "derive")


def published(out: Path) -> tuple[pl.DataFrame, dict]:
    latest = open_latest(out)
    assert latest is not None
    manifest = json.loads((latest.path / "manifest.json").read_text(encoding="utf-8"))
    return pl.read_parquet(latest.path / "data" / "*.parquet").sort("paper_id"), manifest


def test_dask_run_publishes_the_same_dataset_as_one_process(prefect_server, tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.run.flow import run_curation

    with temporary_settings({PREFECT_API_URL: prefect_server.api_url}):
        single = run_curation(RunConfig(out_dir=tmp_path / "single", language_workers=1))
        on_dask = run_curation(
            RunConfig(out_dir=tmp_path / "dask", language_workers=1, dask_workers=2, partitions=2)
        )

    (one, one_manifest), (many, manifest) = published(tmp_path / "single"), published(tmp_path / "dask")
    assert one.height == single.counts["published"] > 0
    assert many.select("paper_id", "record_hash").equals(one.select("paper_id", "record_hash"))
    assert many.equals(one)  # every column, not only the hashed ones
    assert on_dask.counts == single.counts
    # Timings are taken in the flow's process: one line per stage, as in a single-process run.
    stages = {stage["stage"]: stage for stage in manifest["stages"]}
    assert [stage["stage"] for stage in one_manifest["stages"]] == list(stages) == [
        "ingest", "clean", "language", "signatures", "dedup", "retract", "derive", "validate"
    ]  # fmt: skip
    assert stages["clean"]["records_in"] == single.counts["inputs"]
    assert stages["derive"]["records_out"] == single.counts["published"]

    # The partition tasks ran on the cluster's workers and reported to the server: two per stage, in the Dask
    # run (the newest completed one: a served deployment's scheduled runs have not started). The server records
    # task runs from the events the workers send, so the count is read until it settles.
    api = httpx.Client(base_url=prefect_server.api_url, timeout=30)
    ended = {"state": {"type": {"any_": ["COMPLETED"]}}}
    query = {"flow_runs": ended, "sort": "START_TIME_DESC", "limit": 1}
    (dask_run,) = api.post("/flow_runs/filter", json=query).raise_for_status().json()

    def partition_tasks() -> dict[str, int]:
        query = {"limit": 200, "flow_runs": {"id": {"any_": [dask_run["id"]]}}}
        runs = api.post("/task_runs/filter", json=query).raise_for_status().json()
        names = [run["name"] for run in runs if run["state_type"] == "COMPLETED"]
        return {
            stage: sum(name.startswith(f"{stage}-partition") for name in names) for stage in PARTITION_STAGES
        }

    recorded(
        partition_tasks, lambda counted: counted == dict.fromkeys(PARTITION_STAGES, 2), "the partition tasks"
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([], {"partitions": 1, "dask_address": None, "dask_workers": None}),
        (["--dask-workers", "3"], {"partitions": 3, "dask_address": None, "dask_workers": 3}),
        (["--dask-address", "tcp://10.0.0.5:8786"], {"partitions": 8, "dask_address": "tcp://10.0.0.5:8786"}),
        (["--dask-address", "tcp://h:1", "--partitions", "16"], {"partitions": 16, "dask_workers": None}),
        (["--partitions", "4"], {"partitions": 4, "dask_address": None, "dask_workers": None}),
    ],
)
def test_cluster_options_become_the_run_config(options: list[str], expected: dict) -> None:
    config = run_config(build_parser().parse_args(["run", *options]))
    assert {name: getattr(config, name) for name in expected} == expected


def test_default_config_stays_on_the_single_process_path() -> None:
    assert not RunConfig().partitioned
    with pytest.raises(ValueError, match="not both"):
        RunConfig(dask_address="tcp://127.0.0.1:8786", dask_workers=2)
