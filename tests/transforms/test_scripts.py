"""Script shares and the language:mixed reason (issue 14)."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from transforms.language.scripts import MIXED_REASON, second_script_share, tag_mixed_script

ENGLISH = (
    "We propose a retrieval-augmented model for long documents. It reads each section once, keeps a short "
    "memory of entities and answers questions about the whole document with a small number of calls. "
)
KOREAN = (
    "우리는 긴 문서를 위한 검색 증강 모델을 제안한다. 각 절을 한 번 읽고 개체에 대한 짧은 기억을 유지한다."
)
CHINESE = "我们提出了一种用于长文档的检索增强模型，它只读取每个章节一次，并保留实体的简短记忆。"
OCR_HANGUL = (
    2
    * "ㅎㅏㄴ 그ㄹ 뭉ㅊ 의 모델 ㅁㅗ델 Model resul t 문서 ㅇㅣ 해 석 s ection 읽 고 검 색 기 억 유 지 한 다 ㅇㅏ"
)


def frame(texts: list[str | None]) -> pl.LazyFrame:
    return pl.LazyFrame(
        {"abstract": texts, "reasons": [[] for _ in texts]},
        schema={"abstract": pl.String, "reasons": pl.List(pl.String)},
    )


def test_second_script_share() -> None:
    texts = [ENGLISH, ENGLISH + KOREAN, "", None, "日本語のテキストとカタカナ", "α β Θ(n) with " + ENGLISH]
    shares = pl.select(second_script_share(pl.Series(texts, dtype=pl.String))).to_series().to_list()
    assert shares[0] == 0.0
    assert 0.10 <= shares[1] <= 0.5
    assert shares[2:] == [0.0, 0.0, 0.0, 0.0]


def test_mixed_abstracts_are_tagged_and_plain_ones_are_not() -> None:
    texts = [
        ENGLISH,
        ENGLISH + KOREAN,
        ENGLISH + CHINESE,
        OCR_HANGUL,
        # A quoted name or a few characters in another script is not a second paragraph.
        ENGLISH + "The corpus is called 悟空 (Wukong).",
        "Über große Modelle: ein Überblick über Methoden und Daten.",
        CHINESE,
        "Mathematics: α-divergence, β-VAE, Θ(n log n), λ, μ, σ and π in " + ENGLISH,
        None,
    ]
    out = frame(texts).pipe(tag_mixed_script).collect()
    expected = [[], [MIXED_REASON], [MIXED_REASON], [MIXED_REASON], [], [], [], [], []]
    assert_frame_equal(
        out.select("reasons"), pl.DataFrame({"reasons": expected}, schema={"reasons": pl.List(pl.String)})
    )


def test_existing_reasons_are_kept() -> None:
    out = (
        pl.LazyFrame({"abstract": [ENGLISH + KOREAN], "reasons": [["language:ko"]]})
        .pipe(tag_mixed_script)
        .collect()
    )
    assert out["reasons"].to_list() == [["language:ko", MIXED_REASON]]
