"""Split a frame into partitions and put the stage outputs back in the single-process order.

A stage that works row by row (clean, language, derive) gives the same rows whether it sees the whole frame or
one partition at a time; only the order of its output could differ. :func:`split_partitions` tags every row
with its position (``ORDER``) and, where a stage reorders its output by a property of the input row (clean and
language put the rows they route aside after the others), with that property (``GROUP``);
:func:`merge_partitions` sorts the concatenated outputs by both and drops the tags. The published result then
does not depend on the number of partitions, nor on which partition a row went to.
"""

from __future__ import annotations

import polars as pl

ORDER = "__partition_order"
"""Position of the row in the frame before it was split."""
GROUP = "__partition_group"
"""The stage's output block of the row (0 first), when the stage puts some rows after the others."""

_SEED = 0x9A27_1710


def split_partitions(
    frame: pl.DataFrame, partitions: int, *, key: str = "record_id", group: pl.Expr | None = None
) -> list[pl.DataFrame]:
    """``frame`` tagged with ``ORDER`` and ``GROUP``, split by a hash of ``key``; empty partitions are left out.

    ``group`` is evaluated on the input: the output block each row lands in (e.g. "already has a reason").
    """
    if partitions < 1:
        raise ValueError(f"partitions must be >= 1, got {partitions}")
    tagged = frame.with_row_index(ORDER).with_columns(
        (group if group is not None else pl.lit(False)).fill_null(False).cast(pl.UInt8).alias(GROUP)
    )
    if partitions == 1:
        return [tagged] if tagged.height else []
    part = (pl.col(key).hash(seed=_SEED) % partitions).alias("__partition")
    return [
        p.drop("__partition")
        for p in tagged.with_columns(part).partition_by("__partition", maintain_order=True)
    ]


def merge_partitions(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The stage outputs of :func:`split_partitions`' partitions as one frame in single-process order."""
    return pl.concat(parts, how="vertical").sort(GROUP, ORDER).drop(ORDER, GROUP)
