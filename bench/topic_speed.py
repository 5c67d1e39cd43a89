"""Topic scoring: the tokenised scorer against the regex scorer it replaced, side by side in one process.

    PYTHONPATH=. .venv/bin/python bench/topic_speed.py --shared ../shared [--sizes 1000 10000] [--repeat 3]

Papers: the real ``conference-papers`` rows (title and abstract, in file order, 13,185 of them) with the arXiv
categories of the ``arxiv-api`` captures given to every 50th row so the category path runs too. Regex: the
replaced scorer (``tests/support/topic_reference.py``, 36 ``str.extract_all`` per text). Tokenised:
``transforms.derive.topic.assign_topics``. Each is timed ``--repeat`` times per size (median printed, runs
interleaved), and every run's output is compared row by row. ``--derive`` also times the whole derive stage
(``derive_fields``: topics, venue hints, links, analysis columns) with each scorer. ``--check`` also scores
every real capture (conference papers, hf-daily items and arXiv records, raw and cleaned) with both and counts
the papers whose output differs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.topic_reference import assign_topics_regex  # noqa: E402
from transforms.clean.rules import clean_records  # noqa: E402
from transforms.derive import add_analysis_columns, extract_links, venue_hints  # noqa: E402
from transforms.derive.topic import keyword_topics as assign_topics  # noqa: E402  (the tokenised keyword scorer)
from transforms.parse import parse_capture  # noqa: E402
from transforms.parse.common import Capture  # noqa: E402

COLUMNS = {
    "title": pl.String,
    "abstract": pl.String,
    "categories": pl.List(pl.String),
    "primary_category": pl.String,
}


def parsed(shared: Path, folder: str) -> pl.DataFrame:
    """Raw title, abstract and categories of every record parsed from one capture folder."""
    captures = [
        Capture("auto", str(path), path.read_bytes(), datetime(2026, 1, 1, tzinfo=UTC), "file-mtime")
        for path in sorted((shared / "data" / folder).rglob("*"))
        if path.is_file() and path.suffix in {".json", ".xml"} and not path.name.endswith(".meta.json")
    ]
    return pl.concat([parse_capture(capture) for capture in captures])


def conference(shared: Path) -> pl.DataFrame:
    """The conference-papers rows as derive input."""
    lines = (shared / "data" / "conference-papers" / "papers.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return pl.DataFrame(
        {"title": [r["title"] for r in rows], "abstract": [r["abstract"] for r in rows]},
        schema={"title": pl.String, "abstract": pl.String},
    )


def corpus(shared: Path, size: int) -> pl.DataFrame:
    """``size`` conference papers (cycled past 13,185), every 50th with the categories of an arXiv record."""
    papers = conference(shared)
    arxiv = parsed(shared, "arxiv-api").filter(pl.col("categories").list.len() > 0)
    papers = pl.concat([papers] * (size // papers.height + 1)).head(size).with_row_index("i")
    cats = arxiv.select("categories", "primary_category").with_row_index("j")
    with_cats = papers.with_columns(
        pl.when(pl.col("i") % 50 == 0).then((pl.col("i") // 50) % cats.height).alias("j")
    ).join(cats, on="j", how="left", maintain_order="left")
    return with_cats.select(list(COLUMNS)).cast(COLUMNS)  # type: ignore[arg-type]


DERIVE_EXTRA = ("arxiv_comment", "journal_ref", "venue_field", "source_code_url", "source_project_url")


def derive_with(scorer: Callable[[pl.LazyFrame], pl.LazyFrame]) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    """``derive_fields`` with the given topic scorer (the other derive steps as the pipeline runs them)."""

    def derive(papers: pl.LazyFrame) -> pl.LazyFrame:
        papers = papers.with_columns(pl.lit(None, dtype=pl.String).alias(name) for name in DERIVE_EXTRA)
        return add_analysis_columns(extract_links(venue_hints(scorer(papers))))

    return derive


def differing(new: pl.DataFrame, old: pl.DataFrame) -> int:
    """Papers whose topic, topics or topic_scores differ (list and struct order included)."""
    same = (
        (new["topic"] == old["topic"])
        & (new["topics"] == old["topics"])
        & (new["topic_scores"] == old["topic_scores"])
    )
    return new.height - int(same.sum())


def timed(scorer: Callable[[pl.LazyFrame], pl.LazyFrame], papers: pl.DataFrame) -> tuple[float, pl.DataFrame]:
    """Wall time of one scoring run and its output."""
    start = time.perf_counter()
    out = scorer(papers.lazy()).collect()
    return time.perf_counter() - start, out


def check(shared: Path) -> list[str]:
    """Differing papers on every real capture, raw and as the pipeline cleans it."""
    captured = pl.concat([parsed(shared, "hf-daily-api"), parsed(shared, "arxiv-api")])
    conf = conference(shared).select(
        pl.col("title").alias("title_raw"), pl.col("abstract").alias("abstract_raw")
    )
    raw = pl.concat(
        [captured.select("title_raw", "abstract_raw", "categories", "primary_category"), conf], how="diagonal"
    )
    cleaned = raw.lazy().pipe(clean_records).collect()
    lines = []
    for name, frame in (
        (
            "raw",
            raw.select(
                pl.col("title_raw").alias("title"),
                pl.col("abstract_raw").alias("abstract"),
                "categories",
                "primary_category",
            ),
        ),
        ("cleaned", cleaned.select("title", "abstract", "categories", "primary_category")),
    ):
        _, new = timed(assign_topics, frame)
        _, old = timed(assign_topics_regex, frame)
        lines.append(
            f"- every real capture, {name} text: {differing(new, old)} of {frame.height} papers differ"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO / ".." / "shared")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--derive", action="store_true", help="also time the whole derive stage with each scorer"
    )
    parser.add_argument(
        "--check", action="store_true", help="also compare both scorers on every real capture"
    )
    args = parser.parse_args()
    assign_topics(corpus(args.shared, 10).lazy()).collect()  # warm up: taxonomy tables, regex caches
    assign_topics_regex(corpus(args.shared, 10).lazy()).collect()
    lines = [
        "| papers | timed | with regex scorer (s) | with tokenised scorer (s) | speed-up | papers differing |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    runs = [("topic scoring", assign_topics_regex, assign_topics)]
    if args.derive:
        runs.append(("whole derive stage", derive_with(assign_topics_regex), derive_with(assign_topics)))
    for size in args.sizes:
        papers = corpus(args.shared, size)
        for name, old_scorer, new_scorer in runs:
            old_times, new_times, diffs = [], [], []
            for _ in range(args.repeat):
                old_time, old = timed(old_scorer, papers)
                new_time, new = timed(new_scorer, papers)
                old_times.append(old_time)
                new_times.append(new_time)
                diffs.append(differing(new, old))
            old_median, new_median = statistics.median(old_times), statistics.median(new_times)
            lines.append(
                f"| {size:,} | {name} | {old_median:.2f} | {new_median:.2f} | {old_median / new_median:.1f}x "
                f"| {max(diffs)} |"
            )
            print(lines[-1], file=sys.stderr)
    if args.check:
        lines += ["", *check(args.shared)]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
