"""Hostile inputs: a broken item affects only itself, a broken file is one record, nothing raises.

Each case here raised out of ``parse_capture`` (or lost a whole file) before per-item isolation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.parse_helpers import capture, fixture
from transforms.parse import InputLimits, parse_capture

REPO = Path(__file__).resolve().parents[2]


def daily_item(arxiv_id: str, **paper: object) -> dict[str, object]:
    return {
        "paper": {"id": arxiv_id, "title": f"Paper {arxiv_id}", "summary": "An abstract.", **paper},
        "numComments": 1,
    }


def reasons(frame) -> list[str | None]:
    return frame.get_column("parse_error").to_list()


def test_json_nested_a_thousand_levels_is_one_reason_not_a_recursion_error() -> None:
    for document in ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "[" * 100_000]:
        frame = parse_capture(capture(document))
        assert frame.height == 1
        assert reasons(frame)[0] in {"parse:json:too-deep", "parse:unrecognised-format"}
    assert reasons(parse_capture(capture("[" * 1000 + "]" * 1000)))[0] == "parse:json:too-deep"


def test_depth_limit_is_a_setting() -> None:
    items = json.dumps([daily_item("2401.00001", extra=[[[[[1]]]]])])
    assert reasons(parse_capture(capture(items)))[0] is None
    shallow = InputLimits(max_json_depth=4)
    assert reasons(parse_capture(capture(items), shallow)) == ["parse:json:too-deep"]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("upvotes", 2**63, "number-out-of-range"),
        ("upvotes", -(2**70), "number-out-of-range"),
        ("id", "2401.00002v99999999999", "number-out-of-range"),
        ("publishedAt", "0001-01-01T00:00:00+01:00", "date-out-of-range"),
        ("publishedAt", "9999-12-31T23:59:59-01:00", "date-out-of-range"),
        ("title", "bad \ud800 surrogate", "invalid-unicode"),
    ],
)
def test_a_broken_item_is_quarantined_alone_with_its_raw_json(field: str, value: object, reason: str) -> None:
    bad = daily_item("2401.00002", **{field: value})
    document = [daily_item("2401.00001"), bad, daily_item("2401.00003")]
    frame = parse_capture(capture(json.dumps(document)))
    assert frame.height == 3
    assert reasons(frame) == [None, f"parse:hf-daily:{reason}", None]
    assert frame.get_column("arxiv_id").to_list()[::2] == ["2401.00001", "2401.00003"]
    raw = json.loads(frame.item(1, "raw_item"))
    assert raw["paper"]["id"].startswith("2401.00002")
    assert frame.get_column("raw_index").to_list() == [0, 1, 2]


def test_lone_surrogate_in_a_python_repr_item_does_not_lose_the_file() -> None:
    good = repr({"paper": {"id": "2401.00001", "title": "Good", "summary": "x"}})
    bad = repr({"paper": {"id": "2401.00002", "title": "Bad \ud800", "summary": "x"}})
    frame = parse_capture(capture(json.dumps([good, bad])))
    assert reasons(frame) == [None, "parse:hf-daily:invalid-unicode"]


def test_xml_declaring_an_unknown_encoding_is_a_reason() -> None:
    feed = b'<?xml version="1.0" encoding="no-such-codec"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>'
    assert reasons(parse_capture(capture(feed))) == ["parse:arxiv:unknown-encoding"]


def test_a_broken_arxiv_entry_does_not_lose_its_siblings() -> None:
    content = fixture("arxiv/recorded-2026-2104.12255v1.xml").content
    entry = re.search(rb"<entry.*?</entry>", content, re.DOTALL).group(0)
    broken = re.sub(
        rb"<published>[^<]*</published>", b"<published>0001-01-01T00:00:00+05:00</published>", entry
    )
    feed = content.replace(entry, broken + entry)
    frame = parse_capture(capture(feed))
    assert frame.height == 2
    assert reasons(frame) == ["parse:arxiv:date-out-of-range", None]
    assert frame.item(0, "raw_item").startswith("<")


def test_hf_page_with_too_deep_props_keeps_the_reason_and_other_papers() -> None:
    page = fixture("hf-page/listing-embedded.html").content
    deep = "[" * 200 + "]" * 200
    page = page.replace(b"<body", f"<div data-props='{deep}'></div><body".encode(), 1)
    frame = parse_capture(capture(page))
    assert "parse:hf-page:too-deep" in reasons(frame)
    assert sum(reason is None for reason in reasons(frame)) >= 1


def test_item_count_text_length_and_file_size_limits_are_reasons() -> None:
    items = json.dumps([daily_item(f"2401.{n:05d}") for n in range(1, 6)])
    assert reasons(parse_capture(capture(items), InputLimits(max_items=4))) == [
        "parse:hf-daily:too-many-items"
    ]
    assert reasons(parse_capture(capture(items), InputLimits(max_file_bytes=100))) == [
        "parse:input:too-large"
    ]
    long = json.dumps([daily_item("2401.00001", summary="word " * 100), daily_item("2401.00002")])
    limited = parse_capture(capture(long), InputLimits(max_text_chars=200))
    assert reasons(limited) == ["parse:hf-daily:text-too-long", None]
    repr_item = json.dumps([repr(daily_item("2401.00001", summary="word " * 100))])
    assert reasons(parse_capture(capture(repr_item), InputLimits(max_text_chars=200))) == [
        "parse:hf-daily:text-too-long"
    ]


ABSTRACT = " ".join(["We study a model and show that it learns well under mild assumptions."] * 3)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "# Results\n\n| a | b |\n|---|---|\n| " + ABSTRACT + " | 1 |\n| x | " + ABSTRACT + " |\n",
            "markdown",
        ),
        ("2024-01-01 12:00:00 INFO start\n2024-01-01 12:00:01 INFO " + ABSTRACT + "\n", "log"),
        ("def f(x):\n    return x\n\nclass A:\n    pass\n" + "x = {\n}\n", "code"),
        ("\n\n".join([ABSTRACT] * 6), "no-title-abstract-pairs"),
    ],
)
def test_text_that_is_not_a_listing_is_refused_with_its_kind(text: str, kind: str) -> None:
    assert reasons(parse_capture(capture(text))) == [f"parse:text:{kind}"]


def test_a_table_without_titles_and_abstracts_is_refused_with_its_columns() -> None:
    """A CSV of titles and abstracts is a listing (the generic reader); one without is refused, and its reason
    names the columns a mapping file could use."""
    table = "name,notes,year\n" + "\n".join(f"T{n},{ABSTRACT.replace(',', '')},2024" for n in range(5))
    assert reasons(parse_capture(capture(table))) == ["parse:generic:unmapped:csv:name,notes,year"]


def test_the_benchmark_notes_are_not_published_as_papers() -> None:
    for note in sorted((REPO / "bench").glob("*.md")):
        frame = parse_capture(capture(note.read_bytes(), location=str(note)))
        assert frame.height == 1, note
        assert reasons(frame)[0].startswith("parse:text:"), (note, reasons(frame))


def test_readme_is_not_a_listing_either() -> None:
    assert reasons(parse_capture(capture((REPO / "README.md").read_bytes())))[0].startswith("parse:text:")


def test_rows_that_do_not_fit_become_failure_rows_in_place_when_the_frame_is_built() -> None:
    """``records_frame`` builds all rows at once and checks row by row only when that fails: the rows a parser
    gives without its own check (a rank beyond Int32, a lone surrogate, a text over the limit) still become
    their own failure rows, and their siblings keep their index."""
    from transforms.parse.common import input_limits, records_frame

    rows = [
        {"title_raw": "fine", "rank": 1},
        {"title_raw": "fine", "rank": 2**40},
        {"title_raw": "bad \ud800", "rank": 3},
        {"title_raw": "x" * 300, "authors": ["y" * 300], "rank": 4},
        {"title_raw": "fine", "authors": ["a", None], "rank": 5},
    ]
    with input_limits(InputLimits(max_text_chars=200)):
        frame = records_frame(capture("[]"), "text", rows)
    assert reasons(frame) == [
        None,
        "parse:text:number-out-of-range",
        "parse:text:invalid-unicode",
        "parse:text:text-too-long",
        None,
    ]
    assert frame.get_column("raw_index").to_list() == [0, 1, 2, 3, 4]
    assert frame.get_column("rank").to_list() == [1, None, None, None, 5]
    with input_limits(InputLimits(max_text_chars=200)):
        fast = records_frame(capture("[]"), "text", [rows[0], rows[4]])
    assert reasons(fast) == [None, None]
    assert fast.get_column("authors").to_list() == [None, ["a", None]]


@pytest.mark.parametrize(
    "content",
    [
        b'{"date": "2025-07-03", "papers": [{"title": "A", "url": "https://huggingface.co/papers/2507.0',
        b'{"a": [1, 2',
    ],
)
def test_json_whose_structure_breaks_says_so(content: bytes) -> None:
    """A JSON document cut short (or with an unbalanced bracket) that no salvage reads is one record whose reason
    names the broken structure, not an unrecognised format."""
    assert parse_capture(capture(content))["parse_error"].to_list() == ["parse:json:broken-structure"]
