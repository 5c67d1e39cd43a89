"""Titles written in another script or language than their abstract: ``title:foreign-script`` and
``title:foreign-language`` (issue 30).

langdetect is not used on titles: ten words are too few ("Neural Networks" comes back ``af``). A title is judged
by its letters and its words instead, against its own abstract:

* **Script.** The title's letters are counted per script (:data:`~transforms.language.scripts.SCRIPTS`: Han,
  Hiragana and Katakana as one, Greek not counted). The title is ``title:foreign-script`` when at least
  :data:`FOREIGN_SCRIPT_SHARE` of its counted letters, and at least :data:`MIN_FOREIGN_SCRIPT_LETTERS`, are in
  scripts other than the abstract's main script (the script with the most letters in the abstract). A Korean
  title over an English abstract is 100 % foreign; a CJK product name in a Latin title ("悟空: a Chinese ...")
  is a few letters of ~30; Greek letters (``$μ$P``, ``τ-bench``) and ``ℓ``, ``ℋ`` are not counted at all; an
  accented name is Latin.
* **Language, in Latin letters.** The title is ``title:foreign-language`` when it has at least
  :data:`MIN_FOREIGN_TITLE_WORDS` distinct function words of another language (:data:`TITLE_FOREIGN_WORDS`:
  French, Spanish, Portuguese, Italian, German, Dutch, Turkish), more than :data:`FOREIGN_OVER_ENGLISH` times
  as many as distinct English function words, while its abstract has more English function words than foreign
  ones. Distinct words, so a repeated name ("La La LiDAR") is one word; the ratio, so an English title with a
  foreign venue name after it ("... of instance selection methods for text classification. VII Concurso de
  Teses, Dissertações e Trabalhos de Graduação em SI": 3 foreign, 2 English) is not foreign. Words are whole
  tokens: ``Non-Convex`` is one token, not ``non``; words that are also English or names (``a``, ``die``,
  ``do``, ``no``, ``per``, ``von``, ``van``, ``dos``) are in neither list.

Measured on the real captures (``bench/experiments/title-language.md``): no title of 39,605 is in another script
than its abstract (the non-Latin letters of titles are Greek, ``ℓ`` and ``ℋ``); 10 arXiv titles of 2025 are
tagged ``title:foreign-language`` (Portuguese, Spanish, French, Turkish over an English abstract), and no
English title is. A title over a bilingual abstract (English, then the same in Spanish) is not tagged.

A title in Latin letters over an abstract in another script is not tagged here: the abstract's language
quarantines it (``language:<code>``). Both checks run only on the rows they can fire on (a title with a letter of
a counted non-Latin script; a title with a foreign function word), so the abstract is read only for those.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from transforms.language.scripts import OTHER_SCRIPT_LETTER, SCRIPTS
from transforms.routing import tag

FOREIGN_SCRIPT_REASON = "title:foreign-script"
FOREIGN_LANGUAGE_REASON = "title:foreign-language"

FOREIGN_SCRIPT_SHARE = 0.5
"""A title is in a foreign script when at least this share of its counted letters is outside the abstract's
main script (a title mostly in that script, with a name or a product in another, is not)."""

MIN_FOREIGN_SCRIPT_LETTERS = 2
"""... and at least this many letters (one stray character is not a title)."""

MIN_FOREIGN_TITLE_WORDS = 2
"""A Latin-script title needs at least this many foreign function words (one can be a name: "de Finetti")."""

FOREIGN_OVER_ENGLISH = 2
"""... and more than this many times as many distinct foreign function words as English ones."""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


TITLE_FOREIGN_WORDS = _words(
    "le la les des du de un une et dans pour sur avec au aux en "  # French
    "el los las del por para con una y al "  # Spanish
    "um uma em com na da ao e é "  # Portuguese
    "il della delle dei di nel gli "  # Italian
    "der und für mit ein eine zur zum auf über "  # German
    "het een voor "  # Dutch
    "ve için bir ile"  # Turkish
)
"""Function words of other languages, as whole lowercase tokens."""

TITLE_ENGLISH_WORDS = _words(
    "the of and to in for with on via from by an is are towards toward using through under at as into we "
    "how what why can does not our its their than when without versus vs beyond between over your you it "
    "this that which be"
)
"""English function words, as whole lowercase tokens."""

_TOKEN = r"[\p{L}\p{M}'’-]+"
"""A word: letters, marks, apostrophes and hyphens, so ``Non-Convex`` and ``e-commerce`` are one token."""


def _word_count(text: pl.Expr, words: tuple[str, ...], distinct: bool = False) -> pl.Expr:
    tokens = text.fill_null("").str.to_lowercase().str.extract_all(_TOKEN)
    if distinct:
        tokens = tokens.list.unique()
    return tokens.list.eval(pl.element().is_in(list(words))).list.sum().fill_null(0)


def _script_counts(text: pl.Expr) -> pl.Expr:
    filled = text.fill_null("")
    return pl.concat_list([filled.str.count_matches(pattern) for pattern in SCRIPTS.values()])


def foreign_script_title(title: pl.Expr, abstract: pl.Expr) -> pl.Expr:
    """True where the title's letters are mostly outside the abstract's main script (see module doc)."""
    title_counts = _script_counts(title)
    abstract_counts = _script_counts(abstract)
    total = title_counts.list.sum()
    main = abstract_counts.list.arg_max()
    foreign = total - title_counts.list.get(main)
    return (
        (abstract_counts.list.max() > 0)
        & (foreign >= MIN_FOREIGN_SCRIPT_LETTERS)
        & (foreign >= FOREIGN_SCRIPT_SHARE * total)
    )


def foreign_language_title(title: pl.Expr, abstract: pl.Expr) -> pl.Expr:
    """True where a Latin-script title reads as another language than an English abstract (see module doc)."""
    title_foreign = _word_count(title, TITLE_FOREIGN_WORDS, distinct=True)
    return (
        (title_foreign >= MIN_FOREIGN_TITLE_WORDS)
        & (title_foreign > FOREIGN_OVER_ENGLISH * _word_count(title, TITLE_ENGLISH_WORDS, distinct=True))
        & (_word_count(abstract, TITLE_ENGLISH_WORDS) > _word_count(abstract, TITLE_FOREIGN_WORDS))
    )


_FOREIGN_WORD_TRIGGER = (
    r"(?i)(?:^|[^\p{L}\p{M}'’-])(?:" + "|".join(TITLE_FOREIGN_WORDS) + r")(?:$|[^\p{L}\p{M}'’-])"
)
"""A title that can have a foreign function word: every title :func:`foreign_language_title` tags matches."""


def _on_candidates(
    trigger: str, check: Callable[[pl.Expr, pl.Expr], pl.Expr], title: str, abstract: str
) -> pl.Expr:
    """``check(title, abstract)`` on the rows whose title matches ``trigger``, False elsewhere."""

    def run(batch: pl.Series) -> pl.Series:
        frame = batch.struct.unnest()
        rows = frame.get_column(title).str.contains(trigger).fill_null(False).arg_true()
        result = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True)
        if rows.is_empty():
            return result
        computed = frame.select(
            check(pl.col(title).gather(rows), pl.col(abstract).gather(rows)).fill_null(False)
        ).to_series()
        return result.scatter(rows, computed)

    return pl.struct(title, abstract).map_batches(run, return_dtype=pl.Boolean, is_elementwise=True)


def tag_foreign_title(frame: pl.LazyFrame, title: str = "title", abstract: str = "abstract") -> pl.LazyFrame:
    """Append ``title:foreign-script`` / ``title:foreign-language`` to ``reasons`` (see module doc)."""
    return tag(
        frame,
        {
            FOREIGN_SCRIPT_REASON: _on_candidates(OTHER_SCRIPT_LETTER, foreign_script_title, title, abstract),
            FOREIGN_LANGUAGE_REASON: _on_candidates(
                _FOREIGN_WORD_TRIGGER, foreign_language_title, title, abstract
            ),
        },
    )
