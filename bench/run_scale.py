"""``papers run`` end to end at scale, as a user runs it: wall time, per-stage seconds and peak RSS of the whole
process tree, disk used while the version is staged, against the floor.

    .venv/bin/python bench/run_scale.py /tmp/run-scale/200k --records 200000 --repeat 3
    .venv/bin/python bench/run_scale.py /tmp/run-scale/1m --records 1000000 --duplicate-window 10000 \\
        --repeat 1 --kill-above 20
    .venv/bin/python bench/run_scale.py --history /tmp/run-scale/1m --history-records 1000000 \\
        --history-window 10000 --day /tmp/run-scale/day-1k --records 1000 --offset 1000000 --repeat 3

The corpus (``CORPUS/days``) is made with ``bench/corpus.py`` from ``--records``, ``--duplicate-window`` and
``--offset``, or reused when ``CORPUS/run-scale-corpus.json`` records the same arguments (a corpus folder without
that file is used as it is). Each repetition runs, in alternation, two fresh processes:

- the floor: ``bench/stages.py``'s plain ``pl.read_json`` of the same files plus one Parquet write
  (``read_and_write``), timed inside its process as ``stages.py --floor`` times it;
- the run: ``python -m flows.cli run --fresh --out TMP CORPUS/days --json`` (the ``papers`` console script's
  entry, this checkout's code), with a fresh ``PREFECT_HOME`` and no ``PREFECT_*`` variable, so the command starts
  its temporary Prefect API itself, as a child.

While a process runs, the RSS of its whole tree (the command, the temporary API server, the reaper, language
workers; ``stages.tree_rss``) is sampled every 50 ms, and every 0.5 s (every 50 ms while something is staged)
the bytes under the output folder (hard links counted once) and those of its staging area: files under
``.staging-*`` folders or named ``.tmp-*``, not hard-linked to a published version (written, not yet a
version). The command prints one line per finished stage on stderr (``flows/runtime/progress.py``: name,
records, seconds); each line's arrival time minus its seconds is the stage's start, and each RSS sample is
attributed to the stage running then. Start-up is what
comes before ingest starts (interpreter and imports, the temporary API: spawned and answering ``/health``, the
flow run's creation); "between" the Prefect task overhead between stages; tail what follows publish (the report
task, Prefect's exit handlers, the API stopping).

``--kill-above GIB`` (default 20) kills the tree (the command's process group, every descendant, and every process
carrying this run's mark in its environment, whatever its session) once its RSS exceeds it, or once the
machine's available memory falls below ``--min-available GIB``, and reports the run as killed during the stage
running then.

``--history H --day D``: the daily case. The history corpus is published once (not timed) the way
``bench/chunked_run.py`` publishes a backfill (``--chunk-files`` files a run, kept under ``H/published-chunks-N``
and reused while it was built by the same code); each repetition then times ``papers run`` (incremental, no
``--fresh``) of the day on top of it, reports the new bytes on disk as a share of the new version's size (as
``bench/daily_run.py``), removes the day's version and points ``latest`` back at the history.

Prints a JSON line per measurement, then Markdown tables: one row per run and a row of medians with the runs in
brackets; ``--results`` prints the tables only. Memory is MiB (2^20 bytes), disk MB (10^6 bytes).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
sys.path.insert(0, str(REPO))

from bench.stages import read_and_write, tree_bytes  # noqa: E402
from bench.tree_watch import Watched, watch  # noqa: E402
from flows.store.layout import LATEST  # noqa: E402

STAGE_NAMES = (
    "ingest",
    "clean",
    "language",
    "signatures",
    "dedup",
    "retract",
    "derive",
    "validate",
    "publish",
)
"""The stage lines ``papers run`` prints, in flow order."""
STAGE_LINE = re.compile(r"^(?P<stage>[a-z]+)\s.*?(?P<seconds>\d+\.\d+) s$")
MIB, MB = 2**20, 10**6
CORPUS_MARKER = "run-scale-corpus.json"
HISTORY_MARKER = "run-scale-history.json"


# ----- One run of the command, one floor -----


def cli_env(prefect_home: Path) -> dict[str, str]:
    """The environment of a user's shell without any Prefect setting: the command starts its own API."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    return {**env, "PREFECT_HOME": str(prefect_home), "PYTHONPATH": str(REPO)}


def run_command(
    inputs: Path, out: Path, fresh: bool, scratch: Path, limits: argparse.Namespace
) -> dict[str, Any]:
    """``papers run`` on ``inputs`` into ``out``: the figures of one measurement."""
    command = [sys.executable, "-m", "flows.cli", "run", *(["--fresh"] if fresh else [])]
    command += ["--out", str(out), str(inputs), "--json"]
    load_start = os.getloadavg()[0]
    seen = watch(
        command,
        cli_env(scratch / "prefect-home"),
        out,
        limits.kill_above,
        limits.min_available,
        limits.timeout,
    )
    result: dict[str, Any] = {
        "kind": "run",
        "load": [load_start, os.getloadavg()[0]],
        "exit_code": seen.exit_code,
        "wall_s": round(seen.wall, 2),
        "peak_mib": _mib(max((rss for _, rss in seen.samples), default=0)),
        "staging_peak_mb": _mb(max((staged for _, staged, _ in seen.disk), default=0)),
        "output_peak_mb": _mb(max((size for _, _, size in seen.disk), default=0)),
        "server_spawned_s": _round(seen.server_spawned),
        "server_ready_s": _round(seen.server_ready),
        "server_peak_mib": _mib(seen.server_peak),
        "phases": phases(seen),
    }
    if seen.killed:
        running = [name for name in result["phases"] if name != "between"][-1]
        result["killed"] = {
            "reason": seen.killed,
            "at_s": round(seen.killed_at or 0.0, 2),
            "rss_mib": _mib(seen.killed_rss),
            "during": running.removesuffix(" (killed)"),
            "left_behind": seen.left_behind,
        }
    try:
        summary = json.loads(seen.stdout) if seen.stdout.strip() else {}
    except ValueError:
        summary = {"unparsed_stdout": seen.stdout[-2000:]}
    result["counts"] = summary.get("counts")
    result["version"] = summary.get("version")
    others = [line for _, line in seen.lines if not _stage_line(line)]
    if others:
        result["other_stderr"] = others[-20:]
    return result


def floor_command(days: list[Path], scratch: Path, limits: argparse.Namespace) -> dict[str, Any]:
    """The floor of ``days`` in a fresh process (``bench/stages.py``'s ``read_and_write``)."""
    command = [sys.executable, str(Path(__file__)), "--floor-child", str(scratch / "floor.parquet")]
    command += [str(day) for day in days]
    load_start = os.getloadavg()[0]
    seen = watch(
        command, {**os.environ, "PYTHONPATH": str(REPO)}, None, limits.kill_above, 0.0, limits.timeout
    )
    if seen.exit_code != 0:
        raise SystemExit(f"the floor failed ({seen.exit_code}): {[line for _, line in seen.lines][-5:]}")
    inside = json.loads(seen.stdout.strip().splitlines()[-1])
    (scratch / "floor.parquet").unlink(missing_ok=True)
    return {
        "kind": "floor",
        "load": [load_start, os.getloadavg()[0]],
        "floor_s": inside["seconds"],
        "process_wall_s": round(seen.wall, 2),
        "peak_mib": _mib(max((rss for _, rss in seen.samples), default=0)),
    }


def floor_child(target: Path, days: list[Path]) -> None:
    started = time.perf_counter()
    read_and_write(days, target)
    print(json.dumps({"seconds": round(time.perf_counter() - started, 2)}))


def _stage_line(line: str) -> tuple[str, float] | None:
    match = STAGE_LINE.match(line)
    if match and match["stage"] in STAGE_NAMES:
        return match["stage"], float(match["seconds"])
    return None


def phases(seen: Watched) -> dict[str, dict[str, float]]:
    """Seconds and peak tree RSS of each phase of the run, in order: start-up, each stage whose line arrived
    (from its line's time minus its seconds to its line), "between" (summed), then tail, or the stage running
    when the tree was killed (the one after the last line)."""
    stages = []
    for arrived, line in seen.lines:
        found = _stage_line(line)
        if found:
            stages.append((found[0], arrived - found[1], arrived))
    spans: list[tuple[str, float, float]] = []
    cursor = 0.0
    if stages:
        spans.append(("start-up", 0.0, stages[0][1]))
        cursor = stages[0][1]
    for name, start, end in stages:
        if start > cursor:
            spans.append(("between", cursor, start))
        spans.append((name, max(start, cursor), end))
        cursor = end
    if seen.killed:
        done = [name for name, _, _ in stages]
        following = [name for name in STAGE_NAMES if name not in done and name != "signatures"]
        running = following[0] if following else "tail"
        if not stages and seen.server_ready is not None:
            # the API answered: the flow run was created and ingest started within about a second of it
            spans.append(("start-up", 0.0, seen.server_ready))
            cursor = seen.server_ready
        elif not stages:
            running = "start-up"
        spans.append((f"{running} (killed)", cursor, seen.killed_at or seen.wall))
    else:
        spans.append(("tail" if stages else "whole run", cursor, seen.wall))
    result: dict[str, dict[str, float]] = {}
    for name, start, end in spans:
        inside = [rss for t, rss in seen.samples if start <= t <= end]
        before = [rss for t, rss in seen.samples if t < start][-1:]  # a phase shorter than the interval
        peak = max(inside or before or [0])
        entry = result.setdefault(name, {"seconds": 0.0, "peak_mib": 0})
        entry["seconds"] = round(entry["seconds"] + end - start, 2)
        entry["peak_mib"] = max(entry["peak_mib"], _mib(peak))
    return result


def _mib(value: int) -> int:
    return round(value / MIB)


def _mb(value: int) -> float:
    return round(value / MB, 1)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# ----- Corpora and the published history -----


def ensure_corpus(folder: Path, records: int | None, window: int, offset: int, shared: Path) -> str:
    """``folder/days`` from ``bench/corpus.py`` with these arguments, made unless already there; what was done."""
    arguments = ["--shared", str(shared.resolve()), "--records", str(records)]
    arguments += ["--duplicate-window", str(window), "--offset", str(offset)]
    marker = folder / CORPUS_MARKER
    days = folder / "days"
    if records is None:
        if not days.is_dir():
            raise SystemExit(f"{days} does not exist: give --records (and the other corpus.py arguments)")
        return "used as it is"
    if marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == arguments and days.is_dir():
        return "reused (same arguments)"
    if days.is_dir() and not marker.exists():
        return "used as it is (no record of its arguments)"
    shutil.rmtree(days, ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(BENCH / "corpus.py"), *arguments, "--out", str(folder)],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    marker.write_text(json.dumps(arguments), encoding="utf-8")
    return f"generated in {time.perf_counter() - started:.0f} s: {done.stdout.strip()}"


def code_commit() -> str:
    """The last commit that changed the pipeline's code (a history built by it is reusable)."""
    return _git("log", "-1", "--format=%H", "--", "flows", "transforms", "expectations", "pyproject.toml")


def _git(*arguments: str) -> str:
    done = subprocess.run(["git", *arguments], cwd=REPO, capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def ensure_history(corpus: Path, chunk_files: int, say: Callable[[dict[str, Any]], None]) -> Path:
    """``corpus`` published in chunks by ``bench/chunked_run.py`` under ``corpus/published-chunks-N`` (reused
    while it was built from the same corpus by the same code); the output folder."""
    out = corpus / f"published-chunks-{chunk_files}"
    wanted = {"corpus": str(corpus.resolve()), "chunk_files": chunk_files, "code": code_commit()}
    marker = out / HISTORY_MARKER
    if marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == wanted:
        say({"history": str(out), "built": "reused"})
        return out
    shutil.rmtree(out, ignore_errors=True)
    building = out.with_name(out.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    command = [sys.executable, str(BENCH / "chunked_run.py"), str(corpus), "--chunk-files", str(chunk_files)]
    done = subprocess.run(
        [*command, "--out", str(building)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=True,
        capture_output=True,
        text=True,
    )
    building.rename(out)
    marker.write_text(json.dumps(wanted), encoding="utf-8")
    total = json.loads(done.stdout.strip().splitlines()[-1])
    say(
        {
            "history": str(out),
            "built_in_s": round(time.perf_counter() - started, 1),
            "load": [load_start, os.getloadavg()[0]],
            **total,
        }
    )
    return out


def run_day(day: Path, history: Path, scratch: Path, limits: argparse.Namespace) -> dict[str, Any]:
    """``papers run`` of the day on top of the history; the day's version is then removed again."""
    from flows.store.publish import point_latest

    root = history / "trending-papers"
    base = os.readlink(root / LATEST)
    versions = {path.name for path in root.iterdir()}
    before = tree_bytes(root)
    try:
        result = run_command(day / "days", history, False, scratch, limits)
        version = result.get("version")
        if version and (root / version).is_dir():
            result["version_mb"] = _mb(tree_bytes(root / version))
            new = tree_bytes(root) - before
            result["new_mb"] = _mb(new)
            result["new_share_pct"] = round(100 * new / tree_bytes(root / version), 2)
    finally:  # the history as it was, also when the measurement failed
        for added in {path.name for path in root.iterdir()} - versions:
            shutil.rmtree(root / added, ignore_errors=True)
        point_latest(root, base)
    return result


# ----- Report -----


def table(measured: list[dict[str, Any]], floors: list[dict[str, Any]]) -> list[str]:
    """Markdown: the runs, then their phases; a row per run, then medians with the runs in brackets."""
    header = ["run", "load", "exit", "wall s", "floor s", "× floor", "peak RSS MiB", "staging peak MB"]
    header += ["output peak MB", "API spawned / ready s", "counts"]
    rows = _header(header)
    pairs = list(zip(measured, floors, strict=True))
    for number, (run, floor) in enumerate(pairs, start=1):
        cells = [str(number), _range(run["load"]), _exit(run), f"{run['wall_s']}", f"{floor['floor_s']}"]
        cells += [f"{_ratio(run, floor):.1f}×", f"{run['peak_mib']:,}", f"{run['staging_peak_mb']:,}"]
        cells += [f"{run['output_peak_mb']:,}", f"{run['server_spawned_s']} / {run['server_ready_s']}"]
        rows.append(_cells([*cells, _counts(run)]))
    if len(measured) > 1:
        cells = ["**median**", _range([load for run in measured for load in run["load"]]), ""]
        cells += [
            _median([run["wall_s"] for run in measured]),
            _median([floor["floor_s"] for floor in floors]),
        ]
        cells.append(_median([_ratio(run, floor) for run, floor in pairs], digits=1, unit="×"))
        cells.append(_median([run["peak_mib"] for run in measured], digits=0))
        cells.append(_median([run["staging_peak_mb"] for run in measured], digits=1))
        cells.append(_median([run["output_peak_mb"] for run in measured], digits=1))
        spawned = _median([run["server_spawned_s"] for run in measured])
        rows.append(
            _cells([*cells, f"{spawned} / {_median([run['server_ready_s'] for run in measured])}", ""])
        )
    seen = {name for run in measured for name in run["phases"]}
    stages = [name for name in ("start-up", *STAGE_NAMES) if name in seen]
    names = stages + sorted(seen - {*stages, "tail"}) + (["tail"] if "tail" in seen else [])
    rows += ["", *_header(["run (s / peak tree RSS MiB)", *names])]
    for number, run in enumerate(measured, start=1):
        phases = [run["phases"].get(name) for name in names]
        rows.append(
            _cells([str(number), *(f"{p['seconds']} / {p['peak_mib']:,}" if p else "" for p in phases)])
        )
    if len(measured) > 1:
        cells = ["**median**"]
        for name in names:
            runs = [run["phases"][name] for run in measured if name in run["phases"]]
            seconds = _median([p["seconds"] for p in runs])
            cells.append(f"{seconds} s / {_median([p['peak_mib'] for p in runs], digits=0)} MiB")
        rows.append(_cells(cells))
    return rows


def _header(names: list[str]) -> list[str]:
    return [_cells(names), "|" + " --- |" * len(names)]


def _cells(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _exit(run: dict[str, Any]) -> str:
    killed = run.get("killed")
    if not killed:
        return str(run["exit_code"])
    return f"killed at {killed['at_s']} s during {killed['during']}: {killed['reason']}"


def _counts(run: dict[str, Any]) -> str:
    counts = run.get("counts") or {}
    keys = (
        "inputs",
        "published",
        "duplicates",
        "quarantined",
        "new_papers",
        "updated_papers",
        "papers_total",
    )
    text = ", ".join(f"{key} {counts[key]:,}" for key in keys if key in counts)
    if "new_share_pct" in run:
        text += f"; new bytes {run['new_mb']} MB = {run['new_share_pct']} % of {run['version_mb']} MB"
    return text


def _ratio(run: dict[str, Any], floor: dict[str, Any]) -> float:
    return run["wall_s"] / floor["floor_s"] if floor["floor_s"] else float("nan")


def _range(values: list[float]) -> str:
    low, high = min(values), max(values)
    return f"{low:.2f}" if low == high else f"{low:.2f}–{high:.2f}"


def _median(values: list[Any], digits: int = 2, unit: str = "") -> str:
    """``median (run 1, run 2, ...)``."""
    present = [value for value in values if value is not None]
    if not present:
        return ""

    def text(value: float) -> str:
        return f"{value:,.{digits}f}{unit}"

    return f"{text(statistics.median(present))} ({', '.join(text(value) for value in present)})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path, nargs="?", help="the corpus of a fresh run (CORPUS/days)")
    parser.add_argument("--records", type=int, help="make the corpus (or the day) with bench/corpus.py")
    parser.add_argument("--duplicate-window", type=int, default=0)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--shared", type=Path, default=REPO / ".." / "shared")
    parser.add_argument(
        "--history", type=Path, help="the daily case: this corpus published first (not timed)"
    )
    parser.add_argument("--history-records", type=int, help="make the history corpus with bench/corpus.py")
    parser.add_argument("--history-window", type=int, default=0)
    parser.add_argument(
        "--chunk-files", type=int, default=10, help="files per run when publishing the history"
    )
    parser.add_argument("--day", type=Path, help="the daily case: the day's corpus, run on top of --history")
    parser.add_argument("--repeat", type=int, default=3, help="floor and run, alternating (0: only prepare)")
    parser.add_argument("--kill-above", type=float, default=20.0, help="GiB of tree RSS that kill the run")
    parser.add_argument("--min-available", type=float, default=1.0, help="GiB of available memory, else kill")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before a run is killed")
    parser.add_argument(
        "--scratch", type=Path, help="folder for the runs' outputs (default: the system's temp)"
    )
    parser.add_argument("--results", action="store_true", help="print the Markdown tables only")
    parser.add_argument("--floor-child", nargs="+", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_child:
        floor_child(args.floor_child[0], args.floor_child[1:])
        return
    daily = args.history is not None
    if daily == (args.corpus is not None) or daily != (args.day is not None):
        parser.error("give CORPUS, or --history and --day")

    def say(line: dict[str, Any]) -> None:
        if not args.results:
            print(json.dumps(line), flush=True)

    corpus = args.day if daily else args.corpus
    say(
        {
            "commit": _git("rev-parse", "HEAD"),
            "corpus": str(corpus),
            "prepared": ensure_corpus(corpus, args.records, args.duplicate_window, args.offset, args.shared),
        }
    )
    history = None
    if daily:
        prepared = ensure_corpus(args.history, args.history_records, args.history_window, 0, args.shared)
        say({"history_corpus": str(args.history), "prepared": prepared})
        history = ensure_history(args.history, args.chunk_files, say)
    days = sorted((corpus / "days").glob("*.json"))
    measured: list[dict[str, Any]] = []
    floors: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="run-scale-", dir=args.scratch) as folder:
            scratch = Path(folder)
            floors.append(floor_command(days, scratch, args))
            say(floors[-1])
            if history is not None:
                measured.append(run_day(corpus, history, scratch, args))
            else:
                measured.append(run_command(corpus / "days", scratch / "out", True, scratch, args))
            say(measured[-1])
    if measured:
        print("\n".join(table(measured, floors)))


if __name__ == "__main__":
    main()
