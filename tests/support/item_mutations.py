"""One-item mutants of listings of every format: one item of a well-formed listing corrupted, its siblings intact.

Shared by the parser property test (``tests/transforms/test_item_isolation.py``) and ``bench/item_mutations.py``.
A listing of five papers (titles and abstracts of the bundled sample page, arXiv ids made up) is written in each
format the parsers read; one item at one position gets one corruption that the item alone carries: a byte that
is not UTF-8 inside its title, a missing or extra field, a value of the wrong type, an over-long abstract, an id
that is not an arXiv id, an item that is not an object. Parsing the mutant must give one record per item (the
corrupted one may be a ``parse_error`` record, never nothing) and every sibling parsed as in the clean listing.
Corruptions that break a document's structure (unbalanced brackets) are not here: they may cost the rest of the
document, and the reason says so.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from transforms.parse import Capture, parse_capture

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample" / "trending-papers-page.txt"
PAPERS = 5
MISSING = object()
"""A field value meaning "leave the field out"."""


def base_papers() -> list[dict[str, Any]]:
    """Five papers: the first titles and abstracts of the bundled sample page, arXiv ids 2507.00001-5."""
    lines = [line.strip() for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = [(lines[i - 1], line) for i, line in enumerate(lines) if len(line.split()) >= 25 and i > 0]
    return [
        {
            "id": f"2507.{number:05d}",
            "title": title,
            "summary": abstract,
            "authors": [f"Author {number} A", f"Author {number} B"],
            "upvotes": 10 + number,
            "publishedAt": "2025-07-03T09:00:00.000Z",
        }
        for number, (title, abstract) in enumerate(pairs[:PAPERS], start=1)
    ]


@dataclass(frozen=True)
class Corruption:
    """How one item is corrupted: fields changed before it is written, or its bytes after."""

    name: str
    fields: Callable[[dict[str, Any]], dict[str, Any] | Any] = lambda paper: paper
    data: Callable[[bytes, dict[str, Any]], bytes] = lambda data, paper: data
    formats: frozenset[str] | None = None
    """The formats it applies to (None: all)."""


def _invalid_byte(data: bytes, paper: dict[str, Any]) -> bytes:
    title = paper["title"].encode("utf-8")
    at = data.index(title) + 3
    return data[:at] + b"\xff" + data[at:]


def _without(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda paper: paper | {name: MISSING}


JSON_FORMATS = frozenset({"hf-daily", "hf-scraped", "pwc", "hf-page"})
CORRUPTIONS = [
    Corruption("invalid-utf8-byte", data=_invalid_byte),
    Corruption("missing-title", fields=_without("title")),
    Corruption("missing-abstract", fields=_without("summary")),
    Corruption("missing-id", fields=_without("id"), formats=JSON_FORMATS | {"arxiv"}),
    Corruption(
        "extra-field",
        fields=lambda paper: paper | {"unexpected": {"nested": [1, 2, {"x": None}]}},
        formats=JSON_FORMATS | {"arxiv"},
    ),
    Corruption("title-not-text", fields=lambda paper: paper | {"title": [12345]}, formats=JSON_FORMATS),
    Corruption(
        "id-not-an-id", fields=lambda paper: paper | {"id": "not an id"}, formats=JSON_FORMATS | {"arxiv"}
    ),
    Corruption("abstract-300k-chars", fields=lambda paper: paper | {"summary": "word " * 60_000}),
    Corruption("title-300k-chars-one-word", fields=lambda paper: paper | {"title": "x" * 300_000}),
    Corruption(
        "not-an-object", fields=lambda paper: 42, formats=frozenset({"hf-daily", "hf-scraped", "pwc"})
    ),
]


def _present(paper: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in paper.items() if value is not MISSING}


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _hf_daily_item(paper: Any) -> bytes:
    if not isinstance(paper, dict):
        return _json(paper)
    fields = _present(paper)
    authors = [{"name": name} for name in fields.pop("authors", [])]
    return _json({"paper": fields | {"authors": authors}, "numComments": 1})


def _hf_scraped_item(paper: Any) -> bytes:
    if not isinstance(paper, dict):
        return _json(paper)
    fields = _present(paper)
    item = {
        "title": fields.get("title", MISSING),
        "url": f"https://huggingface.co/papers/{fields['id']}" if "id" in fields else MISSING,
        "abstract": fields.get("summary", MISSING),
        "authors": fields.get("authors", MISSING),
        "upvotes": fields.get("upvotes", MISSING),
    }
    if "unexpected" in fields:
        item["unexpected"] = fields["unexpected"]
    if isinstance(fields.get("id"), str) and not fields["id"][0].isdigit():
        item["url"] = f"https://example.org/{fields['id']}"
    return _json(_present(item))


def _pwc_item(paper: Any) -> bytes:
    if not isinstance(paper, dict):
        return _json(paper)
    fields = _present(paper)
    item = {
        "id": f"paper-{fields.get('upvotes', 0)}",
        "arxiv_id": fields.get("id", MISSING),
        "url_abs": f"https://arxiv.org/abs/{fields['id']}" if "id" in fields else MISSING,
        "title": fields.get("title", MISSING),
        "abstract": fields.get("summary", MISSING),
        "authors": fields.get("authors", MISSING),
        "published": "2025-07-03",
    }
    if "unexpected" in fields:
        item["unexpected"] = fields["unexpected"]
    return _json(_present(item))


def _arxiv_item(paper: Any) -> bytes:
    fields = _present(paper)
    parts = ["<entry>"]
    if "id" in fields:
        parts.append(f"<id>http://arxiv.org/abs/{html.escape(str(fields['id']))}v1</id>")
    if "title" in fields:
        parts.append(f"<title>{html.escape(str(fields['title']))}</title>")
    if "summary" in fields:
        parts.append(f"<summary>{html.escape(str(fields['summary']))}</summary>")
    parts += [f"<author><name>{html.escape(name)}</name></author>" for name in fields.get("authors", [])]
    parts.append("<published>2025-07-03T09:00:00Z</published>")
    if "unexpected" in fields:
        parts.append("<unexpected><nested>1</nested></unexpected>")
    parts.append("</entry>")
    return "".join(parts).encode("utf-8")


def _text_item(paper: Any) -> bytes:
    fields = _present(paper)
    lines = [str(fields.get("title", "")), str(fields.get("summary", ""))]
    return "\n".join(lines).encode("utf-8")


def _attribute(data: bytes) -> bytes:
    return data.replace(b"&", b"&amp;").replace(b'"', b"&quot;").replace(b"<", b"&lt;").replace(b">", b"&gt;")


WRITERS: dict[str, tuple[Callable[[Any], bytes], Callable[[list[bytes]], bytes]]] = {
    "hf-daily": (_hf_daily_item, lambda items: b"[" + b",".join(items) + b"]"),
    "hf-scraped": (
        _hf_scraped_item,
        lambda items: b'{"date": "2025-07-03", "papers": [' + b",".join(items) + b"]}",
    ),
    "pwc": (
        _pwc_item,
        lambda items: b'{"count": 5, "next": null, "previous": null, "results": [' + b",".join(items) + b"]}",
    ),
    "arxiv": (
        _arxiv_item,
        lambda items: (
            b"<?xml version='1.0' encoding='UTF-8'?>\n"
            b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">'
            b"<id>https://arxiv.org/api/x</id><title>arXiv Query</title>" + b"".join(items) + b"</feed>"
        ),
    ),
    "hf-page": (
        _hf_daily_item,
        lambda items: (
            b'<!doctype html><html><head><link rel="canonical" href="https://huggingface.co/papers/date/'
            b'2025-07-03"></head><body><div data-target="DailyPapers" data-props="'
            + _attribute(b'{"dailyPapers": [' + b",".join(items) + b"]}")
            + b'"></div></body></html>'
        ),
    ),
    "text": (_text_item, lambda items: b"Trending Papers\n\n" + b"\n\n".join(items) + b"\n"),
}
FORMATS = tuple(WRITERS)


@dataclass(frozen=True)
class Mutant:
    format: str
    position: int
    corruption: str
    content: bytes


def listing(format_name: str, position: int | None = None, corruption: Corruption | None = None) -> bytes:
    """The five papers written in ``format_name``, the item at ``position`` corrupted by ``corruption``."""
    write_item, write_document = WRITERS[format_name]
    items = []
    for index, paper in enumerate(base_papers()):
        if index == position and corruption is not None:
            changed = corruption.fields(dict(paper))
            items.append(corruption.data(write_item(changed), paper))
        else:
            items.append(write_item(paper))
    return write_document(items)


def mutants(formats: tuple[str, ...] = FORMATS) -> Iterator[Mutant]:
    """Every format x item position x corruption that applies to it."""
    for format_name in formats:
        for corruption in CORRUPTIONS:
            if corruption.formats is not None and format_name not in corruption.formats:
                continue
            for position in range(PAPERS):
                yield Mutant(
                    format_name, position, corruption.name, listing(format_name, position, corruption)
                )


def parse(content: bytes) -> pl.DataFrame:
    capture = Capture("auto", "mutant", content, datetime(2025, 7, 3, 12, tzinfo=UTC), "file-mtime")
    return parse_capture(capture)


@dataclass(frozen=True)
class Damage:
    """What one mutant cost: siblings not parsed as in the clean listing, and whether its own item vanished."""

    siblings_lost: int
    item_vanished: bool
    reasons: tuple[str, ...]


def damage(mutant: Mutant) -> Damage:
    """Siblings of the corrupted item that are missing or differ from the clean listing's records (compared by
    title, abstract and arXiv id), and whether the corrupted item left no record at all."""
    clean = _good(parse(listing(mutant.format)))
    frame = parse(mutant.content)
    good = _good(frame)
    titles = [paper["title"] for paper in base_papers()]
    lost = sum(
        1
        for index, title in enumerate(titles)
        if index != mutant.position and good.get(title) != clean.get(title)
    )
    reasons = tuple(sorted(set(frame.get_column("parse_error").drop_nulls().to_list())))
    return Damage(lost, lost == 0 and frame.height < PAPERS, reasons)


def _good(frame: pl.DataFrame) -> dict[str, tuple[Any, ...]]:
    """Parsed records by title: (title, abstract, arXiv id)."""
    rows = (
        frame.filter(pl.col("parse_error").is_null()).select("title_raw", "abstract_raw", "arxiv_id").rows()
    )
    return {row[0]: row for row in rows}
