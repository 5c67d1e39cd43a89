"""Run an expensive text expression only on the rows a cheap regex says it can matter for.

``pl.when(cond).then(expr)`` evaluates ``expr`` on every row; a cleaning rule or a script count that changes
only texts with, say, an ``&`` or a Cyrillic letter spends almost all of its time on texts it leaves alone. The
expression here computes it on the matching rows of each batch only and puts the results back in place; the
caller guarantees (and tests) that the trigger matches every row where the result would differ from the
default.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Final

import polars as pl

if TYPE_CHECKING:
    from polars._typing import PolarsDataType, PythonLiteral


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP
"""``otherwise`` value: rows without a match keep their text."""


def on_triggered(
    text: pl.Expr,
    trigger: str,
    compute: Callable[[pl.Expr], pl.Expr],
    dtype: PolarsDataType,
    otherwise: PythonLiteral | _Keep | None = KEEP,
) -> pl.Expr:
    """``compute(text)`` where ``text`` matches ``trigger``; elsewhere the text itself (``KEEP``) or
    ``otherwise`` (a literal of ``dtype``)."""
    return text.map_batches(
        lambda texts: _triggered(texts, trigger, compute, dtype, otherwise),
        return_dtype=dtype,
        is_elementwise=True,
    )


def _triggered(
    texts: pl.Series,
    trigger: str,
    compute: Callable[[pl.Expr], pl.Expr],
    dtype: PolarsDataType,
    otherwise: PythonLiteral | _Keep | None,
) -> pl.Series:
    rows = texts.str.contains(trigger).fill_null(False).arg_true()
    base = texts.clone() if otherwise is KEEP else pl.repeat(otherwise, texts.len(), dtype=dtype, eager=True)
    if rows.is_empty():
        return base.alias(texts.name)
    computed = texts.gather(rows).to_frame("text").select(compute(pl.col("text"))).to_series()
    return base.scatter(rows, computed.cast(dtype)).alias(texts.name)
