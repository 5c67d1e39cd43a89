"""Ingest and clean, this tree against a git ref, side by side: alternating fresh processes on one corpus.

    .venv/bin/python bench/front_speed.py /tmp/scale-corpus/100k --ref ea1d7cd --repeat 3

The ref is exported with ``git archive`` into a temporary folder and run with this tree's virtualenv. Each
process reads the corpus (``read_inputs``), then cleans it (``clean_frame``), and prints the seconds, the CPU
seconds (what a loaded machine distorts least) and the peak RSS (``VmHWM``) after each; the parent prints the
medians and the ratio ref / this tree, and checks that both trees produced the same cleaned frame (row hashes;
the records' capture times aside, which are file times).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import hashlib, json, resource, sys, tempfile, time
from pathlib import Path
import polars as pl
from flows.run.config import RunConfig
from flows.sources.inputs import read_inputs
from flows.run.partitions import clean_frame

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024

config = RunConfig(inputs=[Path(sys.argv[1]) / "days"], out_dir=Path(tempfile.mkdtemp()))
started, cpu_started = time.perf_counter(), cpu()
records = read_inputs(config.inputs, config.sources, config.out_dir / "raw", run="bench").records
ingest, ingest_cpu = time.perf_counter() - started, cpu() - cpu_started
ingest_mb = hwm()
started, cpu_started = time.perf_counter(), cpu()
cleaned = clean_frame(records, config.quality)
clean, clean_cpu = time.perf_counter() - started, cpu() - cpu_started
rows = cleaned.drop("captured_at").sort("record_id").hash_rows(seed=0)
digest = hashlib.sha256(rows.to_numpy().tobytes()).hexdigest()
print(json.dumps({"ingest": ingest, "ingest_cpu": ingest_cpu, "ingest_mb": ingest_mb, "clean": clean,
                  "clean_cpu": clean_cpu, "clean_mb": hwm(),
                  "records": records.height, "digest": digest}))
"""


def run(tree: Path, corpus: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(corpus)],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--ref", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        archive = subprocess.run(["git", "archive", args.ref], cwd=REPO, check=True, capture_output=True)
        with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
            tar.extractall(scratch, filter="data")
        runs: dict[str, list[dict[str, float]]] = {"ref": [], "tree": []}
        for _ in range(args.repeat):
            for name, tree in (("ref", Path(scratch)), ("tree", REPO)):
                runs[name].append(run(tree, args.corpus))
                print(name, json.dumps(runs[name][-1]), flush=True)
    digests = {run["digest"] for both in runs.values() for run in both}
    print(f"records {runs['tree'][0]['records']}, same cleaned frame: {len(digests) == 1}")
    for stage in ("ingest", "clean"):
        ref = statistics.median(r[stage] for r in runs["ref"])
        tree = statistics.median(r[stage] for r in runs["tree"])
        ratios = [round(a[stage] / b[stage], 2) for a, b in zip(runs["ref"], runs["tree"], strict=True)]
        peak = (
            statistics.median(r[f"{stage}_mb"] for r in runs["ref"]),
            statistics.median(r[f"{stage}_mb"] for r in runs["tree"]),
        )
        cpu = [statistics.median(r[f"{stage}_cpu"] for r in runs[name]) for name in ("ref", "tree")]
        print(
            f"{stage}: ref {ref:.2f} s, this tree {tree:.2f} s, {ref / tree:.2f}x (per pair {ratios}); "
            f"CPU {cpu[0]:.2f} s -> {cpu[1]:.2f} s ({cpu[0] / cpu[1]:.2f}x); "
            f"peak RSS after it {peak[0]:.0f} MB -> {peak[1]:.0f} MB"
        )


if __name__ == "__main__":
    main()
