"""Language detection at scale: reuse of known results, and process-parallel detection equal to serial."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import flows.run.language
from flows.run.language import detect_languages
from tests.transforms.test_language import ENGLISH, NON_ENGLISH
from transforms.language.detect import GATE_SCORE, with_language

TEXTS = [ENGLISH, *NON_ENGLISH.values(), "", None, "1234 5678", ENGLISH, "Ünïcödé naïve café résumé"]


def frame_of(texts: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"record_id": [f"r{i}" for i in range(len(texts))], "abstract": texts},
        schema={"record_id": pl.String, "abstract": pl.String},
    )


def test_serial_detection_matches_per_row_detection() -> None:
    frame = frame_of(TEXTS)
    expected = with_language(frame.with_columns(pl.col("abstract").fill_null(""))).with_columns(
        pl.col("abstract").replace("", None).alias("abstract")
    )
    result = detect_languages(frame)
    assert_frame_equal(result.drop("abstract"), expected.drop("abstract"))
    assert result["abstract"].to_list() == TEXTS


def test_parallel_detection_equals_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    pools: list[dict[str, Any]] = []

    def counting_pool(**options: Any) -> ProcessPoolExecutor:
        pools.append(options)
        return ProcessPoolExecutor(**options)

    monkeypatch.setattr(flows.run.language, "ProcessPoolExecutor", counting_pool)
    frame = frame_of(TEXTS * 3)
    serial = detect_languages(frame, parallel_threshold=10_000)
    assert pools == []
    parallel = detect_languages(frame, workers=2, parallel_threshold=2)
    assert [pool["max_workers"] for pool in pools] == [2]
    assert_frame_equal(parallel, serial)


def test_known_abstracts_are_not_detected_again() -> None:
    # The known result is deliberately not what langdetect would say: seeing it proves no re-detection.
    known = pl.DataFrame(
        {"abstract": [ENGLISH, "unused"], "language": ["xx", "en"], "language_score": [0.5, 1.0]}
    )
    result = detect_languages(frame_of([ENGLISH, NON_ENGLISH["de"]]), known=known)
    assert result["language"].to_list() == ["xx", "de"]
    assert result["language_score"][0] == 0.5


def test_known_rows_without_language_are_detected() -> None:
    known = pl.DataFrame(
        {"abstract": [NON_ENGLISH["fr"]], "language": [None], "language_score": [None]},
        schema={"abstract": pl.String, "language": pl.String, "language_score": pl.Float64},
    )
    assert detect_languages(frame_of([NON_ENGLISH["fr"]]), known=known)["language"].to_list() == ["fr"]


def test_existing_language_columns_are_replaced_and_empty_frames_work() -> None:
    frame = frame_of([ENGLISH]).with_columns(
        pl.lit("zz").alias("language"), pl.lit(0.1).alias("language_score")
    )
    result = detect_languages(frame)
    assert result.columns == ["record_id", "abstract", "language", "language_score"]
    assert result["language"].to_list() == ["en"]
    empty = detect_languages(frame_of([]))
    assert empty.height == 0
    assert empty.schema["language"] == pl.String
    assert empty.schema["language_score"] == pl.Float64


def test_gate_settles_clear_english_without_langdetect(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.transforms.test_language import LONG_ENGLISH

    seen: list[list[str]] = []
    real = flows.run.language.detect_many

    def recording(texts: list[str]) -> tuple[list[str], list[float]]:
        seen.append(list(texts))
        return real(texts)

    monkeypatch.setattr(flows.run.language, "detect_many", recording)
    result = detect_languages(frame_of([LONG_ENGLISH, NON_ENGLISH["fr"]]))
    assert result["language"].to_list() == ["en", "fr"]
    assert result["language_score"][0] == GATE_SCORE
    assert seen == [[NON_ENGLISH["fr"]]]
    ungated = detect_languages(frame_of([LONG_ENGLISH]), gate=False)
    assert ungated["language"].to_list() == ["en"] and ungated["language_score"][0] < GATE_SCORE
