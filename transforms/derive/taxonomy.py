"""The topic taxonomy (``transforms/data/taxonomy.toml``) and the term tables the topic scorer joins texts to.

A term means the regex :func:`terms_regex` builds (ASCII word boundaries, spaces/hyphens between words, ``*`` to
continue the last word, longest term first); :func:`term_tables` lays the same terms out as tables of word
forms, so that :mod:`transforms.derive.topic` can score on tokens instead of running the regex per topic.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import polars as pl

FALLBACK_TOPIC = "general-ml"
# ASCII word classes: Unicode-aware \b makes the regex engine fall back to a slow matcher (~200x slower here).
WORD_BOUNDARY = r"(?-u:\b)"
WORD_CHARS = r"(?-u:\w)*"
SEPARATOR = r"[\s\-]+"
TERM_WORD = re.compile(r"[0-9a-z_]+")
STRONG, WEAK = 0, 1


@dataclass(frozen=True)
class Topic:
    """One taxonomy entry: id, scope note, term patterns and implying arXiv categories."""

    id: str
    scope: str
    strong: tuple[str, ...]
    weak: tuple[str, ...]
    categories: tuple[str, ...]


@dataclass(frozen=True)
class CrossModal:
    """Bonus for the multimodal topic: the second-strongest modality score, when it is high enough."""

    topic: str
    modalities: tuple[str, ...]
    min_score: float
    weight: float


@dataclass(frozen=True)
class Taxonomy:
    """The whole taxonomy file: topics in priority order (ties go to the earlier topic) and scoring knobs."""

    version: str
    topics: tuple[Topic, ...]
    threshold: float
    relative_threshold: float
    title_weight: float
    repeat_weight: float
    repeat_cap: int
    category_weight: float
    primary_category_weight: float
    cross_modal: CrossModal | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        """Topic ids in file order."""
        return tuple(topic.id for topic in self.topics)


@cache
def load_taxonomy() -> Taxonomy:
    """Read the bundled taxonomy once per process."""
    text = resources.files("transforms").joinpath("data/taxonomy.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    topics = tuple(
        Topic(
            id=entry["id"],
            scope=entry["scope"],
            strong=tuple(entry.get("strong", ())),
            weak=tuple(entry.get("weak", ())),
            categories=tuple(entry.get("categories", ())),
        )
        for entry in raw["topic"]
    )
    return Taxonomy(
        version=raw["version"],
        topics=topics,
        threshold=float(raw["threshold"]),
        relative_threshold=float(raw["relative_threshold"]),
        title_weight=float(raw["title_weight"]),
        repeat_weight=float(raw["repeat_weight"]),
        repeat_cap=int(raw["repeat_cap"]),
        category_weight=float(raw["category_weight"]),
        primary_category_weight=float(raw["primary_category_weight"]),
        cross_modal=_cross_modal(raw.get("cross_modal")),
    )


def _cross_modal(raw: dict | None) -> CrossModal | None:
    """The optional ``[cross_modal]`` table of the taxonomy file."""
    if raw is None:
        return None
    return CrossModal(
        topic=raw["topic"],
        modalities=tuple(raw["modalities"]),
        min_score=float(raw["min_score"]),
        weight=float(raw["weight"]),
    )


def term_pattern(term: str) -> str:
    """Regex for one taxonomy term: flexible spaces/hyphens; a trailing ``*`` lets the word continue.

    This is what a term means; the scorer below reproduces it on tokens and uses the regex itself only for
    the rare text where overlapping multi-word matches chain further than ``RESOLVE_PASSES``.
    """
    open_ended = term.endswith("*")
    words = term.rstrip("*").split()
    body = SEPARATOR.join(re.escape(word) for word in words)
    return body + (WORD_CHARS if open_ended else WORD_BOUNDARY)


def terms_regex(terms: tuple[str, ...]) -> str | None:
    """One alternation for a term list, longest terms first so the most specific match wins."""
    if not terms:
        return None
    return WORD_BOUNDARY + "(?:" + "|".join(term_pattern(term) for term in _priority_order(terms)) + ")"


def _priority_order(terms: tuple[str, ...]) -> list[str]:
    """The alternation order: where several terms match at one word, the first of this order is the match."""
    return sorted(terms, key=lambda term: (-len(term), term))


def _term_key(term: str) -> str:
    """Join key of a term: its words joined by one space, ``*`` kept on an open-ended last word."""
    return " ".join(term.rstrip("*").split()) + ("*" if term.endswith("*") else "")


@dataclass(frozen=True)
class TermTables:
    """The taxonomy as join tables (built once per process)."""

    terms: pl.DataFrame  # key, topic, tier, rank (alternation position within topic and tier)
    # Every word of every term: a text word that is none of them and continues no open-ended one is in no match.
    words: tuple[str, ...]
    multi_last_forms: tuple[str, ...]  # last word (``w`` or ``w*``) of a term of two or more words
    open_forms: tuple[str, ...]  # ``w*`` for every open-ended last word ``w``
    prefix_lengths: tuple[int, ...]  # lengths of those ``w``
    patterns: pl.DataFrame  # topic, tier, pattern: the regex fallback
    categories: pl.DataFrame  # category, topic
    topic_ids: dict[int, str]
    max_words: int


@cache
def term_tables() -> TermTables:
    """Join tables for the bundled taxonomy; rejects term words the tokeniser cannot reproduce."""
    taxonomy = load_taxonomy()
    terms: list[dict[str, object]] = []
    patterns: list[dict[str, object]] = []
    categories: list[dict[str, object]] = []
    for index, topic in enumerate(taxonomy.topics):
        if topic.id == FALLBACK_TOPIC:
            continue
        categories += [{"category": category, "topic": index} for category in dict.fromkeys(topic.categories)]
        for tier, tier_terms in ((STRONG, topic.strong), (WEAK, topic.weak)):
            pattern = terms_regex(tier_terms)
            if pattern is not None:
                patterns.append({"topic": index, "tier": tier, "pattern": pattern})
            seen: set[str] = set()
            for rank, term in enumerate(_priority_order(tier_terms)):
                words = term.rstrip("*").split()
                if not words or not all(TERM_WORD.fullmatch(word) for word in words):
                    raise ValueError(f"taxonomy term {term!r} of {topic.id}: words must be [0-9a-z_]+")
                key = _term_key(term)
                if key not in seen:  # a repeated term never wins over its first occurrence
                    seen.add(key)
                    terms.append(
                        {"key": key, "topic": index, "tier": tier, "rank": rank, "words": len(words)}
                    )
    table = pl.DataFrame(
        terms,
        schema={"key": pl.String, "topic": pl.Int32, "tier": pl.Int32, "rank": pl.Int32, "words": pl.Int32},
    )
    last_words = {str(key).rsplit(" ", 1)[-1] for key in table.filter(pl.col("words") > 1)["key"]}
    open_forms = sorted({str(key).rsplit(" ", 1)[-1] for key in table["key"] if str(key).endswith("*")})
    longest = table["words"].max()
    assert longest is None or isinstance(longest, int), "the max of an Int32 column"
    return TermTables(
        terms=table.select("key", "topic", "tier", "rank"),
        words=tuple(sorted({word for key in table["key"] for word in str(key).rstrip("*").split()})),
        multi_last_forms=tuple(sorted(last_words)),
        open_forms=tuple(open_forms),
        prefix_lengths=tuple(sorted({len(form) - 1 for form in open_forms})),
        patterns=pl.DataFrame(patterns, schema={"topic": pl.Int32, "tier": pl.Int32, "pattern": pl.String}),
        categories=pl.DataFrame(categories, schema={"category": pl.String, "topic": pl.Int32}),
        topic_ids=dict(enumerate(taxonomy.ids)),
        max_words=int(longest or 1),
    )
