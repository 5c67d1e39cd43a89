"""Listings in any scraper's shape: JSON (a list of records, or an object holding one), JSON Lines, CSV and TSV.

Records are flattened (nested objects to dotted names, ``details.abstract``) and their columns matched to record
fields by the table of ``transforms/parse/fields.py`` (or a user's mapping file). A file *maps* when
:data:`~transforms.parse.fields.MIN_MAPPED_SHARE` of its records have a title and an abstract or an arXiv id;
only then is it read by this format (the last of ``FORMATS``: every known format keeps priority). Reading the
items is per item, as in every parser; reading the values (ids, counts, days, lists) is polars expressions over
the columns. The mapping used is :func:`describe` (the manifest lists it per input).

A file is a listing only when each record has a day, from its file name or a date column; otherwise (an arXiv
digest) its records get no ``listed_on`` (:data:`~transforms.parse.listing.NOT_A_LISTING`).
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from transforms.parse.common import Capture, failed_item, memoised, parse_failure, records_frame
from transforms.parse.fields import BY_FIELD, MIN_MAPPED_SHARE, resolve_fields
from transforms.parse.items import SOURCE, flat_row, read_items, safe_name
from transforms.parse.listing import not_a_listing

MAX_COLUMNS = 500
"""Columns kept per file (a record with thousands of keys is not a paper listing)."""
_MAPPING: contextvars.ContextVar[Mapping[str, Sequence[str]] | None] = contextvars.ContextVar(
    "field_mapping", default=None
)

ARXIV_URL = (
    r"(?i)^https?://(?:www\.|export\.)?(?:arxiv\.org/(?:abs|pdf|html)/|huggingface\.co/papers/)"
    r"(\d{4}\.\d{4,5}(?:v\d+)?|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)(?:\.pdf)?/?(?:[?#].*)?$"
)
ARXIV_ID = r"(?i)^(?:arxiv:)?(\d{4}\.\d{4,5}(?:v\d+)?|[a-z][a-z-]*(?:\.[a-z]{2})?/\d{7}(?:v\d+)?)$"
MAX_REASON_CHARS = 120
"""As ``transforms/routing.py`` cuts a reason computed from an input."""
_DAY_IN_NAME = re.compile(r"(?:^|\D)(\d{4}-\d{2}-\d{2})(?:\D|$)")


@contextmanager
def field_mapping(mapping: Mapping[str, Sequence[str]] | None) -> Iterator[None]:
    """Use ``mapping`` (field -> column names, from a mapping file) for the files parsed inside the block."""
    token = _MAPPING.set(mapping)
    try:
        yield
    finally:
        _MAPPING.reset(token)


@dataclass
class Reading:
    """A file read as records, and the fields found in them."""

    shape: str
    """``json-list``, ``json-object:<key>``, ``jsonl``, ``csv`` or ``tsv``."""
    rows: list[dict[str, Any]]
    """Per item, its flattened columns, or a ``parse_error`` row (its ``raw_item`` kept)."""
    columns: list[str]
    fields: dict[str, list[str]] = field(default_factory=dict)
    values: pl.DataFrame = field(default_factory=pl.DataFrame)
    """The record fields, one row per item."""
    share: float = 0.0
    """Share of items with a title and an abstract or an arXiv id."""

    @property
    def maps(self) -> bool:
        return bool(self.rows) and self.share >= MIN_MAPPED_SHARE


def looks_like_generic(content: bytes) -> bool:
    """Records (JSON, JSON Lines, CSV, TSV) whose title and abstract or arXiv id the table finds in 90 % of them."""
    reading = read(content)
    return reading is not None and reading.maps


def parse_generic(capture: Capture) -> pl.DataFrame:
    """One record per item; a file that does not map is one record naming the fields it has."""
    reading = read(capture.content)
    if reading is None:
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:not-records")
    if not reading.maps:
        return parse_failure(capture, SOURCE, unmapped_reason(reading))
    values = reading.values.drop("__unparsed").to_dicts()
    rows = [
        row
        if "parse_error" in row
        else built
        if _identified(built)
        else failed_item(SOURCE, "item-without-id-or-title", row)
        for row, built in zip(reading.rows, values, strict=True)
    ]
    records = records_frame(capture, SOURCE, rows)
    return records if _is_listing(reading, capture.location) else not_a_listing(records)


def unmapped_reason(reading: Reading) -> str:
    """``parse:generic:unmapped:<shape>:<columns>``: the columns a user's mapping file may name, each kept to
    letters, digits, ``_``, ``.`` and ``-`` (others become ``_``), comma-separated, the whole cut to 120
    characters."""
    columns = ",".join(safe_name(name) for name in reading.columns)
    return f"parse:{SOURCE}:unmapped:{reading.shape}:{columns}"[:MAX_REASON_CHARS]


def describe(content: bytes, location: str = "") -> dict[str, Any] | None:
    """The mapping the reader uses for ``content`` (for the manifest and ``papers inspect``), or None when the
    content is not records."""
    reading = read(content)
    if reading is None:
        return None
    unparsed = (
        reading.values.get_column("__unparsed").explode().drop_nulls() if reading.values.height else None
    )
    return {
        "shape": reading.shape,
        "records": len(reading.rows),
        "maps": reading.maps,
        "mapped_share": round(reading.share, 4),
        "fields": {
            name: columns if len(columns) > 1 else columns[0] for name, columns in reading.fields.items()
        },
        "listing": _is_listing(reading, location),
        "unparsed_counts": dict(sorted(unparsed.value_counts().iter_rows())) if unparsed is not None else {},
        "columns": reading.columns,
    }


def read(content: bytes) -> Reading | None:
    """The content as records with their fields (computed once per content inside ``input_limits``)."""
    reading: Reading | None = memoised("generic", content, lambda: _read(content))
    return reading


def _read(content: bytes) -> Reading | None:
    items = read_items(content)
    if items is None:
        return None
    shape, raw = items
    rows = [flat_row(item) for item in raw]
    columns = list(dict.fromkeys(name for row in rows if "parse_error" not in row for name in row))[
        :MAX_COLUMNS
    ]
    reading = Reading(shape, rows, columns)
    mapping = _MAPPING.get()
    reading.fields = resolve_fields(columns, mapping)
    frame = _frame(rows, columns)
    if "arxiv_id" not in (mapping or {}):
        urls = _url_columns(frame, reading.fields)
        if urls:
            reading.fields["arxiv_id"] = [*reading.fields.get("arxiv_id", []), *urls]
    reading.values = _values(frame, reading.fields)
    values = reading.values
    if values.height and "title_raw" in values.columns:
        found = [
            pl.col(name).is_not_null() for name in ("abstract_raw", "arxiv_id") if name in values.columns
        ]
        present = pl.col("title_raw").is_not_null() & pl.any_horizontal(found) if found else pl.lit(False)
        reading.share = float(values.select(present.mean()).item() or 0.0)
    return reading


# ----- values: polars expressions over the columns


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pl.DataFrame:
    """The items' columns as a frame (texts, or lists of texts), one row per item (failed items are nulls)."""
    return pl.DataFrame(
        [_series(name, [row.get(name) for row in rows]) for name in columns], height=len(rows)
    )


def _url_columns(frame: pl.DataFrame, fields: dict[str, list[str]]) -> list[str]:
    """Text columns (not the title, abstract or comment) holding an arXiv or HF paper URL, in file order."""
    prose = {name for field in ("title", "abstract", "comment") for name in fields.get(field, [])}
    named = set(fields.get("arxiv_id", []))
    candidates = [
        name for name, dtype in frame.schema.items() if dtype == pl.String and name not in prose | named
    ]
    if not candidates:
        return []
    found = frame.select(pl.col(name).str.contains(ARXIV_URL).any() for name in candidates).row(0)
    return [name for name, hit in zip(candidates, found, strict=True) if hit]


def _values(frame: pl.DataFrame, fields: dict[str, list[str]]) -> pl.DataFrame:
    """The record fields of every item (nulls for failed items) and ``__unparsed``: the count fields whose text
    was not a number."""
    if frame.height == 0:
        return pl.DataFrame(schema={"__unparsed": pl.List(pl.String)})
    expressions: list[pl.Expr] = []
    unparsed: list[pl.Expr] = []
    for name, spec in BY_FIELD.items():
        sources = [c for c in fields.get(name, []) if c in frame.columns]
        if not sources:
            continue
        if spec.kind == "arxiv-id":
            expressions += _arxiv(sources, frame.schema)
            continue
        value, bad = _read_kind(spec.kind, spec.field, sources, frame.schema)
        expressions.append(value.alias(spec.column))
        if spec.field == "listed_on":
            expressions.append(_day_evidence(sources, frame.schema).alias("listed_on_evidence"))
        if bad is not None:
            unparsed.append(pl.when(bad).then(pl.lit(name)))
    expressions.append(
        pl.concat_list([*unparsed, pl.lit(None, pl.String)]).list.drop_nulls().alias("__unparsed")
    )
    return frame.select(expressions)


def _series(name: str, values: list[Any]) -> pl.Series:
    if any(isinstance(value, list) for value in values):
        wrapped = [value if isinstance(value, list) or value is None else [value] for value in values]
        return pl.Series(name, wrapped, dtype=pl.List(pl.String))
    return pl.Series(name, values, dtype=pl.String)


def _blank_to_null(text: pl.Expr) -> pl.Expr:
    return pl.when(text.str.strip_chars() != "").then(text)


def _as_text(name: str, schema: pl.Schema) -> pl.Expr:
    column = pl.col(name)
    return _blank_to_null(column.list.first() if schema[name] == pl.List(pl.String) else column)


def _read_kind(
    kind: str, field_name: str, sources: list[str], schema: pl.Schema
) -> tuple[pl.Expr, pl.Expr | None]:
    """A field's value from its columns (first present wins), and where a count's text was not a number."""
    if kind == "list":
        return pl.coalesce([_as_list(name, field_name, schema) for name in sources]), None
    texts = pl.coalesce([_as_text(name, schema) for name in sources])
    if kind == "link":
        return pl.coalesce(
            [
                pl.when(_as_text(n, schema).str.contains(r"^https?://\S+$")).then(_as_text(n, schema))
                for n in sources
            ]
        ), None
    if kind == "day":
        day = _day(texts)
        if field_name == "published_at":
            return day.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"), None
        return day, None
    if kind == "count":
        count = _count(texts)
        return count, texts.is_not_null() & count.is_null()
    return texts, None


def _day(text: pl.Expr) -> pl.Expr:
    return text.str.strip_chars().str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)


def _day_evidence(sources: list[str], schema: pl.Schema) -> pl.Expr:
    """``item:<column>`` of the column that gave the listing day."""
    return pl.coalesce(
        [
            pl.when(_day(_as_text(name, schema)).is_not_null()).then(pl.lit(f"item:{name}"[:60]))
            for name in sources
        ]
    )


def _count(text: pl.Expr) -> pl.Expr:
    """``7``, ``1,234``, ``1.2k``, ``3M`` as a whole number; null for anything else (never 0 for junk)."""
    plain = text.str.strip_chars().str.to_lowercase().str.replace_all(r"[,_\s]", "")
    parts = plain.str.extract_groups(r"^(?<n>\d+(?:\.\d+)?)(?<unit>[kmb]?)$")
    scale = parts.struct.field("unit").replace_strict(
        {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}, default=None, return_dtype=pl.Float64
    )
    number = parts.struct.field("n").cast(pl.Float64, strict=False) * scale
    return pl.when(number < 2**62).then(number.round(0).cast(pl.Int64))


def _as_list(name: str, field_name: str, schema: pl.Schema) -> pl.Expr:
    """A list column as is; a text split at ``;`` (else ``,``; categories and keywords also at spaces), its
    brackets and quotes dropped (``['a', 'b']``, as pandas writes a list)."""
    column = pl.col(name)
    if schema[name] == pl.List(pl.String):
        items = column
    else:
        text = column.str.strip_chars().str.strip_prefix("[").str.strip_suffix("]")
        if field_name == "authors":
            items = pl.when(text.str.contains(";")).then(text.str.split(";")).otherwise(text.str.split(","))
        else:
            items = text.str.replace_all(r"[\s;,]+", " ").str.strip_chars().str.split(" ")
    cleaned = items.list.eval(pl.element().str.strip_chars(" \t\r\n'\"")).list.eval(
        pl.element().filter(pl.element() != "")
    )
    return pl.when(column.is_not_null()).then(cleaned)


def _arxiv(sources: list[str], schema: pl.Schema) -> list[pl.Expr]:
    """``arxiv_id`` and ``arxiv_version``: the first column holding an id, or an arXiv or HF paper URL."""
    texts = [_as_text(name, schema).str.strip_chars() for name in sources]
    found = pl.coalesce(
        [
            candidate
            for text in texts
            for candidate in (text.str.extract(ARXIV_ID, 1), text.str.extract(ARXIV_URL, 1))
        ]
    )
    return [
        found.str.replace(r"v\d+$", "").alias("arxiv_id"),
        found.str.extract(r"v(\d+)$", 1).cast(pl.Int32, strict=False).alias("arxiv_version"),
    ]


def _identified(values: Mapping[str, Any]) -> bool:
    return values.get("title_raw") is not None or values.get("arxiv_id") is not None


def _is_listing(reading: Reading, location: str) -> bool:
    """Every record read has a day: the file's name names one, or every record's day column does."""
    if _DAY_IN_NAME.search(re.split(r"[/\\]", location)[-1]):
        return True
    if "listed_on" not in reading.values.columns:
        return False
    read = pl.Series([("parse_error" not in row) for row in reading.rows], dtype=pl.Boolean)
    days = reading.values.get_column("listed_on").filter(read)
    return days.len() > 0 and days.null_count() == 0
