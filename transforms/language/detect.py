"""Language of the cleaned abstract (langdetect), and quarantine reasons for languages that are not allowed.

Titles are not used: they are too short for langdetect ("Neural Networks" comes back ``af``).

langdetect is made deterministic by ``DetectorFactory.seed = 0`` (each detection re-seeds its sampler, so the
result for a text does not depend on what was detected before it). Its language profiles are loaded lazily on
the first call, and concurrent first calls can see a half-loaded factory and return wrong answers: call
:func:`ensure_profiles_loaded` before any parallel use (it is also called on import, and process workers call
it in their initializer).

langdetect costs ~3 ms per abstract. :func:`clearly_english` is a vectorised gate (one pass of polars string
expressions, ~microseconds per abstract) that settles the abstracts that are English beyond doubt: long enough,
written in Latin letters, dense in English function words and free of other languages' function words. Only the
rest go to langdetect. The gate is calibrated to agree with langdetect (``bench/language_speed.py``, figures in
``bench/RESULTS.md``, "Language detection"): on every abstract of the real captures it settles, langdetect says
``en`` too. It records ``language_score`` :data:`GATE_SCORE` there, since langdetect's probability was never
computed.
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

GATE_SCORE = 1.0
"""``language_score`` of an abstract the English gate settled (langdetect is not run)."""

GATE_MIN_WORDS = 40
"""Shorter texts go to langdetect: a few words can be English-looking in several languages."""

GATE_MIN_ENGLISH_SHARE = 0.20
"""Share of words that must be English function words (English scientific prose: ~0.30-0.45)."""

GATE_MAX_FOREIGN_SHARE = 0.02
"""Share of words that may be other languages' function words ("la", "der" occur in English names)."""

GATE_MAX_NON_ASCII_SHARE = 0.02
"""Share of letters outside ASCII allowed (accented names, Greek symbols); other scripts go to langdetect."""


def _words(text: str) -> list[str]:
    return text.split()


_ENGLISH_WORDS = _words(
    "the of and to in a is we for that with on this are by as an from our which be it can these be show "
    "using based its their than has have both not or such into also while each over more between through"
)
_FOREIGN_WORDS = _words(
    "le la les des du une est et dans pour que qui sur avec nous sont "  # French
    "der das und ist nicht mit sich auf dem den eine einer wir wird "  # German
    "el los las del por una con para como que sus es y "  # Spanish
    "il della che di non per una sono gli nel "  # Italian
    "um uma não em com para que dos das "  # Portuguese
    "het een zijn niet ook dat voor "  # Dutch
    "och att det som för inte med "  # Swedish
)


def _word_pattern(words: Sequence[str]) -> str:
    return r"\b(?:" + "|".join(sorted(set(words))) + r")\b"


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


def clearly_english(text: pl.Expr) -> pl.Expr:
    """True where ``text`` is English beyond doubt, by counting words (no per-row Python).

    At least :data:`GATE_MIN_WORDS` words, almost only ASCII letters, at least :data:`GATE_MIN_ENGLISH_SHARE`
    English function words and at most :data:`GATE_MAX_FOREIGN_SHARE` other languages' function words.
    False (undecided, not "not English") everywhere else, including null.
    """
    lowered = text.cast(pl.String).fill_null("").str.to_lowercase()
    words = lowered.str.count_matches(r"[^\W\d_]+").cast(pl.Float64)
    # letters as the characters that are not non-letters: the same count, half the time of matching each letter
    letters = (lowered.str.len_chars() - lowered.str.count_matches(r"[\W\d_]")).cast(pl.Float64)
    non_ascii = lowered.str.count_matches(r"[^\W\d_a-z]").cast(pl.Float64)
    english = lowered.str.count_matches(_word_pattern(_ENGLISH_WORDS)).cast(pl.Float64)
    foreign = lowered.str.count_matches(_word_pattern(_FOREIGN_WORDS)).cast(pl.Float64)
    return (
        (words >= GATE_MIN_WORDS)
        & (non_ascii <= GATE_MAX_NON_ASCII_SHARE * letters)
        & (english >= GATE_MIN_ENGLISH_SHARE * words)
        & (foreign <= GATE_MAX_FOREIGN_SHARE * words)
    )


def tag_language(frame: pl.LazyFrame, allowed: Sequence[str] = ("en",)) -> pl.LazyFrame:
    """Append ``language:<code>`` for detected languages outside ``allowed`` (``language:undetectable`` for
    text without features). Rows without a detection (``language`` null) get no reason here."""
    language = pl.col("language")
    disallowed = language.is_not_null() & ~language.is_in(list(allowed))
    return tag(frame, [reason_when(disallowed, pl.concat_str([pl.lit("language:"), language]))])
