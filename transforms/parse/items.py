"""The items of a file of records, whatever scraper wrote it: a JSON list, a JSON object holding one list of
records, JSON Lines, CSV or TSV with a header row; each item flattened to columns (nested objects to dotted
names, ``details.abstract``; lists to lists of texts, an author object by its ``name``).

Reading is per item, as in every parser: an item that cannot be read (a line that is not JSON, a row with the
wrong number of cells, an item that is not an object, a text that is not Unicode) is a ``parse:generic:<reason>``
row keeping the raw item, and its siblings are read.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from transforms.parse.common import (
    ItemRejected,
    current_limits,
    decode_lenient,
    error_reason,
    failed_item,
    is_valid_unicode,
)
from transforms.parse.values import NOT_JSON, is_json_document, json_depth, json_document

SOURCE = "generic"
MIN_ROWS_SHARE = 0.9
"""A delimited text is a table when this share of its rows has as many cells as its header."""


def read_items(content: bytes) -> tuple[str, list[Any]] | None:
    if is_json_document(content):
        document = json_document(content)
        if document is not NOT_JSON:
            return _json_items(document)
        return _json_lines(content)
    return _delimited(content)


def _json_items(document: Any) -> tuple[str, list[Any]] | None:
    if isinstance(document, list):
        return ("json-list", document) if any(isinstance(item, dict) for item in document[:50]) else None
    if isinstance(document, dict):
        lists = [
            key
            for key, value in document.items()
            if isinstance(value, list) and value and any(isinstance(item, dict) for item in value[:50])
        ]
        if len(lists) == 1:
            return f"json-object:{safe_name(lists[0])}"[:60], document[lists[0]]
    return None


def _json_lines(content: bytes) -> tuple[str, list[Any]] | None:
    text = decode_lenient(content)
    if text is None:
        return None
    lines = [line for line in text.splitlines() if line.strip()]
    items: list[Any] = []
    good = 0
    for line in lines:
        try:
            item = json.loads(line, parse_float=str)
            if json_depth(item) > current_limits().max_json_depth:
                raise ItemRejected("too-deep")
        except (ValueError, RecursionError) as error:
            items.append(
                _Broken("line-not-json" if not isinstance(error, ItemRejected) else error.reason, line)
            )
            continue
        good += isinstance(item, dict)
        items.append(item)
    return ("jsonl", items) if lines and good * 2 > len(lines) else None


def _delimited(content: bytes) -> tuple[str, list[Any]] | None:
    """CSV or TSV with a header row: the delimiter (tab, comma, semicolon) that splits the header into
    identifier-like names and most rows into as many cells."""
    text = decode_lenient(content)
    if text is None or not text.strip():
        return None
    head = text.lstrip("\ufeff").split("\n", 1)[0]
    for delimiter, shape in (("\t", "tsv"), (",", "csv"), (";", "csv")):
        if delimiter not in head:
            continue
        try:
            table = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))
        except csv.Error:
            continue
        header, body = table[0], [row for row in table[1:] if any(cell.strip() for cell in row)]
        names = [name.strip() for name in header]
        if len(names) < 2 or not body or not all(re.fullmatch(r"[\w .\-/:]{1,64}", name) for name in names):
            continue
        if sum(len(row) == len(names) for row in body) < MIN_ROWS_SHARE * len(body):
            continue
        return shape, [
            dict(zip(names, row, strict=True)) if len(row) == len(names) else _Broken("wrong-cell-count", row)
            for row in body
        ]
    return None


_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def safe_name(name: str) -> str:
    """A column name as a reason may hold it: letters, digits, ``_``, ``.`` and ``-`` (others become ``_``)."""
    return _UNSAFE.sub("_", name)


@dataclass(frozen=True)
class _Broken:
    reason: str
    raw: Any


def flat_row(item: Any) -> dict[str, Any]:
    """An item's columns (values are texts or lists of texts), or its ``parse_error`` row."""
    if isinstance(item, _Broken):
        return failed_item(SOURCE, item.reason, item.raw)
    if not isinstance(item, dict):
        return failed_item(SOURCE, "item-not-an-object", item)
    try:
        flat: dict[str, Any] = {}
        _flatten(item, "", flat)
    except Exception as error:
        return failed_item(SOURCE, error_reason(error), item)
    return flat


def _flatten(value: Mapping[str, Any], prefix: str, into: dict[str, Any]) -> None:
    for key, inner in value.items():
        name = f"{prefix}{key}"
        if isinstance(inner, Mapping):
            _flatten(inner, f"{name}.", into)
        elif isinstance(inner, list):
            into[name] = [text for element in inner if (text := _element_text(element)) is not None]
        elif inner is not None:
            into[name] = _text(inner)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else str(value)
    if not (text.isascii() or is_valid_unicode(text)):
        raise ItemRejected("invalid-unicode")
    return text


def _element_text(element: Any) -> str | None:
    """A list element as text: an author object by its name, other objects as JSON."""
    if element is None:
        return None
    if isinstance(element, Mapping):
        name = next(
            (element[key] for key in ("name", "fullname", "full_name") if isinstance(element.get(key), str)),
            None,
        )
        return (
            _text(name) if name is not None else _text(json.dumps(element, ensure_ascii=False, default=str))
        )
    if isinstance(element, list):
        return _text(json.dumps(element, ensure_ascii=False, default=str))
    return _text(element)
