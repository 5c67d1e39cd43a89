"""Titles in another script or language than their abstract (issue 30): ``title:foreign-script`` and
``title:foreign-language``. The real-capture test reads ``../shared/data`` at run time and skips without it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms.language.title import FOREIGN_LANGUAGE_REASON, FOREIGN_SCRIPT_REASON, tag_foreign_title

SHARED = Path(os.environ.get("PAPERS_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
ARXIV_DAILY = SHARED / "data" / "arxiv-daily" / "papers-2025.jsonl"

ENGLISH = (
    "We propose a retrieval-augmented model for long documents. It reads each section once, keeps a short "
    "memory of entities and answers questions about the whole document with a small number of calls."
)
KOREAN = (
    "우리는 긴 문서를 위한 검색 증강 모델을 제안한다. 각 절을 한 번 읽고 개체에 대한 짧은 기억을 유지한다."
)
PORTUGUESE = (
    "Propomos um modelo de recuperação para documentos longos. Ele lê cada seção uma vez e responde a perguntas "
    "sobre o documento com poucas chamadas."
)


def tagged(rows: list[tuple[str | None, str | None]]) -> pl.DataFrame:
    frame = pl.LazyFrame(
        {"title": [t for t, _ in rows], "abstract": [a for _, a in rows], "reasons": [[] for _ in rows]},
        schema={"title": pl.String, "abstract": pl.String, "reasons": pl.List(pl.String)},
    )
    return frame.pipe(tag_foreign_title).collect().select("reasons")


def expect(reasons: list[list[str]]) -> pl.DataFrame:
    return pl.DataFrame({"reasons": reasons}, schema={"reasons": pl.List(pl.String)})


def test_a_title_in_another_script_than_its_abstract_is_tagged() -> None:
    rows: list[tuple[str | None, str | None]] = [
        ("긴 문서를 위한 검색 증강 모델", ENGLISH),  # the case: Korean title, English abstract
        ("LLM 기반 한국어 문서 요약", ENGLISH),  # mostly Hangul with an acronym
        ("大規模言語モデルによる文書要約", ENGLISH),  # Japanese (Han and Kana count as one script)
        ("Обучение языковых моделей", ENGLISH),  # Cyrillic
        ("긴 문서를 위한 검색 증강 모델", KOREAN),  # same script as the abstract
        ("A retrieval model for long documents", KOREAN),  # Latin over Hangul: language:ko catches it
    ]
    assert_frame_equal(tagged(rows), expect([[FOREIGN_SCRIPT_REASON]] * 4 + [[], []]))


def test_english_titles_with_symbols_names_and_products_are_not_tagged() -> None:
    rows: list[tuple[str | None, str | None]] = [
        ("$μ$-MoE: Test-Time Pruning as Micro-Grained Mixture-of-Experts", ENGLISH),  # Greek letter
        ("τ-bench: A Benchmark for Tool-Agent-User Interaction", ENGLISH),
        ("Robust ℋ∞ control with ℓ1- and ℓ∞-norm penalties", ENGLISH),  # math symbols
        ("On Erdős–Rényi Graphs and Déjà Vu in BézierGS", ENGLISH),  # accented names
        ("悟空: A Chinese Foundation Model for Long Documents", ENGLISH),  # CJK product name
        ("Scaling the Qwen-通义 Models to Long Contexts", ENGLISH),
        ("La La LiDAR: Large-Scale Layout Generation from LiDAR Data", ENGLISH),  # a repeated name
        ("On de Finetti's Theorem for Non-Convex Exchangeable Sequences", ENGLISH),
        (
            "CTDGSI: A comprehensive exploitation of instance selection methods for automatic text "
            "classification. VII Concurso de Teses, Dissertações e Trabalhos de Graduação em SI",
            ENGLISH,
        ),  # English title, then a Portuguese venue name
        (None, ENGLISH),
        ("", None),
    ]
    assert_frame_equal(tagged(rows), expect([[] for _ in rows]))


def test_a_latin_title_in_another_language_than_an_english_abstract_is_tagged() -> None:
    rows: list[tuple[str | None, str | None]] = [
        ("Avaliação de eficiência na leitura: uma abordagem baseada em PLN", ENGLISH),
        ("Hacia la interpretabilidad de la detección anticipada de riesgos", ENGLISH),
        ("MULTISS: un protocole de stockage confidentiel à long terme sur plusieurs réseaux", ENGLISH),
        ("Büyük Dil Modelleri için TR-MMLU Benchmarkı: Zorluklar ve Fırsatlar", ENGLISH),
        ("Avaliação de eficiência na leitura: uma abordagem baseada em PLN", PORTUGUESE),  # same language
    ]
    assert_frame_equal(tagged(rows), expect([[FOREIGN_LANGUAGE_REASON]] * 4 + [[]]))


def test_existing_reasons_are_kept() -> None:
    out = (
        pl.LazyFrame(
            {"title": ["긴 문서를 위한 모델"], "abstract": [ENGLISH], "reasons": [["abstract:too-short"]]}
        )
        .pipe(tag_foreign_title)
        .collect()
    )
    assert out["reasons"].to_list() == [["abstract:too-short", FOREIGN_SCRIPT_REASON]]


@pytest.mark.skipif(not ARXIV_DAILY.exists(), reason=f"no arXiv daily captures at {ARXIV_DAILY}")
def test_real_arxiv_titles() -> None:
    """The 24,000 arXiv papers of 2025: no title in another script; the ten foreign-language ones, listed in
    ``bench/experiments/title-language.md``."""
    rows = [json.loads(line) for line in ARXIV_DAILY.read_text(encoding="utf-8").splitlines() if line.strip()]
    frame = pl.LazyFrame(
        {
            "id": [row["id"] for row in rows],
            "title": [row["title"] for row in rows],
            "abstract": [row["summary"] for row in rows],
        }
    ).with_columns(reasons=pl.lit([], pl.List(pl.String)))
    out = frame.pipe(tag_foreign_title).filter(pl.col("reasons").list.len() > 0).collect()
    assert out["reasons"].to_list() == [[FOREIGN_LANGUAGE_REASON]] * out.height
    assert sorted(out["id"].to_list()) == [
        "2503.20939",
        "2504.00725",
        "2506.04279",
        "2506.04800",
        "2506.10119",
        "2508.13044",
        "2508.15824",
        "2508.18509",
        "2508.21389",
        "2511.10787",
    ]
