"""Writing-script shares of a text, as pure polars expressions, and the ``language:mixed`` reason.

langdetect gives one language per abstract; an abstract that joins an English paragraph to one in another
script, or OCR-garbled Hangul with Latin fragments, still comes back ``en`` (score ~0.7). The script check
counts the letters of each script (one ``str.count_matches`` per script, no per-row Python) and flags text whose
second script holds a substantial share of its letters.

Scripts that are written together count as one: Han, Hiragana and Katakana (Japanese mixes them in every
sentence; Chinese uses Han only). Greek is not counted: Greek letters in an English abstract are mathematics
(α, β, Θ(n)), and a Greek abstract is caught by langdetect as ``el``. The threshold was measured on the real
captures (``bench/RESULTS.md``, "Mixed scripts"): none of the 18,527 real abstracts has
any letter in a second counted script, Greek (excluded) reaches at most 1.7 % of an abstract's letters, and an
English paragraph followed by a short paragraph in another script is 10-50 %.
"""

from __future__ import annotations

import polars as pl

from transforms.clean.triggered import on_triggered
from transforms.routing import reason_when, tag

SCRIPTS: dict[str, str] = {
    "latin": r"\p{Latin}",
    "cyrillic": r"\p{Cyrillic}",
    "cjk": r"[\p{Han}\p{Hiragana}\p{Katakana}]",
    "hangul": r"\p{Hangul}",
    "arabic": r"\p{Arabic}",
    "hebrew": r"\p{Hebrew}",
    "devanagari": r"\p{Devanagari}",
    "bengali": r"\p{Bengali}",
    "thai": r"\p{Thai}",
    "armenian": r"\p{Armenian}",
    "georgian": r"\p{Georgian}",
    "tamil": r"\p{Tamil}",
}
"""Script name -> regex class of its letters (``\\p{..}`` classes of the Rust regex engine)."""

MIXED_SCRIPT_SHARE = 0.10
"""A text is mixed when its second script has at least this share of the counted letters (see module doc)."""

MIN_SECOND_SCRIPT_LETTERS = 20
"""... and at least this many letters (a quoted name or a few CJK characters in an English abstract is not)."""

MIXED_REASON = "language:mixed"


def script_counts(text: pl.Expr) -> pl.Expr:
    """A struct with the number of letters of each script in :data:`SCRIPTS` (0 for null text)."""
    filled = text.fill_null("")
    return pl.struct(
        [filled.str.count_matches(pattern).cast(pl.Int32).alias(name) for name, pattern in SCRIPTS.items()]
    )


def second_script_letters(text: pl.Expr) -> pl.Expr:
    """Letters of the text's second most frequent script."""
    filled = text.fill_null("")
    counts = pl.concat_list([filled.str.count_matches(pattern) for pattern in SCRIPTS.values()])
    return counts.list.sort(descending=True).list.get(1).cast(pl.Int64)


def second_script_share(text: pl.Expr) -> pl.Expr:
    """Share of the counted letters that are in the text's second most frequent script (0.0 for no letters)."""
    filled = text.fill_null("")
    counts = pl.concat_list([filled.str.count_matches(pattern) for pattern in SCRIPTS.values()])
    total = counts.list.sum()
    second = counts.list.sort(descending=True).list.get(1)
    return pl.when(total > 0).then(second / total).otherwise(0.0).cast(pl.Float64)


OTHER_SCRIPT_LETTER = (
    "[" + "".join(pattern.strip("[]") for name, pattern in SCRIPTS.items() if name != "latin") + "]"
)
"""A letter of a counted script other than Latin: without one, a text's second script has no letters."""


def is_mixed_script(
    text: pl.Expr,
    share: float = MIXED_SCRIPT_SHARE,
    min_letters: int = MIN_SECOND_SCRIPT_LETTERS,
) -> pl.Expr:
    """True where a second script holds at least ``share`` of the letters and at least ``min_letters``.

    The twelve letter counts run only on texts with a letter of a non-Latin counted script (a few per
    thousand abstracts); any other text has no second script, so it is not mixed.
    """
    return on_triggered(
        text,
        OTHER_SCRIPT_LETTER,
        lambda t: (second_script_share(t) >= share) & (second_script_letters(t) >= min_letters),
        pl.Boolean,
        otherwise=False,
    )


def tag_mixed_script(frame: pl.LazyFrame, column: str = "abstract") -> pl.LazyFrame:
    """Append ``language:mixed`` to ``reasons`` for rows whose ``column`` mixes two scripts."""
    return tag(frame, [reason_when(is_mixed_script(pl.col(column)), MIXED_REASON)])
