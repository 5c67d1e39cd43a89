"""match_previous on a version's stored index: a lazy index reads the probe's keys only, and pairs with two
different known arXiv ids are dropped before scoring, with the same result as the whole index."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from tests.transforms.test_dedup import DAY1, PRUNING, papers_from, records
from transforms.dedup.clusters import find_clusters
from transforms.dedup.index import build_index
from transforms.dedup.matching import match_previous
from transforms.history.merge import upsert


def history() -> pl.DataFrame:
    """Three papers with one abstract: two with different arXiv ids, one without."""
    rows = [
        {"title": "Filter Pruning", "abstract": PRUNING, "arxiv_id": "2401.00001"},
        {"title": "Filter Pruning Revisited", "abstract": PRUNING, "arxiv_id": "2401.00002"},
        {"title": "Pruning Filters", "abstract": PRUNING},
    ]
    papers = [papers_from(find_clusters(records([row]))) for row in rows]
    return upsert(None, match_previous(pl.concat(papers, how="diagonal_relaxed"), None).drop("is_new"), DAY1)


def test_lazy_index_matches_as_the_whole_index(tmp_path: Path) -> None:
    previous = history()
    index = build_index(previous)
    index.write_parquet(tmp_path / "index.parquet")
    previous.write_parquet(tmp_path / "papers.parquet")
    day = papers_from(
        find_clusters(
            records(
                [
                    {"title": "Filter Pruning", "abstract": PRUNING, "arxiv_id": "2401.00002"},
                    {"title": "Pruning Filters Again", "abstract": PRUNING, "arxiv_id": "2401.00009"},
                    {"title": "Pruning Filters", "abstract": PRUNING},
                ]
            )
        )
    )
    whole = match_previous(day, previous, index=index)
    lazy = match_previous(
        day, pl.scan_parquet(tmp_path / "papers.parquet"), index=pl.scan_parquet(tmp_path / "index.parquet")
    )
    assert_frame_equal(whole, lazy)
    by_arxiv = dict(zip(whole["arxiv_id"].to_list(), whole["paper_id"].to_list(), strict=True))
    assert by_arxiv["2401.00002"] == "arxiv:2401.00002"  # not 2401.00001, which has the same title
    no_id = previous.filter(pl.col("arxiv_id").is_null()).item(0, "paper_id")
    assert by_arxiv["2401.00009"] == no_id  # the only previous paper whose id does not contradict it
