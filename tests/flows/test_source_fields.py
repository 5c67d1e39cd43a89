"""The fields the daily-papers API gives on recent days (stars, organisation, AI summary, who added the repository)
reach the papers and the ``listings`` table, on the real captures of ``hf-daily-api-2026`` (skipped when absent)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from flows.run.config import RunConfig
from flows.run.flow import curate
from tests.support.golden_runs import SHARED_DATA
from transforms.history.merge import listing_rows

pytestmark = [
    pytest.mark.flow,
    pytest.mark.usefixtures("prefect_harness"),
    pytest.mark.skipif(
        not (SHARED_DATA / "hf-daily-api-2026").is_dir(), reason=f"no shared captures at {SHARED_DATA}"
    ),
]

DAYS = SHARED_DATA / "hf-daily-api-2026"


def items_by_paper() -> dict[str, list[tuple[date, dict]]]:
    """Each paper's items, by the day of the file that lists it, in day order."""
    found: dict[str, list[tuple[date, dict]]] = {}
    for path in sorted(DAYS.glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            found.setdefault(item["paper"]["id"], []).append((date.fromisoformat(path.stem), item))
    return found


@pytest.fixture(scope="module")
def version(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Path:
    out = tmp_path_factory.mktemp("source-fields")
    summary = curate(RunConfig(inputs=[DAYS], out_dir=out))
    assert summary.path is not None and summary.counts["accounting_holds"]
    return summary.path


def test_papers_carry_the_source_fields_of_their_latest_listing(version: Path) -> None:
    papers = pl.read_parquet(version / "data" / "*.parquet").filter(pl.col("arxiv_id").is_not_null())
    items = items_by_paper()
    assert papers.height == len(items) == 93
    for paper in papers.iter_rows(named=True):
        _, latest = items[paper["arxiv_id"]][-1]
        given = latest["paper"]
        organization = given.get("organization") or latest.get("organization") or {}
        assert paper["github_stars"] == given.get("githubStars"), paper["arxiv_id"]
        assert paper["github_repo_added_by"] == given.get("githubRepoAddedBy"), paper["arxiv_id"]
        assert paper["ai_summary"] == given.get("ai_summary"), paper["arxiv_id"]
        assert paper["organization_id"] == organization.get("_id"), paper["arxiv_id"]
        assert paper["organization_name"] == organization.get("name"), paper["arxiv_id"]
        assert paper["organization_fullname"] == organization.get("fullname"), paper["arxiv_id"]
    with_stars = papers.get_column("github_stars").is_not_null().sum()
    with_organization = papers.get_column("organization_name").is_not_null().sum()
    assert (with_stars, with_organization) == (47, 55)


def test_the_listings_table_is_the_papers_listings_one_row_a_day_with_that_days_stars(version: Path) -> None:
    papers = pl.read_parquet(version / "data" / "*.parquet")
    listings = pl.read_parquet(version / "listings" / "*.parquet")
    assert listings.equals(listing_rows(papers))
    assert listings.select("paper_id", "listed_on", "source").is_unique().all()
    expected = {
        (f"arxiv:{arxiv_id}", day): item["paper"].get("githubStars")
        for arxiv_id, days in items_by_paper().items()
        for day, item in days
    }
    found = {
        (pid, day): stars
        for pid, day, stars in listings.select("paper_id", "listed_on", "github_stars").rows()
    }
    assert found == expected
    manifest = json.loads((version / "manifest.json").read_text())
    shards = {f["path"]: f for f in manifest["files"]}
    for entry in manifest["files"]:
        if entry["path"].startswith("listings/"):
            paper_shard = shards["data/" + entry["path"].split("/", 1)[1]]
            assert entry["papers_sha256"] == paper_shard["sha256"]
            assert (entry["first_key"], entry["last_key"]) == (
                paper_shard["first_key"],
                paper_shard["last_key"],
            )


def test_datasets_loads_both_configs_as_polars_reads_them(
    version: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datasets

    for name in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    cache = str(tmp_path / "hf-cache")
    for config, table in (("papers", "data"), ("listings", "listings")):
        loaded = datasets.load_dataset(str(version), config, split="train", cache_dir=cache).to_polars()
        assert loaded.equals(pl.read_parquet(version / table / "*.parquet")), config
    default = datasets.load_dataset(str(version), split="train", cache_dir=cache)
    assert default.num_rows == pl.read_parquet(version / "data" / "*.parquet").height


def test_duckdb_and_polars_read_both_tables(version: Path) -> None:
    import duckdb

    joined = duckdb.sql(
        f"select p.organization_name, count(*) as days from '{version}/listings/*.parquet' l "
        f"join '{version}/data/*.parquet' p using (paper_id) where p.organization_name is not null "
        "group by 1 order by 2 desc, 1 limit 1"
    ).fetchall()
    assert joined and joined[0][1] >= 1
