"""Keyword scorer alone vs keyword scorer + learned model (issue 14), cross-venue, held-out figures side by side.

Run from the repository root (needs scikit-learn for the out-of-fold tune probabilities)::

    PYTHONPATH=. python bench/topic_model_compare.py --shared ../shared

The combination rule and its threshold are chosen on the `tune` rows only, from out-of-fold probabilities
(`bench/topic_model_train.py`: vocabulary, idf and weights refitted per fold): the rule/threshold that meets the
targets on the most tune areas (never fewer than the keyword scorer alone), then the highest mean found rate
over the tune areas held to the targets (ties: the higher threshold, i.e. fewer additions).
The held-out rows are then scored once with the model trained on every tune row (`train`, the document
`bench/topic_model_train.py --write` writes), through the polars scorer `bench/topic_model.py`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.derive_eval_topic import load_areas, load_split, split_of  # noqa: E402
from bench.derive_inputs import input_frame  # noqa: E402
from bench.topic_model import area_probabilities, parse_model  # noqa: E402
from bench.topic_model_train import out_of_fold, tokens, train  # noqa: E402
from transforms.derive.topic import assign_topics  # noqa: E402

RULES = ("every-area", "best-area", "best-area-if-at-most-2")
THRESHOLDS = tuple(round(0.5 + 0.05 * k, 2) for k in range(10))


def combine(topics: list[str], probs: dict[str, float], rule: str, threshold: float) -> list[str]:
    """Keyword ``topics`` plus model areas at or above ``threshold`` that the keyword scorer did not list."""
    out = list(topics)
    if rule == "every-area":
        out += [a for a in sorted(probs) if probs[a] >= threshold and a not in out]
        return out
    best = max(sorted(probs), key=lambda a: probs[a])
    if probs[best] >= threshold and best not in out and (rule == "best-area" or len(out) <= 2):
        out.append(best)
    return out


def figures(rows: list[dict], topics_per_row: list[list[str]], primary: list[str], part: str) -> dict:
    """Per area (and all papers) of one split: papers, found, wrong, topics per paper."""
    stats: dict[str, Counter[str]] = {}
    for row, topics, topic in zip(rows, topics_per_row, primary, strict=True):
        if row["_split"] != part:
            continue
        total = stats.setdefault("(all papers)", Counter())
        total["papers"] += 1
        total["topics"] += len(topics)
        spec = row["_spec"]
        if spec is None:
            continue
        c = stats.setdefault(spec["area"], Counter())
        c["papers"] += 1
        c["topics"] += len(topics)
        c["found"] += any(t in spec["accept"] for t in topics)
        c["wrong"] += topic in spec["wrong"]
    return stats


def misses(c: Counter[str], split: dict, area: str) -> list[str] | None:
    """The targets missed (None: area too small to be held to them)."""
    n = c["papers"]
    missed = ["topics"] if c["topics"] / n > split["target_topics"] else []
    if area == "(all papers)":
        return missed
    if n < split["min_papers"]:
        return None
    found = ["found"] if c["found"] / n < split["target_found"] else []
    wrong = ["wrong"] if c["wrong"] / n > split["target_wrong"] else []
    return found + wrong + missed


def met(c: Counter[str], split: dict, area: str) -> bool | None:
    """Targets met (None: area too small to be held to them)."""
    missed = misses(c, split, area)
    return None if missed is None else not missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT / ".." / "shared", help="shared data folder")
    parser.add_argument("--write", type=Path, help="write the markdown report to this file")
    args = parser.parse_args(argv)
    conf_map, area_map = load_areas()
    split = load_split()
    path = args.shared / "data" / "conference-papers" / "papers.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        row["_spec"] = conf_map.get(row["conf"]) or area_map.get(row.get("primary_area") or "")
        row["_split"] = split_of(row, split)
    frame = input_frame([{"title": r["title"], "abstract": r["abstract"]} for r in rows])
    keyword = assign_topics(frame).select("topic", "topics").collect()
    keyword_topics, primary = keyword["topics"].to_list(), keyword["topic"].to_list()
    train_index = [i for i, r in enumerate(rows) if r["_split"] == "tune" and r["_spec"] is not None]
    train_rows = [{"title": rows[i]["title"], "abstract": rows[i]["abstract"]} for i in train_index]
    train_docs = tokens(train_rows)
    labels = np.array([rows[i]["_spec"]["area"] for i in train_index])
    areas = sorted(set(labels.tolist()))
    model = parse_model(train(train_docs, labels, areas))
    shipped = (
        area_probabilities(frame.with_row_index("_row"), model)
        .collect()
        .pivot(on="area", index="_row", values="probability")
        .sort("_row")
    )
    probs = [dict(zip(areas, values, strict=True)) for values in shipped.select(areas).rows()]
    # Tune rows that trained the model get out-of-fold probabilities instead of the full model's.
    oof = out_of_fold(train_docs, labels, areas)
    tune_probs = list(probs)
    for k, i in enumerate(train_index):
        tune_probs[i] = {a: round(float(oof[k, j]), 4) for j, a in enumerate(areas)}

    def score(part: str, rule: str | None, threshold: float, source: list[dict]) -> dict:
        combined = (
            keyword_topics
            if rule is None
            else [combine(t, p, rule, threshold) for t, p in zip(keyword_topics, source, strict=True)]
        )
        return figures(rows, combined, primary, part)

    def tune_key(stats: dict) -> tuple[int, float]:
        """Areas meeting the targets, and the mean found rate over the areas held to them."""
        held = sum(bool(met(c, split, a)) for a, c in stats.items() if a != "(all papers)")
        rates = [
            c["found"] / c["papers"]
            for a, c in stats.items()
            if a != "(all papers)" and c["papers"] >= split["min_papers"]
        ]
        return held, sum(rates) / len(rates)

    baseline_tune = score("tune", None, 0.0, tune_probs)
    baseline_held, baseline_found = tune_key(baseline_tune)
    log_lines = [
        f"tune, keyword only: {baseline_held} areas meet the targets, mean found {baseline_found:.3f}"
    ]
    candidates = []
    for rule in RULES:
        for threshold in THRESHOLDS:
            stats = score("tune", rule, threshold, tune_probs)
            held, found = tune_key(stats)
            log_lines.append(
                f"tune (out of fold), `{rule}` >= {threshold:.2f}: {held} areas meet, mean found {found:.3f}"
            )
            if held >= baseline_held:
                candidates.append(((held, found, threshold), rule, threshold, stats))
    _, rule, threshold, tune_stats = max(candidates, key=lambda c: c[0])
    before = score("held-out", None, 0.0, probs)
    after = score("held-out", rule, threshold, probs)
    lines = [
        "| split | area | papers | found | found +model | wrong | wrong +model | topics/paper "
        "| topics/paper +model | targets | targets +model |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]

    def verdict(c: Counter[str], area: str) -> str:
        missed = misses(c, split, area)
        if missed is None:
            return f"not held (< {split['min_papers']})"
        return "missed: " + ", ".join(missed) if missed else "met"

    for part, b_stats, a_stats in (
        ("tune (out of fold)", baseline_tune, tune_stats),
        ("held-out", before, after),
    ):
        for area in sorted(b_stats, key=lambda a: (a != "(all papers)", a)):
            b, a = b_stats[area], a_stats[area]
            n = b["papers"]
            if area == "(all papers)":
                cells = "| | | | | "
            else:
                cells = (
                    f"| {b['found'] / n:.1%} | {a['found'] / n:.1%} | "
                    f"{b['wrong'] / n:.1%} | {a['wrong'] / n:.1%} | "
                )
            lines.append(
                f"| {part} | {area} | {n} {cells}{b['topics'] / n:.2f} | {a['topics'] / n:.2f} | "
                f"{verdict(b, area)} | {verdict(a, area)} |"
            )
    log = [f"- {line}" for line in log_lines]
    report = "\n".join(
        [
            "# Topic: keyword scorer vs keyword scorer + learned model (issue 14)",
            "",
            "Recompute with `PYTHONPATH=. python bench/topic_model_compare.py --shared ../shared --write "
            "/tmp/topic-model.md` (needs scikit-learn: `pip install -e '.[dev]'`). Generated; see the module "
            "docstrings of `bench/topic_model_compare.py` and `bench/topic_model_train.py` for the method.",
            "",
            f"Model: one logistic regression per venue-implied area ({', '.join(areas)}), trained on "
            f"{len(train_index)} mapped tune rows, {len(model.vocabulary)} terms. Combination rules tried on tune "
            "(out of fold): add every model area at or above the threshold that the keyword scorer did not list "
            "(`every-area`), only the model's best area (`best-area`), or the best area only when the keyword "
            "scorer listed at most 2 topics (`best-area-if-at-most-2`). Additions never change the primary `topic`.",
            "",
            *log,
            "",
            f"Chosen on tune: `{rule}` >= {threshold:.2f}. Figures (found, wrong, topics/paper as in "
            "the cross-venue table of `bench/RESULTS.md`, plain venue mapping):",
            "",
            *lines,
            "",
        ]
    )
    print(report)
    if args.write:
        args.write.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
