"""The card's sources and licences cover every source of every paper of a version, carried from version to
version, and a release refuses papers whose sources state no licence unless told; on real captures (skipped
when absent)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from flows.cli.exits import ExitCode
from flows.cli.main import main
from flows.release.folder import build_release_folder, unlicensed_papers
from flows.run.config import RunConfig
from flows.run.flow import curate
from tests.support.golden_runs import SHARED_DATA
from transforms.report.provenance import licence_known

pytestmark = [
    pytest.mark.flow,
    pytest.mark.usefixtures("prefect_harness"),
    pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"no shared captures at {SHARED_DATA}"),
]

RUNS = [
    [SHARED_DATA / "hf-daily-api" / "2024-06-03.json"],  # Apache-2.0
    [SHARED_DATA / "hf-scraped-2024" / f"2024-06-0{day}.json" for day in (3, 4)],  # none stated
    [SHARED_DATA / "arxiv-api" / "classic-2016"],  # MIT
]


@pytest.fixture(scope="module")
def three_versions(
    tmp_path_factory: pytest.TempPathFactory, prefect_harness: None
) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("licences")
    versions = []
    for inputs in RUNS:
        summary = curate(RunConfig(inputs=inputs, out_dir=out))
        assert summary.path is not None
        versions.append(summary.path)
    return out, versions


def test_every_source_of_every_paper_is_carried_to_the_last_version(three_versions) -> None:
    _, versions = three_versions
    manifests = [json.loads((v / "manifest.json").read_text()) for v in versions]
    names = [[entry["name"] for entry in m["provenance"]] for m in manifests]
    assert names == [
        ["hf-daily-api"],
        ["hf-daily-api", "hf-scraped-2024"],
        ["arxiv-api", "hf-daily-api", "hf-scraped-2024"],
    ]
    last = {entry["name"]: entry for entry in manifests[-1]["provenance"]}
    assert (last["hf-daily-api"]["licence"], last["arxiv-api"]["licence"]) == ("Apache-2.0", "MIT")
    assert last["hf-scraped-2024"]["licence"] == "none stated" and last["hf-scraped-2024"]["inputs"] == 2
    # every capture a paper names is a capture of a named source
    papers = pl.read_parquet(versions[-1] / "data" / "*.parquet")
    named = {sha for entry in last.values() for sha in entry["captures"]}
    found = set(
        papers.select(pl.col("sources").list.eval(pl.element().struct.field("raw_sha256")))
        .explode("sources")
        .get_column("sources")
    )
    assert found and found <= named
    card = (versions[-1] / "README.md").read_text(encoding="utf-8")
    for name, entry in last.items():
        known = "yes" if licence_known(entry["licence"]) else "no"
        assert f"| {name} | " in card and f"| {known} | {entry['inputs']} |" in card, name


def test_a_release_refuses_papers_of_unknown_licence_unless_told(three_versions, capsys) -> None:
    out, versions = three_versions
    unknown = unlicensed_papers(versions[-1])
    scraped_day_2 = pl.read_parquet(versions[-1] / "data" / "*.parquet").filter(
        pl.col("first_listed_on").cast(pl.String) == "2024-06-04"
    )
    assert (
        0 < unknown.height <= scraped_day_2.height
    )  # only the scraper's second day; its first is also the API's

    code = main(["release", "latest", "--repo-id", "owner/name", "--dry-run", "--out", str(out)])
    assert code == ExitCode.USAGE
    err = capsys.readouterr().err.strip()
    assert (
        len(err.splitlines()) == 1
        and f"{unknown.height} papers" in err
        and "--accept-unknown-licences" in err
    )

    folder = build_release_folder(out, versions[-1], "owner/name", None)
    card = (folder / "README.md").read_text(encoding="utf-8")
    total = pl.read_parquet(versions[-1] / "data" / "*.parquet").height
    assert f"{unknown.height} of the {total} papers are found only in sources that state no licence" in card
    assert "| terms stated | inputs | papers |" in card
