"""HF papers pages: embedded data-props JSON first, visible cards as the fallback."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime

from tests.support.parse_helpers import capture, fixture
from transforms.parse import detect_format, parse_capture


def test_embedded_json_gives_full_records() -> None:
    frame = parse_capture(fixture("hf-page/listing-embedded.html"))
    assert frame["source"].unique().to_list() == ["hf-page"]
    assert frame["arxiv_id"].to_list() == ["2501.00001", "2501.00002"]
    assert frame["arxiv_version"].to_list() == [None, 2]
    first, second = frame.row(0, named=True), frame.row(1, named=True)
    assert first["abstract_raw"].endswith('& "quoted" cases <b>here</b>.'), (
        "attribute entities are decoded once"
    )
    assert first["authors"] == ["Ada Example", "Bo Sample"]
    assert first["upvotes"] == 42 and first["num_comments"] == 3
    assert first["keywords"] == ["sparse widgets", "transformers"]
    assert first["source_code_url"] == "https://github.com/example/sparse-widgets"
    assert first["submitted_on_daily_at"] == datetime(2025, 1, 2, 8, tzinfo=UTC)
    assert second["title_raw"] == "Gradient Gardens: Über-Robust Optimisation"
    assert second["num_comments"] == 0
    assert second["source_project_url"] == "https://example.org/gardens"
    assert second["url"] == "https://huggingface.co/papers/2501.00002"


def test_visible_cards_when_no_embedded_json() -> None:
    frame = parse_capture(fixture("hf-page/listing-cards-only.html"))
    assert frame["arxiv_id"].to_list() == ["2502.01234", "2502.05678"], (
        "repeated cards and non-paper links skipped"
    )
    assert frame["title_raw"].to_list() == ["Tiny Models, Big Claims", "Éclair: Fast Attention"]
    assert frame["arxiv_version"].to_list() == [None, 3]
    assert frame["abstract_raw"].null_count() == 2


def test_single_paper_page_uses_its_state() -> None:
    frame = parse_capture(fixture("hf-page/paper-page.html"))
    assert frame.height == 1
    row = frame.row(0, named=True)
    assert row["arxiv_id"] == "2503.02130"
    assert row["num_comments"] == 2
    assert row["abstract_raw"] == "An id like 2503.02130 must stay a string."


def test_single_paper_page_without_state_falls_back_to_h1() -> None:
    page = """<!DOCTYPE html><html><head>
    <meta property="og:url" content="https://huggingface.co/papers/2509.00001"></head>
    <body><h1>  A   Title
    on two lines </h1><h2>Abstract</h2><p>Text.</p></body></html>"""
    frame = parse_capture(capture(page))
    assert frame.select("arxiv_id", "title_raw").rows() == [("2509.00001", "A Title on two lines")]


def test_broken_props_are_skipped_and_other_props_still_used() -> None:
    paper = {"id": "2504.00001", "title": "Ok", "summary": "Fine."}
    good = html.escape(json.dumps({"paper": paper}))
    page = f'<html><body><div data-props="{{not json"></div><div data-props="{good}"></div></body></html>'
    frame = parse_capture(capture(page))
    assert frame["arxiv_id"].to_list() == ["2504.00001"]


def test_page_without_papers_is_a_reported_failure() -> None:
    frame = parse_capture(fixture("hf-page/no-papers.html"))
    assert frame["parse_error"].to_list() == ["parse:hf-page:no-papers-found"]
    assert frame["raw_index"].to_list() == [-1]


def test_recognised_as_html_only() -> None:
    assert detect_format(fixture("hf-page/paper-page.html").content) == "hf-page"
    assert detect_format(b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'></feed>") == "arxiv"
