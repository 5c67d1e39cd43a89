"""Tests for paper identity: normalised titles and paper ids."""

from __future__ import annotations

import hashlib

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal, assert_series_equal

from transforms.dedup.identity import (
    normalise_text,
    normalise_title,
    paper_id_expr,
    stable_hash64,
    text_tokens,
    text_words,
)


def test_normalise_title_folds_case_punctuation_spacing_and_unicode() -> None:
    titles = pl.DataFrame(
        {
            "title": [
                "Attention Is All You Need",
                "  attention is all you  need!  ",
                "Attention\u00a0is all-you-need",
                "Ｆｕｌｌ　ｗｉｄｔｈ: Über-Netze",
                "",
                None,
            ]
        }
    )
    result = titles.select(normalise_title(pl.col("title")))["title"]
    expected = pl.Series(
        "title",
        [
            "attention is all you need",
            "attention is all you need",
            "attention is all you need",
            "full width über netze",
            "",
            "",
        ],
    )
    assert_series_equal(result, expected)


def test_normalise_text_joins_hard_wrapped_lines() -> None:
    frame = pl.DataFrame(
        {
            "t": [
                "large language\nmodels (LLMs) are\nused.Given this",
                "large language models LLMs are used. Given this",
            ]
        }
    )
    result = frame.select(normalise_text(pl.col("t")))["t"].to_list()
    assert result[0] == result[1] == "large language models llms are used given this"


def test_text_tokens_of_empty_text_is_empty_list() -> None:
    frame = pl.DataFrame({"t": ["", None, "!!", "a b"]}, schema={"t": pl.String})
    result = frame.select(text_tokens(pl.col("t")))["t"].to_list()
    assert result == [[], [], [], ["a", "b"]]


def test_paper_id_prefers_arxiv_id_and_falls_back_to_title_hash() -> None:
    frame = pl.DataFrame(
        {
            "arxiv_id": ["2401.00001", None, "  ", None],
            "title": ["Some Title", "Some Title", "Some title!", "Ünïcode Title"],
        }
    )
    digest = hashlib.sha256(b"some title").hexdigest()[:16]
    unicode_digest = hashlib.sha256("ünïcode title".encode()).hexdigest()[:16]
    result = frame.select(paper_id_expr())
    expected = pl.DataFrame(
        {"paper_id": ["arxiv:2401.00001", f"title:{digest}", f"title:{digest}", f"title:{unicode_digest}"]}
    )
    assert_frame_equal(result, expected)


def test_stable_hash64_is_blake2b_and_keeps_nulls() -> None:
    frame = pl.DataFrame({"t": ["word", None]}, schema={"t": pl.String})
    result = frame.select(stable_hash64(pl.col("t")))["t"].to_list()
    expected = int.from_bytes(hashlib.blake2b(b"word", digest_size=8).digest(), "little")
    assert result == [expected, None]


MIXED = ["Plain ASCII, text.", "ﬁne Ünïcödé — ＦＵＬＬ width", None, "", "networks.Given", "Ⅻ ½ x²"]


def _words_by_expression(texts: pl.Series) -> list[tuple[int, str]]:
    normalised = pl.DataFrame({"t": texts}).select(normalise_text(pl.col("t")))["t"].to_list()
    return [(doc, word) for doc, text in enumerate(normalised) for word in text.split(" ") if word]


def test_text_words_are_the_words_of_the_expression() -> None:
    texts = pl.Series("t", [*MIXED, "  İstanbul   K-means, ﬁ (x)__y  ", "a\x00b\tc\n"], dtype=pl.String)
    words = text_words(texts)
    assert words.schema == pl.Schema({"doc": pl.UInt32, "word": pl.String})
    assert list(words.iter_rows()) == _words_by_expression(texts)
    assert text_words(texts.slice(2, 3)).rows() == _words_by_expression(texts.slice(2, 3))
    assert text_words(pl.Series([], dtype=pl.String)).height == 0


@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=20))
def test_text_words_equal_the_expression_on_any_text(texts: list[str | None]) -> None:
    series = pl.Series("t", texts, dtype=pl.String)
    assert list(text_words(series).iter_rows()) == _words_by_expression(series)
