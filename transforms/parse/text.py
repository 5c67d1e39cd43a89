"""Text copies of trending-papers pages: page chrome, then a title line and an abstract line per paper."""

from __future__ import annotations

import re
from itertools import pairwise

import polars as pl

from transforms.parse.common import Capture, records_frame

CHROME_LINE = re.compile(
    r"^\s*(?:get trending papers in your email inbox.*|subscribe|sign up|log in|trending papers|"
    r"previous|next|load more|see all|back to top)\s*$",
    re.IGNORECASE,
)
"""Whole lines that are page furniture (newsletter prompts, buttons, pagination), never data."""

MIN_ABSTRACT_WORDS = 25
"""A line is abstract-like when it has at least this many words: real abstracts have 100-300, titles < 25."""


def looks_like_text_page(content: bytes) -> bool:
    """Plain UTF-8 text that is not JSON, XML or HTML, with at least one title line before an abstract line."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    head = text.lstrip("\ufeff \t\r\n")[:1]
    if head in {"{", "[", "<"}:
        return False
    lines = [line for line in text.splitlines() if line.strip()]
    return any(not _is_abstract_like(a) and _is_abstract_like(b) for a, b in pairwise(lines))


def parse_text_page(capture: Capture) -> pl.DataFrame:
    """One record per title line; its abstract is the abstract-like line after it ("" when missing).

    Chrome lines are dropped. An abstract-like line with no title before it becomes a record with an empty
    title, so it is quarantined rather than lost. ``rank`` is the entry's position on the page.
    """
    text = capture.content.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line and not CHROME_LINE.match(line)]
    rows: list[dict[str, str | int]] = []
    pending_title: str | None = None
    for line in lines:
        if _is_abstract_like(line):
            rows.append({"title_raw": pending_title or "", "abstract_raw": line})
            pending_title = None
        else:
            if pending_title is not None:
                rows.append({"title_raw": pending_title, "abstract_raw": ""})
            pending_title = line
    if pending_title is not None:
        rows.append({"title_raw": pending_title, "abstract_raw": ""})
    return records_frame(capture, "text", [row | {"rank": i + 1} for i, row in enumerate(rows)])


def _is_abstract_like(line: str) -> bool:
    return len(line.split()) >= MIN_ABSTRACT_WORDS
