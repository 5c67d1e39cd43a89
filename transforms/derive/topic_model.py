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
STRONG_WORDS = 100
"""Evidence is drawn from each area's this many largest word weights (and the keyword features): a word's
contribution is its weight times its tf-idf, and a word outside them adds little; looking only there keeps
evidence from costing more than the probabilities."""
KEYWORD_PREFIX = "keywords:"
"""How a keyword-score feature is named in the weights and in evidence (``keywords:robotics``)."""


@dataclass(frozen=True, eq=False)  # hashed by identity: the tables built from it are cached per model
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


@dataclass(frozen=True)
class _Tables:
    """The model laid out for scoring: token ids, and per area a weight per token id (0 where none)."""

    tokens: pl.DataFrame  # token, tid (the token's position in the vocabulary)
    names: pl.Series  # token by tid
    idf: pl.Series  # by tid
    word_weights: dict[str, pl.Series]  # area -> weight by tid
    keyword_weights: pl.DataFrame  # feature (``keywords:<topic>``), area, weight
    strong: pl.DataFrame  # tid, area, weight: the evidence candidates (see ``STRONG_WORDS``)
    is_strong: pl.Series  # by tid: the token is an evidence candidate of some area


@cache
def _tables(model: TopicModel) -> _Tables:
    tokens = model.vocabulary.select("token").with_row_index("tid")
    words = model.weights.join(tokens, left_on="feature", right_on="token", how="inner")
    word_weights = {
        area: tokens.join(
            words.filter(pl.col("area") == area), left_on="token", right_on="feature", how="left"
        )
        .sort("tid")
        .get_column("weight")
        .fill_null(0.0)
        for area in model.areas
    }
    strong = (
        words.filter(pl.col("weight") > 0)
        .sort("area", "weight", "feature", descending=[False, True, False])
        .group_by("area", maintain_order=True)
        .head(STRONG_WORDS)
        .select("tid", "area", "weight")
    )
    return _Tables(
        tokens=tokens,
        names=model.vocabulary.get_column("token"),
        idf=model.vocabulary.get_column("idf"),
        word_weights=word_weights,
        keyword_weights=model.weights.filter(pl.col("feature").str.starts_with(KEYWORD_PREFIX)),
        strong=strong,
        is_strong=tokens.get_column("tid").is_in(strong.get_column("tid").implode()),
    )


@dataclass(frozen=True)
class Scored:
    """What :func:`area_probabilities` gives: the probabilities, and what :func:`model_terms` needs."""

    probabilities: pl.LazyFrame
    """``row``, ``area``, ``probability``: every paper, every model area."""
    words: pl.DataFrame
    """``row``, ``tid``, ``x`` (the tf-idf before normalising) for every vocabulary token of every paper."""
    norms: pl.LazyFrame
    """``row``, ``__norm``: the L2 norm of a paper's word features (the sums divide by it)."""
    keywords: pl.LazyFrame
    """``row``, ``feature`` (``keywords:<topic>``), ``area``, ``weight``, ``x``."""


def area_probabilities(
    papers: pl.LazyFrame, keyword_scores: pl.LazyFrame, model: TopicModel, row: str
) -> Scored:
    """Every paper's (``row``, an unsigned integer) probability per model area.

    ``papers``: ``row``, title, abstract. ``keyword_scores``: ``row``, ``topic`` (taxonomy id), ``score`` (the
    keyword scorer's text score; absent topics score 0). Each token becomes its vocabulary position; a paper's
    tokens are counted by sorting ``row x V + position`` and run-length encoding it (a third of a group_by's
    time here), and each area's sum gathers its weights by position: no per-area join.
    """
    tables = _tables(model)
    size = len(tables.names)
    text = (pl.col("title").fill_null("") + " " + pl.col("abstract").fill_null("")).str.to_lowercase()
    key = (pl.col(row).cast(pl.UInt64) * size + pl.col("tid").cast(pl.UInt64)).alias("__key")
    position = pl.col("value") % size
    counted = (
        papers.select(row, text.str.extract_all(model.token_pattern).alias("token"))
        .explode("token")
        .join(tables.tokens.lazy(), on="token", how="inner")
        .select(key)
        .sort("__key")
        .select(pl.col("__key").rle())
        .unnest("__key")
        .select(
            (pl.col("value") // size).cast(pl.UInt32).alias(row),
            position.cast(pl.UInt32).alias("tid"),
            ((1.0 + pl.col("len").cast(pl.Float64).log()) * pl.lit(tables.idf).gather(position)).alias("x"),
        )
        .collect()  # read by the sums and by the evidence: computed once
    )
    columns = {area: f"__linear{i}" for i, area in enumerate(model.areas)}
    sums = (
        counted.lazy()
        .with_columns(
            (pl.col("x") * pl.lit(tables.word_weights[area]).gather(pl.col("tid"))).alias(column)
            for area, column in columns.items()
        )
        .group_by(row)
        .agg((pl.col("x") ** 2).sum().sqrt().alias("__norm"), *(pl.col(c).sum() for c in columns.values()))
        .select(row, "__norm", *((pl.col(c) / pl.col("__norm")).alias(c) for c in columns.values()))
    )
    keywords = (
        keyword_scores.filter(pl.col("score") > 0)
        .select(
            row,
            (KEYWORD_PREFIX + pl.col("topic")).alias("feature"),
            ((1.0 + pl.col("score")).log() * model.keyword_scale).alias("x"),
        )
        .join(tables.keyword_weights.lazy(), on="feature", how="inner")
    )
    keyword_sums = (
        keywords.with_columns(
            pl.col("area").replace_strict(columns, return_dtype=pl.String).alias("__column")
        )
        .group_by(row, "__column")
        .agg((pl.col("x") * pl.col("weight")).sum().alias("__sum"))
    )
    intercepts = {
        column: intercept for area, column in columns.items() for intercept in [_intercept(model, area)]
    }
    linear = (
        papers.select(pl.col(row).cast(pl.UInt32))
        .join(sums.drop("__norm"), on=row, how="left")
        .unpivot(index=row, variable_name="__column", value_name="__words")
        .join(keyword_sums.with_columns(pl.col(row).cast(pl.UInt32)), on=[row, "__column"], how="left")
    )
    areas = {column: area for area, column in columns.items()}
    logit = (
        pl.col("__column").replace_strict(intercepts, return_dtype=pl.Float64)
        + pl.col("__words").fill_null(0.0)
        + pl.col("__sum").fill_null(0.0)
    )
    # No feature of the paper feeds the area (no vocabulary word, no keyword score): the intercept alone is a
    # prior, not evidence, and from model 1.1.0 on it reaches some thresholds; such a paper gets 0 and abstains.
    fed = pl.col("__words").is_not_null() | pl.col("__sum").is_not_null()
    probabilities = linear.select(
        pl.col(row),
        pl.col("__column").replace_strict(areas, return_dtype=pl.String).alias("area"),
        pl.when(fed).then(1.0 / (1.0 + (-logit).exp())).otherwise(0.0).alias("probability"),
    )
    return Scored(probabilities, counted, sums.select(row, "__norm"), keywords)


def _intercept(model: TopicModel, area: str) -> float:
    return float(model.intercepts.filter(pl.col("area") == area).get_column("intercept")[0])


def model_terms(scored: Scored, areas: pl.LazyFrame, model: TopicModel, row: str) -> pl.LazyFrame:
    """``row``, ``area``, ``model_terms`` for the (``row``, ``area``) pairs of ``areas``: the features that
    added most to the area's probability, among the area's ``STRONG_WORDS`` largest word weights and its keyword
    features (at most ``EVIDENCE_TERMS``, highest first, ties by name)."""
    tables = _tables(model)
    wanted = areas.with_columns(pl.col(row).cast(pl.UInt32))
    words = (
        scored.words.lazy()
        .filter(pl.lit(tables.is_strong).gather(pl.col("tid")))
        .join(tables.strong.lazy(), on="tid", how="inner")
        .join(wanted, on=[row, "area"], how="semi")
        .join(scored.norms, on=row, how="inner")
        .select(
            row,
            "area",
            pl.lit(tables.names).gather(pl.col("tid")).alias("feature"),
            (pl.col("x") / pl.col("__norm") * pl.col("weight")).alias("__c"),
        )
    )
    keywords = (
        scored.keywords.with_columns(pl.col(row).cast(pl.UInt32))
        .filter(pl.col("weight") > 0)
        .join(wanted, on=[row, "area"], how="semi")
        .select(row, "area", "feature", (pl.col("x") * pl.col("weight")).alias("__c"))
    )
    return (
        pl.concat([words, keywords])
        .group_by(row, "area")
        .agg(
            pl.col("feature")
            .sort_by(["__c", "feature"], descending=[True, False])
            .head(EVIDENCE_TERMS)
            .alias("model_terms")
        )
    )
