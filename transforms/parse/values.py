"""Reading values out of a capture: JSON documents and their depth, arXiv ids, timestamps, numbers and text."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from transforms.parse.common import ItemRejected, current_limits, decode_lenient, parsed_documents
from transforms.parse.depth import text_depth

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
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 or 9999-12-31T23:59-01:00: outside the calendar in UTC
        raise ItemRejected("date-out-of-range") from None


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


def load_json(content: bytes | str) -> Any:
    """JSON with non-integer numbers kept as text, so an id like ``2503.02130`` never becomes a float.

    Bytes that are not UTF-8 are kept as lone surrogates (:func:`~transforms.parse.common.decode_lenient`): the
    item whose value holds one is refused alone, not the document.

    ItemRejected(``too-deep``) when it nests deeper than ``max_json_depth`` (or than Python can recurse).
    """
    memo = parsed_documents() if isinstance(content, bytes) else None
    if memo is not None and id(content) in memo and memo[id(content)][0] is content:
        return memo[id(content)][1]
    text = decode_lenient(content) if isinstance(content, bytes) else content
    if text is None:
        raise ValueError("not UTF-8 text")
    try:
        document = json.loads(text, parse_float=str)
    except RecursionError:
        raise ItemRejected("too-deep") from None
    depth = text_depth(content) if isinstance(content, bytes) else json_depth(document)
    if depth > current_limits().max_json_depth:
        raise ItemRejected("too-deep")
    if memo is not None and isinstance(content, bytes):
        memo[id(content)] = (content, document)
    return document


def json_depth(document: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), computed without recursion."""
    deepest = 0
    stack = [(document, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1) for child in node if isinstance(child, dict | list))
    return deepest


NOT_JSON = object()
"""Sentinel of :func:`json_document` (``None`` would be ambiguous: ``null`` is a JSON document)."""


def json_document(content: bytes) -> Any:
    """The content as JSON (see :func:`load_json`), or :data:`NOT_JSON` when it is not a JSON document."""
    if not is_json_document(content):
        return NOT_JSON
    try:
        return load_json(content)
    except ValueError:  # includes ItemRejected (too deep) and UnicodeDecodeError
        return NOT_JSON


def is_json_document(content: bytes) -> bool:
    """Cheap pre-check: the content starts (after a BOM and whitespace) with ``{`` or ``[``."""
    return content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in {b"{", b"["}


def salvaged_list(content: bytes) -> tuple[list[Any], int] | None:
    """The items of a top-level JSON list read one by one up to where its structure breaks (a file cut short, an
    unbalanced bracket), and the character offset of the break; None when the content is not such a list or no
    item could be read. What follows the break is lost: the caller says so with the reason it records."""
    text = decode_lenient(content)
    if text is None:
        return None
    decoder = json.JSONDecoder(parse_float=str)
    position = len(text) - len(text.lstrip("\ufeff \t\r\n"))
    if not text.startswith("[", position):
        return None
    items: list[Any] = []
    position += 1
    while True:
        position = _skip_space(text, position)
        try:
            item, position = decoder.raw_decode(text, position)
        except (ValueError, RecursionError):
            break
        if json_depth(item) >= current_limits().max_json_depth:
            break
        items.append(item)
        position = _skip_space(text, position)
        if not text.startswith(",", position):
            break
        position += 1
    return (items, position) if items else None


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position
