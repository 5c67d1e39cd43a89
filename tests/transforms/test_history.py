"""The version history: listings from member records, and history columns that do not depend on batching."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from transforms.history.merge import HISTORY_COLUMNS, _merge_same_id, attach_listings, canonical_rows, upsert
from transforms.schema import PAPER_SCHEMA, polars_schema

DAY1, DAY2 = date(2025, 7, 1), date(2025, 7, 2)
T1 = datetime(2025, 7, 1, 6, tzinfo=UTC)
T2 = datetime(2025, 7, 2, 6, tzinfo=UTC)
T2_LATER = datetime(2025, 7, 2, 18, tzinfo=UTC)
LISTINGS = polars_schema(PAPER_SCHEMA)["listings"]

RECORDS = pl.DataFrame(
    {
        "record_id": ["a1", "a2", "a3", "b1", "c1"],
        "listed_on": [DAY1, DAY2, DAY2, DAY2, None],
        "source": ["hf-daily", "hf-daily", "hf-daily", "hf-page", "text"],
        "upvotes": [3, 9, 7, None, 1],
        "num_comments": [0, 1, 2, None, None],
        "rank": [4, 2, 1, None, 1],
        "github_stars": [10, 12, 15, None, None],
    },
    schema_overrides={"rank": pl.Int32},
)
"""Paper A on day 1, and twice on day 2 (two captures, stars 12 then 15); paper B on a page without order; C
undated."""


def test_listings_hold_one_entry_per_day_and_source_with_the_best_values() -> None:
    papers = pl.DataFrame(
        {"paper_id": ["A", "B", "C"], "member_record_ids": [["a1", "a2", "a3"], ["b1"], ["c1"]]}
    )
    listings = attach_listings(papers, RECORDS).select("paper_id", "listings")
    assert_frame_equal(
        listings,
        pl.DataFrame(
            {
                "paper_id": ["A", "B", "C"],
                "listings": [
                    [
                        {
                            "listed_on": DAY1,
                            "source": "hf-daily",
                            "upvotes": 3,
                            "num_comments": 0,
                            "rank": 4,
                            "github_stars": 10,
                        },
                        {
                            "listed_on": DAY2,
                            "source": "hf-daily",
                            "upvotes": 9,
                            "num_comments": 2,
                            "rank": 1,
                            "github_stars": 15,
                        },
                    ],
                    [
                        {
                            "listed_on": DAY2,
                            "source": "hf-page",
                            "upvotes": None,
                            "num_comments": None,
                            "rank": None,
                            "github_stars": None,
                        }
                    ],
                    [],
                ],
            },
            schema={"paper_id": pl.String, "listings": LISTINGS},
        ),
    )


def paper(paper_id: str, captures: list[tuple[str, datetime]], listings: list[tuple[date, int]]) -> dict:
    """A run's paper as upsert receives it: content columns, its captures and its listings."""
    row = {name: None for name in PAPER_SCHEMA.names if name not in HISTORY_COLUMNS}
    return row | {
        "paper_id": paper_id,
        "title": f"Paper {paper_id}",
        "abstract": f"Abstract of {paper_id}.",
        "upvotes": max(upvotes for _, upvotes in listings),
        "sources": [{"source": "hf-daily", "captured_at": at, "raw_sha256": sha} for sha, at in captures],
        "listings": [
            {
                "listed_on": day,
                "source": "hf-daily",
                "upvotes": upvotes,
                "num_comments": 0,
                "rank": 1,
                "github_stars": None,
            }
            for day, upvotes in listings
        ],
    }


def frame(*rows: dict) -> pl.DataFrame:
    schema = {
        name: dtype for name, dtype in polars_schema(PAPER_SCHEMA).items() if name not in HISTORY_COLUMNS
    }
    return pl.DataFrame(list(rows), schema=schema, orient="row")


DAY1_RUN = frame(paper("A", [("s1", T1)], [(DAY1, 3)]))
DAY2_RUN = frame(paper("A", [("s2", T2)], [(DAY2, 9)]), paper("B", [("s2", T2)], [(DAY2, 5)]))
ONE_RUN = frame(
    paper("A", [("s1", T1), ("s2", T2)], [(DAY1, 3), (DAY2, 9)]), paper("B", [("s2", T2)], [(DAY2, 5)])
)


def test_day_by_day_equals_one_run_and_rereading_adds_nothing() -> None:
    daily = upsert(upsert(None, DAY1_RUN, T1), DAY2_RUN, T2)
    once = upsert(None, ONE_RUN, T2)
    assert_frame_equal(daily, once)
    backwards = upsert(upsert(None, DAY2_RUN, T2), DAY1_RUN, T1)
    assert_frame_equal(backwards, once)  # a late backfill of an earlier day gives the same history
    reread = upsert(daily, DAY2_RUN, T2_LATER)
    assert_frame_equal(reread, daily)
    history = daily.filter(pl.col("paper_id") == "A").select(HISTORY_COLUMNS).row(0)
    assert history == (T1, T2, 2, DAY1, DAY2, 2)


def test_a_recapture_of_a_listed_day_counts_as_a_capture_not_as_a_day() -> None:
    daily = upsert(upsert(None, DAY1_RUN, T1), DAY2_RUN, T2)
    recaptured = frame(paper("A", [("s2-later", T2_LATER)], [(DAY2, 12)]))
    after = upsert(daily, recaptured, T2_LATER).filter(pl.col("paper_id") == "A").row(0, named=True)
    assert (after["times_seen"], after["days_listed"], after["last_seen"]) == (3, 2, T2_LATER)
    assert [entry["upvotes"] for entry in after["listings"]] == [3, 12]
    assert after["upvotes"] == 12


def test_the_earliest_listing_keeps_the_text_whatever_the_order_of_runs() -> None:
    first = frame(paper("A", [("s1", T1)], [(DAY1, 3)]) | {"title": "First Title"})
    later = frame(paper("A", [("s2", T2)], [(DAY2, 9)]) | {"title": "Later Title"})
    in_order = upsert(upsert(None, first, T1), later, T2)
    late_backfill = upsert(upsert(None, later, T2), first, T1)
    assert_frame_equal(in_order, late_backfill)
    assert in_order.select("title", "aliases").row(0) == ("First Title", ["Later Title"])


def test_rows_of_one_paper_with_two_known_arxiv_ids_are_refused() -> None:
    first = upsert(None, frame(paper("A", [("s1", T1)], [(DAY1, 3)]) | {"arxiv_id": "2401.00001"}), T1)
    same = frame(paper("A", [("s2", T2)], [(DAY2, 4)]) | {"arxiv_id": "2401.00001"})
    assert upsert(first, same, T2)["arxiv_id"].to_list() == ["2401.00001"]
    other = frame(paper("A", [("s2", T2)], [(DAY2, 4)]) | {"arxiv_id": "2401.00002"})
    with pytest.raises(ValueError, match=r"1 paper_id\(s\) would merge different arXiv ids, e\.g\. A"):
        upsert(first, other, T2)
    two_new = frame(
        paper("B", [("s2", T2)], [(DAY2, 4)]) | {"arxiv_id": "2401.00003"},
        paper("B", [("s3", T2)], [(DAY2, 5)]) | {"arxiv_id": " 2401.00004"},
    )
    with pytest.raises(ValueError, match=r"e\.g\. B"):
        upsert(first, two_new, T2)


SHAS = st.sampled_from(["s1", "s2", "s3"])
TIMES = st.sampled_from([T1, T2, T2_LATER, None])
TEXTS = st.sampled_from(
    ["Graph networks", "graph network", "GRAPH  NETWORKS!", "", "Other paper title", None]
)
URLS = st.lists(st.sampled_from(["https://github.com/a/b", "https://x.org", None]), max_size=4)


@st.composite
def raw_paper(draw: st.DrawFn, paper_id: str) -> dict:
    """A paper row as a run or an earlier version may hold it: repeated, unsorted and null entries included."""
    row = paper(paper_id, [], [(DAY1, 0)])
    captures = draw(st.lists(st.tuples(SHAS, TIMES, st.sampled_from(["hf-daily", "text"])), max_size=4))
    days = draw(st.lists(st.tuples(st.sampled_from([DAY1, DAY2, None]), st.integers(0, 9)), max_size=4))
    return row | {
        "title": draw(TEXTS),
        "aliases": draw(st.one_of(st.none(), st.lists(TEXTS, max_size=4))),
        "code_urls": draw(st.one_of(st.none(), URLS)),
        "project_urls": draw(URLS),
        "cleaning_flags": draw(st.lists(st.sampled_from(["a", "b"]), max_size=3)),
        "sources": [{"source": source, "captured_at": at, "raw_sha256": sha} for sha, at, source in captures],
        "listings": [
            {
                "listed_on": day,
                "source": "hf-daily",
                "upvotes": up,
                "num_comments": None,
                "rank": up % 3,
                "github_stars": None,
            }
            for day, up in days
        ],
    }


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 50), unique=True, max_size=6).flatmap(
        lambda ids: st.tuples(*[raw_paper(f"P{i}") for i in ids])
    )
)
def test_a_row_of_one_id_merged_with_itself_is_its_canonical_row(rows: tuple[dict, ...]) -> None:
    """``upsert`` merges only the rows whose id repeats; the others take :func:`canonical_rows`, which must be
    what the merge would have made of them."""
    papers = frame(*rows)
    assert_frame_equal(canonical_rows(papers), _merge_same_id(papers))
