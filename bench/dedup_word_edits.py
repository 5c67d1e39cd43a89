"""Abstracts with a few words changed: the near-duplicate rule with and without the word-level similarity (issue 30).

Run from the repository root (reads captures from the shared data folder; nothing is copied into the repo):

    PYTHONPATH=. .venv/bin/python bench/dedup_word_edits.py --shared ../shared

"before" is ``DedupParams(max_changed_words=-1)`` (the changed-words rule never fires: shingle Jaccard >= 0.85 alone or
>= 0.6 with a title-word Jaccard >= 0.3), "after" the defaults. Prints:

1. constructed pairs: every hf-daily-api abstract of at least 40 words (one per arXiv id) against a copy with 2-4
   of its words replaced by plain lower-case words of the corpus, under an unrelated title: the share merged
   (pair recall), and the shingle/word Jaccard and changed words of the pairs;
2. the closest pairs of different papers (different arXiv ids) by distinct-word Jaccard, over every real abstract
   of hf-daily-api, arxiv-daily and conference-papers (exact, by a sparse product);
3. pairwise precision/recall of ``find_clusters`` on the dev set (hf-daily-api + hf-scraped-2024, arXiv ids
   hidden) and false merges on arxiv-daily (24,000 different papers, ids hidden) and conference-papers, with
   the seconds ``find_clusters`` took.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix

from bench.dedup_eval import load_conference, load_daily_api, load_scraped, pairwise_scores, to_frame
from transforms.dedup.clusters import find_clusters
from transforms.dedup.minhash import DedupParams
from transforms.dedup.pair_scores import _abstract_jaccard, verified
from transforms.dedup.similarity import count_changed_words

REPO = Path(__file__).resolve().parents[1]
BEFORE = replace(DedupParams(), max_changed_words=-1)
AFTER = DedupParams()


def constructed_pairs(abstracts: list[str], seed: int = 30) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    vocabulary = sorted({w for a in abstracts for w in a.split() if w.isalpha() and w.islower()})
    edited = []
    for text in abstracts:
        words = text.split()
        for i in rng.choice(len(words), size=int(rng.integers(2, 5)), replace=False):
            words[i] = vocabulary[int(rng.integers(len(vocabulary)))]
        edited.append(" ".join(words))
    return abstracts, edited


def pair_scores(left: list[str], right: list[str]) -> pl.DataFrame:
    texts = pl.Series(left + right)
    n = len(left)
    pairs = pl.DataFrame({"a": np.arange(n), "b": np.arange(n) + n})
    return pl.DataFrame(
        {
            "abstract_sim": _abstract_jaccard(texts, pairs, AFTER),
            "word_sim": _abstract_jaccard(texts, pairs, replace(AFTER, shingle_size=1)),
            "changed_words": count_changed_words(texts, pairs, pl.Series([0.7] * n), AFTER),
            "title_sim": [0.0] * n,
        }
    )


def closest_different(texts: list[str], ids: list[str], top: int = 5) -> pl.DataFrame:
    """The ``top`` pairs of different ids with the highest distinct-word Jaccard (lower-cased words)."""
    frame = pl.DataFrame({"doc": range(len(texts)), "text": texts}).select(
        "doc", pl.col("text").str.to_lowercase().str.extract_all(r"\w+").list.unique().alias("word")
    )
    exploded = frame.explode("word").drop_nulls()
    vocabulary = exploded.select(pl.col("word").unique().sort()).with_row_index("w")
    coded = exploded.join(vocabulary, on="word")
    matrix = csr_matrix(
        (np.ones(coded.height, dtype=np.float32), (coded["doc"].to_numpy(), coded["w"].to_numpy())),
        shape=(len(texts), vocabulary.height),
    )
    sizes = np.asarray(matrix.sum(axis=1)).ravel().astype(np.float32)
    best: list[tuple[float, int, int]] = []
    block = 1000
    for start in range(0, len(texts), block):
        stop = min(start + block, len(texts))
        common = (matrix[start:stop] @ matrix[start:].T).toarray()  # columns: docs from ``start`` on
        jaccard = common / np.maximum(sizes[start:stop, None] + sizes[None, start:] - common, 1.0)
        jaccard[np.tril_indices(stop - start, k=0, m=jaccard.shape[1])] = 0.0  # each pair once, not itself
        flat = np.argpartition(jaccard, -200, axis=None)[-200:]
        for index in flat:
            r, c = divmod(int(index), jaccard.shape[1])
            if ids[start + r] != ids[start + c]:
                best.append((float(jaccard[r, c]), start + r, start + c))
    best = sorted(best, reverse=True)
    pairs = pl.DataFrame({"a": [b[1] for b in best], "b": [b[2] for b in best]})
    series = pl.Series(texts)
    abstract_sim = _abstract_jaccard(series, pairs, AFTER)
    scored = pl.DataFrame(
        {
            "id_a": [ids[b[1]] for b in best],
            "id_b": [ids[b[2]] for b in best],
            "word_sim": [round(b[0], 3) for b in best],
            "abstract_sim": abstract_sim.round(3),
            "changed_words": count_changed_words(series, pairs, pl.Series([0.7] * pairs.height), AFTER),
        }
    )
    return pl.concat(
        [
            scored.head(top).with_columns(pl.lit("closest").alias("which")),
            scored.filter(pl.col("abstract_sim") < AFTER.abstract_alone_threshold)
            .head(top)
            .with_columns(pl.lit("shingle Jaccard < 0.85").alias("which")),
        ]
    )


def timed_clusters(frame: pl.DataFrame, params: DedupParams) -> tuple[pl.DataFrame, float]:
    started = time.perf_counter()
    clustered = find_clusters(frame, params)
    return clustered, time.perf_counter() - started


def arxiv_daily_frame(shared: Path) -> pl.DataFrame:
    rows = [
        json.loads(line)
        for line in (shared / "data" / "arxiv-daily" / "papers-2025.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    records = [
        {
            "record_id": f"{i:016x}",
            "title": row["title"],
            "abstract": " ".join(row["summary"].split()),
            "arxiv_id": None,
            "listed_on": None,
            "captured_at": None,
            "true_id": row["id"],
        }
        for i, row in enumerate(rows)
    ]
    return pl.DataFrame(records).with_columns(
        pl.col("arxiv_id").cast(pl.String),
        pl.col("listed_on").cast(pl.Date),
        pl.col("captured_at").cast(pl.Datetime("us", "UTC")),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO / ".." / "shared")
    args = parser.parse_args(argv)
    data = args.shared / "data"
    api = load_daily_api(data / "hf-daily-api")
    unique = pl.DataFrame(api).unique("true_id", keep="first", maintain_order=True)
    abstracts = [a for a in unique["abstract"].to_list() if len(a.split()) >= 40]
    scores = pair_scores(*constructed_pairs(abstracts))
    print(f"## Constructed pairs: {scores.height} abstracts, 2-4 words replaced, unrelated titles\n")
    print("| rule | merged | recall |\n|---|---:|---:|")
    for name, params in (("before", BEFORE), ("after", AFTER)):
        merged = scores.filter(verified(params)).height
        print(f"| {name} | {merged} | {merged / scores.height:.4f} |")
    print(
        f"\nshingle Jaccard: min {scores['abstract_sim'].min():.3f}, "
        f"< 0.85: {(scores['abstract_sim'] < 0.85).sum()}; word Jaccard: min {scores['word_sim'].min():.3f}; "
        f"changed words: max {scores['changed_words'].max()}, over 5 %: {scores['changed_words'].null_count()}\n"
    )

    daily = arxiv_daily_frame(args.shared)
    conference = load_conference(data / "conference-papers" / "papers.jsonl")
    texts = unique["abstract"].to_list() + daily["abstract"].to_list() + conference["abstract"].to_list()
    ids = (
        unique["true_id"].to_list()
        + daily["true_id"].to_list()
        + [f"conference:{i}" for i in range(conference.height)]
    )
    print(f"## Closest pairs of different papers ({len(texts)} abstracts)\n")
    closest = closest_different(texts, ids, top=8)
    print(
        "| id a | id b | word Jaccard | shingle Jaccard | changed words (null: over 5 %) | which |\n"
        "|---|---|---:|---:|---:|---|"
    )
    for row in closest.iter_rows():
        print("| " + " | ".join(map(str, row)) + " |")

    dev = to_frame(api + load_scraped(data / "hf-scraped-2024"))
    print("\n## Dev set and false merges\n")
    print(
        "| rule | dev precision | dev recall | dev s | arxiv-daily merged records | s "
        "| conference merged records | s |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    for name, params in (("before", BEFORE), ("after", AFTER)):
        clustered, dev_seconds = timed_clusters(dev, params)
        dev_scores = pairwise_scores(clustered)
        daily_clustered, daily_seconds = timed_clusters(daily.drop("true_id"), params)
        conf_clustered, conf_seconds = timed_clusters(conference, params)
        daily_merged = daily_clustered.filter(pl.col("match_rule") != "kept").height
        conf_merged = conf_clustered.filter(pl.col("match_rule") != "kept").height
        print(
            f"| {name} | {dev_scores['precision']:.5f} | {dev_scores['recall']:.5f} | {dev_seconds:.2f} "
            f"| {daily_merged} | {daily_seconds:.2f} | {conf_merged} | {conf_seconds:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
