"""End-to-end runs of the curation flow on the bundled page, under a temporary Prefect API."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from flows.cli import ExitCode, main
from flows.run.config import RunConfig
from flows.run.flow import curate
from flows.run.outcome import NothingPublished, summary_of
from flows.run.results import RunSummary
from flows.store.layout import dataset_root
from flows.store.previous import open_latest
from flows.store.publish import Documents, publish_version
from flows.store.tables import WholeTables
from tests.support.paper_rows import paper_row, papers_frame
from transforms.schema import LEDGER_SCHEMA, PAPER_SCHEMA, QUARANTINE_SCHEMA, empty

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]

FRENCH_ABSTRACT = (
    "Nous étudions les réseaux de neurones profonds et montrons que leur entraînement est stable "
    "lorsque le taux d'apprentissage diminue lentement au cours du temps, ce qui confirme nos "
    "hypothèses théoriques sur la géométrie du paysage de perte."
)
CHANNEL_PRUNING = {
    "Channel Pruning for Accelerating Very Deep Neural Networks",
    "Pruning Very Deep Neural Network Channels for Efficient Inference",
}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunSummary]:
    out = tmp_path_factory.mktemp("out")
    return out, curate(RunConfig(out_dir=out))


def version_papers(folder: Path) -> pl.DataFrame:
    return pl.read_parquet(folder / "data" / "*.parquet")


def test_bundled_page_gives_99_papers_with_the_channel_pruning_pair_merged(first_run) -> None:
    _, summary = first_run
    assert summary.counts["inputs"] == 100
    assert summary.counts["published"] == 99
    assert summary.counts["duplicates"] == 1
    assert summary.counts["quarantined"] == 0
    assert summary.counts["accounting_holds"]
    papers = version_papers(summary.path)
    assert papers.height == 99
    assert papers.get_column("paper_id").is_unique().all()
    merged = papers.filter(pl.col("aliases").list.len() > 0)
    assert merged.height == 1
    assert {merged.item(0, "title"), *merged.item(0, "aliases")} == CHANNEL_PRUNING
    assert not papers.get_column("title").str.starts_with("Subscribe").any()
    assert not papers.get_column("title").str.contains("email inbox").any()
    assert (papers.get_column("language") == "en").all()


def test_manifest_and_ledger_account_for_every_record(first_run) -> None:
    _, summary = first_run
    manifest = json.loads((summary.path / "manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["inputs"] == counts["published"] + counts["duplicates"] + counts["quarantined"]
    assert manifest["schema_version"] and manifest["version"] == summary.version
    assert manifest["inputs"][0]["sha256"] and manifest["inputs"][0]["path"].endswith(
        "trending-papers-page.txt"
    )
    ledger = pl.read_parquet(summary.path / "ledger.parquet")
    assert ledger.height == 100
    duplicate = ledger.filter(pl.col("outcome") == "duplicate")
    assert (
        duplicate.height == 1 and duplicate.item(0, "merged_into") in ledger.get_column("record_id").to_list()
    )
    for entry in (e for e in manifest["files"] if e["path"].endswith(".parquet")):
        assert pq.read_metadata(summary.path / entry["path"]).num_rows == entry["rows"]


def test_every_reader_loads_the_version(first_run) -> None:
    _, summary = first_run
    files = str(summary.path / "data" / "*.parquet")
    assert pq.read_table(summary.path / "data").schema.equals(PAPER_SCHEMA, check_metadata=False)
    assert pd.read_parquet(summary.path / "data").shape[0] == 99
    assert duckdb.sql(f"select count(*) from read_parquet('{files}')").fetchall() == [(99,)]
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    import datasets

    loaded = datasets.load_dataset(
        str(summary.path), split="train", cache_dir=str(summary.path.parent / ".hf")
    )
    assert loaded.num_rows == 99 and "paper_id" in loaded.column_names


def test_second_run_updates_papers_instead_of_adding_them(first_run) -> None:
    out, first = first_run
    second = curate(RunConfig(out_dir=out))
    assert second.version > first.version
    assert open_latest(out).version == second.version
    before, after = version_papers(first.path), version_papers(second.path)
    assert after.get_column("paper_id").to_list() == before.get_column("paper_id").to_list()
    assert (after.get_column("times_seen") == 1).all(), "the same bytes read again are not a new capture"
    assert (after.get_column("days_listed") == 1).all()
    history = ["first_seen", "last_seen", "first_listed_on", "listings"]
    assert after.select(history).equals(before.select(history))
    assert second.counts["new_papers"] == 0 and second.counts["updated_papers"] == 99
    assert after.get_column("record_hash").to_list() == before.get_column("record_hash").to_list()
    manifest = json.loads((second.path / "manifest.json").read_text())
    assert after.equals(before)  # the analysis columns, recomputed for every paper, come out the same
    shared = {f["path"] for f in manifest["files"] if f.get("linked_from") == first.version}
    assert shared == {
        f"data/train-00000-of-00001-{second.version}.parquet",
        f"listings/train-00000-of-00001-{second.version}.parquet",
        f"index/dedup-keys-00000-of-00001-{second.version}.parquet",
    }
    # equal rows: the second version holds the first one's file (under its own name), not a copy
    for path in shared:
        earlier = first.path / path.replace(second.version, first.version)
        assert (second.path / path).stat().st_ino == earlier.stat().st_ino
    assert manifest["storage"]["new_bytes"] < manifest["storage"]["bytes"]


def test_run_with_nothing_publishable_exits_non_zero_and_keeps_its_quarantine(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Un article\n" + FRENCH_ABSTRACT + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(page), "--out", str(out)]) == ExitCode.NOTHING_PUBLISHED
    assert open_latest(out) is None
    failed = next((out / "failed-runs").iterdir())
    quarantine = pl.read_parquet(failed / "quarantine.parquet")
    assert quarantine.get_column("reasons").to_list() == [["language:fr"]]


def test_broken_contract_publishes_nothing_and_leaves_latest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    corrupt = papers_frame(paper_row(), paper_row())
    publish_version(
        out,
        "20000101T000000.000000Z",
        WholeTables(corrupt, None),
        empty(QUARANTINE_SCHEMA),
        empty(LEDGER_SCHEMA),
        Documents(""),
        {},
    )
    assert main(["run", "--out", str(out)]) == ExitCode.CONTRACT_BROKEN
    root = dataset_root(out)
    assert os.readlink(root / "latest") == "20000101T000000.000000Z"
    assert sorted(p.name for p in root.iterdir()) == [
        "20000101T000000.000000Z",
        "README.md",
        "journal.jsonl",
        "latest",
    ]


STAGES = ["ingest", "clean", "language", "signatures", "dedup", "retract", "derive", "validate", "publish"]


def test_cli_run_prints_a_line_per_stage_then_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--out", str(tmp_path)]) == ExitCode.DONE
    printed = capsys.readouterr().out
    assert "published    99" in printed and "duplicates   1" in printed and "trending-papers" in printed
    lines = printed.splitlines()
    assert [line.split()[0] for line in lines[: len(STAGES)]] == STAGES
    assert lines[0].split()[1:4] == ["1", "->", "100"] and lines[0].endswith(" s")
    assert lines[4].split()[1:5] == ["100", "->", "99", "records"]  # dedup: the channel-pruning pair merged


def test_cli_json_prints_the_summary_as_json_and_stage_lines_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--json", "--out", str(tmp_path)]) == ExitCode.DONE
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["status"] == "published" and summary["exit_code"] == 0
    assert summary["counts"]["published"] == 99 and summary["path"].endswith(summary["version"])
    assert [stage["stage"] for stage in summary["stages"]] == STAGES
    assert all(stage["seconds"] >= 0 for stage in summary["stages"])
    assert [line.split()[0] for line in captured.err.splitlines()] == STAGES


def test_cli_quiet_prints_nothing_and_a_run_without_output_is_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Un article\n" + FRENCH_ABSTRACT + "\n", encoding="utf-8")
    assert main(["run", str(page), "--quiet", "--out", str(tmp_path / "out")]) == ExitCode.NOTHING_PUBLISHED
    assert capsys.readouterr() == ("", "")
    state = curate(RunConfig(inputs=[page], out_dir=tmp_path / "out"), return_state=True)
    assert state.is_failed()
    assert state.message == (
        "nothing published: no record of this run could be published "
        "[counts: inputs 1, published 0, quarantined 1, duplicates 0, new_papers 0, updated_papers 0, "
        "papers_total 0]"
    )
    failure = state.result(raise_on_failure=False)
    assert isinstance(failure, NothingPublished) and str(failure) == state.message
    assert summary_of(state).counts["quarantined_by_reason"] == {"language:fr": 1}


def test_manifest_records_stage_timings(first_run) -> None:
    _, summary = first_run
    stages = json.loads((summary.path / "manifest.json").read_text())["stages"]
    assert [stage["stage"] for stage in stages] == STAGES[:-1]  # publish writes the manifest while it runs
    assert stages[0] | {"seconds": 0} == {
        "stage": "ingest",
        "records_in": 1,
        "records_out": 100,
        "seconds": 0,
    }
    assert all(isinstance(stage["seconds"], float) for stage in stages)


def test_version_holds_its_validation_results_as_a_page_that_renders(first_run, tmp_path: Path) -> None:
    from tests.support.browser import open_page

    _, summary = first_run
    results = json.loads((summary.path / "validation" / "results.json").read_text())
    names = [result["name"] for result in results]
    assert {"paper-id-format", "paper-id-unique", "not-empty"} <= set(names)
    assert all(result["success"] for result in results)
    with open_page(summary.path / "validation" / "index.html") as (page, log):
        assert page.title() == f"Validation results: {summary.version}"
        rows = page.locator("tr.expectation")
        assert rows.count() == len(results)
        assert rows.first.inner_text().startswith(names[0])
        assert page.locator(".summary").inner_text().split() == [
            str(len(results)), "expectations", str(len(results)), "passed", "0", "failed"
        ]  # fmt: skip
        assert page.get_by_text("expect_column_values_to_match_regex").first.is_visible()
        page.screenshot(path=str(tmp_path / "validation.png"), full_page=True)
    assert log.errors == [] and log.failed_requests == []


def test_unparseable_input_is_counted_and_quarantined_with_its_parse_reason_only(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"not": "a listing"}', encoding="utf-8")
    sample = Path(__file__).resolve().parents[2] / "data" / "sample" / "trending-papers-page.txt"
    summary = curate(RunConfig(inputs=[sample, broken], out_dir=tmp_path / "out"))
    assert summary.counts["inputs"] == 101
    assert summary.counts["quarantined"] == 1
    assert summary.counts["quarantined_by_reason"] == {"parse:unrecognised-format": 1}
    quarantine = pl.read_parquet(summary.path / "quarantine" / "*.parquet")
    assert quarantine.select("stage", "input_path").row(0) == ("ingest", str(broken))


def test_a_paper_failing_a_row_expectation_is_quarantined_at_the_gate(tmp_path: Path) -> None:
    sentence = "We train a deep network on a large benchmark and report that it generalises well. "
    page = tmp_path / "page.txt"
    page.write_text(
        "An Endless Abstract About Networks\n" + sentence * 130 + "\n"
        "Sparse Kernels for Protein Folding\n"
        + "Protein structure prediction is slow on commodity hardware, so we design sparse attention kernels "
        "that exploit contact maps and cut inference memory by half while matching the accuracy of dense "
        "baselines on standard folding benchmarks and held-out families.\n",
        encoding="utf-8",
    )
    summary = curate(RunConfig(inputs=[page], out_dir=tmp_path / "out"))
    assert summary.counts["published"] == 1
    assert summary.counts["quarantined_by_reason"] == {"expectation:abstract-length": 1}
    quarantine = pl.read_parquet(summary.path / "quarantine" / "*.parquet")
    assert quarantine.select("stage", "title_raw").row(0) == (
        "validate",
        "An Endless Abstract About Networks",
    )
