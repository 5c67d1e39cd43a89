"""Inputs the derived-field benchmarks share: a derive input frame from partial rows, and the papers of the
hf-daily-api captures."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import polars as pl

INPUT_COLUMNS: dict[str, pl.DataType] = {
    "title": pl.String(),
    "abstract": pl.String(),
    "arxiv_comment": pl.String(),
    "journal_ref": pl.String(),
    "venue_field": pl.String(),
    "source_code_url": pl.String(),
    "source_project_url": pl.String(),
    "categories": pl.List(pl.String),
    "primary_category": pl.String(),
}


def input_frame(rows: list[dict[str, object]]) -> pl.LazyFrame:
    """A derive input frame from partial rows (missing columns are null)."""
    return pl.DataFrame(
        [{name: row.get(name) for name in INPUT_COLUMNS} for row in rows], schema=INPUT_COLUMNS
    ).lazy()


def load_hf_days(shared: Path) -> list[dict[str, object]]:
    """Papers of the hf-daily-api captures, tolerating the repr-string and wrapped days."""
    papers: list[dict[str, object]] = []
    for path in sorted((shared / "data" / "hf-daily-api").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = data.get("data", [])
        for item in data:
            record = ast.literal_eval(item) if isinstance(item, str) else item
            papers.append(record["paper"])
    return papers
