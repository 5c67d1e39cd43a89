"""A history published with the previous topic method is derived again, once: by the next run, or by
``papers rederive``; no version mixes two methods."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.cli import ExitCode, main
from flows.run.config import RunConfig
from flows.run.flow import curate
from flows.store.catalog import Catalog
from flows.store.layout import dataset_root
from tests.flows.test_history import write_days
from transforms.derive import topic_method

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]

OLD_SCHEMA = "2.3.0"


def as_old_method(out: Path) -> str:
    """Turn the latest version into one the keyword scorer of schema 2.3.0 published: no ``topic_method``
    column, every topic ``general-ml`` (so a paper derived again visibly changes), 2.3.0 in the files and the
    manifest. Returns its version id."""
    root = dataset_root(out) / "latest"
    for path in sorted((root / "data").glob("*.parquet")):
        table = pq.read_table(path)
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        frame = frame.drop("topic_method").with_columns(
            pl.lit("general-ml").alias("topic"),
            pl.lit(["general-ml"]).alias("topics"),
            pl.col("topic_scores").list.head(0),
        )
        metadata = dict(table.schema.metadata or {})
        metadata[b"trending_papers.schema_version"] = OLD_SCHEMA.encode()
        old = frame.to_arrow().cast(pa.schema([table.schema.field(name) for name in frame.columns]))
        path.unlink()  # a hard link shared with nothing else here, but never written through
        pq.write_table(old.replace_schema_metadata(metadata), path)
    manifest_path = root / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["schema_version"] = OLD_SCHEMA
    del manifest["topic_method"]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    return root.resolve().name


def papers(out: Path) -> pl.DataFrame:
    return pl.read_parquet(dataset_root(out) / "latest" / "data" / "*.parquet").sort("paper_id")


def test_the_first_run_after_an_upgrade_derives_every_carried_paper_again(tmp_path: Path) -> None:
    days = write_days(tmp_path / "days")
    out = tmp_path / "out"
    curate(RunConfig(inputs=days[:2], out_dir=out))
    old = as_old_method(out)
    assert (
        pq.read_schema(next((dataset_root(out) / old / "data").glob("*.parquet"))).get_field_index(
            "topic_method"
        )
        == -1
    )

    summary = curate(RunConfig(inputs=[days[2]], out_dir=out))  # 2507.00002 is not in this day: carried

    assert summary.version != old
    after = papers(out)
    assert after["paper_id"].to_list() == ["arxiv:2507.00001", "arxiv:2507.00002", "arxiv:2507.00003"]
    assert after["topic_method"].to_list() == [topic_method()] * 3
    carried = after.filter(pl.col("paper_id") == "arxiv:2507.00002").row(0, named=True)
    assert carried["topic"] == "robotics" and carried["topic_scores"]
    manifest = Catalog(out).manifest(Catalog(out).latest() or "")
    assert manifest["topic_method"] == topic_method() and manifest["previous_version"] == old


def test_papers_rederive_publishes_once_then_has_nothing_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    days = write_days(tmp_path / "days")
    out = tmp_path / "out"
    curate(RunConfig(inputs=days, out_dir=out))
    before = papers(out)
    old = as_old_method(out)

    assert main(["rederive", "--out", str(out), "--json"]) == ExitCode.DONE
    document = json.loads(capsys.readouterr().out)
    assert document["previous"] == old and document["papers"] == 3 and document["version"]
    after = papers(out)
    assert after["topic_method"].to_list() == [topic_method()] * 3
    # The same method on the same columns gives what the run derived.
    assert after.select("paper_id", "topic", "topics").equals(before.select("paper_id", "topic", "topics"))
    manifest, earlier = Catalog(out).manifest(document["version"]), Catalog(out).manifest(old)
    assert manifest["operation"] == "rederive"
    assert manifest["counts"]["rederived_papers"] == 3
    for carried in ("config", "listing_days", "provenance", "volume"):  # what no re-derivation changes
        assert manifest[carried] == earlier[carried], carried
    assert (Catalog(out).root / document["version"] / "digest" / "feed.xml").is_file()

    assert main(["rederive", "--out", str(out)]) == ExitCode.DONE
    assert "nothing to do" in capsys.readouterr().out
    assert Catalog(out).latest() == document["version"]


def test_papers_rederive_without_a_history_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rederive", "--out", str(tmp_path / "none")]) == ExitCode.USAGE
    assert capsys.readouterr().err.count("\n") == 1
