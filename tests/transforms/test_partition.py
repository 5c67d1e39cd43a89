"""Partitions put back in single-process order, and dedup's band keys computed per partition."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.transforms.test_dedup import GROKKING_A, GROKKING_B, PRUNING, PRUNING_REVISED, TRANSLATION, records
from transforms.dedup.clusters import find_clusters
from transforms.dedup.minhash import DedupParams, partition_band_frame, shared_band_frame, shared_bands
from transforms.partition import ORDER, merge_partitions, split_partitions


def flagged_last(frame: pl.DataFrame) -> pl.DataFrame:
    """A stage that, like clean and language, puts the rows it routes aside after the others."""
    flagged = pl.col("value") % 3 == 0
    return pl.concat([frame.filter(~flagged), frame.filter(flagged)]).with_columns(pl.col("value") * 10)


@pytest.mark.parametrize("partitions", [1, 2, 3, 7, 50])
def test_merged_partitions_are_in_single_process_order(partitions: int) -> None:
    frame = pl.DataFrame({"record_id": [f"r{i}" for i in range(40)], "value": list(range(40))[::-1]})
    parts = split_partitions(frame, partitions, group=pl.col("value") % 3 == 0)
    assert sum(part.height for part in parts) == frame.height
    assert all(part.height for part in parts)  # empty partitions are left out
    assert_frame_equal(merge_partitions([flagged_last(part) for part in parts]), flagged_last(frame))


def test_an_empty_frame_has_no_partitions() -> None:
    assert split_partitions(pl.DataFrame({"record_id": []}, schema={"record_id": pl.String}), 4) == []


def many_texts() -> pl.DataFrame:
    """Near duplicates, unrelated texts and one abstract repeated often enough to fill a big LSH bucket."""
    abstracts = [PRUNING, GROKKING_A, PRUNING_REVISED, TRANSLATION, GROKKING_B, "", *[TRANSLATION] * 6]
    return records(
        [{"title": f"Paper number {i} of many", "abstract": text} for i, text in enumerate(abstracts)]
    )


@pytest.mark.parametrize("partitions", [1, 2, 3, 5])
def test_band_keys_per_partition_give_the_same_clusters(partitions: int) -> None:
    params = DedupParams(max_bucket=3)  # the repeated abstract's buckets are linked as star and chain
    frame = many_texts()
    parts = split_partitions(frame.select("record_id", "abstract"), partitions)
    bands = shared_bands([partition_band_frame(p["abstract"], p[ORDER], params) for p in parts])
    whole = shared_band_frame(frame["abstract"], params)
    assert_frame_equal(bands.sort("band", "key", "doc"), whole.sort("band", "key", "doc"))
    assert_frame_equal(find_clusters(frame, params, bands=bands), find_clusters(frame, params))
