"""Tag first, then split: rules add reasons to a ``reasons`` list column; :func:`split` routes rows."""

from __future__ import annotations

import polars as pl


def with_reasons(frame: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """Ensure the frame has an empty-by-default ``reasons`` list column."""
    lazy = frame.lazy()
    if "reasons" in lazy.collect_schema().names():
        return lazy
    return lazy.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("reasons"))


MAX_REASON_CHARS = 120
"""A reason is a countable code (``parse:arxiv:api-error:incorrect-id-format``), not a message: one computed
from an input (an error text, a field name) is cut to this length, so no input can write a page into the
quarantine, the manifest's counts or a log line."""


def reason_when(condition: pl.Expr, reason: str | pl.Expr) -> pl.Expr:
    """A one-element list holding ``reason`` (cut to ``MAX_REASON_CHARS``) where ``condition`` is true, else an
    empty list."""
    value = (
        pl.lit(reason[:MAX_REASON_CHARS])
        if isinstance(reason, str)
        else reason.str.slice(0, MAX_REASON_CHARS)
    )
    return (
        pl.when(condition.fill_null(False))
        .then(pl.concat_list([value.cast(pl.String)]))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
    )


def tag(frame: pl.LazyFrame, rules: dict[str, pl.Expr] | list[pl.Expr]) -> pl.LazyFrame:
    """Append reasons to ``reasons``.

    ``rules`` is either ``{reason: condition}`` or a list of list-valued expressions built with
    :func:`reason_when` (for reasons computed per row, e.g. ``language:fr``).
    """
    parts = (
        [reason_when(condition, reason) for reason, condition in rules.items()]
        if isinstance(rules, dict)
        else list(rules)
    )
    if not parts:
        return frame
    return with_reasons(frame).with_columns(
        pl.concat_list([pl.col("reasons"), *parts]).list.unique(maintain_order=True).alias("reasons")
    )


def pending() -> pl.Expr:
    """A row no rule has given a reason yet: still on its way to publication."""
    return pl.col("reasons").list.len() == 0


def pending_count(frame: pl.DataFrame) -> int:
    """Rows still on their way to publication (every row of a frame not tagged yet, without ``reasons``)."""
    return frame.filter(pending()).height if "reasons" in frame.columns else frame.height


def split(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows without reasons (kept) and rows with at least one reason (rejected).

    When the kept rows come first (a run's records leave the language stage that way), the two parts are
    slices of ``frame``, not copies of every column.
    """
    kept = frame.select(pending().alias("kept")).to_series()
    count = int(kept.sum())
    if kept.null_count() == 0 and bool(kept.slice(0, count).all()):
        return frame.slice(0, count), frame.slice(count)
    return frame.filter(kept), frame.filter(~kept)


def reject_failed_papers(
    records: pl.DataFrame, papers: pl.DataFrame, failures: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Route papers that failed a row check: their member records gain the reasons; the rest pass.

    ``papers`` has ``member_record_ids``; ``failures`` has ``gate_row`` (a row position in ``papers``) and
    ``reasons``. Returns the records with their reasons extended, and the papers that passed.
    """
    return with_gained_reasons(records, failed_members(papers, failures)), passed_papers(papers, failures)


def failed_members(papers: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    """``record_id`` and ``gained`` (the reasons its paper failed) of every member record of a failed paper
    (``papers`` and ``failures`` as in :func:`reject_failed_papers`)."""
    return (
        papers.select("member_record_ids")
        .with_row_index("gate_row")
        .join(failures, on="gate_row", how="inner")
        .select(pl.col("member_record_ids").alias("record_id"), pl.col("reasons").alias("gained"))
        .explode("record_id")
    )


def with_gained_reasons(records: pl.DataFrame, gained: pl.DataFrame) -> pl.DataFrame:
    """``records`` with the reasons of :func:`failed_members` appended to their ``reasons``."""
    return (
        records.join(gained, on="record_id", how="left")
        .with_columns(
            pl.concat_list("reasons", pl.col("gained").fill_null(pl.lit([], pl.List(pl.String)))).alias(
                "reasons"
            )
        )
        .drop("gained")
    )


def passed_papers(papers: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``papers`` no failure names (``papers`` itself, not a copy, when none failed)."""
    if failures.height == 0:
        return papers
    return papers.filter(
        ~pl.int_range(pl.len(), dtype=pl.UInt32).is_in(failures.get_column("gate_row").implode())
    )
