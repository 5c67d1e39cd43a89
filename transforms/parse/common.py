"""What every parser shares: the capture it parses and how its rows become a ``RECORD_SCHEMA`` frame."""

from __future__ import annotations

import contextvars
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from transforms.schema import RECORD_SCHEMA, conform, polars_schema, record_id_expr

if TYPE_CHECKING:
    from polars._typing import PolarsDataType


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


@dataclass(frozen=True)
class InputLimits:
    """Bounds on the work one input may cause; exceeding one is a quarantine reason, never a crash.

    The defaults are far above every real capture (the largest real file is 16 MB, the deepest JSON 12 levels,
    the longest abstract ~4,000 characters) and far below what would exhaust this machine.
    """

    max_file_bytes: int = 64 * 1024 * 1024
    """Larger files are not read (``too-large`` in the manifest)."""
    max_json_depth: int = 64
    """Deeper JSON documents are one ``parse:json:too-deep`` record (Python would hit its recursion limit)."""
    max_items: int = 100_000
    """Files listing more items are one ``parse:<format>:too-many-items`` record."""
    max_text_chars: int = 200_000
    """Longer text fields (titles, abstracts, a Python-repr item) quarantine their item as ``text-too-long``."""


DEFAULT_LIMITS = InputLimits()
_LIMITS: contextvars.ContextVar[InputLimits] = contextvars.ContextVar("input_limits", default=DEFAULT_LIMITS)


_PARSED: contextvars.ContextVar[dict[int, tuple[bytes, Any]] | None] = contextvars.ContextVar(
    "parsed_json", default=None
)
"""Inside :func:`input_limits`: each capture's content parsed once (id -> (content, document)). The limit check,
every recogniser and the parser all call :func:`load_json` on the same bytes; parsing and walking a 10k-item
capture three times was 60 % of ingest (cProfile, 10k corpus). The content is kept in the entry, so an id is
never reused while its entry lives; parsers read documents and never change them."""


_MEMO: contextvars.ContextVar[dict[tuple[str, int], tuple[bytes, Any]] | None] = contextvars.ContextVar(
    "parse_memo", default=None
)
"""Inside :func:`input_limits`: what a recogniser worked out about a content that its parser needs again (the
generic reader's records and mapping), by (kind, id of the content), the content kept as in ``_PARSED``."""


@contextmanager
def input_limits(limits: InputLimits) -> Iterator[None]:
    """Apply ``limits`` to the parsers called inside the block (``parse_capture`` does this), and parse each
    JSON content once within it."""
    token = _LIMITS.set(limits)
    parsed = _PARSED.set({})
    memo = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(memo)
        _PARSED.reset(parsed)
        _LIMITS.reset(token)


def memoised(kind: str, content: bytes, compute: Callable[[], Any]) -> Any:
    """``compute()``, once per ``content`` and ``kind`` inside :func:`input_limits` (every call outside it)."""
    memo = _MEMO.get()
    if memo is None:
        return compute()
    key = (kind, id(content))
    if key in memo and memo[key][0] is content:
        return memo[key][1]
    value = compute()
    memo[key] = (content, value)
    return value


def parsed_documents() -> dict[int, tuple[bytes, Any]] | None:
    """The JSON documents parsed so far in this :func:`input_limits` block (one parse per capture's bytes)."""
    return _PARSED.get()


def current_limits() -> InputLimits:
    """The limits in effect (``DEFAULT_LIMITS`` outside :func:`input_limits`)."""
    return _LIMITS.get()


class ItemRejected(ValueError):
    """Raised inside a parser for an item (or input) that cannot become a record; ``reason`` is a slug."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


UNDECODABLE = re.compile("[\udc80-\udcff]")
"""A byte that was not UTF-8, as ``surrogateescape`` keeps it."""


def decode_lenient(content: bytes) -> str | None:
    """UTF-8 text with each byte that is not UTF-8 kept as a lone surrogate (``surrogateescape``): the item holding
    it is then refused alone (``invalid-unicode``, :func:`unstorable_reason`) and its siblings are read. None when
    the content is not mostly UTF-8 text (more than one byte in a thousand undecodable: a binary file)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("utf-8-sig", errors="surrogateescape")
    undecodable = len(UNDECODABLE.findall(text))
    return text if undecodable <= max(16, len(content) // 1000) else None


RECOGNISED_ITEMS = 50
"""How many of a list's items a recogniser looks at: one malformed item, first or not, must not hide a file's
format (and with it every sibling)."""


def any_item(items: list[Any], looks_right: Callable[[Any], bool]) -> bool:
    """Whether one of the first :data:`RECOGNISED_ITEMS` items looks like an item of the format."""
    return any(looks_right(item) for item in items[:RECOGNISED_ITEMS])


def error_reason(error: BaseException) -> str:
    """A countable slug for an exception raised while parsing (never the message: it may hold data)."""
    if isinstance(error, ItemRejected):
        return error.reason
    if isinstance(error, RecursionError):
        return "too-deep"
    if isinstance(error, OverflowError):
        return "number-out-of-range"
    if isinstance(error, LookupError) and not isinstance(error, KeyError | IndexError):
        return "unknown-encoding"
    if isinstance(error, UnicodeError):
        return "invalid-unicode"
    if isinstance(error, MemoryError):
        return "too-large"
    return "error-" + re.sub(r"(?<!^)(?=[A-Z])", "-", type(error).__name__).lower()


def item_record(source: str, build: Callable[[Any], dict[str, Any]], item: Any) -> dict[str, Any]:
    """``build(item)``, or a ``parse_error`` row holding the raw item when building it fails.

    This is the isolation unit of every parser: an item that breaks affects itself only, never its siblings.
    """
    try:
        row = build(item)
    except Exception as error:
        return failed_item(source, error_reason(error), item)
    reason = unstorable_reason(row)
    return row if reason is None else failed_item(source, reason, item)


def failed_item(source: str, reason: str, item: Any) -> dict[str, Any]:
    """A row standing for one item that could not be parsed: its reason and the item as JSON (or repr)."""
    return {"parse_error": f"parse:{source}:{reason}", "raw_item": raw_item_text(item)}


def raw_item_text(item: Any) -> str:
    """The item as ASCII JSON (lone surrogates escaped, so it is always writable); ``repr`` as a fallback.

    Capped at ``max_text_chars``: the whole input stays in the raw zone or the input file (``raw_sha256``).
    """
    if isinstance(item, bytes):
        text = item.decode("utf-8", errors="backslashreplace")
    elif isinstance(item, ET.Element):
        text = ET.tostring(item, encoding="unicode")
    else:
        try:
            text = json.dumps(item, ensure_ascii=True, default=repr)
        except (ValueError, TypeError, RecursionError):
            text = ascii(item) if not isinstance(item, list | dict) else f"<{type(item).__name__}>"
    limit = current_limits().max_text_chars
    return text if len(text) <= limit else text[:limit] + "…[truncated]"


def records_frame(capture: Capture, source: str, rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Parsed rows of one capture as a ``RECORD_SCHEMA`` frame, with provenance and stable record ids.

    Each row is a mapping of ``RECORD_SCHEMA`` field names (missing ones are null); its position in ``rows``
    is its ``raw_index``. A row that cannot be stored (a number beyond its column's range, a lone surrogate,
    a text over the limit) is replaced by a ``parse_error`` row keeping the row as JSON, in place: its
    siblings keep their index. More than ``max_items`` rows make the whole input one failure record.
    """
    target = polars_schema(RECORD_SCHEMA)
    provided = [name for name in target if name not in _PROVENANCE]
    rows = list(rows)
    if len(rows) > current_limits().max_items:
        return parse_failure(capture, source, f"parse:{source}:too-many-items")
    schema = {name: target[name] for name in provided}
    body = _storable_frame(rows, schema)
    if body is None:  # some row does not fit: find which, and put its failure row in its place
        checked = [
            row if (reason := unstorable_reason(row)) is None else failed_item(source, reason, dict(row))
            for row in rows
        ]
        body = pl.DataFrame(
            [{name: row.get(name) for name in schema} for row in checked], schema=schema, orient="row"
        )
    return _with_provenance(body, capture, source)


def _storable_frame(rows: list[Mapping[str, Any]], schema: dict[str, pl.DataType]) -> pl.DataFrame | None:
    """The rows as one frame, built column by column, or None when a row would need a failure row instead.

    Building refuses a lone surrogate and a number beyond its column; the one misfit of
    :func:`unstorable_reason` it accepts, a text over the limit, is checked on the built frame. So the per-row
    check only runs for an input that has such a row.
    """
    try:
        body = pl.DataFrame(
            [_column(name, [row.get(name) for row in rows], dtype) for name, dtype in schema.items()]
        )
    except (UnicodeError, TypeError, OverflowError, ValueError, pa.ArrowException, pl.exceptions.PolarsError):
        return None
    limit = current_limits().max_text_chars
    too_long = [
        (pl.col(name).str.len_chars() > limit).any()
        if dtype == pl.String
        else (pl.col(name).list.eval(pl.element().str.len_chars() > limit).list.any()).any()
        for name, dtype in schema.items()
        if name != "raw_item" and (dtype == pl.String or dtype == pl.List(pl.String))
    ]
    parsed = pl.col("parse_error").is_null()
    if too_long and body.filter(parsed).select(pl.any_horizontal(too_long)).item():
        return None
    return body


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
_INT_RANGES: dict[PolarsDataType, tuple[int, int]] = {
    pl.Int64: (-(2**63), 2**63 - 1),
    pl.Int32: (-(2**31), 2**31 - 1),
}


def _column(name: str, values: list[Any], dtype: pl.DataType) -> pl.Series:
    """One column; texts and lists of texts through Arrow (polars builds a Series per list row)."""
    if dtype == pl.String:
        return pl.Series(name, pa.array(values, type=pa.string()))
    if dtype == pl.List(pl.String):
        return pl.Series(name, pa.array(values, type=pa.list_(pa.string())))
    return pl.Series(name, values, dtype=dtype)


def unstorable_reason(row: Mapping[str, Any]) -> str | None:
    """Why ``row`` cannot be stored in ``RECORD_SCHEMA`` (first misfit: a number beyond its column's range, a
    lone surrogate, a text over ``max_text_chars``), or None."""
    if row.get("parse_error") is not None:
        return None
    target = _record_schema()
    limit = current_limits().max_text_chars
    for name, value in row.items():
        if value is None or name == "raw_item":
            continue
        reason = _misfit(value, target.get(name), limit)
        if reason is not None:
            return reason
    return None


_SCHEMA_CACHE: list[pl.Schema] = []


def _record_schema() -> pl.Schema:
    if not _SCHEMA_CACHE:
        _SCHEMA_CACHE.append(polars_schema(RECORD_SCHEMA))
    return _SCHEMA_CACHE[0]


def _misfit(value: Any, dtype: PolarsDataType | None, limit: int) -> str | None:
    if isinstance(value, str):
        if len(value) > limit:
            return "text-too-long"
        return None if value.isascii() or is_valid_unicode(value) else "invalid-unicode"
    if isinstance(value, list):
        inner = dtype.inner if isinstance(dtype, pl.List) else None
        return next((r for v in value if v is not None and (r := _misfit(v, inner, limit))), None)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        low, high = _INT_RANGES.get(dtype, (-(2**63), 2**63 - 1)) if dtype is not None else (0, 0)
        return None if low <= value <= high else "number-out-of-range"
    return None


def is_valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def safe_text(text: str) -> str:
    """``text`` with lone surrogates (e.g. from undecodable file names) replaced, so it can be stored."""
    return (
        text if is_valid_unicode(text) else text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    )


def _with_provenance(body: pl.DataFrame, capture: Capture, source: str, first_index: int = 0) -> pl.DataFrame:
    framed = body.with_columns(
        pl.lit(source).alias("source"),
        pl.lit(safe_text(capture.location)).alias("input_path"),
        pl.lit(capture.sha256).alias("raw_sha256"),
        (pl.int_range(pl.len(), dtype=pl.Int32) + first_index).alias("raw_index"),
        pl.lit(capture.captured_at).cast(pl.Datetime("us", "UTC")).alias("captured_at"),
        pl.lit(capture.captured_at_evidence, pl.String).alias("captured_at_evidence"),
    ).with_columns(record_id_expr(pl.col("raw_sha256"), pl.col("raw_index")).alias("record_id"))
    return conform(framed, RECORD_SCHEMA)
