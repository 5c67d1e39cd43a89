"""A stored dedup index built with other DedupParams (an older band layout) is rebuilt, not reused."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from flows.run.config import RunConfig
from flows.run.stages import previous_index
from flows.store.previous import PreviousVersion
from transforms.dedup.index import build_index
from transforms.dedup.minhash import DedupParams

PAPERS = pl.DataFrame(
    {
        "paper_id": ["arxiv:2401.00001", "title:abc"],
        "title": ["Structured Pruning of Convolutional Networks", "A Benchmark of Translation"],
        "abstract": [
            "we prune whole filters of a trained convolutional network and keep its accuracy",
            "a benchmark of translation for west african languages with forty thousand pairs",
        ],
        "arxiv_id": ["2401.00001", None],
    }
)


def _previous(index: pl.DataFrame | None) -> PreviousVersion:
    return PreviousVersion.from_frames("v1", Path("unused"), PAPERS, index)


def test_an_index_of_other_parameters_is_rebuilt_with_the_run_s() -> None:
    config = RunConfig()
    old = build_index(PAPERS, DedupParams(bands=16))
    assert old["fingerprint"].unique().to_list() != [config.dedup.fingerprint]
    rebuilt = previous_index(_previous(old), config)
    assert rebuilt["fingerprint"].unique().to_list() == [config.dedup.fingerprint]
    assert_frame_equal(rebuilt, build_index(PAPERS, config.dedup))
    assert rebuilt.filter(pl.col("kind") == "band")["band"].n_unique() == config.dedup.bands


def test_an_index_of_the_same_parameters_is_reused() -> None:
    config = RunConfig()
    current = build_index(PAPERS, config.dedup)
    assert previous_index(_previous(current), config) is current
    assert_frame_equal(previous_index(_previous(None), config), current)
