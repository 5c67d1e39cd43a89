"""Hugging Face papers pages (daily/week/month listings, trending, single-paper pages) to records.

The pages are server-rendered Svelte: components carry their state as JSON in ``data-props`` attributes, which
hold the same paper objects as the API. That JSON is used when present (every paper object found in any
component, first occurrence wins). Otherwise the visible cards are read: headings linking to
``/papers/<arxiv id>`` (listings), or the page's ``h1`` with its canonical ``/papers/<id>`` URL (a
single-paper page); card records have no abstract. Parsing uses the standard library's ``html.parser``. A
listing's order is its ``rank``; a daily page's canonical ``/papers/date/YYYY-MM-DD`` URL names the day listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from html.parser import HTMLParser
from typing import Any

import polars as pl

from transforms.parse.common import (
    Capture,
    ItemRejected,
    decode_lenient,
    failed_item,
    item_record,
    parse_failure,
    records_frame,
)
from transforms.parse.hf_daily import PAPER_URL, document_day, paper_record
from transforms.parse.listing import not_a_listing
from transforms.parse.values import as_int, load_json, split_arxiv_id

SOURCE = "hf-page"
DATED_PATH = re.compile(r"/papers/date/(\d{4}-\d{2}-\d{2})(?:[/?#]|$)")
PAPER_PATH = re.compile(r"^(?:https?://huggingface\.co)?/papers/(?P<id>[^/?#]+)/?(?:[?#].*)?$")
HEADINGS = frozenset({"h1", "h2", "h3"})


def looks_like_html(content: bytes) -> bool:
    """An HTML document: a doctype or ``<html`` tag near the start."""
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and (b"<!doctype html" in head or b"<html" in head)


def parse_hf_page(capture: Capture) -> pl.DataFrame:
    """Records from the embedded JSON, else from the visible cards; neither gives a ``parse_error``."""
    scanner = _PageScanner()
    scanner.feed(decode_lenient(capture.content) or capture.content.decode("utf-8", errors="replace"))
    scanner.close()
    rows = _unique_by_id(record for props in scanner.props for record in embedded_records(props))
    rows += scanner.failed
    if not rows:
        rows = _unique_by_id(scanner.cards())
    if not rows:
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:no-papers-found")
    day = document_day(_dated_path(scanner.canonical))
    if _is_paper_page(scanner.canonical or capture.location):  # the paper, not a list: no rank, no day
        return not_a_listing(records_frame(capture, SOURCE, rows))
    return records_frame(
        capture, SOURCE, [row | {"rank": position + 1} | day for position, row in enumerate(rows)]
    )


def _dated_path(url: str | None) -> str | None:
    """The day of a ``/papers/date/YYYY-MM-DD`` URL (a daily page's canonical URL names its day)."""
    match = DATED_PATH.search(url or "")
    return match.group(1) if match else None


def _is_paper_page(url: str) -> bool:
    """A single paper's page (``/papers/<arXiv id>``): its paper has no rank on a list."""
    return _paper_id(url)[0] is not None


def embedded_records(node: Any) -> Iterator[dict[str, Any]]:
    """Records for every paper object in a ``data-props`` JSON value, in document order.

    A mapping with a ``paper`` object is a listing item (or a paper page's state): its own ``numComments``, or
    the length of its ``comments`` list, gives the comment count.
    """
    if isinstance(node, Mapping):
        paper = node.get("paper")
        if isinstance(paper, Mapping) and _is_paper(paper):
            yield item_record(SOURCE, _listing_item_record, node)
            return
        if isinstance(paper, Mapping) and _is_broken_paper(paper):  # a listing item: counted, never dropped
            yield failed_item(SOURCE, "item-without-id-or-title", node)
            return
        if _is_paper(node):
            yield item_record(SOURCE, paper_record, node)
            return
        for value in node.values():
            yield from embedded_records(value)
    elif isinstance(node, list):
        for value in node:
            yield from embedded_records(value)


def _listing_item_record(node: Mapping[str, Any]) -> dict[str, Any]:
    paper = node["paper"]
    record = paper_record(paper, fallback=node)
    comments = node.get("comments")
    count = as_int(node.get("numComments", paper.get("numComments")))
    if count is None and isinstance(comments, list):
        count = len(comments)
    record["num_comments"] = count
    return record


def _is_paper(node: Mapping[str, Any]) -> bool:
    return split_arxiv_id(node.get("id"))[0] is not None and isinstance(node.get("title"), str)


PAPER_FIELDS = frozenset({"id", "title", "summary", "authors", "upvotes", "publishedAt"})
"""Fields of a Hugging Face paper object: a ``paper`` holding several of them is one, if a broken one."""


def _is_broken_paper(paper: Mapping[str, Any]) -> bool:
    """A paper object of a listing item whose id is not an arXiv id or whose title is not text."""
    return len(PAPER_FIELDS & paper.keys()) >= 2 and not _is_paper(paper)


def _unique_by_id(records: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    unique: list[dict[str, Any]] = []
    for record in records:
        key = record.get("arxiv_id")
        if key in seen:
            continue
        if key is not None:
            seen.add(key)
        unique.append(record)
    return unique


class _PageScanner(HTMLParser):
    """Collects ``data-props`` JSON, heading links to papers, the first ``h1`` and the canonical URL."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.props: list[Any] = []
        self.failed: list[dict[str, Any]] = []
        """Failure rows for ``data-props`` too deep to read (kept, not silently skipped)."""
        self.links: list[tuple[str, str]] = []
        self.h1: str | None = None
        self.canonical: str | None = None
        self._heading_depth = 0
        self._heading_text: list[str] = []
        self._link_href: str | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        props = attributes.get("data-props")
        if props:
            try:
                self.props.append(load_json(props))
            except ItemRejected as rejected:
                self.failed.append(failed_item(SOURCE, rejected.reason, props))
            except ValueError:  # not JSON: a component's state we do not read
                pass
        if tag == "meta" and attributes.get("property") == "og:url":
            self.canonical = self.canonical or attributes.get("content")
        elif tag == "link" and attributes.get("rel") == "canonical":
            self.canonical = attributes.get("href") or self.canonical
        elif tag in HEADINGS:
            self._heading_depth += 1
            if tag == "h1" and self.h1 is None:
                self._heading_text = []
        elif tag == "a" and self._heading_depth and (href := attributes.get("href")):
            self._link_href, self._link_text = href, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link_href is not None:
            self.links.append((self._link_href, _squash("".join(self._link_text))))
            self._link_href = None
        elif tag in HEADINGS and self._heading_depth:
            self._heading_depth -= 1
            if tag == "h1" and self.h1 is None:
                self.h1 = _squash("".join(self._heading_text))

    def handle_data(self, data: str) -> None:
        if self._link_href is not None:
            self._link_text.append(data)
        if self._heading_depth:
            self._heading_text.append(data)

    def cards(self) -> Iterator[dict[str, Any]]:
        """Records from the visible page: heading links to papers, else the single-paper ``h1``."""
        found = False
        for href, text in self.links:
            arxiv_id, version = _paper_id(href)
            if arxiv_id and text:
                found = True
                yield _card(arxiv_id, version, text)
        if not found and self.h1 and self.canonical:
            arxiv_id, version = _paper_id(self.canonical)
            if arxiv_id:
                yield _card(arxiv_id, version, self.h1)


def _paper_id(href: str) -> tuple[str | None, int | None]:
    match = PAPER_PATH.match(href.strip())
    return split_arxiv_id(match.group("id")) if match else (None, None)


def _card(arxiv_id: str, version: int | None, title: str) -> dict[str, Any]:
    return {
        "arxiv_id": arxiv_id,
        "arxiv_version": version,
        "title_raw": title,
        "url": PAPER_URL.format(arxiv_id=arxiv_id),
    }


def _squash(text: str) -> str:
    return " ".join(text.split())
