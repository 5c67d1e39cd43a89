"""SIGKILL ``papers run`` at seeded random points; after each kill: only whole versions, no process left, and
the next run publishes every paper of an uninterrupted reference run (checks: tests/support/kill_checks.py).

    nice .venv/bin/python bench/kill_trials.py --trials 20 --seed 15

Runs talk to a real Prefect server started here (as the suite's ``prefect_server``), so a trial does not pay
the ephemeral server's start-up; ``--ephemeral`` runs without ``PREFECT_API_URL`` instead (Prefect's temporary
server, a child of each run, must then die with it too). A kill point is drawn from the run's progress: from its
start, after one of its stage lines, or once it writes its version, plus a delay uniform over [0, 0.5 x] the
reference run's duration (so kills also land after the run ended: then nothing is tested, and it is counted).
One output folder per trial; ``--input`` (repeatable) replaces the bundled sample.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flows.runtime.prefect import QUIET_DEFAULTS  # noqa: E402
from tests.support.kill_checks import KillPoint, kill_trial, papers_run, published_paper_ids  # noqa: E402
from tests.support.prefect_server import running_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--input", type=Path, action="append", default=[])
    parser.add_argument(
        "--ephemeral", action="store_true", help="no PREFECT_API_URL: Prefect's temporary server"
    )
    parser.add_argument(
        "--work", type=Path, default=None, help="folder for the outputs (default: a temp dir)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    inputs = tuple(args.input)
    with ExitStack() as stack:
        work = args.work or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kill-trials-")))
        if args.ephemeral:
            env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
            env["PREFECT_HOME"] = str(work / "prefect-home")
        else:
            server = stack.enter_context(running_server(work / "prefect-server"))
            env = {key: value for key, value in server.env().items() if key not in QUIET_DEFAULTS}
        started = time.monotonic()
        reference_run = papers_run(work / "reference", *inputs, env=env)
        _, err = reference_run.communicate(timeout=1800)
        if reference_run.returncode != 0:
            raise SystemExit(f"reference run failed ({reference_run.returncode}): {err}")
        duration = time.monotonic() - started
        reference = published_paper_ids(work / "reference")
        print(json.dumps({"reference_s": round(duration, 1), "papers": len(reference)}), flush=True)
        trials = []
        markers = [None, "ingest", "clean", "language", "dedup", "derive", "validate", "writing"]
        for number in range(args.trials):
            marker = rng.choice(markers)
            point = KillPoint(
                after_stage=None if marker in (None, "writing") else marker,
                writing=marker == "writing",
                delay_s=rng.uniform(0, 0.5 * duration),
            )
            trial = kill_trial(work / f"trial-{number:03d}", inputs, point, reference, env=env)
            trials.append(trial)
            print(json.dumps({"trial": number, **trial.as_dict()}), flush=True)
    killed = [t for t in trials if t.exit_before_kill is None]
    print(
        json.dumps(
            {
                "trials": len(trials),
                "killed": len(killed),
                "ended_before_kill": len(trials) - len(killed),
                "killed_after_publish": sum(t.versions_before > 0 for t in killed),
                "failures": sum(t.failed for t in trials),
                "reference_s": round(duration, 1),
                "points": [t.point for t in trials],
            }
        )
    )


if __name__ == "__main__":
    main()
