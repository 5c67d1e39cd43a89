"""The retraction rule: tag papers that are retracted (by id, arXiv id or title), then route their records."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from tests.support.paper_rows import paper_row, papers_frame
from transforms.history.retraction import (
    RETRACTION_SCHEMA,
    empty_retractions,
    retraction_rows,
    tag_retracted,
    withhold_retracted,
)

RETRACTED_TITLE = "Markdown Table Rows Are Not Papers"


def retractions() -> pl.DataFrame:
    version = papers_frame(
        paper_row(paper_id="title:0123456789abcdef", arxiv_id=None, title=RETRACTED_TITLE),
        paper_row(paper_id="arxiv:2401.00001", arxiv_id="2401.00001", title="Some Retracted Arxiv Paper"),
        paper_row(paper_id="title:fedcba9876543210", arxiv_id=None, title="Preface"),
    )
    return retraction_rows(
        version, "published by mistake", "2026-12-02T12:00:00+00:00", "20261202T120000.000000Z"
    )


def test_retraction_rows_keep_ids_arxiv_ids_and_titles_long_enough_to_identify_a_paper() -> None:
    rows = retractions()
    assert rows.schema == pl.Schema(RETRACTION_SCHEMA)
    assert rows.select("paper_id", "arxiv_id", "title_key").rows() == [
        ("title:0123456789abcdef", None, "markdown table rows are not papers"),
        ("arxiv:2401.00001", "2401.00001", "some retracted arxiv paper"),
        ("title:fedcba9876543210", None, None),
    ]


def test_papers_are_tagged_by_paper_id_arxiv_id_or_normalised_title() -> None:
    papers = pl.DataFrame(
        {
            "paper_id": [
                "title:0123456789abcdef",  # same id
                "arxiv:2401.00001",  # same id (and arXiv id)
                "arxiv:2501.99999",  # a title: paper seen again, now with an arXiv id: same title
                "title:1111111111111111",  # same arXiv id under another id
                "title:2222222222222222",  # the short title "Preface" identifies nothing
                "arxiv:2501.00002",  # unrelated
            ],
            "arxiv_id": [None, "2401.00001", "2501.99999", " 2401.00001 ", None, "2501.00002"],
            "title": [
                "x",
                "y",
                "MARKDOWN table rows, are not papers!",
                "z",
                "Preface",
                "Some Retracted Arxiv Paper, Revisited",
            ],
        }
    )
    tagged = tag_retracted(papers.lazy(), retractions()).collect()
    assert tagged.get_column("reasons").to_list() == [["retracted"]] * 4 + [[], []]


def test_no_retractions_tag_nothing() -> None:
    papers = pl.DataFrame({"paper_id": ["a"], "arxiv_id": [None], "title": ["A Paper About Things"]})
    tagged = tag_retracted(papers.lazy(), empty_retractions()).collect()
    assert tagged.get_column("reasons").to_list() == [[]]


def test_withheld_papers_send_every_member_record_to_quarantine_with_the_reason() -> None:
    records = pl.DataFrame(
        {
            "record_id": ["r1", "r2", "r3", "r4"],
            "reasons": [[], [], [], ["abstract:too-short"]],
        },
        schema={"record_id": pl.String, "reasons": pl.List(pl.String)},
    )
    papers = pl.DataFrame(
        {
            "paper_id": ["arxiv:2401.00001", "arxiv:2501.00002"],
            "arxiv_id": ["2401.00001", "2501.00002"],
            "title": ["Some Retracted Arxiv Paper", "A Paper About Things"],
            "member_record_ids": [["r1", "r2"], ["r3"]],
        }
    )
    routed, passed = withhold_retracted(records, papers, retractions())
    assert_frame_equal(
        routed.sort("record_id"),
        pl.DataFrame(
            {
                "record_id": ["r1", "r2", "r3", "r4"],
                "reasons": [["retracted"], ["retracted"], [], ["abstract:too-short"]],
            }
        ),
    )
    assert passed.get_column("paper_id").to_list() == ["arxiv:2501.00002"]
    assert passed.columns == papers.columns
