"""Valid but extreme values end to end: the records that hold them are quarantined at the gate, their siblings
are published, and nothing after the gate breaks on them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from flows.run.config import RunConfig
from flows.run.flow import curate
from tests.support.daily_listings import day_listing

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]

FIRST = date(2025, 1, 6)


def test_a_daily_date_of_year_1_or_9999_quarantines_its_record_and_the_rest_is_published(
    tmp_path: Path,
) -> None:
    items = json.loads(day_listing(FIRST, FIRST)) + json.loads(day_listing(FIRST, date(2025, 1, 7)))[1:]
    extreme = {
        items[1]["paper"]["id"]: "0001-01-01T00:00:00Z",
        items[4]["paper"]["id"]: "9999-12-31T23:59:59Z",
    }
    for item in items:
        if item["paper"]["id"] in extreme:
            item["paper"]["submittedOnDailyAt"] = extreme[item["paper"]["id"]]
    listing = tmp_path / "2025-01-06.json"
    listing.write_text(json.dumps(items), encoding="utf-8")

    summary = curate(RunConfig(inputs=[listing], out_dir=tmp_path / "out"))

    assert summary.version is not None and summary.path is not None
    assert summary.counts["accounting_holds"]
    assert summary.counts["inputs"] == len(items) == 6
    assert summary.counts["quarantined"] == 2 and summary.counts["published"] == 4
    quarantine = pl.read_parquet(summary.path / "quarantine" / "*.parquet")
    reasons = dict(
        zip(quarantine.get_column("arxiv_id"), quarantine.get_column("reasons").to_list(), strict=True)
    )
    assert set(reasons) == set(extreme)
    assert all("expectation:daily-date-in-window" in found for found in reasons.values()), reasons
    papers = pl.read_parquet(summary.path / "data" / "*.parquet")
    assert papers.height == 4 and not set(papers.get_column("arxiv_id")) & set(extreme)
    assert "report.html" in {path.name for path in summary.path.iterdir()}


def test_link_loops_in_an_input_folder_are_skipped_and_never_touched_again(tmp_path: Path) -> None:
    """A link to itself and a folder link back to its parent were classified ``link-loop`` by the scan, and then
    the manifest's provenance resolved them and crashed publish: the run publishes its listing and lists them."""
    folder = tmp_path / "inputs"
    (folder / "sub").mkdir(parents=True)
    (folder / "2025-01-06.json").write_bytes(day_listing(FIRST, FIRST))
    (folder / "self").symlink_to(folder / "self")
    (folder / "sub" / "back").symlink_to(folder)

    summary = curate(RunConfig(inputs=[folder], out_dir=tmp_path / "out"))

    assert summary.version is not None and summary.path is not None
    assert summary.counts["published"] == 3 and summary.counts["accounting_holds"]
    manifest = json.loads((summary.path / "manifest.json").read_text())
    skipped = {Path(item["path"]).name: item["skipped"] for item in manifest["inputs"] if item.get("skipped")}
    assert skipped == {"self": "link-loop", "back": "link-loop"}
    assert sum(entry["inputs"] for entry in manifest["provenance"]) == 1  # the one file read


def written(folder: Path, items: list[dict]) -> Path:
    """A daily-papers listing of ``items`` as a file in ``folder``."""
    listing = folder / "2025-01-06.json"
    listing.write_text(json.dumps(items), encoding="utf-8")
    return listing


def the_failed_run(out: Path) -> tuple[Path, dict]:
    """The one failed-run folder of a run that published nothing (``latest`` never set), and its manifest."""
    assert not (out / "trending-papers" / "latest").exists()
    (failed,) = [path for path in (out / "failed-runs").iterdir() if not path.name.startswith(".")]
    return failed, json.loads((failed / "manifest.json").read_text())


def test_a_publish_that_fails_after_the_gate_keeps_the_runs_quarantine_and_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault while writing the version (here the report cannot be rendered) publishes nothing, and the run's
    quarantine and ledger are in ``failed-runs/<version>/`` with the reason: no record disappears."""
    import flows.run.publish

    def broken_report(*args: object, **kwargs: object) -> str:
        raise OSError("No space left on device")

    monkeypatch.setattr(flows.run.publish, "render_report", broken_report)
    items = json.loads(day_listing(FIRST, FIRST))
    items[0]["paper"]["submittedOnDailyAt"] = "0001-01-01T00:00:00Z"  # one record quarantined
    out = tmp_path / "out"

    with pytest.raises(OSError, match="No space left"):
        curate(RunConfig(inputs=[written(tmp_path, items)], out_dir=out))

    failed, manifest = the_failed_run(out)
    assert manifest["status"] == "failed" and manifest["error"].startswith("publish failed: OSError")
    ledger = pl.read_parquet(failed / "ledger.parquet")
    assert ledger.height == len(items) and pl.read_parquet(failed / "quarantine.parquet").height == 1


def test_a_broken_contract_publishes_nothing_and_keeps_the_runs_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table suite failing (here the real suite, on the version's parts given twice, so its ranges overlap)
    fails the run with ContractBroken; the run's quarantine and ledger are in ``failed-runs/`` with the reason."""
    import flows.run.validate
    from flows.errors import ContractBroken

    real = flows.run.validate.table_outcomes
    monkeypatch.setattr(flows.run.validate, "table_outcomes", lambda parts: real([*parts, *parts]))
    items = json.loads(day_listing(FIRST, FIRST))
    out = tmp_path / "out"

    with pytest.raises(ContractBroken, match="ranges-ordered"):
        curate(RunConfig(inputs=[written(tmp_path, items)], out_dir=out))

    failed, manifest = the_failed_run(out)
    assert manifest["error"].startswith("contract broken: ") and "ranges-ordered" in manifest["error"]
    assert pl.read_parquet(failed / "ledger.parquet").height == len(items)


def test_weekly_counts_follow_the_listing_days_not_the_day_the_captures_were_copied(tmp_path: Path) -> None:
    """Captures copied today (file times of today): a daily-papers day of 2025 and a scraper's dump of a 2024 day
    (its items carry no date of their own). Every paper counts in the week of its ``first_listed_on``, none in
    this week."""
    from datetime import UTC, datetime, timedelta

    from transforms.report.summary import paper_counts, weekly_new_papers

    data = Path(__file__).resolve().parents[1] / "data"
    folder = tmp_path / "copied-today"
    folder.mkdir()
    daily = json.loads((data / "hf-daily" / "2025-07-03-excerpt.json").read_text())
    (folder / "2025-07-03.json").write_text(json.dumps(daily))
    dump = {
        "date": "2024-05-27",
        "papers": [
            {
                "title": f"Scraped {n}: {item['paper']['title']}",
                "url": f"https://huggingface.co/papers/2405.{10000 + n}",
                "abstract": item["paper"]["summary"],
                "authors": ["A. Author"],
                "upvotes": 3,
            }
            for n, item in enumerate(daily)
        ],
    }
    (folder / "2024-05-27.json").write_text(json.dumps(dump))

    summary = curate(RunConfig(inputs=[folder], out_dir=tmp_path / "out"))

    papers = pl.read_parquet(summary.path / "data" / "*.parquet")
    assert papers.height == 2 * len(daily) and papers.get_column("first_listed_on").null_count() == 0
    expected = (
        papers.group_by(pl.col("first_listed_on").dt.truncate("1w").alias("week"))
        .agg(pl.len().cast(pl.Int64).alias("papers"))
        .sort("week")
    )
    weekly = weekly_new_papers(paper_counts(papers))
    assert weekly.to_dicts() == expected.to_dicts()
    this_week = datetime.now(UTC).date() - timedelta(days=datetime.now(UTC).weekday())
    assert this_week not in weekly.get_column("week").to_list()
    assert {str(week) for week in weekly.get_column("week")} == {"2024-05-27", "2025-06-30"}
