"""The dedup audit report renders cluster sizes and near-duplicate merges of a version's papers."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from flows.render.text import dedup_report_text
from transforms.dedup.clusters import find_clusters
from transforms.dedup.collapse import collapse_clusters
from transforms.dedup.matching import match_previous
from transforms.history.merge import upsert
from transforms.report.audit import dedup_merges
from transforms.schema import PAPER_SCHEMA, RECORD_SCHEMA, WORKING_COLUMNS, conform, polars_schema

ABSTRACT = (
    "We describe a compiler pass that removes redundant bounds checks from array loops by proving ranges "
    "with a small abstract interpreter, and we measure a ten percent speed-up on a suite of numeric kernels."
)
REVISED = ABSTRACT.replace("ten percent", "twelve percent") + " The pass is open source."


def test_report_lists_sizes_and_retitled_merges() -> None:
    schema = polars_schema(RECORD_SCHEMA) | pl.Schema(WORKING_COLUMNS)
    rows = [
        {"record_id": "a", "title": "Bounds Check Removal", "abstract": ABSTRACT},
        {"record_id": "b", "title": "Removing Bounds Checks in Loops", "abstract": REVISED},
        {"record_id": "c", "title": "bounds check removal", "abstract": ABSTRACT},
        {"record_id": "d", "title": "Something Else", "abstract": "Another topic entirely, about cells."},
    ]
    base = {"source": "text-page", "raw_sha256": "s", "raw_index": 0, "cleaning_flags": [], "reasons": []}
    records = pl.DataFrame([base | row for row in rows], schema=schema)
    collapsed = collapse_clusters(find_clusters(records))
    target = polars_schema(PAPER_SCHEMA)
    papers = collapsed.with_columns(
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in target.items()
        if name not in collapsed.columns and name not in ("paper_id", "first_seen", "last_seen", "times_seen")
    )
    version = upsert(None, match_previous(papers, None).drop("is_new"), datetime(2025, 1, 1, tzinfo=UTC))
    report = dedup_report_text("v1", *dedup_merges(conform(version, PAPER_SCHEMA)))
    assert "papers: 2; merged records: 2; papers with merges: 1" in report
    assert "     1 record(s): 1 paper(s)" in report
    assert "     3 record(s): 1 paper(s)" in report
    # The revised abstract is the longest, so it is kept; both other records carry another title.
    assert "Merges under a different title (near-duplicate or arXiv id), least similar first: 2" in report
    assert "kept:   Removing Bounds Checks in Loops" in report
    assert "merged: Bounds Check Removal" in report
    assert "Something Else" not in report
