"""The regex topic scorer that ``transforms/derive/topic.py`` replaced, kept only as the reference its output
must equal (``tests/transforms/test_topic_equivalence.py``, ``bench/topic_speed.py``).

One ``str.extract_all`` per topic, field (title/abstract) and tier (strong/weak): 36 regex passes over every
text and 36 list columns in the plan. The tokenised scorer gives the same ``topic``, ``topics`` and
``topic_scores``; ``bench/topic_speed.py`` times both (``bench/experiments/topic-scorer-regex-vs-tokenised.md``).
"""

from __future__ import annotations

import polars as pl

from transforms.derive.taxonomy import FALLBACK_TOPIC, Taxonomy, load_taxonomy, terms_regex
from transforms.derive.topic import TOPIC_SCORES_DTYPE, choose_topics


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


def assign_topics_regex(papers: pl.LazyFrame) -> pl.LazyFrame:
    """The replaced ``assign_topics``: add ``topic``, ``topics``, ``topic_scores`` by per-term regexes."""
    taxonomy = load_taxonomy()
    matches = _match_columns(taxonomy)
    scored = (
        papers.with_columns(**matches)
        .with_columns(_topic_scores_from_matches(taxonomy).alias("topic_scores"))
        .drop(list(matches))
    )
    return choose_topics(scored, taxonomy)
