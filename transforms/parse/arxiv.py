"""arXiv API Atom feeds (``export.arxiv.org/api/query``) to records.

Both serialisations seen in practice are read (the 2016 one declares namespaces per element, the current one
on the feed). An empty feed is zero records, not an error. The API reports a bad request as a feed holding a
single ``Error`` entry (served with HTTP 400): that whole capture becomes a ``parse_error`` record whose
reason names the error. Entries repeated across overlapping pages are kept; deduplication happens downstream.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import polars as pl

from transforms.parse.common import (
    UNDECODABLE,
    Capture,
    decode_lenient,
    item_record,
    parse_failure,
    records_frame,
)
from transforms.parse.values import parse_timestamp, split_arxiv_id

SOURCE = "arxiv"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
ERROR_ID = re.compile(r"/api/errors(?:#|$)")
INVALID_BYTE = "\ufdd0"
"""Marks where a feed held a byte that is not UTF-8: a noncharacter, which XML allows and no feed holds."""
ERROR_SLUG_CHARS = 60
"""An API error's message is cut to this many characters of its slug (the API's own are 20-40)."""


def looks_like_arxiv_feed(content: bytes) -> bool:
    """An XML document whose root is an Atom ``feed`` (checked on the head, without parsing everything)."""
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"<feed" in head and b"http://www.w3.org/2005/Atom" in head


def parse_arxiv_feed(capture: Capture) -> pl.DataFrame:
    """One record per entry; malformed XML or an API error feed becomes one ``parse_error`` record."""
    try:
        root = _parsed(capture.content)
    except ET.ParseError:
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:malformed-xml")
    except LookupError:  # <?xml encoding="no-such-codec"?>
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:unknown-encoding")
    except ValueError:  # an encoding expat cannot read (multi-byte codecs)
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:unsupported-encoding")
    if root.tag != f"{ATOM}feed":
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:not-an-atom-feed")
    entries = root.findall(f"{ATOM}entry")
    errors = [entry for entry in entries if _is_error(entry)]
    if errors and len(errors) == len(entries):  # the API's answer to a bad request: an error, not a listing
        message = _text(errors[0], f"{ATOM}summary") or "unknown"
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:api-error:{error_slug(message)}")
    return records_frame(capture, SOURCE, [item_record(SOURCE, entry_record, entry) for entry in entries])


def _parsed(content: bytes) -> ET.Element:
    """The feed's root; a feed that is well formed but for bytes that are not UTF-8 is read with them marked."""
    try:
        return ET.fromstring(content)
    except ET.ParseError:
        marked = _marked_invalid_bytes(content)
        if marked is None:
            raise
        return ET.fromstring(marked)


def _marked_invalid_bytes(content: bytes) -> bytes | None:
    """The feed with each byte that is not UTF-8 replaced by :data:`INVALID_BYTE` (None when it is all UTF-8, or
    mostly not: then it is not a feed to rescue), so expat reads it and the entry holding one is refused alone."""
    text = decode_lenient(content)
    if text is None or not UNDECODABLE.search(text):
        return None
    return UNDECODABLE.sub(INVALID_BYTE, text).encode("utf-8")


def _is_error(entry: ET.Element) -> bool:
    return bool(ERROR_ID.search(_text(entry, f"{ATOM}id") or ""))


def entry_record(entry: ET.Element) -> dict[str, Any]:
    """RECORD_SCHEMA fields of one Atom entry."""
    entry_url = _text(entry, f"{ATOM}id")
    arxiv_id, arxiv_version = split_arxiv_id(entry_url)
    primary = entry.find(f"{ARXIV}primary_category")
    record: dict[str, Any] = {
        "arxiv_id": arxiv_id,
        "arxiv_version": arxiv_version,
        "title_raw": _text(entry, f"{ATOM}title"),
        "abstract_raw": _text(entry, f"{ATOM}summary"),
        "authors": [
            name for author in entry.findall(f"{ATOM}author") if (name := _text(author, f"{ATOM}name"))
        ],
        "published_at": parse_timestamp(_text(entry, f"{ATOM}published")),
        "url": f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else entry_url,
        "arxiv_comment": _text(entry, f"{ARXIV}comment"),
        "journal_ref": _text(entry, f"{ARXIV}journal_ref"),
        "doi": _text(entry, f"{ARXIV}doi"),
        "categories": [
            term for category in entry.findall(f"{ATOM}category") if (term := category.get("term"))
        ],
        "primary_category": primary.get("term") if primary is not None else None,
    }
    if any(INVALID_BYTE in text for text in entry.itertext()):
        record["parse_error"] = f"parse:{SOURCE}:invalid-unicode"
    elif _is_error(entry):  # an error entry among papers: that entry alone is not a paper
        record["parse_error"] = f"parse:{SOURCE}:api-error-entry"
    elif arxiv_id is None:
        record["parse_error"] = f"parse:{SOURCE}:entry-without-arxiv-id"
    return record


def error_slug(message: str) -> str:
    """A countable reason from an API error: ``incorrect id format for abc`` -> ``incorrect-id-format``.

    The offending value after ``for`` is dropped so that the same error counts as one reason.
    """
    general = re.split(r"\s+for\s+", message.strip()[: ERROR_SLUG_CHARS * 4], maxsplit=1)[0]
    slug = re.sub(r"[^a-z0-9]+", "-", general.lower()).strip("-")[:ERROR_SLUG_CHARS].strip("-")
    return slug or "unknown"


def _text(element: ET.Element, tag: str) -> str | None:
    found = element.find(tag)
    if found is None or found.text is None:
        return None
    return found.text
