"""Learned topic scorer (issue 14, bench only): a linear model over TF-IDF features, scored with polars alone.

The model document (JSON) is written by ``bench/topic_model_train.py`` (scikit-learn, tune rows only). It is
not wired into ``transforms/``: out of sample it did not beat the keyword scorer
(``bench/experiments/topic-learned-model.md``).
Scoring needs no scikit-learn: tokens are lower-case ``[a-z][a-z0-9]+`` runs of title and abstract, features
are ``(1 + ln tf) x idf`` over the model's vocabulary, L2-normalised per paper, and each area's probability is
the logistic of the intercept plus the (top-k) term weights. The trainer only trains areas that exist in the
taxonomy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

TOKEN_PATTERN = r"[a-z][a-z0-9]+"
MODEL_EVIDENCE_TERMS = 5


@dataclass(frozen=True)
class TopicModel:
    """The model: vocabulary with idf, per-area intercept and (top-k) term weights."""

    version: str
    taxonomy_version: str
    areas: tuple[str, ...]
    vocabulary: pl.DataFrame  # token, idf
    weights: pl.DataFrame  # area, token, weight
    intercepts: pl.DataFrame  # area, intercept


def parse_model(raw: dict) -> TopicModel:
    """A model from the decoded JSON document."""
    vocabulary = pl.DataFrame(
        {"token": list(raw["vocabulary"]), "idf": [float(v) for v in raw["idf"]]},
        schema={"token": pl.String, "idf": pl.Float64},
    )
    areas = tuple(raw["areas"])
    weight_rows = [
        (area, token, float(weight)) for area in areas for token, weight in raw["weights"][area].items()
    ]
    weights = pl.DataFrame(
        weight_rows, schema={"area": pl.String, "token": pl.String, "weight": pl.Float64}, orient="row"
    )
    intercepts = pl.DataFrame(
        {"area": list(areas), "intercept": [float(raw["intercepts"][a]) for a in areas]},
        schema={"area": pl.String, "intercept": pl.Float64},
    )
    return TopicModel(
        version=raw["version"],
        taxonomy_version=raw["taxonomy_version"],
        areas=areas,
        vocabulary=vocabulary,
        weights=weights,
        intercepts=intercepts,
    )


def read_model(path: str) -> TopicModel:
    """A model from a JSON file written by ``bench/topic_model_train.py --write``."""
    with open(path, encoding="utf-8") as handle:
        return parse_model(json.load(handle))


def token_lists(papers: pl.LazyFrame) -> pl.LazyFrame:
    """``_row`` and ``token`` (one row per token occurrence) of title and abstract."""
    text = (pl.col("title").fill_null("") + " " + pl.col("abstract").fill_null("")).str.to_lowercase()
    return (
        papers.select(pl.col("_row"), text.str.extract_all(TOKEN_PATTERN).alias("token"))
        .explode("token")
        .drop_nulls("token")
    )


def area_probabilities(papers: pl.LazyFrame, model: TopicModel) -> pl.LazyFrame:
    """Per ``_row`` and model area: ``probability`` (rounded to 4 places) and ``model_terms`` (top terms)."""
    tf = token_lists(papers).group_by("_row", "token").agg(pl.len().cast(pl.Float64).alias("tf"))
    features = (
        tf.join(model.vocabulary.lazy(), on="token", how="inner")
        .with_columns(((1.0 + pl.col("tf").log()) * pl.col("idf")).alias("x"))
        .with_columns((pl.col("x") / (pl.col("x") ** 2).sum().over("_row").sqrt()).alias("x"))
    )
    contributions = (
        features.join(model.weights.lazy(), on="token", how="inner")
        .with_columns((pl.col("x") * pl.col("weight")).alias("c"))
        .sort("_row", "area", "c", "token", descending=[False, False, True, False])
        .group_by("_row", "area", maintain_order=True)
        .agg(
            pl.col("c").sum().alias("linear"),
            pl.col("token").filter(pl.col("c") > 0).head(MODEL_EVIDENCE_TERMS).alias("model_terms"),
        )
    )
    grid = papers.select("_row").join(model.intercepts.lazy(), how="cross")
    logit = pl.col("intercept") + pl.col("linear").fill_null(0.0)
    return (
        grid.join(contributions, on=["_row", "area"], how="left")
        .with_columns(
            (1.0 / (1.0 + (-logit).exp())).round(4).alias("probability"),
            pl.col("model_terms").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        )
        .select("_row", "area", "probability", "model_terms")
        .sort("_row", "area")
    )
