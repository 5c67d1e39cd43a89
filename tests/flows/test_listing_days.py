"""Listing days come only from listings: on real captures copied today, records of arXiv feeds, Papers with Code
pages and a single paper's page get no ``listed_on``, and their papers no ``first_listed_on`` unless a listing has
them too. Skipped when the shared captures are absent."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from flows.run.config import RunConfig
from flows.run.flow import curate
from flows.store.layout import LEDGER_FILE
from tests.support.golden_runs import SHARED_DATA
from transforms.parse.listing import NOT_A_LISTING

pytestmark = [
    pytest.mark.flow,
    pytest.mark.usefixtures("prefect_harness"),
    pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"no shared captures at {SHARED_DATA}"),
]

DAILY_DAY = "2024-06-04"
NOT_LISTINGS = ("arxiv-api", "pwc-api", "hf-paper-page")


def copied_today(tmp_path: Path) -> Path:
    """One daily-papers day and the inputs that are not listings, copied now (every file's time is today)."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    shutil.copyfile(SHARED_DATA / "hf-daily-api" / f"{DAILY_DAY}.json", folder / f"{DAILY_DAY}.json")
    for name in NOT_LISTINGS:
        shutil.copytree(SHARED_DATA / name, folder / name, ignore=shutil.ignore_patterns("PROVENANCE.txt"))
    return folder


def test_only_listings_date_papers_on_real_captures(tmp_path: Path) -> None:
    summary = curate(RunConfig(inputs=[copied_today(tmp_path)], out_dir=tmp_path / "out"))
    assert summary.path is not None and summary.counts["accounting_holds"]

    ledger = pl.read_parquet(summary.path / LEDGER_FILE)
    from_listing = pl.col("source") == "hf-daily"
    listing, others = ledger.filter(from_listing), ledger.filter(~from_listing)
    assert listing.height > 0 and others.height > 50
    assert listing.get_column("listed_on").unique().to_list() == [date.fromisoformat(DAILY_DAY)]
    assert others.get_column("listed_on").null_count() == others.height
    assert set(others.get_column("listed_on_evidence")) == {NOT_A_LISTING}
    assert set(others.get_column("source")) == {"arxiv", "pwc", "hf-page"}

    papers = pl.read_parquet(summary.path / "data" / "*.parquet")
    listed = papers.filter(
        pl.col("sources").list.eval(pl.element().struct.field("source") == "hf-daily").list.any()
    )
    unlisted = papers.filter(~pl.col("paper_id").is_in(listed.get_column("paper_id").implode()))
    assert unlisted.height > 0 and listed.height > 0
    assert unlisted.get_column("first_listed_on").null_count() == unlisted.height
    assert (unlisted.get_column("days_listed") == 0).all()
    assert listed.get_column("first_listed_on").unique().to_list() == [date.fromisoformat(DAILY_DAY)]
    assert datetime.now(UTC).date() not in papers.get_column("first_listed_on").to_list()


def test_a_paper_page_paper_is_dated_by_the_listing_that_also_has_it(tmp_path: Path) -> None:
    """The paper of ``hf-paper-page`` (a single paper's page: no day) is also on a daily list saved beside it:
    the paper has that list's day, and one listing."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    shutil.copyfile(SHARED_DATA / "hf-paper-page" / "paper_2509.24002.html", folder / "paper_2509.24002.html")
    item = {
        "paper": {
            "id": "2509.24002",
            "title": "MCPMark: A Benchmark for Stress-Testing Realistic and Comprehensive MCP Use",
            "summary": " ".join(
                ["Agents use the Model Context Protocol to call tools in realistic workflows."] * 4
            ),
            "upvotes": 90,
            "submittedOnDailyAt": "2025-09-30T01:02:03.000Z",
        },
        "publishedAt": "2025-09-29T17:59:59.000Z",
        "numComments": 3,
    }
    (folder / "2025-09-30.json").write_text(json.dumps([item]), encoding="utf-8")

    summary = curate(RunConfig(inputs=[folder], out_dir=tmp_path / "out"))

    assert summary.path is not None
    papers = pl.read_parquet(summary.path / "data" / "*.parquet")
    paper = papers.filter(pl.col("arxiv_id") == "2509.24002").row(0, named=True)
    assert paper["times_seen"] == 2
    assert paper["first_listed_on"] == paper["last_listed_on"] == date(2025, 9, 30)
    assert [(entry["listed_on"], entry["source"]) for entry in paper["listings"]] == [
        (date(2025, 9, 30), "hf-daily")
    ]
