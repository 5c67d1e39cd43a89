"""How often each junk-abstract quality rule fires on real captures, and the rows it fires on, to read by eye.

Run from the repository root (reads captures from the shared data folder; nothing is copied into the repo):

    PYTHONPATH=. python bench/junk_abstracts.py --shared /work/shared --examples 20

For each corpus (another scraper's December 2025 dumps, which hold junk in the abstract field; the daily-papers
API and the arXiv digest, which hold genuine abstracts: every row fired on there is a false positive) it prints
the rows each abstract reason fires on (all records, and distinct abstracts), then for the scraper's dumps the
first ``--examples`` distinct abstracts of each rule with their title.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from transforms.clean.quality import QualitySettings, tag_quality
from transforms.clean.rules import clean_records
from transforms.parse import Capture, parse_capture

CORPORA = {
    "hf-scraped-messy": "hf-scraped-messy/*.json",
    "hf-daily-api": "hf-daily-api/*.json",
    "arxiv-daily": "arxiv-daily/*.jsonl",
}
RULES = (
    "abstract:empty",
    "abstract:too-short",
    "abstract:not-an-abstract",
    "abstract:repeats-title",
    "abstract:social-post",
    "abstract:links-only",
)


def tagged(data: Path, pattern: str) -> pl.DataFrame:
    captures = [
        Capture("auto", str(path), path.read_bytes(), datetime.now(UTC), "file-mtime")
        for path in sorted(data.glob(pattern))
    ]
    records = pl.concat([parse_capture(capture) for capture in captures])
    records = records.filter(pl.col("parse_error").is_null())
    return clean_records(records.lazy()).pipe(tag_quality, QualitySettings()).collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--examples", type=int, default=20)
    args = parser.parse_args()
    examples: dict[str, pl.DataFrame] = {}
    print("| corpus | records | " + " | ".join(f"`{rule}`" for rule in RULES) + " |")
    print("| --- | --- |" + " --- |" * len(RULES))
    for name, pattern in CORPORA.items():
        frame = tagged(args.shared / "data", pattern)
        cells = []
        for rule in RULES:
            fired = frame.filter(pl.col("reasons").list.contains(rule))
            distinct = fired.unique("abstract", maintain_order=True)
            cells.append(f"{fired.height} ({distinct.height})")
            if name == "hf-scraped-messy":
                examples[rule] = distinct
        print(f"| {name} | {frame.height} | " + " | ".join(cells) + " |")
    for rule, fired in examples.items():
        print(f"\n## {rule}: {fired.height} distinct abstracts\n")
        for title, abstract, reasons in (
            fired.head(args.examples).select("title", "abstract", "reasons").rows()
        ):
            other = ", ".join(r for r in reasons if r != rule)
            print(f"- {title[:60]!r} | {abstract[:160]!r}" + (f" (also {other})" if other else ""))


if __name__ == "__main__":
    main()
