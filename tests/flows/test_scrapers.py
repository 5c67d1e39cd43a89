"""Other scrapers' files through a whole run (skipped when the shared captures are absent): another scraper's
dumps publish their papers with real abstracts and quarantine the junk; daily-papers days reshaped and read with a
mapping file publish the papers their original format publishes; the manifest says how each input was read."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from flows.run.config import RunConfig
from flows.run.flow import curate
from flows.store.layout import LEDGER_FILE
from tests.support.golden_runs import SHARED_DATA
from tests.transforms.test_parse_generic_real import DAYS, reshaped

pytestmark = [
    pytest.mark.flow,
    pytest.mark.usefixtures("prefect_harness"),
    pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"no shared captures at {SHARED_DATA}"),
]

JUNK = {"abstract:social-post", "abstract:repeats-title", "abstract:links-only", "abstract:not-an-abstract"}


def test_messy_dumps_publish_real_abstracts_dated_by_scraped_date(tmp_path: Path) -> None:
    """Copied under names without a day, so the day comes from each record's ``scraped_date``."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    sources = sorted((SHARED_DATA / "hf-scraped-messy").glob("*.json"))
    for n, path in enumerate(sources):
        shutil.copyfile(path, folder / f"dump-{n:02}.json")
    summary = curate(RunConfig(inputs=[folder], out_dir=tmp_path / "out"))
    assert summary.path is not None and summary.counts["accounting_holds"]

    ledger = pl.read_parquet(summary.path / LEDGER_FILE)
    assert set(ledger.get_column("source")) == {"generic"}
    assert set(ledger.get_column("listed_on_evidence")) == {"item:scraped_date"}
    assert ledger.get_column("listed_on").min() == date(2025, 12, 4)
    reasons = set(ledger.get_column("reasons").explode().drop_nulls())
    assert reasons >= JUNK

    papers = pl.read_parquet(summary.path / "data" / "*.parquet")
    assert papers.height > 200
    abstracts = papers.get_column("abstract")
    assert (abstracts.str.len_chars() >= 80).all()
    assert not abstracts.str.contains("(?i)excited to share|librarian bot|🚀").any()
    assert (papers.get_column("title") != abstracts).all()
    assert papers.get_column("first_listed_on").null_count() == 0

    manifest = json.loads((summary.path / "manifest.json").read_text("utf-8"))
    read = [item for item in manifest["inputs"] if item["skipped"] is None and item["duplicate_of"] is None]
    assert {item["format"] for item in read} == {"generic"}
    assert read[0]["mapping"]["fields"]["listed_on"] == "scraped_date"
    assert read[0]["mapping"]["fields"]["abstract"] == "details.abstract"


def published(summary_path: Path | None) -> pl.DataFrame:
    assert summary_path is not None
    papers = pl.read_parquet(summary_path / "data" / "*.parquet")
    return papers.select("arxiv_id", "title", "abstract", "authors").sort("arxiv_id")


def test_reshaped_days_read_with_a_mapping_file_publish_the_same_papers(tmp_path: Path) -> None:
    daily = tmp_path / "daily"
    daily.mkdir()
    for day in DAYS:
        shutil.copyfile(SHARED_DATA / "hf-daily-api" / f"{day}.json", daily / f"{day}.json")
    nested = tmp_path / "nested"
    nested.mkdir()
    (nested / "nested.json").write_text(reshaped()["nested.json"], encoding="utf-8")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[fields]\nauthors = "meta.people"\n', encoding="utf-8")

    original = curate(RunConfig(inputs=[daily], out_dir=tmp_path / "a"))
    generic = curate(RunConfig(inputs=[nested], out_dir=tmp_path / "b", mapping=mapping))

    assert published(generic.path).equals(published(original.path))
    manifest = json.loads((generic.path / "manifest.json").read_text("utf-8"))  # type: ignore[operator]
    (read,) = [item for item in manifest["inputs"] if item["skipped"] is None]
    assert read["format"] == "generic" and read["mapping"]["fields"]["authors"] == "meta.people"
    assert manifest["config"]["mapping"] == str(mapping)
