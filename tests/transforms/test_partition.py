"""Partitions put back in single-process order, and dedup's signatures computed per partition."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.transforms.test_dedup import GROKKING_A, GROKKING_B, PRUNING, PRUNING_REVISED, TRANSLATION, records
from transforms.dedup.clusters import ABSTRACT_CHARS, abstract_chars, abstracts_in, find_clusters
from transforms.dedup.minhash import DedupParams, Signatures, shared_band_frame
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
def test_signatures_per_partition_give_the_same_clusters(partitions: int) -> None:
    """Signed a partition at a time, the abstracts band as the whole frame does; the records then cluster the
    same without their abstracts, reading only those of the pairs they score (the one without words is in none)."""
    params = DedupParams(max_bucket=3)  # the repeated abstract's buckets are linked as star and chain
    frame = many_texts()
    signed = Signatures.empty(params, frame.height)
    for part in split_partitions(frame.select("record_id", "abstract"), partitions):
        signed.put(part.get_column(ORDER).to_numpy(), Signatures.of(part.get_column("abstract"), params))
    whole = Signatures.of(frame.get_column("abstract"), params)
    np.testing.assert_array_equal(signed.values, whole.values)
    np.testing.assert_array_equal(signed.has_shingles, whole.has_shingles)
    bands = signed.shared_band_frame(params)
    assert_frame_equal(bands, shared_band_frame(frame.get_column("abstract"), params))
    expected = find_clusters(frame, params)
    assert_frame_equal(find_clusters(frame, params, bands=bands), expected)

    read: list[str] = []
    lookup = abstracts_in(frame)

    def abstracts(record_ids: pl.Series) -> pl.Series:
        read.extend(record_ids.to_list())
        return lookup(record_ids)

    without = frame.with_columns(abstract_chars().alias(ABSTRACT_CHARS)).drop("abstract")
    assert_frame_equal(
        find_clusters(without, params, bands=bands, abstracts=abstracts),
        expected.with_columns(abstract_chars().alias(ABSTRACT_CHARS)).drop("abstract"),
        check_column_order=False,
    )
    assert set(read) < set(frame.get_column("record_id"))
    with pytest.raises(ValueError, match="band keys"):
        find_clusters(without, params, abstracts=abstracts)
