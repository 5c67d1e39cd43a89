"""Every weekly chart (the report's, notebooks 01 and 02) counts papers in the week of their ``first_listed_on``,
on a version built from real captures copied today: none lands in the week of the copy. Skipped without the
shared captures."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jupytext
import nbformat
import polars as pl
import pytest
from nbclient import NotebookClient

from examples.execute import CELL_TIMEOUT, EXAMPLES, STARTUP_TIMEOUT, kernel, setup_cell
from flows.run.config import RunConfig
from flows.run.flow import curate
from tests.support.golden_runs import SHARED_DATA
from transforms.report.summary import paper_counts, weekly_new_papers

pytestmark = [
    pytest.mark.flow,
    pytest.mark.usefixtures("prefect_harness"),
    pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"no shared captures at {SHARED_DATA}"),
]

COPIED = [
    SHARED_DATA / "hf-daily-api" / "2024-06-03.json",
    SHARED_DATA / "hf-daily-api" / "2024-06-12.json",
    SHARED_DATA / "hf-scraped-2024" / "2024-07-01.json",
]
"""Daily lists of three weeks (two of them in two capture formats' dumps), copied now."""


@pytest.fixture(scope="module")
def version(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Path:
    folder = tmp_path_factory.mktemp("copied-today") / "inputs"
    folder.mkdir()
    for source in COPIED:
        shutil.copyfile(source, folder / f"{source.parent.name}-{source.name}")  # every file's time is now
    shutil.copytree(SHARED_DATA / "arxiv-api" / "classic-2016", folder / "arxiv")  # not a listing: no week
    summary = curate(RunConfig(inputs=[folder], out_dir=folder.parent / "out"))
    assert summary.path is not None
    return summary.path


def expected_weeks(version: Path) -> dict[str, int]:
    papers = pl.read_parquet(version / "data" / "*.parquet").filter(pl.col("first_listed_on").is_not_null())
    weeks = papers.group_by(pl.col("first_listed_on").dt.truncate("1w").alias("week")).len()
    return {str(week): n for week, n in weeks.iter_rows()}


def weekly_of(notebook: str, version: Path, column: str) -> dict[str, int]:
    """``weekly`` of the notebook after it ran on ``version``: week -> ``column``."""
    cells = jupytext.read(EXAMPLES / notebook)
    cells.cells.insert(0, setup_cell(version))
    cells.cells.append(
        nbformat.v4.new_code_cell(
            f"print(weekly.select(pl.col('week').cast(pl.String), {column!r}).write_json())"
        )
    )
    with kernel() as manager:
        NotebookClient(cells, km=manager, timeout=CELL_TIMEOUT, startup_timeout=STARTUP_TIMEOUT).execute()
    printed = "".join(o.get("text", "") for o in cells.cells[-1].outputs if o.get("output_type") == "stream")
    return {row["week"]: row[column] for row in json.loads(printed)}


def test_the_versions_papers_are_in_their_listing_weeks_not_the_copy_week(version: Path) -> None:
    weeks = expected_weeks(version)
    this_week = datetime.now(UTC).date() - timedelta(days=datetime.now(UTC).weekday())
    assert set(weeks) == {"2024-06-03", "2024-06-10", "2024-07-01"} and str(this_week) not in weeks
    papers = pl.read_parquet(version / "data" / "*.parquet")
    assert papers.get_column("first_listed_on").null_count() > 0  # the arXiv feed's papers: in no week
    assert max(papers.get_column("first_listed_on").drop_nulls()) < date(2024, 7, 8)


def test_the_reports_weekly_chart_counts_first_listing_weeks(version: Path) -> None:
    weekly = weekly_new_papers(paper_counts(pl.read_parquet(version / "data" / "*.parquet")))
    assert {str(week): n for week, n in weekly.iter_rows()} == expected_weeks(version)
    assert "New papers per week (first listed)" in (version / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("notebook", "column"), [("01_trending.py", "new_papers"), ("02_code_availability.py", "papers")]
)
def test_each_notebooks_weekly_chart_counts_first_listing_weeks(
    version: Path, notebook: str, column: str
) -> None:
    assert weekly_of(notebook, version, column) == expected_weeks(version)
