"""The trending history through the flow: day-by-day runs equal one run, re-reading a day adds nothing, and an
output written with another major schema is refused with one line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from flows.cli import ExitCode, main
from flows.errors import IncompatibleSchema
from flows.run.config import RunConfig
from flows.run.flow import curate
from flows.store.layout import dataset_root

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]

ABSTRACTS = {
    "2507.00001": "We train sparse mixture-of-experts language models on a trillion tokens and show that routing "
    "collapse disappears when the router is regularised towards uniform load across experts during training.",
    "2507.00002": "Robotic grasping in clutter is hard because objects occlude each other. We learn a grasp "
    "quality network from simulated depth images and transfer it to a real arm without any fine-tuning.",
    "2507.00003": "Protein structure prediction is slow on commodity hardware, so we design sparse attention "
    "kernels that exploit contact maps and halve inference memory while matching the accuracy of dense models.",
}
TITLES = {
    "2507.00001": "Balanced Routing for Sparse Experts",
    "2507.00002": "Grasping in Clutter from Simulated Depth",
    "2507.00003": "Sparse Kernels for Protein Folding",
}
HISTORY = ["paper_id", "first_listed_on", "last_listed_on", "days_listed", "listings", "first_seen", "last_seen",
           "times_seen", "record_hash", "upvotes"]  # fmt: skip


def item(arxiv_id: str, upvotes: int, daily_at: str, new_format: bool) -> dict:
    paper = {"id": arxiv_id, "title": TITLES[arxiv_id], "summary": ABSTRACTS[arxiv_id], "upvotes": upvotes,
             "publishedAt": "2025-06-30T12:00:00.000Z", "authors": [{"name": "Ada Example"}]}  # fmt: skip
    if new_format:
        return {"paper": paper | {"submittedOnDailyAt": daily_at}, "numComments": 1}
    return {"paper": paper, "publishedAt": daily_at, "numComments": 1}


def write_days(folder: Path) -> list[Path]:
    """Three API days in the three real shapes: old items, the wrapped day, new items."""
    folder.mkdir()
    days = {
        "2025-07-01.json": [item("2507.00001", 5, "2025-06-30T23:10:00.000Z", False)],
        "2025-07-02.json": {
            "status": "success",
            "date": "2025-07-02",
            "count": 2,
            "data": [
                item("2507.00002", 8, "2025-07-02T01:00:00.000Z", False),
                item("2507.00001", 7, "2025-06-30T23:10:00.000Z", False),
            ],
        },
        "2025-07-03.json": [
            item("2507.00001", 11, "2025-07-01T01:00:00.000Z", True),
            item("2507.00003", 2, "2025-07-03T02:00:00.000Z", True),
        ],
    }
    paths = []
    for name, content in days.items():
        (folder / name).write_text(json.dumps(content), encoding="utf-8")
        paths.append(folder / name)
    return paths


def latest(out: Path) -> pl.DataFrame:
    return pl.read_parquet(dataset_root(out) / "latest" / "data" / "*.parquet").select(HISTORY)


def test_day_by_day_equals_one_run_and_rereading_a_day_adds_nothing(tmp_path: Path) -> None:
    days = write_days(tmp_path / "days")
    for day in days:
        curate(RunConfig(inputs=[day], out_dir=tmp_path / "daily"))
    curate(RunConfig(inputs=days, out_dir=tmp_path / "once"))
    daily, once = latest(tmp_path / "daily"), latest(tmp_path / "once")
    assert_frame_equal(daily, once)
    paper = once.filter(pl.col("paper_id") == "arxiv:2507.00001").row(0, named=True)
    assert (paper["first_listed_on"], paper["last_listed_on"], paper["days_listed"]) == (
        date(2025, 7, 1),
        date(2025, 7, 3),
        3,
    )
    assert [(e["listed_on"].day, e["upvotes"], e["rank"]) for e in paper["listings"]] == [
        (1, 5, 1),
        (2, 7, 2),
        (3, 11, 1),
    ]
    assert paper["times_seen"] == 3 and paper["upvotes"] == 11
    ledger = pl.read_parquet(dataset_root(tmp_path / "once") / "latest" / "ledger.parquet")
    assert sorted(set(ledger["listed_on_evidence"])) == ["document:date", "file-name"]

    summary = curate(RunConfig(inputs=[days[1]], out_dir=tmp_path / "daily"))
    assert summary.counts["updated_papers"] == 2
    assert_frame_equal(latest(tmp_path / "daily"), daily)


def old_schema_version(out: Path) -> Path:
    """A version folder as schema 1.0.0 wrote it (its metadata says so)."""
    folder = dataset_root(out) / "20250101T000000.000000Z"
    (folder / "data").mkdir(parents=True)
    table = pa.table({"paper_id": ["arxiv:2507.00001"], "times_seen": [4]}).replace_schema_metadata(
        {"trending_papers.schema_version": "1.0.0"}
    )
    pq.write_table(table, folder / "data" / "train-00000-of-00001.parquet")
    (dataset_root(out) / "latest").symlink_to(folder.name)
    return folder


def test_an_output_of_the_old_schema_is_refused_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    folder = old_schema_version(out)
    assert main(["run", "--out", str(out)]) == ExitCode.USAGE
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "schema 1.0.0" in error and "--fresh" in error
    with pytest.raises(IncompatibleSchema):
        curate(RunConfig(out_dir=out))
    assert sorted(p.name for p in dataset_root(out).iterdir()) == [folder.name, "latest"]
