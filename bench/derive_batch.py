"""The derive stage at several batch sizes, side by side: seconds and peak RSS above the papers.

    .venv/bin/python bench/derive_batch.py /tmp/run-scale/200k --sizes 20000 10000 5000 --repeat 3

The papers are those a run of ``CORPUS/days`` hands derive: the flow's stages up to dedup, inline (no Prefect
orchestration: ``tests/support/inline_runner.py``), once, written to a temporary Parquet file. Each measurement
is then a fresh process that reads them and runs ``flows.run.frames.derive_frame`` with ``DERIVE_BATCH_ROWS`` set
to one size, sampling its RSS every 20 ms (``bench/stages.py``'s sampler); "above" is the peak minus the RSS once
the papers are read. The sizes alternate within each repetition, so every size sees the same load. Prints one
JSON line per measurement and a Markdown table of the medians (the runs in brackets).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from alternating import alternate, median_and_runs  # noqa: E402


def write_papers(corpus: Path, target: Path) -> int:
    """The run's papers after dedup, as derive receives them, written to ``target``; their count."""
    sys.path[:0] = [str(REPO), str(REPO / "bench")]
    from flows.run.config import RunConfig
    from flows.run.stages import clean, dedup, in_run_order, ingest, language
    from tests.support.inline_runner import stage_context

    with tempfile.TemporaryDirectory() as out:
        config = RunConfig(inputs=[corpus / "days"], out_dir=Path(out), incremental=False)
        with stage_context(config) as (work, runner):
            ingested = ingest.fn(config, work)
            cleaned = clean(ingested.records, config, work, runner)
            detected = language(cleaned, None, config, work, runner)
            papers = dedup.fn(in_run_order(detected), None, config).papers
    papers.write_parquet(target)
    return papers.height


def measure(papers_path: Path, batch_rows: int) -> dict[str, Any]:
    """In this process: derive on the papers at one batch size."""
    sys.path[:0] = [str(REPO), str(REPO / "bench")]
    import polars as pl
    from stages import PeakRss, tree_rss

    import flows.run.frames as frames

    frames.DERIVE_BATCH_ROWS = batch_rows
    papers = pl.read_parquet(papers_path)
    sampler = PeakRss()
    sampler.reset()
    before = tree_rss(os.getpid())
    started = time.perf_counter()
    derived = frames.derive_frame(papers)
    seconds = time.perf_counter() - started
    time.sleep(0.05)
    sampler.stop()
    return {
        "batch_rows": batch_rows,
        "papers": derived.height,
        "seconds": round(seconds, 2),
        "above_mib": (sampler.peak - before) // (1 << 20),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 10_000, 5_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--papers", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.papers, args.child)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        papers = Path(scratch) / "papers.parquet"
        print(json.dumps({"papers": write_papers(args.corpus, papers)}), flush=True)
        runs = alternate(
            lambda size: [__file__, str(args.corpus), "--papers", str(papers), "--child", str(size)],
            args.sizes,
            args.repeat,
        )
    print("| DERIVE_BATCH_ROWS | seconds | peak RSS above the papers, MiB |")
    print("| --- | --- | --- |")
    for size, results in runs.items():
        seconds = median_and_runs([r["seconds"] for r in results], ".2f")
        above = median_and_runs([r["above_mib"] for r in results], ",.0f")
        print(f"| {size:,} | {seconds} | {above} |")


if __name__ == "__main__":
    main()
