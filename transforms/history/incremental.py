"""The rows a daily run rewrites: the papers of the touched shard ranges, merged with the run's papers.

Pure polars. ``flows/store/previous.py`` reads the previous rows of the shards a run's ids fall in and writes the
result; everything else of the version is carried over unread. What :func:`version_rows` returns for those
ranges equals, row for row, what upserting into the whole previous version and recomputing the analysis columns
and ``record_hash`` of every paper gives there (``tests/flows/test_history_store.py``): the untouched papers of a
touched shard keep the values the same code computed for the version they come from.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from transforms.derive import rederive_topics
from transforms.derive.analysis import add_analysis_columns
from transforms.history.merge import upsert
from transforms.report.accounting import with_record_hash
from transforms.schema import PAPER_SCHEMA, conform

__all__ = ["version_rows"]


def version_rows(before: pl.DataFrame, passed: pl.DataFrame, seen_at: datetime) -> pl.DataFrame:
    """``before`` (previous rows of the touched ranges) upserted with ``passed`` (this run's papers), sorted by
    ``paper_id`` in ``PAPER_SCHEMA``; analysis columns and ``record_hash`` recomputed for the run's papers only
    (an updated paper may have gained a repository; the others did not change). A paper another topic method
    derived is derived again (a version of another method is never merged into shard by shard, so this only
    guards)."""
    merged = rederive_topics(upsert(before if before.height else None, passed, seen_at))
    changed = pl.col("paper_id").is_in(passed.get_column("paper_id").implode())
    fresh = merged.filter(changed).pipe(add_analysis_columns).pipe(with_record_hash)
    kept = merged.filter(~changed)
    return pl.concat([conform(kept, PAPER_SCHEMA), conform(fresh, PAPER_SCHEMA)]).sort("paper_id")
