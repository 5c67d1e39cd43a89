"""Derive in batches gives the frame of one pass (the fields are per paper)."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import flows.run.frames as frames
from tests.transforms.test_derive import INPUT_SCHEMA

ROWS = [
    {
        "title": "Robust grasping",
        "abstract": "A robot grasps objects. Code: https://github.com/a/b.",
        "arxiv_comment": "Accepted at ICRA 2024",
        "categories": ["cs.RO"],
        "primary_category": "cs.RO",
    },
    {"title": "", "abstract": ""},
    {"title": "Ünïcödé", "abstract": "ß"},
    {
        "title": "Sparse attention for long documents",
        "abstract": "We prune attention heads of a language model; code will be released.",
        "journal_ref": "ACL 2025",
        "categories": ["cs.CL", "cs.LG"],
    },
    {"title": "Graph mining", "abstract": "Community detection on large graphs.", "venue_field": "KDD 2024"},
]


@pytest.mark.parametrize("batch_rows", [3, 8])
def test_derive_in_batches_is_derive_in_one_pass(monkeypatch: pytest.MonkeyPatch, batch_rows: int) -> None:
    papers = pl.DataFrame(
        [{name: row.get(name) for name in INPUT_SCHEMA} for row in ROWS * 2], schema=INPUT_SCHEMA
    ).with_row_index("order")
    whole = frames.derive_frame(papers)
    monkeypatch.setattr(frames, "DERIVE_BATCH_ROWS", batch_rows)
    assert_frame_equal(frames.derive_frame(papers), whole)
    assert whole.get_column("order").to_list() == list(range(len(ROWS) * 2))


def test_derive_frame_adds_the_fields_of_derive_fields_to_every_column() -> None:
    """The scorer sees only the columns it reads; what it adds lands beside every column of the papers."""
    papers = pl.DataFrame(
        [{name: row.get(name) for name in INPUT_SCHEMA} for row in ROWS], schema=INPUT_SCHEMA
    ).with_columns(pl.col("abstract").str.to_uppercase().alias("abstract_raw"), pl.lit(7).alias("carried"))
    expected = papers.lazy().pipe(frames.derive_fields).collect()
    assert_frame_equal(frames.derive_frame(papers), expected)
