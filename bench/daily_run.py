"""The whole daily run (ingest to publish) of ``--day`` records on a synthetic ``--papers`` history (issue 13).

    .venv/bin/python bench/daily_run.py /tmp/scale-corpus/10k --papers 1000000 --repeat 3 [--compare CODE_DIR]

The history is made as ``bench/daily_publish.py`` makes it: the corpus is curated once (a fresh run), its papers
and dedup-index rows are repeated to ``--papers`` rows with fresh arXiv ids in id order (``record_hash`` and the
index's arXiv keys recomputed: a real version's index hashes each paper's own id) and published with
``publish_version`` (not timed). The day is one API-format file of ``--day`` items of the corpus: half seen again
(the arXiv id of a history paper among the newest ``--recent`` share, more upvotes: a new capture of a known
paper), half new (ids after the history's, a sentence appended to the abstract so its language is detected, not
reused). Each repetition is a fresh process that runs the task functions of ``flows/run/flow.py`` in order, as
``bench/stages.py`` does (without Prefect's orchestration), on top of the history; it prints per-stage seconds and
peak RSS (process and children), total seconds, new bytes on disk under ``trending-papers/`` (hard links counted
once) against the version's size. The day's version is then removed and ``latest`` pointed back at the history.
``--compare DIR`` also runs the code of another checkout (e.g. an export of ``main``) on the same history and day,
alternating with this one, and checks that both published the same papers and index rows (frames compared).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
HISTORY_VERSION = "20260101T000000.000000Z"


def build_history(corpus: Path, scratch: Path, papers: int) -> tuple[Path, dict[str, Any]]:
    """Curate the corpus once, then publish its papers repeated to ``papers`` rows; (out dir, figures)."""
    sys.path[:0] = [str(REPO), str(BENCH)]
    from daily_publish import index_for, publish, with_ids
    from stages import _run_stages, tree_bytes

    from bench.pipeline import stage_tasks

    stages = stage_tasks()
    from flows.run.config import RunConfig
    from transforms.dedup.index import INDEX_ORDER
    from transforms.report.accounting import record_hash_expr

    source_out = scratch / "source"
    started = time.perf_counter()
    summary = _run_stages(stages, RunConfig(inputs=[corpus / "days"], out_dir=source_out), {}, None, False)
    figures: dict[str, Any] = {"source_seconds": round(time.perf_counter() - started, 1)}
    source = pl.read_parquet(summary.path / "data" / "*.parquet")
    source_index = pl.read_parquet(summary.path / "index" / "*.parquet")
    history, mapping = with_ids(source, 0, papers)
    # record_hash covers the ids: recomputed, so the history is what a run of this code would have published
    history = history.with_columns(record_hash_expr().alias("record_hash"))
    index = with_arxiv_keys(index_for(source_index, mapping), history).sort(INDEX_ORDER)
    out = scratch / "out"
    started = time.perf_counter()
    base = publish(out, HISTORY_VERSION, history, index)
    figures |= {
        "history_publish_seconds": round(time.perf_counter() - started, 1),
        "history_papers": history.height,
        "history_bytes": tree_bytes(base),
    }
    mapping.with_row_index("position").write_parquet(scratch / "source-map.parquet")
    return out, figures


def with_arxiv_keys(index: pl.DataFrame, papers: pl.DataFrame) -> pl.DataFrame:
    """The index with the ``arxiv`` rows of the papers' new ids (the source's rows hash the source's ids)."""
    from transforms.dedup.identity import known_arxiv_id, stable_hash64

    fingerprint = index.get_column("fingerprint").first()
    arxiv = papers.select(
        "paper_id",
        pl.lit("arxiv").alias("kind"),
        pl.lit(-1, dtype=pl.Int16).alias("band"),
        stable_hash64(known_arxiv_id(pl.col("arxiv_id"))).alias("key"),
        pl.lit(fingerprint).alias("fingerprint"),
    ).drop_nulls("key")
    return pl.concat([index.filter(pl.col("kind") != "arxiv"), arxiv.cast(index.schema)])


def write_day(corpus: Path, scratch: Path, papers: int, size: int, recent: float, seed: int) -> Path:
    """One API-format day: ``size // 2`` items seen again (recent history ids), the rest new."""
    sys.path[:0] = [str(REPO), str(BENCH)]
    from daily_publish import arxiv_ids

    items = [
        item
        for path in sorted((corpus / "days").glob("*.json"))
        for item in json.loads(path.read_text(encoding="utf-8"))
        if item.get("paper", {}).get("id")
    ]
    mapping = pl.read_parquet(scratch / "source-map.parquet")
    by_source = {
        pid.removeprefix("arxiv:"): i
        for i, pid in enumerate(mapping["source_paper_id"].unique(maintain_order=True))
    }
    sources = mapping["source_paper_id"].unique(maintain_order=True).len()
    again = size // 2
    pool = max(again * 4, int(papers * recent))
    picked = pl.int_range(papers - pool, papers, eager=True).sample(again, seed=seed).sort().to_list()
    history_ids = mapping["paper_id"]
    day: list[dict[str, Any]] = []
    wanted = {i % sources: i for i in picked}
    for item in items:
        source = by_source.get(item["paper"]["id"])
        if source in wanted:
            copy = json.loads(json.dumps(item))
            arxiv = history_ids[wanted.pop(source)].removeprefix("arxiv:")
            copy["paper"]["id"] = arxiv
            copy["paper"]["upvotes"] = int(copy["paper"].get("upvotes") or 0) + 7
            day.append(copy)
        if len(day) == again:
            break
    new_ids = pl.select(arxiv_ids(papers, size - len(day)).alias("id")).get_column("id").to_list()
    for number, (item, arxiv) in enumerate(zip(items[-len(new_ids) :], new_ids, strict=True)):
        copy = json.loads(json.dumps(item))
        copy["paper"]["id"] = arxiv
        note = f" We release the code of experiment {number}."
        copy["paper"]["summary"] = (copy["paper"].get("summary") or "") + note
        if "summary" in copy:
            copy["summary"] = (copy.get("summary") or "") + note
        day.append(copy)
    folder = scratch / f"day-{seed}"
    folder.mkdir(exist_ok=True)
    (folder / "day.json").write_text(json.dumps(day), encoding="utf-8")
    return folder


def run_child(code: Path, out: Path, day: Path) -> dict[str, Any]:
    """The day's run with the code of ``code`` (this process imports its flows/ and transforms/)."""
    sys.path[:0] = [str(code), str(BENCH)]
    from stages import STAGES, PeakRss, _run_stages, tree_bytes

    from flows.runtime.prefect import configure_prefect

    with tempfile.TemporaryDirectory() as prefect_home:
        configure_prefect(Path(prefect_home) / ".prefect")
        from bench.pipeline import stage_tasks

        stages = stage_tasks()
        from flows.run.config import RunConfig

        results: dict[str, Any] = {"code": str(code)}
        root = out / "trending-papers"
        before = tree_bytes(root)
        sampler = PeakRss()
        started = time.perf_counter()
        summary = _run_stages(stages, RunConfig(inputs=[day], out_dir=out), results, sampler)
        results["total_seconds"] = round(time.perf_counter() - started, 2)
        results["peak_mb"] = max(value["peak_mb"] for name, value in results.items() if name in STAGES)
        results["counts"] = {
            k: summary.counts[k]
            for k in ("records", "published", "new_papers", "updated_papers", "papers_total")
            if k in summary.counts
        }
        results["version"] = summary.version
        manifest = json.loads((summary.path / "manifest.json").read_text(encoding="utf-8"))
        tables = [f for f in manifest["files"] if f["path"].startswith(("data/", "index/"))]
        results["shards_written"] = sum("linked_from" not in f for f in tables)
        results["shards"] = len(tables)
        results["version_bytes"] = tree_bytes(summary.path)
        results["new_bytes"] = tree_bytes(root) - before
        results["new_share_pct"] = round(100 * results["new_bytes"] / results["version_bytes"], 2)
        sampler.stop()
        return results


def same_tables(left: Path, right: Path) -> bool:
    """Whether two versions hold the same papers and index rows (every column and type; files differ in their
    ``trending_papers.version`` metadata, so bytes are not compared)."""
    from polars.testing import assert_frame_equal

    for folder in ("data", "index"):
        try:
            assert_frame_equal(
                pl.read_parquet(left / folder / "*.parquet"), pl.read_parquet(right / folder / "*.parquet")
            )
        except AssertionError:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--day", type=int, default=1000)
    parser.add_argument("--recent", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare", type=Path, help="another checkout's code to time on the same history")
    parser.add_argument("--scratch", type=Path, default=None)
    parser.add_argument("--child", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(*args.child)))
        return

    sys.path[:0] = [str(REPO), str(BENCH)]
    from flows.runtime.prefect import configure_prefect

    scratch = Path(tempfile.mkdtemp(prefix="daily-run-", dir=args.scratch))
    configure_prefect(scratch / ".prefect")
    from flows.store.layout import dataset_root
    from flows.store.publish import point_latest

    try:
        out, figures = build_history(args.corpus, scratch, args.papers)
        print(json.dumps(figures), flush=True)
        root = dataset_root(out)
        codes = [REPO, *([args.compare.resolve()] if args.compare else [])]
        runs: dict[str, list[dict[str, Any]]] = {str(code): [] for code in codes}
        for repetition in range(args.repeat):
            day = write_day(args.corpus, scratch, args.papers, args.day, args.recent, repetition)
            versions = []
            for code in codes:
                done = subprocess.run(
                    [sys.executable, __file__, str(args.corpus), "--child", str(code), str(out), str(day)],
                    cwd=code,
                    check=True,
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PYTHONPATH": str(code)},
                )
                result = json.loads(done.stdout.strip().splitlines()[-1])
                result["load"] = os.getloadavg()[0]
                runs[str(code)].append(result)
                print(json.dumps(result), flush=True)
                versions.append(root / result["version"])
                point_latest(root, HISTORY_VERSION)
            if len(versions) > 1:
                same = all(same_tables(versions[0], other) for other in versions[1:])
                print(json.dumps({"repetition": repetition, "same_papers_and_index": same}), flush=True)
            for version in versions:
                shutil.rmtree(version)
        for code, results in runs.items():
            row = {
                "code": code,
                "median_total_seconds": statistics.median(r["total_seconds"] for r in results),
                "median_peak_mb": statistics.median(r["peak_mb"] for r in results),
                "median_new_share_pct": statistics.median(r["new_share_pct"] for r in results),
                "stages": {
                    name: statistics.median(r[name]["seconds"] for r in results)
                    for name in ("ingest", "clean", "language", "dedup", "derive", "validate", "publish")
                },
            }
            print(json.dumps({**figures, **row}), flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
