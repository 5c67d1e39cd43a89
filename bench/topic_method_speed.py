"""Derive with the adopted topic method against derive with the keyword scorer alone, side by side.

    PYTHONPATH=. .venv/bin/python bench/topic_method_speed.py --shared ../shared --papers 100000 --repeat 3

Input: the 24,000 ``arxiv-daily`` papers (title, abstract, categories, comment), cycled to ``--papers``. Both
variants run the whole derive stage (``derive_fields``: topics, venue hints, the venue's area, links, analysis
columns) in one process, alternating, so both see the same load; the medians, the ratio of medians and the
median of each run pair's ratio are printed (on a loaded machine the pair ratio moves less). The keyword
variant is the derive stage of schema 2.3.0 (``keyword_topics`` in place of ``assign_topics``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from transforms.derive import derive_fields  # noqa: E402
from transforms.derive.analysis import add_analysis_columns  # noqa: E402
from transforms.derive.links import extract_links  # noqa: E402
from transforms.derive.topic import keyword_topics  # noqa: E402
from transforms.derive.venue_area import prefer_venue_area  # noqa: E402
from transforms.derive.venues import venue_hints  # noqa: E402


def keyword_derive(papers: pl.LazyFrame) -> pl.LazyFrame:
    """``derive_fields`` as schema 2.3.0 ran it: the keyword scorer, each stage computed once."""
    for stage in (keyword_topics, venue_hints, prefer_venue_area, extract_links, add_analysis_columns):
        papers = stage(papers).collect().lazy()
    return papers


def corpus(shared: Path, size: int) -> pl.DataFrame:
    raw = pl.read_ndjson(shared / "data" / "arxiv-daily" / "papers-2025.jsonl")
    papers = raw.select(
        "title",
        pl.col("summary").alias("abstract"),
        pl.col("comment").alias("arxiv_comment"),
        pl.lit(None, dtype=pl.String).alias("journal_ref"),
        pl.lit(None, dtype=pl.String).alias("venue_field"),
        pl.lit(None, dtype=pl.String).alias("source_code_url"),
        pl.lit(None, dtype=pl.String).alias("source_project_url"),
        "categories",
        pl.col("categories").list.first().alias("primary_category"),
    )
    return pl.concat([papers] * (size // papers.height + 1)).head(size)


def seconds(derive: Callable[[pl.LazyFrame], pl.LazyFrame], papers: pl.DataFrame) -> float:
    start = time.perf_counter()
    derive(papers.lazy()).collect()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT / ".." / "shared")
    parser.add_argument("--papers", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    derive_fields(corpus(args.shared, 100).lazy()).collect()  # warm up: taxonomy, model, lexicon
    keyword_derive(corpus(args.shared, 100).lazy()).collect()
    print(
        "| papers | derive, keyword scorer (median) | derive, adopted method (median) | ratio of medians "
        "| median of the runs' ratios | runs (keyword / adopted) |"
    )
    print("|---:|---:|---:|---:|---:|---|")
    for size in args.papers:
        papers = corpus(args.shared, size)
        old, new = [], []
        for _ in range(args.repeat):
            old.append(seconds(keyword_derive, papers))
            new.append(seconds(derive_fields, papers))
        runs = "; ".join(f"{o:.2f} / {n:.2f}" for o, n in zip(old, new, strict=True))
        ratio = statistics.median(new) / statistics.median(old)
        paired = statistics.median(n / o for o, n in zip(old, new, strict=True))
        print(
            f"| {size:,} | {statistics.median(old):.2f} s | {statistics.median(new):.2f} s | {ratio:.2f}x "
            f"| {paired:.2f}x | {runs} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
