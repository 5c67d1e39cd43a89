"""report.html of every version: written by publish, self-contained, and shown by a real browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from tests.support.browser import open_page

pytestmark = [pytest.mark.flow]


def test_every_version_has_a_report(multi_day_dataset) -> None:
    for run in multi_day_dataset.runs:
        assert run.path is not None and (run.path / "report.html").is_file()


def test_report_is_self_contained_and_states_the_versions_figures(multi_day_dataset) -> None:
    version = multi_day_dataset.latest.resolve()
    text = (version / "report.html").read_text(encoding="utf-8")
    manifest = json.loads((version / "manifest.json").read_text())
    papers = pl.read_parquet(version / "data" / "*.parquet")
    # Nothing to fetch: no script, no stylesheet link, every image inline.
    assert "<script" not in text and "<link" not in text
    assert re.findall(r"src='([^']{0,22})", text) and all(
        src.startswith("data:image/png;base64,") for src in re.findall(r"src='([^']*)'", text)
    )
    assert f"<th>papers in this version</th><td>{papers.height}</td>" in text
    assert f"<th>new papers in this run</th><td>{manifest['counts']['new_papers']}</td>" in text
    top_topic = (
        papers.group_by("topic").len().sort(["len", "topic"], descending=[True, False]).item(0, "topic")
    )
    assert f"<td>{top_topic}</td>" in text
    for heading in ("Topics", "Code availability by topic", "Top venues", "Quarantine reasons", "New papers"):
        assert heading in text


def test_report_opens_in_chromium_without_errors_and_shows_the_charts(
    multi_day_dataset, tmp_path: Path
) -> None:
    report = multi_day_dataset.latest / "report.html"
    shot = tmp_path / "report.png"
    with open_page(report) as (page, log):
        images = page.eval_on_selector_all(
            "img.chart", "els => els.map(e => [e.alt, e.complete, e.naturalWidth, e.naturalHeight])"
        )
        page.screenshot(path=str(shot), full_page=True)
        height = page.evaluate("document.body.scrollHeight")
    assert log.errors == [] and log.failed_requests == []
    assert len(images) >= 5
    assert all(complete and width > 100 and h > 50 for _, complete, width, h in images), images
    assert height > 1000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"report screenshot: {shot}")
