"""What every parser shares: the capture it parses and how its rows become a ``RECORD_SCHEMA`` frame."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
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
    captured_at_evidence: str
    """Where ``captured_at`` comes from: ``raw-zone`` (the response time the raw zone logged, for fetched and
    replayed captures) or ``file-mtime`` (a local file's modification time: the last resort)."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def records_frame(capture: Capture, source: str, rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Parsed rows of one capture as a ``RECORD_SCHEMA`` frame, with provenance and stable record ids.

    Each row is a mapping of ``RECORD_SCHEMA`` field names (missing ones are null); its position in ``rows``
    is its ``raw_index``.
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


_PROVENANCE = (
    "record_id",
    "source",
    "input_path",
    "raw_sha256",
    "raw_index",
    "captured_at",
    "captured_at_evidence",
)


def _with_provenance(body: pl.DataFrame, capture: Capture, source: str, first_index: int = 0) -> pl.DataFrame:
    framed = body.with_columns(
        pl.lit(source).alias("source"),
        pl.lit(capture.location).alias("input_path"),
        pl.lit(capture.sha256).alias("raw_sha256"),
        (pl.int_range(pl.len(), dtype=pl.Int32) + first_index).alias("raw_index"),
        pl.lit(capture.captured_at).cast(pl.Datetime("us", "UTC")).alias("captured_at"),
        pl.lit(capture.captured_at_evidence, pl.String).alias("captured_at_evidence"),
    ).with_columns(record_id_expr(pl.col("raw_sha256"), pl.col("raw_index")).alias("record_id"))
    return conform(framed, RECORD_SCHEMA)


ARXIV_ID = re.compile(
    r"^(?:arxiv:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)?"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[a-z]{2})?/\d{7})(?:v(?P<version>\d+))?(?:\.pdf)?/?$",
    re.IGNORECASE,
)
"""An arXiv identifier, new style (``2503.02130``) or old style (``astro-ph/0601001``), bare or as a URL."""


def split_arxiv_id(value: object) -> tuple[str | None, int | None]:
    """``("2503.02130", 2)`` for ``"2503.02130v2"``; ``(None, None)`` for anything that is not an id.

    Only strings are accepted: a float has already lost trailing zeros (``2503.0213``), so it is refused
    rather than turned into a wrong id.
    """
    if not isinstance(value, str):
        return None, None
    match = ARXIV_ID.match(value.strip())
    if match is None:
        return None, None
    version = match.group("version")
    return match.group("id"), int(version) if version else None


def parse_timestamp(value: object) -> datetime | None:
    """An ISO-8601 date or date-time as an aware UTC datetime (naive values are taken as UTC); else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def as_int(value: object) -> int | None:
    """An integer count from an int or a digit string; None for anything else (bools included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def as_text(value: object) -> str | None:
    """A string value as is; None for missing, empty or non-string values."""
    return value if isinstance(value, str) and value != "" else None


def as_text_list(values: object) -> list[str] | None:
    """The non-empty strings of a list; None when the value is not a list."""
    if not isinstance(values, list):
        return None
    return [value for value in values if isinstance(value, str) and value != ""]


def load_json(content: bytes) -> Any:
    """JSON with non-integer numbers kept as text, so an id like ``2503.02130`` never becomes a float."""
    return json.loads(content.decode("utf-8-sig"), parse_float=str)


NOT_JSON = object()
"""Sentinel of :func:`json_document` (``None`` would be ambiguous: ``null`` is a JSON document)."""


def json_document(content: bytes) -> Any:
    """The content as JSON (see :func:`load_json`), or :data:`NOT_JSON` when it is not a JSON document."""
    if not is_json_document(content):
        return NOT_JSON
    try:
        return load_json(content)
    except ValueError:
        return NOT_JSON


def is_json_document(content: bytes) -> bool:
    """Cheap pre-check: the content starts (after a BOM and whitespace) with ``{`` or ``[``."""
    return content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in {b"{", b"["}
