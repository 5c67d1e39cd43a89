"""A large corpus published the way a backfill publishes it: one ordinary incremental run per chunk of files.

    .venv/bin/python bench/chunked_run.py /tmp/scale-corpus/1m --chunk-files 10 [--limit-chunks N] [--out DIR]

``papers backfill`` publishes a long range of days as consecutive runs over chunks of days (``chunk_days``),
each a complete validated version on top of the last; this runs a ``bench/corpus.py`` corpus the same way, in
one process, chunk after chunk of ``--chunk-files`` day files (10,000 records a file), so its memory is what a
chunk and the history it reads cost, not the corpus. It prints one JSON line per chunk (per-stage seconds and
peak RSS, the version's papers and bytes, the new bytes of the chunk) and a total line: wall seconds, the peak
over every chunk, records in, and published / merged / quarantined over all chunks. The output folder is a
temporary one, removed at the end, unless ``--out DIR`` keeps it (a published history for ``bench/run_scale.py``).
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
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from stages import STAGES, PeakRss, _run_stages, tree_bytes  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--chunk-files", type=int, default=10)
    parser.add_argument("--limit-chunks", type=int, default=0, help="stop after this many chunks (0: all)")
    parser.add_argument(
        "--out", type=Path, help="publish into this output folder and keep it (default: temporary)"
    )
    args = parser.parse_args()
    days = sorted((args.corpus / "days").glob("*.json"))
    chunks = [days[i : i + args.chunk_files] for i in range(0, len(days), args.chunk_files)]
    chunks = chunks[: args.limit_chunks] if args.limit_chunks else chunks
    with tempfile.TemporaryDirectory() as scratch:
        from flows.runtime.prefect import configure_prefect

        configure_prefect(Path(scratch) / ".prefect")
        from bench.pipeline import stage_tasks

        stages = stage_tasks()
        from flows.run.config import RunConfig

        out = args.out or Path(scratch) / "out"
        sampler = PeakRss()
        totals: dict[str, Any] = {
            "inputs": 0,
            "published": 0,
            "duplicates": 0,
            "quarantined": 0,
            "new_papers": 0,
        }
        peak = 0
        started = time.perf_counter()
        for number, files in enumerate(chunks, start=1):
            before = tree_bytes(out / "trending-papers")
            results: dict[str, Any] = {"chunk": number, "files": len(files)}
            chunk_started = time.perf_counter()
            summary = _run_stages(stages, RunConfig(inputs=files, out_dir=out), results, sampler)
            results["seconds"] = round(time.perf_counter() - chunk_started, 2)
            results["peak_mb"] = max(value["peak_mb"] for name, value in results.items() if name in STAGES)
            results["papers_total"] = summary.counts.get("papers_total")
            results["new_bytes"] = tree_bytes(out / "trending-papers") - before
            results["version_bytes"] = tree_bytes(summary.path) if summary.path else 0
            for key in totals:
                totals[key] += int(summary.counts.get(key, 0))
            peak = max(peak, results["peak_mb"])
            print(json.dumps(results), flush=True)
        sampler.stop()
        print(
            json.dumps(
                {
                    "total_seconds": round(time.perf_counter() - started, 1),
                    "chunks": len(chunks),
                    "peak_mb": peak,
                    **totals,
                    "papers_total": results["papers_total"],
                    "version_bytes": results["version_bytes"],
                }
            )
        )


if __name__ == "__main__":
    main()
