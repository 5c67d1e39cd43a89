"""``OUT/trending-papers/retractions.json``: the papers kept out of every later run until un-retracted.

Rows of :data:`transforms.history.retraction.RETRACTION_SCHEMA` (paper id, title, reason, when, the version that
removed it), written whole in one rename.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from flows.store.files import write_text_atomically
from flows.store.layout import RETRACTIONS_FILE, dataset_root
from transforms.history.retraction import RETRACTION_SCHEMA, empty_retractions
from transforms.schema import DATASET_NAME


def read_retractions(out_dir: Path) -> pl.DataFrame:
    """The persisted retraction list (empty when there is none)."""
    path = dataset_root(out_dir) / RETRACTIONS_FILE
    if not path.exists():
        return empty_retractions()
    rows = json.loads(path.read_text("utf-8"))["retracted"]
    return pl.DataFrame(rows, schema=RETRACTION_SCHEMA, orient="row") if rows else empty_retractions()


def write_retractions(out_dir: Path, retractions: pl.DataFrame) -> None:
    body = {"dataset": DATASET_NAME, "retracted": retractions.sort("paper_id").to_dicts()}
    text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    write_text_atomically(dataset_root(out_dir) / RETRACTIONS_FILE, text)
