"""Papers with Code responses: paper lists and papers become records; other listings are reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.support.parse_helpers import capture, fixture
from transforms.parse import detect_format, parse_capture


def test_single_paper_with_venue_field() -> None:
    row = parse_capture(fixture("pwc/paper_get_response.json")).row(0, named=True)
    assert row["source"] == "pwc"
    assert (row["arxiv_id"], row["arxiv_version"]) == ("1406.2661", 1)
    assert row["venue_field"] == "proceedings-of-the-27th-international"
    assert row["published_at"] == datetime(2014, 6, 10, tzinfo=UTC)
    assert row["authors"][0] == "Ian J. Goodfellow"
    assert row["url"] == "https://arxiv.org/abs/1406.2661v1"


def test_paper_list() -> None:
    frame = parse_capture(fixture("pwc/paper_list_response-excerpt.json"))
    assert frame["arxiv_id"].to_list() == [None, "cs/9301114", "astro-ph/9204005"]
    assert frame["venue_field"].null_count() == 3
    assert frame["parse_error"].null_count() == 3


@pytest.mark.parametrize("name", ["paper_method_list_response.json", "paper_result_list.json"])
def test_non_paper_listings_are_reported(name: str) -> None:
    frame = parse_capture(fixture(f"pwc/{name}"))
    assert frame["parse_error"].to_list() == ["parse:pwc:not-a-paper-listing"]


def test_empty_listing_is_zero_records() -> None:
    content = fixture("pwc/paper_task_list_response.json").content
    assert detect_format(content) == "pwc"
    assert parse_capture(capture(content)).height == 0


def test_conference_used_when_no_proceeding() -> None:
    paper = {
        "id": "x",
        "title": "T",
        "abstract": "A",
        "url_abs": "u",
        "conference": "iclr-2021",
        "proceeding": None,
    }
    page = {"count": 1, "next": None, "previous": None, "results": [paper]}
    frame = parse_capture(capture(json.dumps(page)))
    assert frame["venue_field"].to_list() == ["iclr-2021"]
