from datetime import UTC, datetime

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.paper_rows import paper_row, papers_frame
from transforms.history.changes import combined_changes, diff_papers

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


@settings(max_examples=60, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(["kept", "changed", "added", "removed"]), min_size=0, max_size=12),
    cuts=st.sets(st.integers(min_value=1, max_value=11), max_size=4),
    examples=st.integers(min_value=1, max_value=3),
    elsewhere=st.integers(min_value=0, max_value=5),
)
def test_the_diffs_of_key_ranges_combine_into_the_diff_of_the_whole(
    kinds: list[str], cuts: set[int], examples: int, elsewhere: int
) -> None:
    """A daily run diffs each rewritten shard alone: laid end to end, the ranges' diffs are the whole's."""
    old_rows, new_rows = [], []
    for number, kind in enumerate(kinds):
        paper = {"paper_id": f"arxiv:{number:02d}", "arxiv_id": f"{number:02d}"}
        if kind != "added":
            old_rows.append(paper_row(**paper, upvotes=number))
        if kind != "removed":
            changed = kind == "changed"
            new_rows.append(
                paper_row(**paper, upvotes=number + changed, times_seen=1 + changed * (number % 2))
            )
    old, new = papers_frame(*old_rows), papers_frame(*new_rows)
    bounds = [f"arxiv:{cut:02d}" for cut in sorted(cuts)]
    ranges = list(zip([None, *bounds], [*bounds, None], strict=True))

    def in_range(frame: pl.DataFrame, low: str | None, high: str | None) -> pl.DataFrame:
        ids = pl.col("paper_id")
        return frame.filter((ids >= low if low else True) & (ids < high if high else True))

    parts = [diff_papers(in_range(old, *r), in_range(new, *r), examples) for r in ranges]
    assert combined_changes(parts, examples, unchanged_elsewhere=elsewhere) == diff_papers(
        old, new, examples, unchanged_elsewhere=elsewhere
    )
