"""A human-readable audit of the merges recorded in a published version (``papers dedup-report VERSION``).

Reads ``VERSION/data/*.parquet`` (PAPER_SCHEMA) and prints: how many input records each paper absorbed
(cluster sizes), then every merge whose title differs from the kept title (near-duplicate or arXiv-id merges,
the ones worth a look), least similar first, then merges under the same title whose abstracts differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from transforms.identity import normalise_title

_TITLE_WIDTH = 70


def _short(text: str | None, width: int = _TITLE_WIDTH) -> str:
    text = text or ""
    return text if len(text) <= width else text[: width - 1] + "…"


def load_merges(version_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(papers with ``cluster_size``, one row per merged record) from a version folder."""
    files = sorted((version_dir / "data").glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"no data/*.parquet under {version_dir}")
    papers = pl.read_parquet(files, columns=["paper_id", "title", "duplicates"]).with_columns(
        (pl.col("duplicates").list.len() + 1).alias("cluster_size")
    )
    merges = (
        papers.select("paper_id", pl.col("title").alias("kept_title"), "duplicates")
        .explode("duplicates", keep_nulls=False, empty_as_null=False)
        .unnest("duplicates")
        .with_columns(
            (normalise_title(pl.col("title")) != normalise_title(pl.col("kept_title"))).alias("title_differs")
        )
    )
    return papers, merges


def render_dedup_report(version_dir: Path) -> str:
    """The audit text for one version folder (see the module docstring)."""
    papers, merges = load_merges(version_dir)
    lines = [
        f"Dedup report for {version_dir.name}",
        f"papers: {papers.height}; merged records: {merges.height}; "
        f"papers with merges: {papers.filter(pl.col('cluster_size') > 1).height}",
        "",
        "Cluster sizes (records per paper):",
    ]
    sizes = papers.group_by("cluster_size").len().sort("cluster_size")
    lines += [f"  {size:>4} record(s): {count} paper(s)" for size, count in sizes.iter_rows()]

    retitled = merges.filter(pl.col("title_differs")).sort("similarity", "paper_id", nulls_last=False)
    lines += [
        "",
        "Merges under a different title (near-duplicate or arXiv id), least similar first: "
        f"{retitled.height}",
    ]
    for row in retitled.iter_rows(named=True):
        similarity = "n/a" if row["similarity"] is None else f"{row['similarity']:.3f}"
        lines += [
            f"  {similarity}  {row['paper_id']}",
            f"      kept:   {_short(row['kept_title'])}",
            f"      merged: {_short(row['title'])}  [{row['source']} {(row['raw_sha256'] or '')[:12]}]",
        ]
    same_title = merges.filter(~pl.col("title_differs") & (pl.col("similarity") < 1.0)).sort("similarity")
    lines += ["", f"Same-title merges whose abstracts differ, least similar first: {same_title.height}"]
    for row in same_title.iter_rows(named=True):
        lines.append(
            f"  {row['similarity']:.3f}  {row['paper_id']}  {_short(row['kept_title'])}  [{row['source']}]"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the dedup audit of a published version folder.")
    parser.add_argument("version_dir", type=Path, help="e.g. output/trending-papers/latest")
    args = parser.parse_args(argv)
    sys.stdout.write(render_dedup_report(args.version_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
