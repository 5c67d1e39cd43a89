"""Topic assignment from a versioned taxonomy (``transforms/data/taxonomy.toml``).

Every topic scores the title and abstract by the taxonomy terms they contain (title terms count more) plus the
arXiv categories that imply it. Topics at or above the taxonomy threshold go to ``topics``; the best one is
``topic``; ``general-ml`` is the fallback. ``topic_scores`` keeps every non-zero score with the matched
terms, so a reader can see why. All of it is polars expressions: one ``str.extract_all`` per topic,
field and tier.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import polars as pl

from transforms.schema import PAPER_SCHEMA, polars_schema

FALLBACK_TOPIC = "general-ml"
# ASCII word classes: Unicode-aware \b makes the regex engine fall back to a slow matcher (~200x slower here).
WORD_BOUNDARY = r"(?-u:\b)"
WORD_CHARS = r"(?-u:\w)*"
SEPARATOR = r"[\s\-]+"
TOPIC_SCORES_DTYPE: pl.DataType = polars_schema(PAPER_SCHEMA)["topic_scores"]
TOPIC_SCORE_DTYPE: pl.DataType = TOPIC_SCORES_DTYPE.inner  # type: ignore[attr-defined]


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
    """Regex for one taxonomy term: flexible spaces/hyphens; a trailing ``*`` lets the word continue."""
    open_ended = term.endswith("*")
    words = term.rstrip("*").split()
    body = SEPARATOR.join(re.escape(word) for word in words)
    return body + (WORD_CHARS if open_ended else WORD_BOUNDARY)


def terms_regex(terms: tuple[str, ...]) -> str | None:
    """One alternation for a term list, longest terms first so the most specific match wins."""
    if not terms:
        return None
    ordered = sorted(terms, key=lambda term: (-len(term), term))
    return WORD_BOUNDARY + "(?:" + "|".join(term_pattern(term) for term in ordered) + ")"


def _matches(text: pl.Expr, pattern: str | None) -> pl.Expr:
    """Lower-cased matches of ``pattern`` in ``text`` (empty list for null text or no pattern)."""
    if pattern is None:
        return pl.lit([], dtype=pl.List(pl.String))
    return text.str.extract_all(pattern).fill_null(pl.lit([], dtype=pl.List(pl.String)))


def _tier_score(matches: pl.Expr, weight: float, taxonomy: Taxonomy) -> pl.Expr:
    """Weight per distinct term plus a capped bonus for repeats of a term."""
    distinct = matches.list.unique().list.len().cast(pl.Float64)
    repeats = (matches.list.len().cast(pl.Float64) - distinct).clip(0, taxonomy.repeat_cap)
    return weight * distinct + taxonomy.repeat_weight * repeats


def _match_columns(taxonomy: Taxonomy) -> dict[str, pl.Expr]:
    """Intermediate columns: the matched terms per topic, field (title/abstract) and tier (strong/weak)."""
    title_lower = pl.col("title").fill_null("").str.to_lowercase()
    abstract_lower = pl.col("abstract").fill_null("").str.to_lowercase()
    columns: dict[str, pl.Expr] = {}
    for topic in taxonomy.topics:
        if topic.id == FALLBACK_TOPIC:
            continue
        for tier, terms in (("strong", topic.strong), ("weak", topic.weak)):
            pattern = terms_regex(terms)
            columns[f"_topic_{topic.id}_title_{tier}"] = _matches(title_lower, pattern)
            columns[f"_topic_{topic.id}_abstract_{tier}"] = _matches(abstract_lower, pattern)
    return columns


def _topic_scores_from_matches(taxonomy: Taxonomy) -> pl.Expr:
    """A ``List[TOPIC_SCORE]`` of the topics with a positive score, highest first (ties: taxonomy order)."""
    categories = pl.col("categories").fill_null(pl.lit([], dtype=pl.List(pl.String)))
    scores: dict[str, pl.Expr] = {}
    evidences: dict[str, list[pl.Expr]] = {}
    for topic in taxonomy.topics:
        if topic.id == FALLBACK_TOPIC:
            continue
        prefix = f"_topic_{topic.id}"
        title_strong, title_weak = pl.col(f"{prefix}_title_strong"), pl.col(f"{prefix}_title_weak")
        abstract_strong, abstract_weak = (
            pl.col(f"{prefix}_abstract_strong"),
            pl.col(f"{prefix}_abstract_weak"),
        )
        score = (
            taxonomy.title_weight
            * (_tier_score(title_strong, 2.0, taxonomy) + _tier_score(title_weak, 1.0, taxonomy))
            + _tier_score(abstract_strong, 2.0, taxonomy)
            + _tier_score(abstract_weak, 1.0, taxonomy)
        )
        evidence = [title_strong, abstract_strong, title_weak, abstract_weak]
        if topic.categories:
            implied = pl.lit(list(topic.categories), dtype=pl.List(pl.String))
            hits = categories.list.set_intersection(implied).list.sort()
            primary_hit = pl.col("primary_category").is_in(list(topic.categories)).fill_null(False)
            score = (
                score
                + taxonomy.category_weight * hits.list.len().clip(0, 1).cast(pl.Float64)
                + pl.when(primary_hit).then(taxonomy.primary_category_weight).otherwise(0.0)
            )
            evidence.append(hits.list.eval(pl.lit("category:") + pl.element()))
        scores[topic.id], evidences[topic.id] = score, evidence
    cross = taxonomy.cross_modal
    if cross is not None and cross.topic in scores:
        modality_scores = pl.concat_list(
            [scores[m].cast(pl.Float64) for m in cross.modalities if m in scores]
        )
        second = modality_scores.list.sort(descending=True).list.get(1, null_on_oob=True).fill_null(0.0)
        bonus = pl.when(second >= cross.min_score).then(cross.weight * second).otherwise(0.0)
        scores[cross.topic] = scores[cross.topic] + bonus
        evidences[cross.topic].append(
            pl.when(bonus > 0)
            .then(pl.lit(["cross-modal: second-strongest modality"], dtype=pl.List(pl.String)))
            .otherwise(pl.lit([], dtype=pl.List(pl.String)))
        )
    structs = [
        pl.struct(
            pl.lit(topic_id).alias("topic"),
            score.round(4).alias("score"),
            pl.concat_list(evidences[topic_id]).list.unique(maintain_order=True).alias("evidence"),
        )
        for topic_id, score in scores.items()
    ]
    all_scores = pl.concat_list(structs)
    positive = all_scores.list.eval(pl.element().filter(pl.element().struct.field("score") > 0))
    return positive.list.eval(
        pl.element().sort_by(pl.element().struct.field("score"), descending=True, maintain_order=True)
    ).cast(TOPIC_SCORES_DTYPE)


def assign_topics(papers: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``topic``, ``topics``, ``topic_scores`` (needs title, abstract, categories, primary_category)."""
    taxonomy = load_taxonomy()
    matches = _match_columns(taxonomy)
    scored = (
        papers.with_columns(**matches)
        .with_columns(_topic_scores_from_matches(taxonomy).alias("topic_scores"))
        .drop(list(matches))
    )
    score = pl.element().struct.field("score")
    cutoff = pl.max_horizontal(pl.lit(taxonomy.threshold), taxonomy.relative_threshold * score.max())
    above = pl.col("topic_scores").list.eval(pl.element().filter(score >= cutoff).struct.field("topic"))
    fallback = pl.lit([FALLBACK_TOPIC], dtype=pl.List(pl.String))
    topics = pl.when(above.list.len() > 0).then(above).otherwise(fallback)
    fallback_score = pl.lit(
        [{"topic": FALLBACK_TOPIC, "score": 0.0, "evidence": ["fallback: no topic reached the threshold"]}],
        dtype=TOPIC_SCORES_DTYPE,
    )
    return scored.with_columns(
        topics.alias("topics"),
        topics.list.first().alias("topic"),
        pl.when(above.list.len() > 0)
        .then(pl.col("topic_scores"))
        .otherwise(pl.concat_list(pl.col("topic_scores"), fallback_score))
        .alias("topic_scores"),
    )
