"""Train the learned topic scorer (issue 14) on the `tune` split only; optionally write the model as JSON.

Run from the repository root (needs scikit-learn, a bench-only dependency: the `dev` extra)::

    PYTHONPATH=. python bench/topic_model_train.py --shared ../shared [--write /tmp/topic_model.json]

Labels: the venue-implied area of `bench/derive_areas.toml` for every mapped conference row of the `tune`
split (`[split]`); held-out rows are never read for training, vocabulary, idf or threshold choice. The
conference rows carry no arXiv categories, so none are used. One binary logistic regression per area
(one-vs-rest, fixed seed, balanced class weights); the add threshold is chosen on out-of-fold tune
predictions by `bench/topic_model_compare.py`, which also trains this model in-process. The JSON is
deterministic (sorted keys, rounded numbers) and is scored with polars alone (`bench/topic_model.py`).
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

from bench.derive_eval_topic import load_areas, load_split, split_of  # noqa: E402
from bench.topic_model import TOKEN_PATTERN  # noqa: E402
from transforms.derive.taxonomy import load_taxonomy  # noqa: E402

MODEL_VERSION = "1.0.0"
SEED = 14
MIN_DF = 3
MAX_DF = 0.5
MAX_VOCABULARY = 8000
TOP_K = 400
C = 4.0


def tune_rows(shared: Path) -> list[dict]:
    """Mapped tune-split conference rows with their implied ``area``."""
    conf_map, area_map = load_areas()
    split = load_split()
    rows = []
    path = shared / "data" / "conference-papers" / "papers.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        spec = conf_map.get(row["conf"]) or area_map.get(row.get("primary_area") or "")
        if spec is None or split_of(row, split) != "tune":
            continue
        rows.append({"title": row["title"], "abstract": row["abstract"], "area": spec["area"], "row": row})
    return rows


def tokens(rows: list[dict]) -> list[list[str]]:
    """The runtime tokenisation (same regex via polars) of title + abstract."""
    text = pl.Series([f"{r['title'] or ''} {r['abstract'] or ''}" for r in rows]).str.to_lowercase()
    return text.str.extract_all(TOKEN_PATTERN).to_list()


def features(docs: list[list[str]], vocabulary: list[str], idf: np.ndarray) -> sparse.csr_matrix:
    """``(1 + ln tf) x idf``, L2-normalised per row (the runtime formula)."""
    index = {t: i for i, t in enumerate(vocabulary)}
    data, cols, indptr = [], [], [0]
    for doc in docs:
        counts = Counter(t for t in doc if t in index)
        pairs = sorted((index[t], (1.0 + math.log(n)) * idf[index[t]]) for t, n in counts.items())
        norm = math.sqrt(sum(v * v for _, v in pairs)) or 1.0
        cols += [i for i, _ in pairs]
        data += [v / norm for _, v in pairs]
        indptr.append(len(cols))
    return sparse.csr_matrix((data, cols, indptr), shape=(len(docs), len(vocabulary)))


def build_vocabulary(docs: list[list[str]]) -> tuple[list[str], np.ndarray]:
    """Terms with MIN_DF <= df <= MAX_DF x n, the MAX_VOCABULARY most frequent (ties by term); smooth idf."""
    n = len(docs)
    df = Counter(t for doc in docs for t in set(doc))
    kept = sorted(((-d, t) for t, d in df.items() if MIN_DF <= d <= MAX_DF * n))[:MAX_VOCABULARY]
    vocabulary = sorted(t for _, t in kept)
    idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in vocabulary])
    return vocabulary, idf


def fit(x: sparse.csr_matrix, y: np.ndarray) -> LogisticRegression:
    model = LogisticRegression(
        C=C, class_weight="balanced", solver="liblinear", random_state=SEED, max_iter=1000
    )
    return model.fit(x, y)


def truncated(model: LogisticRegression, vocabulary: list[str]) -> tuple[dict[str, float], float]:
    """The TOP_K weights by magnitude (ties by term) and the intercept, rounded."""
    coef = model.coef_[0]
    order = sorted(range(len(coef)), key=lambda i: (-abs(coef[i]), vocabulary[i]))[:TOP_K]
    weights = {vocabulary[i]: round(float(coef[i]), 5) for i in sorted(order, key=lambda i: vocabulary[i])}
    return weights, round(float(model.intercept_[0]), 5)


def truncated_probability(
    x: sparse.csr_matrix, weights: dict[str, float], intercept: float, vocab: list[str]
):
    w = np.array([weights.get(t, 0.0) for t in vocab])
    return 1.0 / (1.0 + np.exp(-(x @ w + intercept)))


def out_of_fold(docs: list[list[str]], labels: np.ndarray, areas: list[str]) -> np.ndarray:
    """Out-of-fold probabilities of the shipped (truncated) model form on tune rows; vocabulary and idf are
    refitted per fold, so no fold sees its test rows."""
    oof = np.zeros((len(docs), len(areas)))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    for train, test in folds.split(np.zeros(len(docs)), labels):
        vocab, idf = build_vocabulary([docs[i] for i in train])
        x_train = features([docs[i] for i in train], vocab, idf)
        x_test = features([docs[i] for i in test], vocab, idf)
        for j, area in enumerate(areas):
            y = (labels[train] == area).astype(int)
            weights, intercept = truncated(fit(x_train, y), vocab)
            oof[test, j] = truncated_probability(x_test, weights, intercept, vocab)
    return oof


def train(docs: list[list[str]], labels: np.ndarray, areas: list[str]) -> dict:
    """The model document (JSON-ready) fitted on every given row."""
    vocabulary, idf = build_vocabulary(docs)
    x = features(docs, vocabulary, idf)
    weights_by_area, intercepts = {}, {}
    for area in areas:
        weights_by_area[area], intercepts[area] = truncated(fit(x, (labels == area).astype(int)), vocabulary)
    return {
        "version": MODEL_VERSION,
        "taxonomy_version": load_taxonomy().version,
        "trained_on": "conference-papers tune split (bench/derive_areas.toml [split]), venue-implied areas",
        "papers": {area: int((labels == area).sum()) for area in areas},
        "seed": SEED,
        "features": f"tokens {TOKEN_PATTERN} of lower-cased title + abstract; (1 + ln tf) x idf, L2-normalised",
        "areas": areas,
        "intercepts": intercepts,
        "vocabulary": vocabulary,
        "idf": [round(float(v), 6) for v in idf],
        "weights": weights_by_area,
    }


def model_json(document: dict) -> str:
    """Deterministic serialisation."""
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT / ".." / "shared", help="shared data folder")
    parser.add_argument("--write", type=Path, help="write the model JSON here")
    args = parser.parse_args(argv)
    rows = tune_rows(args.shared)
    docs = tokens(rows)
    labels = np.array([r["area"] for r in rows])
    areas = sorted(set(labels))
    assert set(areas) <= set(load_taxonomy().ids), "the model may only emit taxonomy topics"
    text = model_json(train(docs, labels, areas))
    print(
        f"{len(rows)} tune rows, {len(docs)} documents, areas {dict(sorted(Counter(labels.tolist()).items()))}"
    )
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
