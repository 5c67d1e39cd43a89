"""The adopted topic method: the learned model for the arXiv-mapped areas, the keyword scorer for the rest.

Why: measured against the authors' own label (the arXiv primary category, categories hidden), the keyword scorer
alone missed the authors' area too often and listed 2.77 topics per paper (``bench/RESULTS.md``, topic against
arXiv categories). So:

* an area the model scores (``transforms/data/topic_model.json``: computer-vision, natural-language-processing,
  robotics, ...) is listed when its probability reaches the area's threshold;
* any taxonomy topic is listed when its keyword text score reaches the model file's ``keyword_min_score`` and
  ``keyword_relative`` x the paper's best keyword score (this is how generative-models, multimodal, efficient-ml
  and the other topics no arXiv category measures are listed);
* a topic an arXiv category of the paper implies (the taxonomy's ``categories``) is listed: the authors said so.

``topic`` is the first of ``topics``: the topic the primary category implies; else the most probable area when
its probability reaches ``primary_min_probability``; else the listed topic with the highest keyword score; else
the most probable listed area; ``general-ml`` (the abstain path) when nothing is listed.

``topic_scores`` keeps, per listed topic and per topic with matched terms, a ``score`` (for a model area its
probability, 0-1; for another topic its keyword score) and the evidence: ``model <p>, threshold <t>`` and the
features that added most, the matched taxonomy terms, ``category:<id>``. ``topic_method`` names the method
(``TopicModel.method``).
"""

from __future__ import annotations

import polars as pl

from transforms.derive.taxonomy import FALLBACK_TOPIC, Taxonomy, TermTables
from transforms.derive.topic_model import TopicModel, area_probabilities, model_terms

ROW = "__topic_row"
PRIMARY_CATEGORY, CONFIDENT_AREA, KEYWORD, AREA, CATEGORY = 0, 1, 2, 3, 4
"""Order of a listed topic in ``topics`` (lowest first): why it is listed."""


def choose(
    indexed: pl.LazyFrame,
    text_scores: pl.LazyFrame,
    tables: TermTables,
    taxonomy: Taxonomy,
    model: TopicModel,
    score_dtype: pl.DataType,
) -> pl.LazyFrame:
    """Per ``ROW`` of ``indexed``: ``topic``, ``topics``, ``topic_scores`` and ``topic_method``.

    ``text_scores``: ``ROW``, ``topic``, ``score``, ``evidence``: the keyword scorer's topics with the categories
    hidden.
    """
    keys = [ROW, "topic"]
    keywords = (
        text_scores.select(
            ROW, "topic", pl.col("score").alias("kw_score"), pl.col("evidence").alias("kw_evidence")
        )
        .collect()
        .lazy()
    )
    scored = area_probabilities(
        indexed.select(ROW, "title", "abstract"),
        keywords.select(ROW, "topic", pl.col("kw_score").alias("score")),
        model,
        ROW,
    )
    # An area below every threshold is neither listed nor shown: dropped before the joins (7 of 9 rows).
    floor = min(model.thresholds.values(), default=0.0)
    probabilities = scored.probabilities.rename({"area": "topic"}).filter(pl.col("probability") >= floor)
    implied = tables.categories.with_columns(
        pl.col("topic").replace_strict(tables.topic_ids, return_dtype=pl.String)
    ).lazy()
    hits = (
        indexed.select(ROW, pl.col("categories").alias("category"), "primary_category")
        .explode("category")
        .join(implied, on="category")
        .group_by(keys)
        .agg(
            pl.col("category").unique().sort().alias("hits"),
            (pl.col("category") == pl.col("primary_category")).any().alias("primary_hit"),
        )
    )
    order = {topic_id: i for i, topic_id in enumerate(taxonomy.ids)}
    thresholds = pl.col("topic").replace_strict(model.thresholds, default=None, return_dtype=pl.Float64)
    p, kw = pl.col("probability"), pl.col("kw_score").fill_null(0.0)
    model_listed = (p >= thresholds).fill_null(False)
    kw_listed = (kw >= model.keyword_min_score) & (kw >= model.keyword_relative * kw.max().over(ROW))
    category_listed = pl.col("hits").is_not_null()
    tier = (
        pl.when(pl.col("primary_hit").fill_null(False))
        .then(PRIMARY_CATEGORY)
        .when(model_listed & (p >= model.primary_min_probability))
        .then(CONFIDENT_AREA)
        .when(kw_listed)
        .then(KEYWORD)
        .when(model_listed)
        .then(AREA)
        .when(category_listed)
        .then(CATEGORY)
    )
    # Within a tier, the strongest first: a probability or a keyword score (ties: taxonomy order).
    strength = pl.when(pl.col("tier") == KEYWORD).then(kw).otherwise(p.fill_null(0.0))
    empty = pl.lit([], dtype=pl.List(pl.String))
    listed = (
        probabilities.join(keywords, on=keys, how="full", coalesce=True)
        .join(hits, on=keys, how="full", coalesce=True)
        .with_columns(tier.alias("tier"))
        .collect()  # read twice: for the evidence of listed areas, then for the columns
        .lazy()
    )
    # The words behind a listed area's probability (worked out for listed areas only: the costly part).
    terms = model_terms(
        scored,
        listed.filter(pl.col("tier").is_not_null() & p.is_not_null()).select(ROW, area="topic"),
        model,
        ROW,
    ).rename({"area": "topic"})
    is_area = pl.col("topic").is_in(list(model.areas))
    model_note = (
        pl.when(p.is_not_null())
        .then(
            pl.concat_list(
                pl.format("model {}, threshold {}", p.round(3), thresholds),
                pl.col("model_terms").fill_null(empty),
            )
        )
        .when(is_area)
        .then(pl.concat_list(pl.format("model below {}, threshold {}", pl.lit(floor), thresholds)))
    )
    combined = (
        listed.filter(pl.col("tier").is_not_null() | (kw > 0))  # what topic_scores shows, before its evidence
        .join(terms, on=keys, how="left")
        .with_columns(
            strength.alias("strength"),
            pl.col("topic").replace_strict(order, return_dtype=pl.Int32).alias("order"),
            pl.when(is_area).then(p.fill_null(0.0)).otherwise(kw).round(4).alias("score"),
            pl.concat_list(
                model_note.fill_null(empty),
                pl.col("kw_evidence").fill_null(empty),
                pl.col("hits").fill_null(empty).list.eval(pl.lit("category:") + pl.element()),
            )
            .list.unique(maintain_order=True)
            .alias("evidence"),
        )
        .sort(
            ROW,
            pl.col("tier").is_null(),
            "tier",
            pl.when(pl.col("tier").is_null()).then(pl.col("score")).otherwise(pl.col("strength")),
            "order",
            descending=[False, False, False, True, False],
            nulls_last=True,
        )
    )
    entry = pl.struct(pl.col("topic"), pl.col("score"), pl.col("evidence"))
    chosen = combined.group_by(ROW, maintain_order=True).agg(
        pl.col("topic").filter(pl.col("tier").is_not_null()).alias("topics"),
        entry.alias("topic_scores"),
    )
    fallback = pl.lit([FALLBACK_TOPIC], dtype=pl.List(pl.String))
    fallback_score = pl.lit(
        [{"topic": FALLBACK_TOPIC, "score": 0.0, "evidence": ["fallback: no topic reached the threshold"]}],
        dtype=score_dtype,
    )
    none = pl.col("topics").list.len().fill_null(0) == 0
    scores = pl.col("topic_scores").cast(score_dtype).fill_null(pl.lit([], dtype=score_dtype))
    return (
        indexed.select(ROW)
        .join(chosen, on=ROW, how="left", maintain_order="left")
        .select(
            ROW,
            pl.when(none).then(fallback).otherwise(pl.col("topics")).alias("topics"),
            pl.when(none)
            .then(pl.concat_list(scores, fallback_score))
            .otherwise(scores)
            .alias("topic_scores"),
        )
        .with_columns(
            pl.col("topics").list.first().alias("topic"),
            pl.lit(model.method, dtype=pl.String).alias("topic_method"),
        )
    )
