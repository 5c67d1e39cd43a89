from datetime import UTC, datetime

from tests.support.paper_rows import paper_row, papers_frame
from transforms.history.changes import diff_papers

LATER = datetime(2024, 6, 1, tzinfo=UTC)


def test_diff_counts_added_removed_and_changed_fields_with_examples() -> None:
    old = papers_frame(
        paper_row(paper_id="arxiv:1", arxiv_id="1", upvotes=3),
        paper_row(paper_id="arxiv:2", arxiv_id="2"),
        paper_row(paper_id="arxiv:3", arxiv_id="3", sources=[]),
    )
    new = papers_frame(
        paper_row(paper_id="arxiv:1", arxiv_id="1", upvotes=7, last_seen=LATER, times_seen=2),
        paper_row(
            paper_id="arxiv:3",
            arxiv_id="3",
            sources=[{"source": "hf-daily", "captured_at": LATER, "raw_sha256": "ab"}],
        ),
        paper_row(paper_id="arxiv:4", arxiv_id="4"),
    )
    diff = diff_papers(old, new)
    assert (diff["added"], diff["removed"], diff["changed"], diff["unchanged"]) == (1, 1, 2, 0)
    assert diff["added_examples"] == ["arxiv:4"] and diff["removed_examples"] == ["arxiv:2"]
    assert set(diff["fields"]) == {
        "upvotes",
        "last_seen",
        "times_seen",
        "sources",
    }  # not content: same record_hash
    assert diff["fields"]["upvotes"] == {
        "papers": 1,
        "examples": [{"paper_id": "arxiv:1", "before": "3", "after": "7"}],
    }
    assert diff["fields"]["sources"]["examples"][0]["before"] == "[]"


def test_identical_versions_have_no_changes() -> None:
    papers = papers_frame(paper_row(), paper_row(paper_id="title:abc", arxiv_id=None))
    diff = diff_papers(papers, papers)
    assert (diff["added"], diff["removed"], diff["changed"], diff["unchanged"], diff["fields"]) == (
        0,
        0,
        0,
        2,
        {},
    )


def test_diff_against_nothing_adds_every_paper() -> None:
    papers = papers_frame(paper_row())
    diff = diff_papers(papers.clear(), papers)
    assert (diff["added"], diff["changed"], diff["papers_before"]) == (1, 0, 0)
