"""Wall time of `papers run` on the bundled sample, and of the Prefect start-up part of it.

Run from the project root after `make run` has installed the venv:

    .venv/bin/python bench/run_timing.py [--repeat 3]

Each measurement is a fresh process (as `make run` is): Prefect's ephemeral API starts in each one. The
start-up part is measured as the wall time of a process that runs an empty flow, minus that of a process that
only imports the same modules.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

IMPORTS = "import flows.runtime.prefect as e; e.configure_prefect(); import flows.run.flow"
EMPTY_FLOW = IMPORTS + "\nfrom prefect import flow\n@flow\ndef empty() -> None: ...\nempty()"


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    python = sys.executable
    results: dict[str, list[float]] = {"papers run (bundled sample)": [], "import only": [], "empty flow": []}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            results["papers run (bundled sample)"].append(
                wall([python, "-m", "flows.cli", "run", "--out", out])
            )
        results["import only"].append(wall([python, "-c", IMPORTS]))
        results["empty flow"].append(wall([python, "-c", EMPTY_FLOW]))
    medians = {name: statistics.median(times) for name, times in results.items()}
    print("| measurement | median s | runs |\n| --- | --- | --- |")
    for name, times in results.items():
        print(f"| {name} | {medians[name]:.1f} | {', '.join(f'{t:.1f}' for t in times)} |")
    print(
        f"| Prefect start-up (empty flow - import only) | {medians['empty flow'] - medians['import only']:.1f} | |"
    )


if __name__ == "__main__":
    main()
