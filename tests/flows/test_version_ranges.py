"""The run's papers cut into ``paper_id`` ranges after dedup (``flows/run/version.py``): every paper in one range,
no id in two, the keys cut at the same ids."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from flows.run.results import Deduplicated
from flows.run.version import _range_cuts, in_ranges
from flows.store.spill import work_folder
from transforms.dedup.clusters import ABSTRACT_CHARS
from transforms.dedup.index import INDEX_SCHEMA, KIND, KeysById


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


def test_papers_and_their_keys_are_spilled_in_the_same_ranges(tmp_path: Path) -> None:
    papers = pl.DataFrame(  # in the order dedup leaves them: none in particular
        {"paper_id": ["c", "b", "e", "a", "d", "b"], "title": ["C", "B1", "E", "A", "D", "B2"]}
    )
    keys = KeysById(  # in INDEX_ORDER; "x" is a paper no longer in the run (withheld): its keys are dropped
        pl.DataFrame(
            {
                "_paper_rank": pl.Series([1, 1, 2, 3, 3, 4, 5, 6], dtype=pl.UInt32),
                "kind": pl.Series(["band"] * 8, dtype=KIND),
                "band": pl.Series(range(8), dtype=pl.Int16),
                "key": pl.Series([1, 2, 3, 4, 5, 6, 7, 8], dtype=pl.UInt64),
            }
        ),
        ids=pl.Series(["a", "b", "c", "d", "e", "x"]),
        fingerprint="f",
    )
    records = pl.DataFrame({"record_id": ["r1"]})
    with work_folder(tmp_path) as work:
        rest, ranges = in_ranges(Deduplicated(records=records, papers=papers, keys=keys), work, rows=2)
        paper_ranges = list(ranges.papers.frames())
        assert ranges.keys is not None
        key_ranges = list(ranges.keys.frames())
    assert [frame.get_column("paper_id").to_list() for frame in paper_ranges] == [
        ["a", "b", "b"],
        ["c", "d"],
        ["e"],
    ]
    assert [frame.get_column("key").to_list() for frame in key_ranges] == [[1, 2, 3], [4, 5, 6], [7]]
    assert [frame.get_column("paper_id").to_list() for frame in key_ranges] == [
        ["a", "a", "b"],
        ["c", "c", "d"],
        ["e"],
    ]
    assert all(frame.schema == INDEX_SCHEMA for frame in key_ranges)
    assert rest.papers.height == 0 and rest.keys is None
    assert_frame_equal(rest.records, records)


def test_no_paper_is_one_empty_range_with_the_papers_columns(tmp_path: Path) -> None:
    papers = pl.DataFrame(schema={"paper_id": pl.String, "title": pl.String})
    with work_folder(tmp_path) as work:
        _, ranges = in_ranges(Deduplicated(records=pl.DataFrame(), papers=papers), work, rows=10)
        (only,) = list(ranges.papers.frames())
    assert ranges.keys is None
    assert_frame_equal(only, papers)


def test_papers_read_without_their_captured_texts_get_their_kept_records_back(tmp_path: Path) -> None:
    """Dedup reads the records without ``CARRIED_TEXTS`` and its papers leave it without ``abstract`` (with
    ``ABSTRACT_CHARS``); each range gets its kept records' texts (not another member's) as it is spilled, and a
    paper whose kept record is missing stops the run."""
    records = pl.DataFrame(
        {
            "record_id": ["r1", "r2", "r3", "r4"],
            "abstract": ["a1", "a2", "a3", "a4"],
            "title_raw": ["T1", "T2", "T3", "T4"],
            "abstract_raw": ["A1", "A2", "A3", None],
        }
    )
    papers = pl.DataFrame(
        {"paper_id": ["a", "b", "c"], "record_id": ["r3", "r1", "r4"], ABSTRACT_CHARS: [2, 2, 2]}
    )
    with work_folder(tmp_path) as work:
        captured = work.spill("language", [records.slice(0, 2), records.slice(2)])
        deduplicated = Deduplicated(records=records, papers=papers, captured=captured)
        _, ranges = in_ranges(deduplicated, work, rows=2)
        spilled = [frame for frame in ranges.papers.frames()]
        lost = Deduplicated(
            records=records, papers=papers.with_columns(pl.lit("r9").alias("record_id")), captured=captured
        )
        with pytest.raises(RuntimeError, match="0 kept records' texts found for a range of 2 papers"):
            in_ranges(lost, work, rows=2)
    assert_frame_equal(
        pl.concat(spilled),
        pl.DataFrame(
            {
                "paper_id": ["a", "b", "c"],
                "record_id": ["r3", "r1", "r4"],
                "abstract": ["a3", "a1", "a4"],
                "title_raw": ["T3", "T1", "T4"],
                "abstract_raw": ["A3", "A1", None],
            }
        ),
    )
    assert [frame.height for frame in spilled] == [2, 1]
