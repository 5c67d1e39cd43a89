"""Third-party page dumps ``{date, papers: [...]}``: ids from the HF or PDF URL, raw text kept."""

from __future__ import annotations

import json

from tests.support.parse_helpers import capture
from transforms.parse import detect_format, parse_capture


def _dump(*papers: object) -> bytes:
    return json.dumps({"date": "2024-05-27", "papers": list(papers)}, ensure_ascii=False).encode()


def test_papers_become_records() -> None:
    content = _dump(
        {
            "title": "Wrapped Ünicode",
            "url": "https://huggingface.co/papers/2405.00010",
            "authors": ["A. Person", ""],
            "pdf_url": "https://arxiv.org/pdf/2405.00010.pdf",
            "abstract": "Line one of the abstract\nline two.",
            "upvotes": 9,
        },
        {
            "title": "From pdf only",
            "url": "https://example.org/x",
            "abstract": "",
            "pdf_url": "https://arxiv.org/pdf/2405.00011v2",
        },
        "garbage",
    )
    assert detect_format(content) == "hf-scraped"
    frame = parse_capture(capture(content))
    assert frame["source"].unique().to_list() == ["hf-scraped"]
    assert frame["arxiv_id"].to_list() == ["2405.00010", "2405.00011", None]
    assert frame["arxiv_version"].to_list() == [None, 2, None]
    assert frame["abstract_raw"].to_list() == ["Line one of the abstract\nline two.", None, None]
    assert frame["authors"].to_list()[0] == ["A. Person"]
    assert frame["upvotes"].to_list() == [9, None, None]
    assert frame["parse_error"].to_list() == [None, None, "parse:hf-scraped:item-not-an-object"]


def test_empty_dump_is_zero_records_and_other_objects_are_not_dumps() -> None:
    assert parse_capture(capture(_dump())).height == 0
    assert detect_format(b'{"papers": [{"name": "not a paper"}]}') is None
