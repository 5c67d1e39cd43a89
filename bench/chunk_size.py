"""The streaming front (ingest, clean, language) at several chunk sizes, side by side: seconds and peak RSS.

    .venv/bin/python bench/chunk_size.py /tmp/run-scale/100k --sizes 10000 25000 50000 100000 --repeat 3

Each measurement is a fresh process that runs the flow's ingest, clean and language stages (no Prefect
orchestration: the inline runner of ``tests/support/inline_runner.py``) on ``CORPUS/days`` with
``RunConfig.chunk_records`` set to one size, and samples the RSS of the process and its children every 20 ms
(``bench/stages.py``'s sampler). The sizes alternate within each repetition, so every size sees the same load.
A size at least the corpus's record count is the whole run in one chunk: the yardstick. Prints one JSON line per
measurement and a Markdown table of the medians (the runs in brackets).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from alternating import alternate, median_and_runs  # noqa: E402


def measure(corpus: Path, chunk_records: int) -> dict[str, Any]:
    """In this process: the three stages at one chunk size."""
    sys.path[:0] = [str(REPO), str(REPO / "bench")]
    from stages import PeakRss

    from flows.run.config import RunConfig
    from flows.run.stages import clean, ingest, language
    from tests.support.inline_runner import stage_context

    sampler = PeakRss()
    with tempfile.TemporaryDirectory() as out:
        config = RunConfig(
            inputs=[corpus / "days"], out_dir=Path(out), chunk_records=chunk_records, incremental=False
        )
        sampler.reset()
        started = time.perf_counter()
        with stage_context(config) as (work, runner):
            ingested = ingest.fn(config, work)
            cleaned = clean(ingested.records, config, work, runner)
            detected = language(cleaned, None, config, work, runner)
            spilled = work.bytes_used()
        seconds = time.perf_counter() - started
    sampler.stop()
    return {
        "chunk_records": chunk_records,
        "records": ingested.records.rows,
        "chunks": len(detected.paths),
        "seconds": round(seconds, 2),
        "peak_mib": sampler.peak // (1 << 20),
        "spilled_mb": round(spilled / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 25_000, 50_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.corpus, args.child)))
        return
    runs = alternate(lambda size: [__file__, str(args.corpus), "--child", str(size)], args.sizes, args.repeat)
    print("| chunk_records | chunks | seconds | peak RSS MiB | language output spilled, MB |")
    print("| --- | --- | --- | --- | --- |")
    for size, results in runs.items():
        seconds = median_and_runs([r["seconds"] for r in results], ".2f")
        peaks = median_and_runs([r["peak_mib"] for r in results], ",.0f")
        print(f"| {size:,} | {results[0]['chunks']} | {seconds} | {peaks} | {results[0]['spilled_mb']} |")


if __name__ == "__main__":
    main()
