"""The pages are rendered from packaged Jinja2 templates, and text from the data is text on them, never markup."""

from __future__ import annotations

import tomllib
from pathlib import Path

import polars as pl
import pytest

from expectations.outcomes import ExpectationOutcome
from flows.render.pages import TEMPLATES, render_page
from flows.render.report import render_report
from flows.render.validation import render_validation_html
from tests.support.paper_rows import paper_row, papers_frame
from tests.support.release_fixtures import V1, manifest_for
from transforms.report.summary import NEW_PAPER_COLUMNS, paper_counts, summarize

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"


def test_a_title_topic_or_link_from_the_data_cannot_inject_markup_into_the_report() -> None:
    papers = papers_frame(paper_row(topic=IMAGE, venue=SCRIPT, venue_status="accepted"))
    counts = paper_counts(papers)
    manifest = manifest_for(V1, papers, None)
    new = pl.DataFrame(
        [
            {"title": SCRIPT, "url": "javascript:alert(1)", "topic": IMAGE, "venue": None, "has_code": True},
            {
                "title": "It's <b>",
                "url": "https://x.org/a'b",
                "topic": "nlp",
                "venue": None,
                "has_code": False,
            },
        ]
    ).with_columns(pl.lit(3).alias("upvotes"))
    quarantine = pl.DataFrame({"reasons": [[SCRIPT]]})

    page = render_report(V1, manifest, counts, summarize(counts, quarantine, new.select(NEW_PAPER_COLUMNS)))

    assert "<script" not in page and "<img src=x" not in page and "<b>" not in page
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in page  # the title, shown as text, not linked
    assert "javascript:" not in page
    assert "<a href='https://x.org/a&#39;b'>It&#39;s &lt;b&gt;</a>" in page  # quotes cannot end the attribute
    assert page.count("<img class='chart'") >= 4


def test_expectation_names_and_values_are_text_on_the_validation_page() -> None:
    outcome = ExpectationOutcome(
        suite=SCRIPT,
        name=IMAGE,
        expectation="expect_column_values_to_match_regex",
        kwargs={"regex": "</code><script>"},
        success=False,
        element_count=1200,
        unexpected_count=None,
        observed=f"['{SCRIPT}']",
    )
    page = render_validation_html(f"v{SCRIPT}", [outcome])
    assert "<script" not in page and "<img" not in page
    assert "<title>Validation results: v&lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    assert "&lt;/code&gt;&lt;script&gt;" in page
    assert "<td>1,200</td><td></td>" in page
    assert '<span class="fail">1 failed</span>' in page


def test_only_page_templates_render() -> None:
    with pytest.raises(ValueError, match="not a page template"):
        render_page("report.txt")


def test_every_template_is_package_data() -> None:
    """A non-editable install has the templates: pyproject's package-data globs cover each of them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package = TEMPLATES.parent
    globs = config["tool"]["setuptools"]["package-data"][".".join(package.relative_to(ROOT).parts)]
    templates = sorted(TEMPLATES.iterdir())
    assert templates and {path.suffix for path in templates} == {".j2"}
    for path in templates:
        assert any(path.relative_to(package).match(glob) for glob in globs), path
