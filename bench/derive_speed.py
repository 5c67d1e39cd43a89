"""Derive speed: ``derive_fields`` (each stage computed once) against the same stages as one lazy chain.

    .venv/bin/python bench/derive_speed.py --shared ../shared --papers 1000 2420 --repeat 3

Input: the distinct papers of the hf-daily-api captures (title and abstract, as the derive stage sees them).
Both variants run side by side in one process, alternating, and must give identical frames; the medians and the
per-repetition ratio are printed as a Markdown table. The chained variant is the composition derive_fields used
before it collected between stages: polars re-ran every upstream stage once per branch of ``venue_hints``'s
joins and ``prefer_venue_area``'s split.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from derive_inputs import input_frame, load_hf_days  # noqa: E402

from transforms.derive import derive_fields  # noqa: E402
from transforms.derive.analysis import add_analysis_columns  # noqa: E402
from transforms.derive.links import extract_links  # noqa: E402
from transforms.derive.topic import assign_topics  # noqa: E402
from transforms.derive.venue_area import prefer_venue_area  # noqa: E402
from transforms.derive.venues import venue_hints  # noqa: E402


def chained(papers: pl.LazyFrame) -> pl.LazyFrame:
    """Every derive stage in one lazy plan (the reference)."""
    return add_analysis_columns(extract_links(prefer_venue_area(venue_hints(assign_topics(papers)))))


def _seconds(function, frame: pl.LazyFrame) -> tuple[float, pl.DataFrame]:
    start = time.perf_counter()
    out = function(frame).collect()
    return time.perf_counter() - start, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT / ".." / "shared")
    parser.add_argument("--papers", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    seen: set[str] = set()
    rows = []
    for paper in load_hf_days(args.shared):
        if paper["id"] not in seen:
            seen.add(paper["id"])
            rows.append({"title": paper.get("title") or "", "abstract": paper.get("summary") or ""})
    print("| papers | derive_fields (median) | one lazy chain (median) | ratio per repetition |")
    print("|---:|---:|---:|---|")
    for count in args.papers:
        frame = input_frame(rows[:count]).collect().lazy()
        staged_times, chained_times = [], []
        for _ in range(args.repeat):
            staged_s, staged_out = _seconds(derive_fields, frame)
            chained_s, chained_out = _seconds(chained, frame)
            assert_frame_equal(staged_out, chained_out)
            staged_times.append(staged_s)
            chained_times.append(chained_s)
        ratios = ", ".join(f"{c / s:.1f}" for s, c in zip(staged_times, chained_times, strict=True))
        print(
            f"| {min(count, len(rows)):,} | {statistics.median(staged_times):.2f} s | "
            f"{statistics.median(chained_times):.2f} s | {ratios} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
