"""The topic field against the arXiv primary category, out of time, per area (issue 30).

Run from the repository root::

    PYTHONPATH=. .venv/bin/python bench/topic_arxiv.py --shared ../shared [--write /tmp/topic.md]

Data: ``../shared/data/arxiv-daily/papers-2025.jsonl`` (24,000 arXiv papers of 2025, read at run time only).
Labels: ``bench/arxiv_areas.toml`` (category -> area, the split and the targets, fixed before any training).
Each mapped area's papers, and the unmapped papers as one group, are sorted by arXiv id; the latest 25 % of each
group is the test split. Only the test split is scored here, by the keyword scorer
(``transforms.derive.topic.keyword_topics``, taxonomy only) and by the adopted method
(``transforms.derive.topic.assign_topics``: the learned model of ``transforms/data/topic_model.json``, trained by
``bench/topic_arxiv_train.py`` on the earlier 75 %, plus the keyword scorer's other topics), side by side, with
the categories hidden (title and abstract only). ``--record`` stores the figures in the model file (they do not
change what it scores).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import tomllib
from pathlib import Path

import polars as pl

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from transforms.derive.topic import assign_topics, keyword_topics  # noqa: E402
from transforms.derive.topic_model import MODEL_FILE, load_model  # noqa: E402

AREAS_FILE = REPO_ROOT / "bench" / "arxiv_areas.toml"
DATA_FILE = Path("data") / "arxiv-daily" / "papers-2025.jsonl"
UNMAPPED = "(unmapped)"
Z95 = 1.959964


def load_mapping() -> dict:
    """The fixed label file: ``categories`` (category -> area), ``split`` and ``targets``."""
    return tomllib.loads(AREAS_FILE.read_text(encoding="utf-8"))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_papers(shared: Path) -> pl.DataFrame:
    """Every paper with ``id``, ``title``, ``abstract``, ``categories``, its ``area`` (the primary category's,
    null when unmapped), ``category_areas`` (the areas any of its categories maps to), ``group`` and ``test``
    (the latest ``test_share`` of its group by id)."""
    mapping = load_mapping()
    areas = mapping["categories"]
    share = float(mapping["split"]["test_share"])
    raw = pl.read_ndjson(shared / DATA_FILE).select(
        "id", "categories", "title", pl.col("summary").alias("abstract")
    )
    to_area = pl.element().replace_strict(areas, default=None, return_dtype=pl.String)
    papers = raw.with_columns(
        pl.col("categories")
        .list.first()
        .replace_strict(areas, default=None, return_dtype=pl.String)
        .alias("area"),
        pl.col("categories")
        .list.eval(to_area)
        .list.drop_nulls()
        .list.unique()
        .list.sort()
        .alias("category_areas"),
    ).with_columns(pl.col("area").fill_null(UNMAPPED).alias("group"))
    # The test split: the latest floor(share x n) ids of each group.
    rank = pl.int_range(pl.len()).over("group")
    train_size = pl.len().over("group") - (pl.len().over("group").cast(pl.Float64) * share).floor().cast(
        pl.UInt32
    )
    return papers.sort("id").with_columns((rank >= train_size).alias("test"))


def hidden_categories(papers: pl.DataFrame) -> pl.LazyFrame:
    """The derive input with the categories hidden: title and abstract only."""
    return papers.select(
        "title",
        "abstract",
        pl.lit(None, dtype=pl.List(pl.String)).alias("categories"),
        pl.lit(None, dtype=pl.String).alias("primary_category"),
    ).lazy()


def wilson_lower(successes: int, total: int, z: float = Z95) -> float:
    """The lower end of the Wilson score interval of ``successes / total`` (0 for no papers)."""
    if total == 0:
        return 0.0
    p = successes / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return (centre - margin) / (1 + z * z / total)


def outcomes(papers: pl.DataFrame, derived: pl.DataFrame, mapped: list[str]) -> pl.DataFrame:
    """Per paper: ``group``, ``found``, ``wrong`` and ``n_topics`` of one method's ``topic``/``topics``."""
    frame = papers.select("group", "area", "category_areas").with_columns(derived.select("topic", "topics"))
    found = pl.col("topics").list.contains(pl.col("area")).fill_null(False)
    wrong = (
        pl.col("area").is_not_null()
        & ~found
        & pl.col("topic").is_in(mapped)
        & ~pl.col("category_areas").list.contains(pl.col("topic"))
    )
    return frame.select(
        "group", found.alias("found"), wrong.alias("wrong"), pl.col("topics").list.len().alias("n_topics")
    )


def per_area(scored: pl.DataFrame) -> pl.DataFrame:
    """``group``, papers, found, wrong, topics per paper (mapped groups, then the unmapped one)."""
    return (
        scored.group_by("group")
        .agg(
            pl.len().alias("papers"),
            pl.col("found").sum().alias("found"),
            pl.col("wrong").sum().alias("wrong"),
            pl.col("n_topics").mean().alias("topics_per_paper"),
        )
        .sort(pl.col("group") == UNMAPPED, "group")
    )


def target_of(papers: int, targets: dict) -> float:
    return float(targets["found_large"] if papers >= int(targets["large_area"]) else targets["found_small"])


def evaluate(shared: Path) -> dict:
    """The test split scored by both methods: per-area figures and the overall topics per paper."""
    papers = load_papers(shared)
    test = papers.filter(pl.col("test"))
    mapped = sorted(set(load_mapping()["categories"].values()))
    methods = {
        "keywords": keyword_topics(hidden_categories(test)).collect(),
        "adopted": assign_topics(hidden_categories(test)).collect(),
    }
    result: dict = {
        "data_sha256": sha256_of(shared / DATA_FILE),
        "test_papers": test.height,
        "train_papers": papers.height - test.height,
        "model_method": load_model().method,
    }
    for name, derived in methods.items():
        scored = outcomes(test, derived, mapped)
        table = per_area(scored)
        result[name] = {
            "topics_per_paper": round(float(scored["n_topics"].mean() or 0.0), 3),
            "topics_per_paper_mapped": round(
                float(scored.filter(pl.col("group") != UNMAPPED)["n_topics"].mean() or 0.0), 3
            ),
            "areas": {
                row["group"]: {
                    "papers": row["papers"],
                    "found": row["found"],
                    "wrong": row["wrong"],
                    "topics_per_paper": round(row["topics_per_paper"], 3),
                }
                for row in table.iter_rows(named=True)
            },
        }
    return result


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def report(result: dict) -> str:
    """The Markdown table: per area, keyword scorer and adopted method side by side, with the targets."""
    targets = load_mapping()["targets"]
    lines = [
        f"Test split: {result['test_papers']:,} papers (the latest 25 % of each area's ids, and of the unmapped "
        f"papers); training: {result['train_papers']:,}. Data sha256 `{result['data_sha256'][:16]}…`; adopted "
        f"method `{result['model_method']}`.",
        "",
        "| area | test papers | found, keywords | lower 95 % | found, adopted | lower 95 % | wrong, keywords "
        "| wrong, adopted | topics/paper, keywords | topics/paper, adopted | target found | targets, adopted |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    before, after = result["keywords"]["areas"], result["adopted"]["areas"]
    for area, old in before.items():
        new = after[area]
        n = old["papers"]
        if area == UNMAPPED:
            lines.append(
                f"| {area} | {n} | | | | | | | {old['topics_per_paper']:.2f} | {new['topics_per_paper']:.2f} | | |"
            )
            continue
        goal = target_of(n, targets)
        missed = []
        if new["found"] / n < goal:
            missed.append("found")
        if new["wrong"] / n > float(targets["clearly_wrong"]):
            missed.append("wrong")
        lines.append(
            f"| {area} | {n} | {_percent(old['found'], n)} | {100 * wilson_lower(old['found'], n):.1f}% "
            f"| {_percent(new['found'], n)} | {100 * wilson_lower(new['found'], n):.1f}% "
            f"| {_percent(old['wrong'], n)} | {_percent(new['wrong'], n)} "
            f"| {old['topics_per_paper']:.2f} | {new['topics_per_paper']:.2f} | ≥ {100 * goal:.0f}% "
            f"| {'met' if not missed else 'missed: ' + ', '.join(missed)} |"
        )
    overall_target = float(targets["topics_per_paper"])
    lines += [
        f"| **every test paper** | {result['test_papers']} | | | | | | "
        f"| {result['keywords']['topics_per_paper']:.2f} | {result['adopted']['topics_per_paper']:.2f} "
        f"| ≤ {overall_target} topics | "
        f"{'met' if result['adopted']['topics_per_paper'] <= overall_target else 'missed'} |",
    ]
    return "\n".join(lines) + "\n"


def record(result: dict) -> None:
    """Store the test figures in the shipped model file (``figures.test``)."""
    from bench.topic_arxiv_train import model_json  # the trainer imports this module

    path = REPO_ROOT / "transforms" / MODEL_FILE
    document = json.loads(path.read_text(encoding="utf-8"))
    document.setdefault("figures", {})["test"] = {
        "papers": result["test_papers"],
        "topics_per_paper": result["adopted"]["topics_per_paper"],
        "areas": {
            area: {key: figures[key] for key in ("papers", "found", "wrong")}
            for area, figures in result["adopted"]["areas"].items()
            if area != UNMAPPED
        },
    }
    path.write_text(model_json(document), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT / ".." / "shared", help="shared data folder")
    parser.add_argument("--write", type=Path, help="also write the report here")
    parser.add_argument("--record", action="store_true", help="store the test figures in the model file")
    args = parser.parse_args(argv)
    result = evaluate(args.shared)
    text = report(result)
    print(text, end="")
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    if args.record:
        record(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
