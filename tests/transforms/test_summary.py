"""The report's tables on tiny frames."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
from polars.testing import assert_frame_equal

from transforms.report.summary import (
    code_share_by_topic,
    most_upvoted,
    new_papers,
    paper_counts,
    quarantine_reasons,
    summarize,
    summed_counts,
    top_venues,
    topic_distribution,
    total_listings,
    weekly_new_papers,
)
from transforms.schema import QUARANTINE_SCHEMA, empty


def papers() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "paper_id": ["a", "b", "c", "d"],
            "title": ["A", "B", "C", "D"],
            "url": ["u/a", "u/b", None, "u/d"],
            "topic": ["nlp", "nlp", "vision", "nlp"],
            "language": ["en", "en", "en", "de"],
            "code_status": ["official", "none", "official", "none"],
            "has_code": [True, False, True, False],
            "venue": ["ACL", "ACL", "CVPR", "NeurIPS"],
            "venue_status": ["accepted", "published", "accepted", "under-review"],
            "venue_workshop": [False, True, None, False],
            "upvotes": [3, None, 10, 1],
            # Monday 2024-06-03 and Sunday 2024-06-09 are one week; 2024-06-10 is the next; c was never listed.
            "first_listed_on": [date(2024, 6, 3), date(2024, 6, 9), None, date(2024, 6, 10)],
            # when the files were captured: never a week of the report
            "first_seen": [datetime(2024, 6, 20, tzinfo=UTC)] * 4,
            "listings": [[{"rank": 1}], [{"rank": 1}, {"rank": 2}], [], [{"rank": 3}]],
        }
    )


def test_topics_and_code_share() -> None:
    counts = paper_counts(papers())
    assert topic_distribution(counts).select("topic", "papers").rows() == [("nlp", 3), ("vision", 1)]
    ranked = code_share_by_topic(counts, min_papers=2)  # vision's one paper with code ranks after nlp's three
    assert ranked.select("topic", "enough").rows() == [("nlp", True), ("vision", False)]
    shares = code_share_by_topic(counts)
    assert shares.select("topic", "papers", "with_code").rows() == [("vision", 1, 1), ("nlp", 3, 1)]
    assert shares["share"].to_list() == [1.0, 1 / 3]


def test_top_venues_count_accepted_and_published_only_split_by_track() -> None:
    assert top_venues(paper_counts(papers())).rows() == [("ACL", 2, 1, 1), ("CVPR", 1, 1, 0)]


def test_weeks_are_those_of_the_first_listing_day_and_unlisted_papers_are_in_none() -> None:
    expected = pl.DataFrame({"week": [date(2024, 6, 3), date(2024, 6, 10)], "papers": [2, 1]})
    assert_frame_equal(weekly_new_papers(paper_counts(papers())), expected)
    assert summarize(paper_counts(papers()), empty(QUARANTINE_SCHEMA), papers().clear()).unlisted == 1


def test_quarantine_reasons_count_each_reason_of_a_record() -> None:
    quarantine = pl.DataFrame(
        {"reasons": [["language:fr"], ["abstract:empty", "title:empty"], ["language:fr"]]}
    )
    assert quarantine_reasons(quarantine).rows() == [
        ("language:fr", 2),
        ("abstract:empty", 1),
        ("title:empty", 1),
    ]


def test_new_papers_are_the_runs_most_upvoted_first() -> None:
    assert new_papers(papers(), ["b", "c", "a"])["title"].to_list() == ["C", "A", "B"]
    assert new_papers(papers(), ["b", "c", "a"], limit=2)["title"].to_list() == ["C", "A"]


def test_a_versions_counts_and_top_new_papers_are_those_of_its_parts_combined() -> None:
    """A run counts its version range by range: the parts' counts summed, and the most upvoted of each part's
    most upvoted, are what the whole version gives, whatever the cut."""
    whole = papers()
    for cut in range(whole.height + 1):
        head, tail = whole.head(cut), whole.slice(cut)
        assert_frame_equal(summed_counts([paper_counts(head), paper_counts(tail)]), paper_counts(whole))
        ids = ["a", "b", "d"]
        tops = [new_papers(part, ids, limit=2) for part in (head, tail)]
        assert_frame_equal(most_upvoted(pl.concat(tops), limit=2), new_papers(whole, ids, limit=2))


def test_counts_keep_every_key_the_tables_read() -> None:
    counts = paper_counts(papers())
    assert counts.get_column("papers").sum() == 4
    assert counts.columns == [*summary_keys(), "papers", "listings"]
    assert total_listings(counts) == 4
    assert counts.filter(pl.col("language") == "de").get_column("papers").to_list() == [1]


def summary_keys() -> list[str]:
    return ["topic", "language", "has_code", "code_status", "venue", "venue_status", "venue_workshop", "week"]
