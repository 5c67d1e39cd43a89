"""Hugging Face daily-papers API responses (``/api/daily_papers?date=…``) to records.

Real captures vary: a plain JSON list of items; a list whose items are Python-repr strings of the item dicts
(parsed with :func:`ast.literal_eval`, which only accepts literals, never ``eval``); or the list wrapped in
``{status, date, count, data}``. Fields come and go over time: unknown ones are ignored, missing optional ones
are null. An item that cannot be read becomes a record with ``parse_error`` so it is counted, not dropped.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import polars as pl

from transforms.parse.common import (
    Capture,
    ItemRejected,
    any_item,
    current_limits,
    decode_lenient,
    failed_item,
    item_record,
    parse_failure,
    records_frame,
)
from transforms.parse.values import (
    NOT_JSON,
    as_int,
    as_text,
    as_text_list,
    is_json_document,
    json_document,
    load_json,
    parse_timestamp,
    salvaged_list,
    split_arxiv_id,
)

SOURCE = "hf-daily"
PAPER_URL = "https://huggingface.co/papers/{arxiv_id}"


def looks_like_hf_daily(content: bytes) -> bool:
    """A JSON list (or ``{data: [...]}`` wrapper) in which a daily item (or its repr string) is among the first
    items (a malformed first item does not hide the list)."""
    document = json_document(content)
    if document is NOT_JSON:
        salvaged = salvaged_list(content) if is_json_document(content) else None
        return salvaged is not None and any_item(salvaged[0], _is_daily_item)
    try:
        items = daily_items(document)
    except ValueError:
        return False
    return not items or any_item(items, _is_daily_item)


def parse_hf_daily(capture: Capture) -> pl.DataFrame:
    """One record per item; a response that is not a daily-papers list becomes one ``parse_error`` record."""
    try:
        document = load_json(capture.content)
    except ItemRejected as rejected:
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:{rejected.reason}")
    except ValueError:
        return _salvaged(capture)
    try:
        items = daily_items(document)
    except ValueError as error:
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:{error}")
    day = document_day(document.get("date")) if isinstance(document, Mapping) else {}
    first_rank = page_offset(capture.location) + 1
    rows = [
        item_record(SOURCE, daily_item_record, item) | {"rank": first_rank + position} | day
        for position, item in enumerate(items)
    ]
    return records_frame(capture, SOURCE, rows)


def _salvaged(capture: Capture) -> pl.DataFrame:
    """A list whose structure breaks after some items (a file cut short): those items, then one record for what
    followed the break (``broken-structure-rest-lost``: it may have held more items); else one ``invalid-json``
    record for the file."""
    salvaged = salvaged_list(capture.content)
    if salvaged is None:
        return parse_failure(capture, SOURCE, f"parse:{SOURCE}:invalid-json")
    items, offset = salvaged
    first_rank = page_offset(capture.location) + 1
    rows = [
        item_record(SOURCE, daily_item_record, item) | {"rank": first_rank + position}
        for position, item in enumerate(items)
    ]
    rest = (decode_lenient(capture.content) or "")[offset : offset + 200]
    rows.append(failed_item(SOURCE, "broken-structure-rest-lost", rest))
    return records_frame(capture, SOURCE, rows)


def document_day(value: object) -> dict[str, Any]:
    """``listed_on`` fields for a day the document names (``YYYY-MM-DD``); empty when it names none."""
    if not isinstance(value, str):
        return {}
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        return {}
    return {"listed_on": day, "listed_on_evidence": "document:date"}


def page_offset(location: str) -> int:
    """Items before this response in the day's list: ``p * limit`` from an API URL (0 when not paged)."""
    query = parse_qs(urlsplit(location).query)
    page, limit = as_int((query.get("p") or ["0"])[0]), as_int((query.get("limit") or ["0"])[0])
    return page * limit if page and limit and page > 0 and limit > 0 else 0


def daily_items(document: Any) -> list[Any]:
    """The items of a response, unwrapping ``{status, date, count, data}``; ValueError for other shapes."""
    if isinstance(document, Mapping) and isinstance(document.get("data"), list):
        return list(document["data"])
    if isinstance(document, list):
        return document
    raise ValueError("not-a-daily-papers-list")


def daily_item_record(item: Any) -> dict[str, Any]:
    """RECORD_SCHEMA fields of one daily-papers item (a dict or its Python-repr string)."""
    if isinstance(item, str):
        if len(item) > current_limits().max_text_chars:  # literal_eval costs ~500x the text in memory
            raise ItemRejected("text-too-long")
        try:
            item = ast.literal_eval(item)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return {"parse_error": f"parse:{SOURCE}:item-not-a-literal"}
    if not isinstance(item, Mapping):
        return {"parse_error": f"parse:{SOURCE}:item-not-an-object"}
    nested = item.get("paper")
    paper: Mapping[str, Any] = nested if isinstance(nested, Mapping) else item
    record = paper_record(paper, fallback=item)
    record["num_comments"] = as_int(item.get("numComments", paper.get("numComments")))
    if record["arxiv_id"] is None and record["title_raw"] is None:
        record["parse_error"] = f"parse:{SOURCE}:item-without-id-or-title"
    return record


def paper_record(paper: Mapping[str, Any], fallback: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """RECORD_SCHEMA fields of a Hugging Face paper object (shared by the API and the pages' embedded JSON).

    ``fallback`` is the enclosing item, whose copies of title/summary/publishedAt are used when the paper
    lacks them. The time the paper was submitted to Daily Papers is ``submittedOnDailyAt``; older API days lack
    it, and there the enclosing item's own ``publishedAt`` is that time (the paper's ``publishedAt`` is the
    arXiv date). Its UTC day is proposed as ``listed_on`` (see ``transforms/parse/listing.py``).
    """
    outer = fallback or {}
    arxiv_id, arxiv_version = split_arxiv_id(paper.get("id"))

    def field(name: str) -> Any:
        value = paper.get(name)
        return outer.get(name) if value is None else value

    daily_field = "submittedOnDailyAt"
    submitted = parse_timestamp(field(daily_field))
    if submitted is None and outer is not paper and outer and daily_field not in paper:
        daily_field = "publishedAt"
        submitted = parse_timestamp(outer.get(daily_field))

    return {
        "arxiv_id": arxiv_id,
        "arxiv_version": arxiv_version,
        "title_raw": as_text(field("title")),
        "abstract_raw": as_text(field("summary")),
        "authors": _author_names(paper.get("authors")),
        "published_at": parse_timestamp(field("publishedAt")),
        "submitted_on_daily_at": submitted,
        "listed_on": submitted.date() if submitted else None,
        "listed_on_evidence": f"item:{daily_field}" if submitted else None,
        "upvotes": as_int(field("upvotes")),
        "num_comments": as_int(field("numComments")),
        "keywords": as_text_list(paper.get("ai_keywords")),
        "source_code_url": as_text(paper.get("githubRepo")),
        "source_project_url": as_text(paper.get("projectPage")),
        "github_stars": _count(paper.get("githubStars")),
        "github_repo_added_by": as_text(paper.get("githubRepoAddedBy")),
        "ai_summary": as_text(paper.get("ai_summary")),
        **_organization(field("organization")),
        "url": PAPER_URL.format(arxiv_id=arxiv_id) if arxiv_id else None,
    }


def _count(value: Any) -> int | None:
    """A count the source gives (stars): a whole number of at least 0, else unknown."""
    count = as_int(value)
    return count if count is not None and count >= 0 else None


def _organization(value: Any) -> dict[str, str | None]:
    """``organization_id``/``_name``/``_fullname`` of the Hub organisation a paper is claimed by (``_id``, its
    handle ``name``, its display ``fullname``); all null when the item names none."""
    organization: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    return {
        "organization_id": as_text(organization.get("_id")),
        "organization_name": as_text(organization.get("name")),
        "organization_fullname": as_text(organization.get("fullname")),
    }


def _author_names(authors: Any) -> list[str] | None:
    if not isinstance(authors, list):
        return None
    names = [author.get("name") if isinstance(author, Mapping) else author for author in authors]
    return [name for name in names if isinstance(name, str) and name.strip()]


def _is_daily_item(item: Any) -> bool:
    if isinstance(item, str):
        return item.lstrip().startswith("{") and "'paper'" in item[:200]
    return isinstance(item, Mapping) and isinstance(item.get("paper"), Mapping)
