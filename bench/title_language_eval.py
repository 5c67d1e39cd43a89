"""How many real titles ``title:foreign-script`` / ``title:foreign-language`` tag, and which (issue 30).

Run from the repository root (reads captures from the shared data folder; nothing is copied into the repo):

    PYTHONPATH=. python bench/title_language_eval.py --shared ../shared

Titles and abstracts are cleaned with the clean stage's rules first (``clean_records``), as in a run. Prints, per
source, the titles, those with a letter of a counted non-Latin script, and the tagged ones; then every tagged
title with its arXiv id and reason.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import polars as pl

from bench.derive_inputs import load_hf_days
from transforms.clean.rules import clean_records
from transforms.language.scripts import OTHER_SCRIPT_LETTER
from transforms.language.title import tag_foreign_title

REPO_ROOT = Path(__file__).resolve().parents[1]


def _jsonl(path: Path, title: str, abstract: str, key: str | None) -> list[tuple[str, str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(str(row.get(key) or "") if key else "", row[title] or "", row[abstract] or "") for row in rows]


def titles(shared: Path) -> pl.DataFrame:
    """source, id, title_raw and abstract_raw of every paper of the sources with abstracts."""
    data = shared / "data"
    parts = {
        "arxiv-daily": _jsonl(data / "arxiv-daily" / "papers-2025.jsonl", "title", "summary", "id"),
        "conference-papers": _jsonl(data / "conference-papers" / "papers.jsonl", "title", "abstract", None),
        "hf-daily-api": [
            (str(p.get("id") or ""), str(p.get("title") or ""), str(p.get("summary") or ""))
            for p in load_hf_days(shared)
        ],
    }
    return pl.concat(
        pl.DataFrame(rows, schema=["id", "title_raw", "abstract_raw"], orient="row").with_columns(
            source=pl.lit(source)
        )
        for source, rows in parts.items()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT / ".." / "shared", help="shared data folder")
    args = parser.parse_args(argv)
    frame = (
        titles(args.shared)
        .lazy()
        .pipe(clean_records)
        .with_columns(reasons=pl.lit([], pl.List(pl.String)))
        .pipe(tag_foreign_title)
        .collect()
    )
    summary = frame.group_by("source", maintain_order=True).agg(
        pl.len().alias("titles"),
        pl.col("title").str.contains(OTHER_SCRIPT_LETTER).sum().alias("non_latin"),
        pl.col("reasons").list.contains("title:foreign-script").sum().alias("script"),
        pl.col("reasons").list.contains("title:foreign-language").sum().alias("language"),
    )
    print(
        "| source | titles | with a non-Latin counted letter | `title:foreign-script` | `title:foreign-language` |"
    )
    print("|---|---:|---:|---:|---:|")
    for row in summary.iter_rows():
        print("| " + " | ".join(map(str, row)) + " |")
    print()
    for row in frame.filter(pl.col("reasons").list.len() > 0).sort("source", "id").iter_rows(named=True):
        print(f"- {row['source']} {row['id']} `{', '.join(row['reasons'])}`: {row['title']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
