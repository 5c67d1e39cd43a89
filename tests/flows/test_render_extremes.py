"""The report and the card never raise on values a version can hold: any date, any count, any text.

Year 1 and 9999 in a Daily Papers date once broke the report's weekly chart after every record of the run had been
processed. The renderers clip what they cannot draw and say so; these properties drive them with extreme values.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.render.card import build_card
from flows.render.report import render_report
from tests.support.paper_rows import paper_row, papers_frame
from tests.support.release_fixtures import V1, manifest_for
from transforms.report.summary import NEW_PAPER_COLUMNS, paper_counts, summarize

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
"""Any text, "$" formulas, control characters and markup included."""


def papers_with(days: list[datetime | None], topics: list[str], venues: list[str | None]) -> pl.DataFrame:
    rows = [
        paper_row(
            paper_id=f"arxiv:2401.{n:05d}",
            arxiv_id=f"2401.{n:05d}",
            first_listed_on=day.date() if day else None,
            first_seen=datetime(2024, 5, 27, tzinfo=UTC),
            topic=topics[n % len(topics)],
            venue=venues[n % len(venues)],
            venue_status="accepted",
            venue_workshop=n % 2 == 0,
            has_code=n % 3 == 0,
        )
        for n, day in enumerate(days)
    ]
    return papers_frame(*rows)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    days=st.lists(st.none() | st.datetimes(timezones=st.just(UTC)), min_size=1, max_size=6),
    topics=st.lists(TEXT, min_size=1, max_size=3),
    venues=st.lists(st.none() | TEXT, min_size=1, max_size=3),
    titles=st.lists(TEXT, min_size=1, max_size=3),
    upvotes=st.integers(min_value=-(2**62), max_value=2**62),
    reasons=st.lists(TEXT, max_size=3),
)
def test_the_report_and_card_render_any_version(
    days: list[datetime | None],
    topics: list[str],
    venues: list[str | None],
    titles: list[str],
    upvotes: int,
    reasons: list[str],
) -> None:
    papers = papers_with(days, topics, venues)
    counts = paper_counts(papers)
    manifest = manifest_for(V1, papers, None)
    manifest["counts"] |= {
        "inputs": papers.height,
        "duplicates": 0,
        "quarantined": len(reasons),
        "new_papers": 2,
    }
    new = pl.DataFrame(
        [
            {"title": title, "url": f"https://x.org/{title}", "topic": title, "venue": None, "has_code": True}
            | {"upvotes": upvotes}
            for title in titles
        ]
    ).select(NEW_PAPER_COLUMNS)
    quarantine = pl.DataFrame(
        {"reasons": [[reason] for reason in reasons]}, schema={"reasons": pl.List(pl.String)}
    )

    page = render_report(V1, manifest, counts, summarize(counts, quarantine, new))

    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page
    card = build_card(manifest, counts)
    assert card.startswith("---\n")


def test_weeks_outside_the_chart_are_counted_under_it_not_drawn() -> None:
    days = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(2024, 6, 3, tzinfo=UTC),
        datetime(9999, 12, 31, tzinfo=UTC),
    ]
    papers = papers_with(days, ["nlp"], [None])
    counts = paper_counts(papers)
    manifest = manifest_for(V1, papers, None) | {"created_at": "2025-01-01T00:00:00+00:00"}
    manifest["counts"] |= {"inputs": 3, "duplicates": 0, "quarantined": 0, "new_papers": 0}
    no_new = papers.head(0).select(NEW_PAPER_COLUMNS)
    no_quarantine = pl.DataFrame(schema={"reasons": pl.List(pl.String)})
    page = render_report(V1, manifest, counts, summarize(counts, no_quarantine, no_new))
    assert "2 papers first listed before 2015-01-01 or after 2025-01-01 are not drawn." in page


def test_small_topics_are_ranked_and_marked_not_drawn_and_empty_sections_are_left_out() -> None:
    """One paper with code in a topic is 100 %: such a topic is listed after the topics of enough papers, marked,
    and not drawn; a section with nothing to show (no venue, no quarantine, no new paper) is not printed."""
    days = [datetime(2024, 6, 3, tzinfo=UTC)] * 13
    topics = ["agents"] + ["nlp"] * 12
    papers = papers_with(days, ["nlp"], [None]).with_columns(
        pl.Series("topic", topics),
        pl.Series("has_code", [True] + [n % 3 == 0 for n in range(12)]),
        pl.lit(None, dtype=pl.String).alias("venue_status"),  # no venue hint
    )
    counts = paper_counts(papers)
    manifest = manifest_for(V1, papers, None)
    manifest["counts"] |= {"inputs": 13, "duplicates": 0, "quarantined": 0, "new_papers": 0}
    no_new = papers.head(0).select(NEW_PAPER_COLUMNS)
    no_quarantine = pl.DataFrame(schema={"reasons": pl.List(pl.String)})
    page = render_report(V1, manifest, counts, summarize(counts, no_quarantine, no_new))
    rows = re.findall(r"<tr><td>([^<]*)</td><td class='num'>(\d+)</td><td class='num'>(\d+)</td>", page)
    assert rows[:2] == [("nlp", "12", "4"), ("agents *", "1", "1")]
    assert "* 1 topics with fewer than 10 papers: listed last, not drawn." in page
    assert "None." not in page
    for absent in ("Quarantine reasons of this run", "Top venues", "New papers of this run"):
        assert absent not in page
