"""The publish step of a daily run on top of a large history (issue 13: 1,000 records on 1M papers).

    .venv/bin/python bench/daily_publish.py --from OUT/trending-papers/latest --papers 1000000 --repeat 3

A full pipeline run over a 1M-record corpus does not fit the time this machine gives, so the history is made
directly: the papers (and dedup-index rows) of a real published version repeated to ``--papers`` rows with fresh
arXiv ids in id order (``arxiv:YYMM.NNNNN`` as ``bench/corpus.py`` numbers them), published once with
``publish_version`` (a full write: the "every version a full copy" cost). Then each repetition publishes one day
on top of it, in three scenarios:

* ``new``: ``--day`` new papers, ids after the history's (a day's new arXiv papers);
* ``recent``: half new, half papers of the history seen again (``times_seen`` + 1, a later ``last_seen``) drawn
  among the newest ``--recent`` share of ids (papers trend for a few days after they appear);
* ``spread``: half new, half seen again drawn uniformly over the whole history (the layout's worst case).

Each day's version is removed and ``latest`` pointed back at the history before the next one. Reported per
scenario: median seconds of ``publish_version``, new bytes on disk (hard links counted once) against the
version's size, and how many shard files were written. ``open_latest`` of the history (what the next run reads)
is timed too, and its result is handed to ``publish_version`` as ``flows/run/flow.py`` does (shards are compared
with the frames the run read). ``record_hash`` is copied from the source rows (this times publishing, not validation).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stages import tree_bytes  # noqa: E402

from flows.store.layout import dataset_root  # noqa: E402
from flows.store.previous import PreviousVersion, open_latest  # noqa: E402
from flows.store.publish import Documents, point_latest, publish_version  # noqa: E402
from flows.store.tables import WholeTables  # noqa: E402
from transforms.dedup.index import INDEX_ORDER  # noqa: E402
from transforms.schema import LEDGER_SCHEMA, QUARANTINE_SCHEMA, empty  # noqa: E402


def arxiv_ids(start: int, count: int) -> pl.Expr:
    """``YYMM.NNNNN`` of indices ``start .. start+count`` (as ``bench/corpus.py``): sorted like the indices."""
    index = pl.int_range(start, start + count, dtype=pl.Int64)
    return pl.format(
        "{}.{}",
        (2001 + (index // 100_000) % 99).cast(pl.String).str.zfill(4),
        (index % 100_000).cast(pl.String).str.zfill(5),
    )


def replicate(source: pl.DataFrame, start: int, count: int) -> pl.DataFrame:
    """``count`` rows of ``source`` (repeated in order) with the ids of indices ``start ..``."""
    rows = pl.int_range(start, start + count, eager=True) % source.height
    frame = source[rows.to_numpy()]
    return frame.with_columns(arxiv_ids(start, count).alias("arxiv_id")).with_columns(
        ("arxiv:" + pl.col("arxiv_id")).alias("paper_id")
    )


def with_ids(source: pl.DataFrame, start: int, count: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(papers, map of ``source_paper_id`` -> new ``paper_id``)."""
    papers = replicate(source.with_columns(pl.col("paper_id").alias("source_paper_id")), start, count)
    mapping = papers.select("source_paper_id", "paper_id")
    return papers.drop("source_paper_id"), mapping


def index_for(source_index: pl.DataFrame, mapping: pl.DataFrame) -> pl.DataFrame:
    """The source's index rows for every new paper (its keys, under its new id)."""
    return (
        mapping.join(source_index.rename({"paper_id": "source_paper_id"}), on="source_paper_id")
        .drop("source_paper_id")
        .select(source_index.columns)
    )


def publish(
    out: Path,
    version: str,
    papers: pl.DataFrame,
    index: pl.DataFrame,
    previous: PreviousVersion | None = None,
) -> Path:
    manifest = {"version": version, "counts": {}}
    return publish_version(
        out,
        version,
        WholeTables(papers, index, previous=previous),
        empty(QUARANTINE_SCHEMA),
        empty(LEDGER_SCHEMA),
        Documents("card"),
        manifest,
    )


def day(
    history: pl.DataFrame,
    index: pl.DataFrame,
    source: pl.DataFrame,
    source_index: pl.DataFrame,
    scenario: str,
    size: int,
    recent: float,
    seed: int,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The day's version (papers, index): the history with new and seen-again papers."""
    seen_again = 0 if scenario == "new" else size // 2
    new, mapping = with_ids(source, history.height, size - seen_again)
    papers = history
    if seen_again:
        pool = history.height if scenario == "spread" else max(seen_again, int(history.height * recent))
        picked = (
            pl.int_range(history.height - pool, history.height, eager=True)
            .sample(seen_again, seed=seed)
            .sort()
            .to_numpy()
        )
        ids = history.get_column("paper_id").gather(picked)
        again = pl.col("paper_id").is_in(ids.implode())
        papers = history.with_columns(
            pl.when(again).then(pl.col("times_seen") + 1).otherwise(pl.col("times_seen")).alias("times_seen"),
            pl.when(again)
            .then(pl.col("last_seen") + timedelta(days=1))
            .otherwise(pl.col("last_seen"))
            .alias("last_seen"),
        )
    # sorted as the pipeline hands them to publish (validate sorts the papers, update_index keeps INDEX_ORDER)
    day_index = index.merge_sorted(index_for(source_index, mapping).sort(INDEX_ORDER), key="paper_id")
    return pl.concat([papers, new]).sort("paper_id"), day_index


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--from", dest="source", type=Path, required=True, help="a published version folder")
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--day", type=int, default=1000, help="papers of the day (new + seen again)")
    parser.add_argument("--recent", type=float, default=0.01, help="share of newest ids papers re-trend in")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenarios", default="new,recent,spread")
    parser.add_argument(
        "--scratch", type=Path, default=None, help="where to build the history (default: tmp)"
    )
    args = parser.parse_args()

    source_dir = args.source.resolve()
    source = pl.read_parquet(sorted((source_dir / "data").glob("*.parquet")))
    source_index = pl.read_parquet(sorted((source_dir / "index").glob("*.parquet")))
    scratch = Path(tempfile.mkdtemp(prefix="daily-publish-", dir=args.scratch))
    results: dict[str, object] = {"papers": args.papers, "day": args.day, "source": str(source_dir)}
    try:
        out = scratch / "out"
        history, mapping = with_ids(source, 0, args.papers)
        index = index_for(source_index, mapping).sort(INDEX_ORDER)
        del mapping
        started = time.perf_counter()
        base = publish(out, "20260101T000000.000000Z", history, index)
        results["history_publish_seconds"] = round(time.perf_counter() - started, 2)
        results["history_bytes"] = tree_bytes(base)
        manifest = json.loads((base / "manifest.json").read_text())
        results["history_shards"] = {
            folder: sum(f["path"].startswith(f"{folder}/") for f in manifest["files"])
            for folder in ("data", "index")
        }
        del history, index  # the days are made from what open_latest gives, as a run has it
        started = time.perf_counter()
        previous = open_latest(out)
        results["read_latest_seconds"] = round(time.perf_counter() - started, 2)
        assert previous is not None and previous.dedup_index is not None
        history, index = previous.papers, previous.dedup_index
        root = dataset_root(out)
        for scenario in args.scenarios.split(","):
            runs = []
            for repetition in range(args.repeat):
                papers, day_index = day(
                    history, index, source, source_index, scenario, args.day, args.recent, repetition
                )
                before = tree_bytes(root)
                version = f"20260102T00000{repetition}.000000Z"
                started = time.perf_counter()
                folder = publish(out, version, papers, day_index, previous)  # as curate passes it
                seconds = time.perf_counter() - started
                manifest = json.loads((folder / "manifest.json").read_text())
                runs.append(
                    {
                        "seconds": round(seconds, 2),
                        "new_bytes": tree_bytes(root) - before,
                        "version_bytes": tree_bytes(folder),
                        "manifest_new_bytes": manifest["storage"]["new_bytes"],
                        "written_shards": sum(
                            "linked_from" not in f
                            for f in manifest["files"]
                            if f["path"].startswith(("data/", "index/"))
                        ),
                        "shards": sum(f["path"].startswith(("data/", "index/")) for f in manifest["files"]),
                    }
                )
                print(json.dumps({"scenario": scenario, **runs[-1]}), flush=True)
                point_latest(root, base.name)
                shutil.rmtree(folder)
            results[scenario] = {
                "median_seconds": statistics.median(r["seconds"] for r in runs),
                "median_new_bytes": statistics.median(r["new_bytes"] for r in runs),
                "median_new_share": round(
                    statistics.median(r["new_bytes"] / r["version_bytes"] for r in runs) * 100, 2
                ),
                "runs": runs,
            }
        print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
