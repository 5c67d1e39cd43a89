"""Day-by-day runs of the whole flow versus one run over the same days: same papers, ids and hashes?

    .venv/bin/python bench/incremental_pipeline.py --shared ../shared --days 40

Runs the real flow (one ephemeral Prefect API for the process) into two temporary output folders.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from flows.runtime.prefect import configure_prefect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--days", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        configure_prefect(Path(scratch) / ".prefect")
        import polars as pl

        from flows.run.config import RunConfig
        from flows.run.flow import curate

        days = sorted((args.shared / "data" / "hf-daily-api").glob("*.json"))[: args.days]
        started = time.perf_counter()
        for day in days:
            curate(RunConfig(inputs=[day], out_dir=Path(scratch) / "daily"))
        daily_seconds = time.perf_counter() - started
        started = time.perf_counter()
        once = curate(RunConfig(inputs=days, out_dir=Path(scratch) / "once"))
        once_seconds = time.perf_counter() - started
        daily = pl.read_parquet(Path(scratch) / "daily" / "trending-papers" / "latest" / "data" / "*.parquet")
        single = pl.read_parquet(once.path / "data" / "*.parquet")
        print(f"| days | {len(days)} |")
        print(f"| papers (day by day / one run) | {daily.height} / {single.height} |")
        print(f"| same paper ids | {daily['paper_id'].to_list() == single['paper_id'].to_list()} |")
        print(f"| same record hashes | {set(daily['record_hash']) == set(single['record_hash'])} |")
        print(f"| seconds (day by day / one run) | {daily_seconds:.1f} / {once_seconds:.1f} |")


if __name__ == "__main__":
    main()
