import json
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.store.layout import new_version_id
from flows.store.previous import open_latest
from flows.store.publish import Documents, publish_version, remove_stale_staging
from flows.store.tables import WholeTables
from tests.support.paper_rows import paper_row, papers_frame
from transforms.schema import LEDGER_SCHEMA, PAPER_SCHEMA, QUARANTINE_SCHEMA, SCHEMA_VERSION, empty


def publish(out: Path, version: str, papers: pl.DataFrame) -> Path:
    manifest = {"version": version, "counts": {}}
    return publish_version(
        out,
        version,
        WholeTables(papers, None),
        empty(QUARANTINE_SCHEMA),
        empty(LEDGER_SCHEMA),
        Documents("card"),
        manifest,
    )


def test_version_ids_sort_in_time_order_even_when_the_clock_repeats() -> None:
    first = new_version_id(datetime(2024, 5, 27, 8, 0, tzinfo=UTC))
    same_instant = new_version_id(datetime(2024, 5, 27, 8, 0, tzinfo=UTC), previous=first)
    later = new_version_id(datetime(2025, 1, 1, tzinfo=UTC), previous=same_instant)
    assert first < same_instant < later
    assert first == "20240527T080000.000000Z"


def test_publish_writes_a_complete_version_and_points_latest_at_it(tmp_path: Path) -> None:
    papers = papers_frame(paper_row(paper_id="title:ffffffffffffffff", arxiv_id=None), paper_row())
    folder = publish(tmp_path, "20240527T080000.000000Z", papers)
    latest = tmp_path / "trending-papers" / "latest"
    assert latest.is_symlink() and os.readlink(latest) == "20240527T080000.000000Z"
    data = folder / "data" / "train-00000-of-00001-20240527T080000.000000Z.parquet"  # named after its version
    table = pq.read_table(data)
    assert table.schema.equals(PAPER_SCHEMA, check_metadata=False)
    assert table.column("paper_id").to_pylist() == ["arxiv:2405.15738", "title:ffffffffffffffff"]
    metadata = pq.read_schema(data).metadata
    assert metadata[b"trending_papers.schema_version"].decode() == SCHEMA_VERSION
    assert pl.read_parquet_metadata(data)["trending_papers.version"] == "20240527T080000.000000Z"
    rows = duckdb.sql(f"select key, value from parquet_kv_metadata('{data}')").fetchall()
    assert (b"trending_papers.version", b"20240527T080000.000000Z") in rows
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {f["path"] for f in manifest["files"]} == {
        "data/train-00000-of-00001-20240527T080000.000000Z.parquet",
        "listings/train-00000-of-00001-20240527T080000.000000Z.parquet",
        "quarantine/quarantine-00000-of-00001.parquet",
        "ledger.parquet",
    }
    assert data.stat().st_mode & 0o222 == 0
    previous = open_latest(tmp_path)
    assert previous is not None and previous.version == "20240527T080000.000000Z"
    assert previous.papers.height == 2


def test_a_version_is_never_overwritten(tmp_path: Path) -> None:
    papers = papers_frame(paper_row())
    publish(tmp_path, "20240527T080000.000000Z", papers)
    with pytest.raises(FileExistsError):
        publish(tmp_path, "20240527T080000.000000Z", papers)


def test_a_failed_write_leaves_no_version_and_latest_untouched(tmp_path: Path) -> None:
    publish(tmp_path, "20240527T080000.000000Z", papers_frame(paper_row()))
    broken = papers_frame(paper_row()).with_columns(pl.lit(None, pl.String).alias("paper_id"))
    with pytest.raises((ValueError, pa.ArrowInvalid)):
        publish(tmp_path, "20240528T080000.000000Z", broken)
    root = tmp_path / "trending-papers"
    assert sorted(p.name for p in root.iterdir()) == [
        "20240527T080000.000000Z",
        "README.md",
        "journal.jsonl",
        "latest",
    ]
    assert os.readlink(root / "latest") == "20240527T080000.000000Z"


def test_stale_staging_folders_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / "trending-papers" / ".staging-20240101T000000.000000Z"
    stale.mkdir(parents=True)
    assert remove_stale_staging(tmp_path) == [stale]
    assert not stale.exists()


def test_read_latest_before_any_publish_is_none(tmp_path: Path) -> None:
    assert open_latest(tmp_path) is None


def test_the_dataset_root_loads_as_latest_and_never_as_a_concatenation_of_versions(tmp_path: Path) -> None:
    """What each reader of the README gives on the dataset root, with two versions published."""
    import datasets
    import pandas as pd

    publish(tmp_path, "20240527T080000.000000Z", papers_frame(paper_row(paper_id="arxiv:1", arxiv_id="1")))
    publish(
        tmp_path,
        "20240528T080000.000000Z",
        papers_frame(
            paper_row(paper_id="arxiv:1", arxiv_id="1"), paper_row(paper_id="arxiv:2", arxiv_id="2")
        ),
    )
    root = tmp_path / "trending-papers"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_DATASETS_OFFLINE", "1")
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
        loaded = datasets.load_dataset(str(root), split="train", cache_dir=str(tmp_path / "cache"))
    assert sorted(loaded["paper_id"]) == ["arxiv:1", "arxiv:2"]  # latest only: 2 rows, not 1 + 2
    with pytest.raises(Exception):  # noqa: B017 - pyarrow refuses the mixed folder
        pd.read_parquet(root)
    with pytest.raises(Exception):  # noqa: B017 - polars too
        pl.read_parquet(root)
    assert pl.read_parquet(root / "latest" / "data" / "*.parquet").height == 2
    assert duckdb.sql(f"select count(*) from '{root}/latest/data/*.parquet'").fetchall() == [(2,)]
