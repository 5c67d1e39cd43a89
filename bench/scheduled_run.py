"""How long a run of the daily deployment takes against a running Prefect server (no ephemeral start-up).

Serves the deployment with ``papers serve`` (a runner executes each run in its own process, as a worker does),
then triggers runs one after another and reads their timings back from the server:
- ``sample``: no parameters at all (the flow's defaults: the bundled page);
- ``day``: one file of ``../shared/data/hf-daily-api`` served as that day by the loopback capture server.

    .venv/bin/python bench/scheduled_run.py --api-url http://127.0.0.1:4200/api --repeat 3

Reports per case the median of: trigger -> terminal state (wall), and the server's ``total_run_time``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.capture_server import Reply, serving  # noqa: E402
from tests.support.prefect_runs import background, trigger, wait_for, wait_for_deployment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--day-file", type=Path, default=REPO.parent / "shared/data/hf-daily-api/2024-10-10.json"
    )
    args = parser.parse_args()
    env = {**os.environ, "PREFECT_API_URL": args.api_url, "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    for name in ("PREFECT_LOGGING_LEVEL", "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"):
        env.pop(name, None)
    work = Path(tempfile.mkdtemp(prefix="bench-scheduled-"))
    day = args.day_file.stem
    api = httpx.Client(base_url=args.api_url, timeout=30)
    with serving() as server:
        server.route("/api/daily_papers", Reply(200, args.day_file.read_bytes()), date=day, p="0")
        server.route("/api/daily_papers", Reply(200, b"[]"), date=day, p="1")
        command = [sys.executable, "-m", "flows.cli", "serve", "--name", "bench"]
        with background(command, env, work):
            deployment = wait_for_deployment(api, "bench")
            cases = {
                "sample": lambda n: {"config": {"out_dir": str(work / f"sample-{n}")}},
                "day": lambda n: {
                    "config": {
                        "inputs": [],
                        "out_dir": str(work / f"day-{n}"),
                        "sources": {"hf_daily": day, "hf_base_url": server.base_url, "min_interval": 0},
                    }
                },
            }
            results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in cases}
            for n in range(args.repeat):
                for name, parameters in cases.items():
                    started = time.monotonic()
                    run = trigger(api, deployment["id"], parameters(n))
                    finished = wait_for(api, run["id"])
                    wall = time.monotonic() - started
                    assert finished["state_type"] == "COMPLETED", finished["state"]
                    published = len(list((work / f"{name}-{n}" / "trending-papers").glob("2*")))
                    results[name].append((wall, finished["total_run_time"], published))
                    print(
                        f"{name} #{n}: wall {wall:.1f} s, run {finished['total_run_time']:.1f} s", flush=True
                    )
    for name, rows in results.items():
        walls, runs = [row[0] for row in rows], [row[1] for row in rows]
        print(
            f"{name}: median wall {statistics.median(walls):.1f} s, median run {statistics.median(runs):.1f} s "
            f"over {len(rows)} runs (walls {', '.join(f'{w:.1f}' for w in walls)})"
        )


if __name__ == "__main__":
    main()
