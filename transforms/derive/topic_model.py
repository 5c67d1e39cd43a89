"""The learned topic model (``transforms/data/topic_model.json``), scored with polars alone.

One logistic regression per arXiv-mapped area (computer-vision, natural-language-processing, robotics, ...),
trained by ``bench/topic_arxiv_train.py`` (scikit-learn, a dev-only dependency) on the earlier 75 % of each
area's arXiv 2025 papers, with the authors' primary category as the label. Nothing is trained or downloaded at
run time: the file holds everything the score needs.

Features, as in training: tokens are lower-case ``[a-z][a-z0-9]+`` runs of ``title + " " + abstract``; a token
of the vocabulary weighs ``(1 + ln tf) x idf``, the vector L2-normalised per paper. Beside the words, each
taxonomy topic's keyword score on the text (:mod:`transforms.derive.topic`, categories hidden) enters as
``ln(1 + score) x keyword_scale``, so the taxonomy's terms help areas with few training papers. An area's
probability is the logistic of its intercept plus the weighted features; the terms that contributed most are
kept as evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import polars as pl

MODEL_FILE = "data/topic_model.json"
EVIDENCE_TERMS = 5
"""How many of the most contributing features an area's evidence names."""
KEYWORD_PREFIX = "keywords:"
"""How a keyword-score feature is named in the weights and in evidence (``keywords:robotics``)."""


@dataclass(frozen=True)
class TopicModel:
    """The shipped model: per-area thresholds, the rule for the keyword scorer's topics, and the weights."""

    version: str
    taxonomy_version: str
    token_pattern: str
    keyword_scale: float
    areas: tuple[str, ...]
    thresholds: dict[str, float]
    """An area is listed in ``topics`` when its probability reaches its threshold (tuned on training folds)."""
    keyword_min_score: float
    keyword_relative: float
    """A keyword-scored topic is listed when its text score reaches ``keyword_min_score`` and
    ``keyword_relative`` x the paper's best keyword score."""
    primary_min_probability: float
    """The most probable area is the primary ``topic`` when its probability reaches this."""
    vocabulary: pl.DataFrame  # token, idf
    weights: pl.DataFrame  # feature, area, weight (feature: a token or ``keywords:<topic>``)
    intercepts: pl.DataFrame  # area, intercept

    @property
    def method(self) -> str:
        """The derive method's version recorded per paper (``topic_method``): a new model or taxonomy is a new
        method, and every paper of the history is derived again (``flows/run/rederive.py``)."""
        return f"model-{self.version}+taxonomy-{self.taxonomy_version}"


def parse_model(raw: dict) -> TopicModel:
    """A model from the decoded JSON document (see ``bench/topic_arxiv_train.py`` for its fields)."""
    vocabulary = pl.DataFrame(
        {"token": list(raw["vocabulary"]), "idf": [float(v) for v in raw["idf"]]},
        schema={"token": pl.String, "idf": pl.Float64},
    )
    areas = tuple(raw["areas"])
    features = list(raw["features"])
    rows = [
        (feature, area, float(weight))
        for area in areas
        for feature, weight in zip(features, raw["weights"][area], strict=True)
        if weight != 0.0
    ]
    weights = pl.DataFrame(
        rows, schema={"feature": pl.String, "area": pl.String, "weight": pl.Float64}, orient="row"
    )
    intercepts = pl.DataFrame(
        {"area": list(areas), "intercept": [float(raw["intercepts"][a]) for a in areas]},
        schema={"area": pl.String, "intercept": pl.Float64},
    )
    rule = raw["rule"]
    return TopicModel(
        version=raw["version"],
        taxonomy_version=raw["taxonomy_version"],
        token_pattern=raw["token_pattern"],
        keyword_scale=float(raw["keyword_scale"]),
        areas=areas,
        thresholds={area: float(raw["thresholds"][area]) for area in areas},
        keyword_min_score=float(rule["keyword_min_score"]),
        keyword_relative=float(rule["keyword_relative"]),
        primary_min_probability=float(rule["primary_min_probability"]),
        vocabulary=vocabulary,
        weights=weights,
        intercepts=intercepts,
    )


@cache
def load_model() -> TopicModel:
    """The bundled model, read once per process."""
    text = resources.files("transforms").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return parse_model(json.loads(text))


def area_probabilities(
    papers: pl.LazyFrame, keyword_scores: pl.LazyFrame, model: TopicModel, row: str
) -> pl.LazyFrame:
    """Per paper (``row``) and model area: ``probability`` and ``model_terms`` (the features that added most).

    ``papers``: ``row``, title, abstract. ``keyword_scores``: ``row``, ``topic`` (taxonomy id), ``score`` (the
    keyword scorer's text score; absent topics score 0).
    """
    text = (pl.col("title").fill_null("") + " " + pl.col("abstract").fill_null("")).str.to_lowercase()
    vocabulary = model.vocabulary.lazy()
    tf = (
        papers.select(row, text.str.extract_all(model.token_pattern).alias("feature"))
        .explode("feature")
        .join(vocabulary, left_on="feature", right_on="token", how="inner")
        .group_by(row, "feature")
        .agg(pl.len().cast(pl.Float64).alias("tf"), pl.col("idf").first())
        .with_columns(((1.0 + pl.col("tf").log()) * pl.col("idf")).alias("x"))
        .with_columns((pl.col("x") / (pl.col("x") ** 2).sum().over(row).sqrt()).alias("x"))
        .select(row, "feature", "x")
    )
    keywords = keyword_scores.filter(pl.col("score") > 0).select(
        row,
        (KEYWORD_PREFIX + pl.col("topic")).alias("feature"),
        ((1.0 + pl.col("score")).log() * model.keyword_scale).alias("x"),
    )
    contributions = (
        pl.concat([tf, keywords])
        .join(model.weights.lazy(), on="feature", how="inner")
        .with_columns((pl.col("x") * pl.col("weight")).alias("c"))
        .sort(row, "area", "c", "feature", descending=[False, False, True, False])
        .group_by(row, "area", maintain_order=True)
        .agg(
            pl.col("c").sum().alias("linear"),
            pl.col("feature").filter(pl.col("c") > 0).head(EVIDENCE_TERMS).alias("model_terms"),
        )
    )
    grid = papers.select(row).join(model.intercepts.lazy(), how="cross")
    logit = pl.col("intercept") + pl.col("linear").fill_null(0.0)
    return grid.join(contributions, on=[row, "area"], how="left").select(
        row,
        pl.col("area"),
        (1.0 / (1.0 + (-logit).exp())).alias("probability"),
        pl.col("model_terms").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    )
