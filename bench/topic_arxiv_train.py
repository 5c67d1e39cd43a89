"""Train the learned topic model on the earlier 75 % of arXiv 2025 (issue 30) and write it for the run time.

Run from the repository root (needs scikit-learn, the `dev` extra)::

    PYTHONPATH=. .venv/bin/python bench/topic_arxiv_train.py --shared ../shared --write

Reads the training split of ``bench/topic_arxiv.py`` only (each group's earlier 75 % of ids): the test split is
never read for training, vocabulary, idf, thresholds or the keyword rule. Per area of ``bench/arxiv_areas.toml``,
one binary logistic regression (liblinear, balanced class weights, fixed seed): positives are the papers whose
primary category maps to the area; papers with the area only among their other categories are left out of that
area's fit (neither positive nor negative). Features: TF-IDF of the title and abstract tokens (the run-time
formula of ``transforms/derive/topic_model.py``) and the taxonomy keyword scores (categories hidden).

Thresholds and the rule for the keyword scorer's topics are chosen on out-of-fold predictions of the training
split (5 folds stratified by group, vocabulary and idf refitted per fold, weights in their shipped rounded form):
for each keyword rule of the grid, each area's threshold is the highest one whose out-of-fold `found` reaches
the area's goal (0.99 for computer vision and NLP, 0.97 for the others: the test targets plus a margin, plus
2 points for out-of-time drift since model 1.1.0, `bench/experiments/topic-arxiv-model.md`); the rule kept is
the one with the most areas at their goal, then the highest mean found, with training topics per paper at most
2.1. The document is deterministic (sorted keys, rounded numbers, one line per top-level key).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.topic_arxiv import (  # noqa: E402
    AREAS_FILE,
    DATA_FILE,
    hidden_categories,
    load_mapping,
    load_papers,
    sha256_of,
)
from bench.topic_model_train import features as word_features  # noqa: E402
from transforms.derive.taxonomy import FALLBACK_TOPIC, load_taxonomy  # noqa: E402
from transforms.derive.topic import keyword_topics  # noqa: E402
from transforms.derive.topic_model import KEYWORD_PREFIX, MODEL_FILE  # noqa: E402

MODEL_VERSION = "1.1.0"
TOKEN_PATTERN = r"[a-z][a-z0-9]+"
SEED = 30
FOLDS = 5
MIN_DF = 3
MAX_DF = 0.5
MAX_VOCABULARY = 8000
C = 4.0
KEYWORD_SCALE = 0.25
WEIGHT_DIGITS = 3
"""Weights are rounded to this many decimals and those that round to 0 dropped: the shipped form."""
PRIMARY_MIN_PROBABILITY = 0.5
GOAL_LARGE, GOAL_SMALL, LARGE_AREAS = 0.99, 0.97, ("computer-vision", "natural-language-processing")
MAX_TRAIN_TOPICS = 2.1
THRESHOLDS = (0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7)
KEYWORD_RULES = tuple((s, r) for s in (4.0, 6.0, 8.0, 10.0) for r in (0.33, 0.5, 0.7))


def tokens(papers: pl.DataFrame) -> list[list[str]]:
    """The run-time tokenisation of ``title + " " + abstract``."""
    text = (pl.col("title").fill_null("") + " " + pl.col("abstract").fill_null("")).str.to_lowercase()
    return papers.select(text.str.extract_all(TOKEN_PATTERN)).to_series().to_list()


def keyword_matrix(papers: pl.DataFrame, topics: list[str]) -> np.ndarray:
    """The keyword scorer's text scores (categories hidden), one column per taxonomy topic."""
    scored = keyword_topics(hidden_categories(papers)).collect()
    matrix = np.zeros((papers.height, len(topics)))
    index = {topic: j for j, topic in enumerate(topics)}
    for i, entries in enumerate(scored["topic_scores"].to_list()):
        for entry in entries:
            if entry["topic"] in index:
                matrix[i, index[entry["topic"]]] = entry["score"]
    return matrix


def build_vocabulary(docs: list[list[str]]) -> tuple[list[str], np.ndarray]:
    """Tokens with MIN_DF <= df <= MAX_DF x n, the MAX_VOCABULARY most frequent (ties by token); smooth idf."""
    n = len(docs)
    df = Counter(t for doc in docs for t in set(doc))
    kept = sorted((-d, t) for t, d in df.items() if MIN_DF <= d <= MAX_DF * n)[:MAX_VOCABULARY]
    vocabulary = sorted(t for _, t in kept)
    return vocabulary, np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in vocabulary])


def features(
    docs: list[list[str]], vocabulary: list[str], idf: np.ndarray, keywords: np.ndarray
) -> sparse.csr_matrix:
    """The runtime's word features (``bench/topic_model_train.py``: ``(1 + ln tf) x idf``, L2-normalised per
    paper), then ``ln(1 + keyword score) x KEYWORD_SCALE``."""
    words = word_features(docs, vocabulary, idf)
    return sparse.hstack([words, sparse.csr_matrix(np.log1p(keywords) * KEYWORD_SCALE)]).tocsr()


def fit_area(
    x: sparse.csr_matrix, primary: np.ndarray, others: list[list[str]], area: str
) -> tuple[np.ndarray, float]:
    """The area's weights and intercept in their shipped (rounded) form."""
    keep = np.array([p == area or area not in o for p, o in zip(primary, others, strict=True)])
    y = (primary == area).astype(int)
    model = LogisticRegression(
        C=C, class_weight="balanced", solver="liblinear", random_state=SEED, max_iter=1000
    )
    model.fit(x[keep], y[keep])
    return np.round(model.coef_[0], WEIGHT_DIGITS), round(float(model.intercept_[0]), WEIGHT_DIGITS)


def probability(x: sparse.csr_matrix, weights: np.ndarray, intercept: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ weights + intercept)))


def out_of_fold(docs, keywords, primary, others, groups, areas) -> np.ndarray:
    """Out-of-fold probabilities of the shipped model form on the training split."""
    oof = np.zeros((len(docs), len(areas)))
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for fit_rows, held in folds.split(np.zeros(len(docs)), groups):
        vocabulary, idf = build_vocabulary([docs[i] for i in fit_rows])
        x_fit = features([docs[i] for i in fit_rows], vocabulary, idf, keywords[fit_rows])
        x_held = features([docs[i] for i in held], vocabulary, idf, keywords[held])
        for j, area in enumerate(areas):
            weights, intercept = fit_area(x_fit, primary[fit_rows], [others[i] for i in fit_rows], area)
            oof[held, j] = probability(x_held, weights, intercept)
    return oof


def listed(
    prob: np.ndarray,
    keywords: np.ndarray,
    thresholds: np.ndarray,
    rule: tuple[float, float],
    columns: list[int],
) -> np.ndarray:
    """What ``topics`` holds per paper and taxonomy topic (the run-time rule without categories)."""
    best = keywords.max(axis=1, keepdims=True)
    chosen = (keywords >= rule[0]) & (keywords >= rule[1] * best)
    chosen[:, columns] |= prob >= thresholds
    return chosen


def tune(
    oof, keywords, primary, areas, topics, goal_large: float = GOAL_LARGE, goal_small: float = GOAL_SMALL
) -> tuple[dict[str, float], tuple[float, float], dict]:
    """Per-area thresholds and the keyword rule, on out-of-fold predictions (see the module docstring)."""
    columns = [topics.index(a) for a in areas]
    goals = np.array([goal_large if a in LARGE_AREAS else goal_small for a in areas])
    positives = [primary == a for a in areas]
    best_key, best = None, None
    for rule in KEYWORD_RULES:
        thresholds = np.full(len(areas), THRESHOLDS[0])
        for j in range(len(areas)):
            for t in THRESHOLDS:
                alone = np.full(len(areas), np.inf)
                alone[j] = t
                found = listed(oof, keywords, alone, rule, columns)[positives[j], columns[j]].mean()
                if found >= goals[j]:
                    thresholds[j] = t
        chosen = listed(oof, keywords, thresholds, rule, columns)
        found = np.array([chosen[positives[j], columns[j]].mean() for j in range(len(areas))])
        per_paper = float(np.maximum(chosen.sum(axis=1), 1).mean())
        key = (per_paper <= MAX_TRAIN_TOPICS, int((found >= goals).sum()), float(found.mean()), -per_paper)
        if best_key is None or key > best_key:
            best_key = key
            best = (
                {a: float(t) for a, t in zip(areas, thresholds, strict=True)},
                rule,
                {
                    "topics_per_paper": round(per_paper, 3),
                    "found": {a: round(float(f), 4) for a, f in zip(areas, found, strict=True)},
                },
            )
    assert best is not None
    return best


def model_json(document: dict) -> str:
    """One line per top-level key (sorted), each value compact: the metadata reads in a diff, the weights stay
    small."""
    body = ",\n".join(
        f" {json.dumps(key)}: {json.dumps(document[key], sort_keys=True, separators=(',', ':'))}"
        for key in sorted(document)
    )
    return "{\n" + body + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT / ".." / "shared", help="shared data folder")
    parser.add_argument("--write", action="store_true", help=f"write transforms/{MODEL_FILE}")
    parser.add_argument("--goal-large", type=float, default=GOAL_LARGE, help="out-of-fold goal, CV and NLP")
    parser.add_argument("--goal-small", type=float, default=GOAL_SMALL, help="out-of-fold goal, other areas")
    args = parser.parse_args(argv)
    taxonomy = load_taxonomy()
    topics = [t for t in taxonomy.ids if t != FALLBACK_TOPIC]
    areas = sorted(set(load_mapping()["categories"].values()))
    assert set(areas) <= set(topics), "every mapped area must be a taxonomy topic"
    train = load_papers(args.shared).filter(~pl.col("test"))
    docs = tokens(train)
    keywords = keyword_matrix(train, topics)
    primary = np.array(train["area"].fill_null("").to_list())
    others = train["category_areas"].to_list()
    groups = train["group"].to_list()
    oof = out_of_fold(docs, keywords, primary, others, groups, areas)
    thresholds, rule, tuned = tune(oof, keywords, primary, areas, topics, args.goal_large, args.goal_small)
    print(f"rule {rule}, thresholds {thresholds}, out-of-fold {tuned}")
    vocabulary, idf = build_vocabulary(docs)
    x = features(docs, vocabulary, idf, keywords)
    names = vocabulary + [KEYWORD_PREFIX + t for t in topics]
    weights, intercepts = {}, {}
    for area in areas:
        coef, intercepts[area] = fit_area(x, primary, others, area)
        weights[area] = [float(w) for w in coef]  # aligned with ``features``
    document = {
        "version": MODEL_VERSION,
        "taxonomy_version": taxonomy.version,
        "trained_on": {
            "file": str(DATA_FILE),
            "sha256": sha256_of(args.shared / DATA_FILE),
            "label_mapping": str(AREAS_FILE.relative_to(REPO_ROOT)),
            "label_mapping_sha256": sha256_of(AREAS_FILE),
            "split": "each area's (and the unmapped papers') earlier 75 % of arXiv ids; the latest 25 % held out",
            "papers": train.height,
            "positives": {a: int((primary == a).sum()) for a in areas},
        },
        "method": "bench/topic_arxiv_train.py: one logistic regression per area (liblinear, balanced, C "
        f"{C}, seed {SEED}); thresholds and keyword rule on {FOLDS}-fold out-of-fold predictions",
        "token_pattern": TOKEN_PATTERN,
        "keyword_scale": KEYWORD_SCALE,
        "areas": areas,
        "thresholds": thresholds,
        "rule": {
            "keyword_min_score": rule[0],
            "keyword_relative": rule[1],
            "primary_min_probability": PRIMARY_MIN_PROBABILITY,
        },
        "intercepts": intercepts,
        "vocabulary": vocabulary,
        "idf": [round(float(v), 6) for v in idf],
        "features": names,
        "weights": weights,
        "figures": {"out_of_fold": tuned},
    }
    print(f"{train.height} training papers, {len(vocabulary)} tokens")
    if args.write:
        path = REPO_ROOT / "transforms" / MODEL_FILE
        path.write_text(model_json(document), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
