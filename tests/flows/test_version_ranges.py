"""The run's papers cut into ``paper_id`` ranges after dedup (``flows/run/version.py``): every paper in one range,
no id in two, and papers dedup made of a few columns collapsed again from their members' every column."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from flows.run.config import RunConfig
from flows.run.results import Deduplicated
from flows.run.stages import DEDUP_READS, dedup
from flows.run.version import _range_cuts, in_ranges
from flows.store.spill import work_folder
from transforms.dedup.clusters import ABSTRACT_CHARS, abstract_chars
from transforms.dedup.minhash import Signatures
from transforms.schema import RECORD_SCHEMA, WORKING_COLUMNS, polars_schema


@given(
    counts=st.lists(st.integers(min_value=1, max_value=4), max_size=30),
    rows=st.integers(min_value=1, max_value=12),
)
def test_ranges_cover_every_id_once_and_end_where_the_id_changes(counts: list[int], rows: int) -> None:
    ids = pl.Series(
        [f"id{number:03d}" for number, count in enumerate(counts) for _ in range(count)], dtype=pl.String
    )
    cuts = _range_cuts(ids, rows)
    if ids.len() == 0:
        assert cuts == [(0, 0)]
        return
    assert cuts[0][0] == 0 and cuts[-1][1] == ids.len()
    assert all(stop == start for (_, stop), (start, _) in pairwise(cuts))
    for start, stop in cuts:
        assert stop > start
        assert stop == ids.len() or ids[stop] != ids[stop - 1]  # a range never splits an id's rows
        assert stop - start >= rows or stop == ids.len()  # ranges are at least ``rows`` long, but the last


def test_papers_are_spilled_in_ranges_of_whole_ids(tmp_path: Path) -> None:
    papers = pl.DataFrame(  # in the order dedup leaves them: none in particular
        {"paper_id": ["c", "b", "e", "a", "d", "b"], "title": ["C", "B1", "E", "A", "D", "B2"]}
    )
    records = pl.DataFrame({"record_id": ["r1"]})
    with work_folder(tmp_path) as work:
        rest, ranges = in_ranges(Deduplicated(records=records, papers=papers), work, rows=2)
        paper_ranges = list(ranges.frames())
    assert [frame.get_column("paper_id").to_list() for frame in paper_ranges] == [
        ["a", "b", "b"],
        ["c", "d"],
        ["e"],
    ]
    assert rest.papers.height == 0
    assert_frame_equal(rest.records, records)


def test_no_paper_is_one_empty_range_with_the_papers_columns(tmp_path: Path) -> None:
    papers = pl.DataFrame(schema={"paper_id": pl.String, "title": pl.String})
    with work_folder(tmp_path) as work:
        _, ranges = in_ranges(Deduplicated(records=pl.DataFrame(), papers=papers), work, rows=10)
        (only,) = list(ranges.frames())
    assert_frame_equal(only, papers)


def _records() -> pl.DataFrame:
    """Five pending records as clean and language leave them: r1 and r2 one paper by arXiv id (r2 alone has
    authors and a code link), r3 and r4 one by title, r5 alone."""
    schema = polars_schema(RECORD_SCHEMA) | pl.Schema(WORKING_COLUMNS)
    abstract = "We study {} in depth and report what we found about it on several benchmarks of the field."
    rows: list[dict[str, Any]] = [
        {"arxiv_id": "2401.00001", "title": "Sparse Attention Heads", "abstract": abstract.format("heads")},
        {"arxiv_id": "2401.00001", "arxiv_version": 2, "title": "Sparse attention heads", "authors": ["A. Author"],
         "source_code_url": "https://github.com/a/heads", "abstract": abstract.format("heads")},
        {"title": "A Survey of Graph Learning", "abstract": abstract.format("graphs"), "upvotes": 3},
        {"title": "A survey of graph learning", "abstract": abstract.format("graphs"), "upvotes": 9},
        {"title": "Robot Grasping", "abstract": abstract.format("grasping")},
    ]  # fmt: skip
    return pl.DataFrame(
        [
            {
                "record_id": f"r{index}",
                "source": "hf-daily-api",
                "raw_sha256": f"sha{index}",
                "raw_index": index,
                "captured_at": datetime(2025, 1, index, tzinfo=UTC),
                "title_raw": row["title"],
                "abstract_raw": row["abstract"],
                "cleaning_flags": [],
                "reasons": [],
            }
            | row
            for index, row in enumerate(rows, start=1)
        ],
        schema=schema,
    )


def test_papers_of_records_read_narrow_are_collapsed_again_from_every_column(tmp_path: Path) -> None:
    """Dedup reads only ``DEDUP_READS`` of a run's records (``captured`` in the work folder); each range of its
    papers is collapsed again from its members' every column as it is spilled: the same papers as dedup of the
    records with every column, in the same ranges. A paper whose members are not found stops the run."""
    config = RunConfig(inputs=[], out_dir=tmp_path)
    full = _records()
    with_lengths = full.with_columns(abstract_chars().alias(ABSTRACT_CHARS))
    narrow = with_lengths.select(name for name in DEDUP_READS if name in with_lengths.columns)
    signatures = Signatures.of(full.get_column("abstract"), config.dedup)
    with work_folder(tmp_path) as work:
        captured = work.spill("language", [full.slice(0, 2), full.slice(2)])
        whole = dedup.fn(full, None, config)
        read_narrow = dedup.fn(narrow, None, config, signatures=signatures, captured=captured)
        assert "authors" not in read_narrow.papers.columns
        _, expected = in_ranges(whole, work, rows=2)
        _, ranges = in_ranges(read_narrow, work, rows=2)
        wanted = [frame for frame in expected.frames()]
        spilled = [frame for frame in ranges.frames()]
        lost = replace(
            read_narrow, captured=work.spill("language", [full.filter(pl.col("record_id") != "r2")])
        )
        with pytest.raises(RuntimeError, match="4 member records found of the 5 of a range of papers"):
            in_ranges(lost, work, rows=10)
    assert [frame.height for frame in spilled] == [2, 1]
    for got, want in zip(spilled, wanted, strict=True):
        assert_frame_equal(got, want)
    heads = pl.concat(spilled).filter(pl.col("arxiv_id") == "2401.00001").row(0, named=True)
    assert heads["authors"] == ["A. Author"] and heads["record_id"] == "r1"
