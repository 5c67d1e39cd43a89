"""The digest's entries: one per paper and listing day of the window, ranked by that day's votes, with stable ids."""

from __future__ import annotations

from datetime import date

import polars as pl
from polars.testing import assert_frame_equal

from transforms.report.digest import (
    ENTRY_ID_PREFIX,
    ENTRY_SCHEMA,
    Selection,
    digest_entries,
    entries_per_day,
    newest_day,
    summary,
)
from transforms.schema import PAPER_SCHEMA, polars_schema

MON, TUE, WED = date(2025, 7, 7), date(2025, 7, 8), date(2025, 7, 9)
OLD = date(2025, 6, 20)


def listing(
    day: date, upvotes: int | None, rank: int | None, stars: int | None = None, source: str = "hf-daily"
) -> dict[str, object]:
    return {
        "listed_on": day,
        "source": source,
        "upvotes": upvotes,
        "num_comments": 0,
        "rank": rank,
        "github_stars": stars,
    }


def paper(paper_id: str, listings: list[dict[str, object]], **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "paper_id": paper_id,
        "title": f"Title of {paper_id}",
        "abstract": "One sentence. Two sentences.",
        "arxiv_id": paper_id.removeprefix("arxiv:"),
        "url": f"https://huggingface.co/papers/{paper_id.removeprefix('arxiv:')}",
        "authors": ["A. Author"],
        "topics": ["robotics"],
        "code_urls": [],
        "venue": None,
        "venue_year": None,
        "github_stars": None,
        "organization_fullname": None,
        "listings": listings,
        "last_listed_on": max(date.fromisoformat(str(e["listed_on"])) for e in listings)
        if listings
        else None,
    }
    return row | values


def papers(rows: list[dict[str, object]]) -> pl.LazyFrame:
    schema = polars_schema(PAPER_SCHEMA)
    columns = {name: schema[name] for name in rows[0]}
    return pl.DataFrame(rows, schema=columns, orient="row").lazy()


ROWS = [
    # listed on two days: two entries, each with that day's votes; an old day outside the window is left out
    paper("arxiv:2507.00001", [listing(OLD, 99, 1), listing(MON, 5, 3), listing(TUE, 40, 1, stars=12)]),
    # the same day from two sources: the most votes and stars, the best rank
    paper(
        "arxiv:2507.00002",
        [listing(TUE, 40, 4, source="hf-daily"), listing(TUE, 12, 2, stars=7, source="hf-page")],
        topics=["computer-vision"],
        code_urls=["javascript:alert(1)"],
    ),
    # no votes known that day: ranked after every voted paper, by rank
    paper("arxiv:2507.00003", [listing(TUE, None, 1)], venue="ICML", venue_year=2025, github_stars=3),
    # a paper page (not a listing) of 2025: no listings, never in the digest
    paper("title:00000000000000aa", [], url=None, arxiv_id=None),
    # listed only before the window
    paper("arxiv:2506.00009", [listing(OLD, 300, 1)]),
]


def test_one_entry_per_paper_and_day_ranked_by_that_days_votes_then_rank_then_id() -> None:
    entries = digest_entries(papers(ROWS), Selection(days=7), newest=TUE, provisional=(TUE,))
    got = entries.select("day", "position", "paper_id", "upvotes", "rank", "stars", "provisional")
    expected = pl.DataFrame(
        [
            (TUE, 1, "arxiv:2507.00001", 40, 1, 12, True),
            (TUE, 2, "arxiv:2507.00002", 40, 2, 7, True),
            (TUE, 3, "arxiv:2507.00003", None, 1, 3, True),
            (MON, 1, "arxiv:2507.00001", 5, 3, None, False),
        ],
        schema={name: ENTRY_SCHEMA[name] for name in got.columns},
        orient="row",
    )
    assert_frame_equal(got, expected)
    assert entries.schema == ENTRY_SCHEMA
    assert entries.get_column("entry_id").to_list() == [
        f"{ENTRY_ID_PREFIX}arxiv:2507.00001/2025-07-08",
        f"{ENTRY_ID_PREFIX}arxiv:2507.00002/2025-07-08",
        f"{ENTRY_ID_PREFIX}arxiv:2507.00003/2025-07-08",
        f"{ENTRY_ID_PREFIX}arxiv:2507.00001/2025-07-07",
    ]
    assert entries_per_day(entries) == {"2025-07-08": 3, "2025-07-07": 1}


def test_links_code_venue_are_what_the_paper_has_and_only_web_addresses() -> None:
    entries = digest_entries(papers(ROWS), Selection(days=1), newest=TUE)
    by_id = {row["paper_id"]: row for row in entries.iter_rows(named=True)}
    assert by_id["arxiv:2507.00002"]["code_url"] is None  # a javascript: value is no link
    assert by_id["arxiv:2507.00003"]["venue"] == "ICML 2025"
    assert by_id["arxiv:2507.00001"]["link"] == "https://huggingface.co/papers/2507.00001"
    assert by_id["arxiv:2507.00001"]["summary"] == "One sentence. Two sentences."


def test_a_profile_keeps_its_topics_and_minimum_votes_and_top_cuts_each_day() -> None:
    robotics = Selection(days=7, topics=("robotics",), min_upvotes=10)
    got = digest_entries(papers(ROWS), robotics, newest=TUE)
    assert got.select("day", "paper_id").rows() == [(TUE, "arxiv:2507.00001")]
    top = digest_entries(papers(ROWS), Selection(days=7, top=1), newest=TUE)
    assert top.select("day", "paper_id").rows() == [(TUE, "arxiv:2507.00001"), (MON, "arxiv:2507.00001")]
    assert digest_entries(papers(ROWS), Selection(topics=("graph-learning",)), newest=TUE).is_empty()


def test_the_newest_day_is_the_latest_listing_of_any_paper() -> None:
    assert newest_day(papers(ROWS)) == TUE
    assert newest_day(papers(ROWS).filter(pl.col("paper_id") == "title:00000000000000aa")) is None


def test_a_summary_ends_at_a_sentence_within_the_limit_else_at_a_word() -> None:
    frame = pl.DataFrame(
        {
            "abstract": [
                "Short.",
                "First sentence here. Second sentence is much longer than the limit allows.",
                "no sentence end at all in this rather long text",
                "Averyveryveryverylongwordwithoutanyspaceatall",
                None,
                "  Spaced\n\nout.  ",
            ]
        }
    )
    got = frame.select(summary(pl.col("abstract"), limit=30)).to_series().to_list()
    assert got == [
        "Short.",
        "First sentence here.",
        "no sentence end at all in …",
        "Averyveryveryverylongwordwith…",
        "",
        "Spaced out.",
    ]
