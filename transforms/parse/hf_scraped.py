"""Daily dumps of the Hugging Face papers page written by third-party scrapers.

Shape: ``{"date": "YYYY-MM-DD", "papers": [{title, url, authors, pdf_url, abstract, upvotes}, ...]}``, where
``url`` is the paper's Hugging Face page and abstracts are hard-wrapped as on arXiv (kept raw: unwrapping is
the cleaning stage's job). The arXiv id comes from ``url``, else from ``pdf_url``. ``date`` is the day listed;
the order of ``papers`` is the page's order (``rank``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import polars as pl

from transforms.parse.common import Capture, any_item, item_record, parse_failure, records_frame
from transforms.parse.hf_daily import document_day
from transforms.parse.values import (
    NOT_JSON,
    as_int,
    as_text,
    as_text_list,
    json_document,
    load_json,
    split_arxiv_id,
)

SOURCE = "hf-scraped"
PAPER_KEYS = frozenset({"title", "url", "abstract"})
HF_PAPER_URL = re.compile(r"^https?://huggingface\.co/papers/(?P<id>[^/?#]+)")


def looks_like_hf_scraped(content: bytes) -> bool:
    """A JSON object with a ``papers`` list in which an item with title, url and abstract is among the first
    items (a malformed first item does not hide the list)."""
    document = json_document(content)
    if document is NOT_JSON:
        return False
    return _papers(document) is not None


def parse_hf_scraped(capture: Capture) -> pl.DataFrame:
    """One record per listed paper; anything else is one ``parse_error`` record."""
    try:
        document = load_json(capture.content)
    except ValueError:
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:invalid-json")
    papers = _papers(document)
    if papers is None:
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:not-a-paper-dump")
    day = document_day(document.get("date") if isinstance(document, Mapping) else None)
    rows = [
        item_record(SOURCE, paper_record, paper) | {"rank": position + 1} | day
        for position, paper in enumerate(papers)
    ]
    return records_frame(capture, SOURCE, rows)


def paper_record(paper: Any) -> dict[str, Any]:
    """RECORD_SCHEMA fields of one scraped paper."""
    if not isinstance(paper, Mapping):
        return {"parse_error": f"parse:{SOURCE}:item-not-an-object"}
    url = as_text(paper.get("url"))
    page = HF_PAPER_URL.match(url or "")
    arxiv_id, version = split_arxiv_id(page.group("id")) if page else (None, None)
    if arxiv_id is None:
        arxiv_id, version = split_arxiv_id(paper.get("pdf_url"))
    return {
        "arxiv_id": arxiv_id,
        "arxiv_version": version,
        "title_raw": as_text(paper.get("title")),
        "abstract_raw": as_text(paper.get("abstract")),
        "authors": as_text_list(paper.get("authors")),
        "upvotes": as_int(paper.get("upvotes")),
        "url": url,
    }


def _papers(document: Any) -> list[Any] | None:
    if not isinstance(document, Mapping) or not isinstance(document.get("papers"), list):
        return None
    papers = document["papers"]
    if papers and not any_item(
        papers, lambda paper: isinstance(paper, Mapping) and paper.keys() >= PAPER_KEYS
    ):
        return None
    return papers
