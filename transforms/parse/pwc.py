"""Papers with Code REST API responses (``/papers/`` list pages and ``/papers/{id}/``) to records.

The API's other endpoints (methods, tasks, results) share the paged ``{count, next, previous, results}`` shape
but list things that are not papers: such a response (no paper among its first items) becomes one
``parse_error`` record with the reason ``parse:pwc:not-a-paper-listing`` instead of bogus papers; in a listing of
papers, an item that is not one is that item's ``parse_error`` alone. ``venue_field`` keeps the structured venue the API
gives (``proceeding``, else ``conference``, both Papers with Code slugs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from transforms.parse.common import Capture, any_item, item_record, parse_failure, records_frame
from transforms.parse.values import (
    NOT_JSON,
    as_text,
    as_text_list,
    json_document,
    load_json,
    parse_timestamp,
    split_arxiv_id,
)

SOURCE = "pwc"
PAGE_KEYS = frozenset({"count", "next", "previous", "results"})
PAPER_KEYS = frozenset({"id", "title", "abstract", "url_abs"})


def looks_like_pwc(content: bytes) -> bool:
    """A JSON object that is a Papers with Code page (``count/next/previous/results``) or a single paper."""
    document = json_document(content)
    if document is NOT_JSON:
        return False
    return isinstance(document, Mapping) and (_is_page(document) or _is_paper(document))


def parse_pwc(capture: Capture) -> pl.DataFrame:
    """One record per paper; a page of non-papers becomes one ``parse_error`` record. An empty page is zero
    records: nothing in an empty page says what it would have listed."""
    try:
        document = load_json(capture.content)
    except ValueError:
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:invalid-json")
    if isinstance(document, Mapping) and _is_paper(document):
        return records_frame(capture, SOURCE, [item_record(SOURCE, paper_record, document)])
    if not (isinstance(document, Mapping) and _is_page(document)):
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:unknown-response")
    results = document["results"]
    if results and not any_item(results, lambda item: isinstance(item, Mapping) and _is_paper(item)):
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:not-a-paper-listing")
    return records_frame(capture, SOURCE, [item_record(SOURCE, paper_record, item) for item in results])


def paper_record(paper: Any) -> dict[str, Any]:
    """RECORD_SCHEMA fields of one Papers with Code paper object; an item of a listing that is not one (not an
    object, or without a paper's keys) is that item's ``parse_error`` alone."""
    if not isinstance(paper, Mapping):
        return {"parse_error": f"parse:{SOURCE}:item-not-an-object"}
    if not _is_paper(paper):
        return {"parse_error": f"parse:{SOURCE}:item-not-a-paper"}
    arxiv_id, arxiv_version = split_arxiv_id(paper.get("arxiv_id"))
    url_version = split_arxiv_id(paper.get("url_abs"))[1] if arxiv_id else None
    return {
        "arxiv_id": arxiv_id,
        "arxiv_version": arxiv_version if arxiv_version is not None else url_version,
        "title_raw": as_text(paper.get("title")),
        "abstract_raw": as_text(paper.get("abstract")),
        "authors": as_text_list(paper.get("authors")),
        "published_at": parse_timestamp(paper.get("published")),
        "url": as_text(paper.get("url_abs")),
        "venue_field": as_text(paper.get("proceeding")) or as_text(paper.get("conference")),
    }


def _is_page(document: Mapping[str, Any]) -> bool:
    return document.keys() >= PAGE_KEYS and isinstance(document["results"], list)


def _is_paper(document: Mapping[str, Any]) -> bool:
    return document.keys() >= PAPER_KEYS
