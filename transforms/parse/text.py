"""Text copies of trending-papers pages: page chrome, then a title line and an abstract line per paper."""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from transforms.parse.common import Capture, decode_lenient, records_frame

CHROME_LINE = re.compile(
    r"^\s*(?:get trending papers in your email inbox.*|subscribe|sign up|log in|trending papers|"
    r"previous|next|load more|see all|back to top)\s*$",
    re.IGNORECASE,
)
"""Whole lines that are page furniture (newsletter prompts, buttons, pagination), never data."""

MIN_ABSTRACT_WORDS = 25
"""A line is abstract-like when it has at least this many words: real abstracts have 100-300, titles < 25."""

MIN_PAIRED_SHARE = 0.5
"""Share of abstract-like lines that must follow a title line, and share of the text's characters (page
chrome excepted) that abstract-like lines must hold, for a text to be a listing."""

LINE_WEIGHT_CHARS = 5_000
"""The most characters one line counts for in a page's shape (real abstracts are under ~4,000)."""

MARKDOWN_LINE = re.compile(r"^(?:#{1,6}\s|\||```|~~~|[-*+]\s|>\s|\d+\.\s|[-=]{3,}$|!\[|\[[^\]]*\]\()")
CODE_LINE = re.compile(
    r"(?:^(?:def|class|import|from|return|function|const|let|var|if|for|while|#include|package|public)\b"
    r"|[;{}]$|^[})\]]+[;,]?$)"
)
LOG_LINE = re.compile(
    r"^(?:\[?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}|\[?\d{2}:\d{2}:\d{2}|\[?(?:DEBUG|INFO|WARN(?:ING)?|ERROR|CRITICAL)\b)"
)


def looks_like_text_page(content: bytes) -> bool:
    """Plain UTF-8 text (a few undecodable bytes are refused with their item, not the page) that is not JSON, XML
    or HTML and has the shape of a listing (see :func:`text_shape_problem`)."""
    text = decode_lenient(content)
    if text is None:
        return False
    head = text.lstrip("\ufeff \t\r\n")[:1]
    if head in {"{", "[", "<"}:
        return False
    return text_shape_problem(text) is None


def text_shape_problem(text: str) -> str | None:
    """None when ``text`` reads as a listing: title lines paired with abstract-like lines through most of it.

    Otherwise the kind of text it is instead: ``markdown``, ``csv``, ``code``, ``log``, ``empty`` or
    ``no-title-abstract-pairs``. A markdown table row or a log line can be 25 words long, so the kinds are
    recognised before the pairing is counted.
    """
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not CHROME_LINE.match(line)]
    if not lines:
        return "empty"
    share = _share(lines)
    if share(MARKDOWN_LINE.match) >= 0.2:
        return "markdown"
    if share(LOG_LINE.match) >= 0.3:
        return "log"
    if share(CODE_LINE.search) >= 0.3:
        return "code"
    if len(lines) >= 3 and _is_delimited(lines):
        return "csv"
    abstracts = [index for index, line in enumerate(lines) if _is_abstract_like(line)]
    titled = [index for index in abstracts if index > 0 and not _is_abstract_like(lines[index - 1])]
    abstract_chars = sum(_weight(lines[index]) for index in abstracts)
    if (
        not titled
        or len(titled) / len(abstracts) < MIN_PAIRED_SHARE
        or abstract_chars / sum(map(_weight, lines)) < MIN_PAIRED_SHARE
    ):
        return "no-title-abstract-pairs"
    return None


def _weight(line: str) -> int:
    """A line's characters as the shape counts them: one over-long line (a paste, a broken item) weighs no more
    than a long abstract, so it cannot decide the shape of the whole page (the parser refuses it alone)."""
    return min(len(line), LINE_WEIGHT_CHARS)


def _share(lines: list[str]) -> Callable[[Callable[[str], object]], float]:
    """The share of ``lines`` passing a test."""
    return lambda test: sum(1 for line in lines if test(line)) / len(lines)


def _is_delimited(lines: list[str]) -> bool:
    """Most lines hold the same (non-zero) number of commas, tabs or semicolons, as rows of a table do."""
    for delimiter in (",", "\t", ";"):
        counts = [line.count(delimiter) for line in lines]
        common = max(set(counts), key=counts.count)
        if common > 0 and counts.count(common) / len(counts) >= 0.8:
            return True
    return False


def parse_text_page(capture: Capture) -> pl.DataFrame:
    """One record per title line; its abstract is the abstract-like line after it ("" when missing).

    Chrome lines are dropped. An abstract-like line with no title before it becomes a record with an empty
    title, so it is quarantined rather than lost. ``rank`` is the entry's position on the page.
    """
    text = (decode_lenient(capture.content) or "").replace("\r\n", "\n").replace("\r", "\n")
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
