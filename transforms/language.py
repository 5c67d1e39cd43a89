"""Language of the cleaned abstract (langdetect), and quarantine reasons for languages that are not allowed.

Titles are not used: they are too short for langdetect ("Neural Networks" comes back ``af``).

langdetect is made deterministic by ``DetectorFactory.seed = 0`` (each detection re-seeds its sampler, so the
result for a text does not depend on what was detected before it). Its language profiles are loaded lazily on
the first call, and concurrent first calls can see a half-loaded factory and return wrong answers: call
:func:`ensure_profiles_loaded` before any parallel use (it is also called on import, and process workers call
it in their initializer).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl
from langdetect import DetectorFactory, detect_langs, detector_factory
from langdetect.lang_detect_exception import LangDetectException

from transforms.routing import reason_when, tag

UNDETECTABLE = "undetectable"
"""The language code given to text with no features (empty, digits, symbols)."""

LANGUAGE_SCHEMA = {"language": pl.String, "language_score": pl.Float64}


def ensure_profiles_loaded() -> None:
    """Seed langdetect and load its language profiles (idempotent; call before any parallel detection)."""
    DetectorFactory.seed = 0
    detector_factory.init_factory()


ensure_profiles_loaded()


def detect_language(text: str | None) -> tuple[str, float]:
    """The most probable language of ``text`` and its probability.

    ``("undetectable", 0.0)`` for text without features (empty, digits, symbols).
    """
    if text is None or not text.strip():
        return UNDETECTABLE, 0.0
    try:
        best = detect_langs(text)[0]  # uses the factory loaded once by ensure_profiles_loaded()
    except (LangDetectException, IndexError):
        return UNDETECTABLE, 0.0
    return best.lang, float(best.prob)


def detect_many(texts: Iterable[str | None]) -> tuple[list[str], list[float]]:
    """Languages and scores of several texts, in order (the unit of work of one worker process)."""
    codes: list[str] = []
    scores: list[float] = []
    for text in texts:
        code, score = detect_language(text)
        codes.append(code)
        scores.append(score)
    return codes, scores


def _detect_series(texts: pl.Series) -> pl.Series:
    codes, scores = detect_many(texts.to_list())
    return pl.DataFrame({"language": codes, "language_score": scores}, schema=LANGUAGE_SCHEMA).to_struct()


def with_language(frame: pl.DataFrame, column: str = "abstract") -> pl.DataFrame:
    """Add ``language`` and ``language_score`` detected on ``column`` (per row, in this process)."""
    detected = (
        pl.col(column)
        .cast(pl.String)
        .map_batches(_detect_series, return_dtype=pl.Struct(LANGUAGE_SCHEMA))
        .alias("__language")
    )
    return frame.with_columns(detected).unnest("__language")


def tag_language(frame: pl.LazyFrame, allowed: Sequence[str] = ("en",)) -> pl.LazyFrame:
    """Append ``language:<code>`` for detected languages outside ``allowed`` (``language:undetectable`` for
    text without features). Rows without a detection (``language`` null) get no reason here."""
    language = pl.col("language")
    disallowed = language.is_not_null() & ~language.is_in(list(allowed))
    return tag(frame, [reason_when(disallowed, pl.concat_str([pl.lit("language:"), language]))])
