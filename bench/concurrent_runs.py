"""Two ``papers run`` at once on one output folder, repeated: no update is ever lost.

    nice .venv/bin/python bench/concurrent_runs.py --trials 10

Each trial starts two real command-line runs on different inputs (the bundled page and the HF daily-papers
excerpt in tests/data) at the same instant on a fresh output folder. The lock (flows/store/lock.py) lets one
through; the other must exit 5 at once, having read and written nothing. The refused run is then repeated, and
the final ``latest`` must hold exactly the papers of the two inputs run one after the other (both orders are
measured once as the reference). Before the lock, both runs exited 0 from the same ``latest`` and the later
version lacked the other's papers (3 of 3 trials). Runs talk to one real Prefect server started here.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flows.runtime.prefect import QUIET_DEFAULTS  # noqa: E402
from tests.support.kill_checks import papers_run, published_paper_ids, version_problems  # noqa: E402
from tests.support.prefect_server import running_server  # noqa: E402

INPUTS = (REPO / "data" / "sample" / "trending-papers-page.txt", REPO / "tests" / "data" / "hf-daily")


def run_to_end(out: Path, source: Path, env: dict[str, str]) -> tuple[int, str]:
    process = papers_run(out, source, env=env)
    _, err = process.communicate(timeout=1800)
    return process.returncode, err


def sequential(out: Path, order: tuple[Path, ...], env: dict[str, str]) -> set[str]:
    for source in order:
        code, err = run_to_end(out, source, env)
        if code != 0:
            raise SystemExit(f"reference run of {source} failed ({code}): {err}")
    return published_paper_ids(out)


def trial(out: Path, env: dict[str, str], reference: set[str]) -> dict[str, object]:
    started = time.monotonic()
    processes = [papers_run(out, source, env=env) for source in INPUTS]
    ended: dict[int, float] = {}
    while len(ended) < len(processes):  # poll, so that each run's own end time is seen
        for index, process in enumerate(processes):
            if index not in ended and process.poll() is not None:
                ended[index] = round(time.monotonic() - started, 1)
        time.sleep(0.05)
    outcomes = []
    for index, process in enumerate(processes):
        _, err = process.communicate(timeout=60)
        outcomes.append((process.returncode, err.strip(), ended[index]))
    codes = [code for code, _, _ in outcomes]
    refused = [index for index, code in enumerate(codes) if code == 5]
    unexpected = [code for code in codes if code not in (0, 5)]
    after_both = published_paper_ids(out)
    for index in refused:  # the operator runs the refused one again
        code, err = run_to_end(out, INPUTS[index], env)
        if code != 0:
            unexpected.append(code)
    final = published_paper_ids(out)
    problems = version_problems(out)
    refusals = [err for code, err, _ in outcomes if code == 5]
    one_line = all(err.count("\n") == 0 and "Traceback" not in err for err in refusals)
    return {
        "exit_codes": codes,
        "seconds": [seconds for _, _, seconds in outcomes],
        "refused": len(refused),
        "papers_after_both": len(after_both),
        "papers_final": len(final),
        "lost": len(reference - final),
        "extra": len(final - reference),
        "failed": bool(unexpected or problems or final != reference or not one_line),
        "problems": problems,
        "refusal": refusals[0] if refusals else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument(
        "--work", type=Path, default=None, help="folder for the outputs (default: a temp dir)"
    )
    args = parser.parse_args()
    with ExitStack() as stack:
        work = args.work or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="concurrent-")))
        server = stack.enter_context(running_server(work / "prefect-server"))
        env = {key: value for key, value in server.env().items() if key not in QUIET_DEFAULTS}
        forward = sequential(work / "reference-ab", INPUTS, env)
        backward = sequential(work / "reference-ba", INPUTS[::-1], env)
        print(json.dumps({"reference_papers": len(forward), "orders_agree": forward == backward}), flush=True)
        results = []
        for number in range(args.trials):
            result = trial(work / f"trial-{number:03d}", env, forward)
            results.append(result)
            print(json.dumps({"trial": number, **result}), flush=True)
    print(
        json.dumps(
            {
                "trials": len(results),
                "one_refused": sum(r["refused"] == 1 for r in results),
                "papers_lost": sum(r["lost"] for r in results),
                "failures": sum(bool(r["failed"]) for r in results),
            }
        )
    )
    sys.exit(1 if any(r["failed"] for r in results) else 0)


if __name__ == "__main__":
    main()
