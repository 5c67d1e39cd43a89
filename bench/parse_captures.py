"""Parse every real capture under ``SHARED/data/*`` and report files, records and failures per folder.

Run from the repository root:

    PYTHONPATH=. python bench/parse_captures.py --shared ../shared [--out /tmp/sources.md]

Files are read as ``papers run DIR`` reads them (:func:`flows.sources.inputs.read_local_captures`: sidecars and
PROVENANCE files skipped, identical files parsed once) and parsed with :func:`transforms.parse.parse_capture`
(format recognised from content). Nothing is written unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import polars as pl

from flows.sources.local import read_local_captures
from transforms.parse import detect_format, parse_capture

REPO_ROOT = Path(__file__).resolve().parent.parent


def folder_report(folder: Path) -> dict[str, object]:
    """Counts for one capture folder."""
    started = time.perf_counter()
    captures, reports = read_local_captures([folder])
    formats = Counter(detect_format(capture.content) or "unrecognised" for capture in captures)
    frames = [parse_capture(capture) for capture in captures]
    records = pl.concat(frames) if frames else pl.DataFrame({"parse_error": [], "arxiv_id": []})
    elapsed = time.perf_counter() - started
    failures = records.filter(pl.col("parse_error").is_not_null())
    parsed = records.filter(pl.col("parse_error").is_null())
    with_id = parsed.filter(pl.col("arxiv_id").is_not_null())
    zero_record_files = sum(1 for frame in frames if frame.height == 0)
    return {
        "folder": folder.name,
        "files": len(reports),
        "parsed_files": len(captures),
        "formats": ", ".join(f"{name} {count}" for name, count in sorted(formats.items())),
        "records": parsed.height,
        "with_arxiv_id": with_id.height,
        "distinct_arxiv_ids": with_id["arxiv_id"].n_unique(),
        "zero_record_files": zero_record_files,
        "failures": failures.height,
        "failure_reasons": ", ".join(
            f"{reason} {count}"
            for reason, count in sorted(Counter(failures["parse_error"].to_list()).items())
        )
        or "-",
        "seconds": round(elapsed, 2),
    }


def render(rows: list[dict[str, object]]) -> str:
    columns = list(rows[0]) if rows else []
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared", help="shared data root")
    parser.add_argument("--out", type=Path, default=None, help="also write the table to this markdown file")
    args = parser.parse_args()
    folders = sorted(p for p in (args.shared / "data").iterdir() if p.is_dir())
    table = render([folder_report(folder) for folder in folders])
    print(table)
    if args.out:
        args.out.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
