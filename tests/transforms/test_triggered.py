"""An expression computed only on the rows its trigger matches equals computing it on every row."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from transforms.clean.triggered import on_triggered
from transforms.language.scripts import (
    MIN_SECOND_SCRIPT_LETTERS,
    MIXED_SCRIPT_SHARE,
    is_mixed_script,
    second_script_letters,
    second_script_share,
)

TEXTS = pl.DataFrame(
    {
        "text": [
            "plain English & more",
            None,
            "",
            "no ampersand here",
            "a & b & c",
            "English text. " * 3 + "Это русский текст, который добавлен в конец аннотации для проверки." * 2,
            "Greek math α β Θ(n) only",
            "日本語のテキストとEnglish words mixed together in one abstract of some length.",
            "Короткое слово",
        ]
    },
    schema={"text": pl.String},
)


def test_rows_without_a_match_keep_their_text_or_take_the_default() -> None:
    swap = lambda t: t.str.replace_all("&", "and")  # noqa: E731
    out = TEXTS.select(
        on_triggered(pl.col("text"), "&", swap, pl.String).alias("kept"),
        on_triggered(pl.col("text"), "&", lambda t: t.str.len_chars(), pl.UInt32, otherwise=0).alias("n"),
    )
    expected = TEXTS.select(
        swap(pl.col("text")).alias("kept"),
        pl.when(pl.col("text").str.contains("&"))
        .then(pl.col("text").str.len_chars())
        .otherwise(0)
        .cast(pl.UInt32)
        .alias("n"),
    )
    assert_frame_equal(out, expected)
    empty = TEXTS.head(0).select(on_triggered(pl.col("text"), "&", swap, pl.String))
    assert empty.height == 0 and empty.schema == pl.Schema({"text": pl.String})


def test_mixed_script_on_triggered_rows_equals_counting_every_row() -> None:
    reference = (second_script_share(pl.col("text")) >= MIXED_SCRIPT_SHARE) & (
        second_script_letters(pl.col("text")) >= MIN_SECOND_SCRIPT_LETTERS
    )
    out = TEXTS.select(is_mixed_script(pl.col("text")).alias("mixed"))
    assert_frame_equal(out, TEXTS.select(reference.alias("mixed")))
    assert out.get_column("mixed").to_list() == [False] * 5 + [True, False, False, False]
