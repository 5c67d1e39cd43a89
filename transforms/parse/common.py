"""What every parser shares: the capture it parses and how its rows become a ``RECORD_SCHEMA`` frame."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from transforms.schema import RECORD_SCHEMA, conform, polars_schema, record_id_expr


@dataclass(frozen=True)
class Capture:
    """One raw input, as fetched or read: bytes are kept verbatim and identified by their sha256."""

    source: str
    """The adapter that produced it (``text``, ``hf-daily``, ``hf-page``, ``arxiv``, ``pwc``) or ``auto``."""
    location: str
    """The file path or URL it came from."""
    content: bytes
    captured_at: datetime

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def records_frame(capture: Capture, source: str, rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Parsed rows of one capture as a ``RECORD_SCHEMA`` frame, with provenance and stable record ids.

    Each row is a mapping of ``RECORD_SCHEMA`` field names (missing ones are null); its position in ``rows`` is
    its ``raw_index``.
    """
    target = polars_schema(RECORD_SCHEMA)
    provided = [name for name in target if name not in _PROVENANCE]
    body = pl.DataFrame(
        [{name: row.get(name) for name in provided} for row in rows],
        schema={name: target[name] for name in provided},
        orient="row",
    )
    return _with_provenance(body, capture, source)


def parse_failure(capture: Capture, source: str, reason: str) -> pl.DataFrame:
    """A single record standing for an input that could not be parsed at all, so it is counted and kept."""
    target = polars_schema(RECORD_SCHEMA)
    provided = [name for name in target if name not in _PROVENANCE]
    body = pl.DataFrame(
        [{"parse_error": reason}], schema={name: target[name] for name in provided}, orient="row"
    )
    return _with_provenance(body, capture, source, first_index=-1)


_PROVENANCE = ("record_id", "source", "input_path", "raw_sha256", "raw_index", "captured_at")


def _with_provenance(body: pl.DataFrame, capture: Capture, source: str, first_index: int = 0) -> pl.DataFrame:
    framed = body.with_columns(
        pl.lit(source).alias("source"),
        pl.lit(capture.location).alias("input_path"),
        pl.lit(capture.sha256).alias("raw_sha256"),
        (pl.int_range(pl.len(), dtype=pl.Int32) + first_index).alias("raw_index"),
        pl.lit(capture.captured_at).cast(pl.Datetime("us", "UTC")).alias("captured_at"),
    ).with_columns(record_id_expr(pl.col("raw_sha256"), pl.col("raw_index")).alias("record_id"))
    return conform(framed, RECORD_SCHEMA)
