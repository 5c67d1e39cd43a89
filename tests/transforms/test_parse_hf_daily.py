"""HF daily-papers API parsing: real excerpts in all three shapes, plus literal edge cases."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from polars.testing import assert_frame_equal

from tests.support.parse_helpers import CAPTURED_AT, capture, fixture
from transforms.parse import detect_format, parse_capture
from transforms.schema import RECORD_SCHEMA, polars_schema


def test_plain_list_maps_every_field() -> None:
    frame = parse_capture(fixture("hf-daily/2025-07-03-excerpt.json"))
    assert frame.schema == polars_schema(RECORD_SCHEMA)
    assert frame.height == 2
    row = frame.row(1, named=True)
    assert row["source"] == "hf-daily"
    assert row["arxiv_id"] == "2506.22868"
    assert row["arxiv_version"] is None
    assert row["url"] == "https://huggingface.co/papers/2506.22868"
    assert row["title_raw"].startswith("STR-Match: Matching SpatioTemporal")
    assert "\n" in row["title_raw"], "raw title is kept as captured (hard-wrapped)"
    assert row["abstract_raw"]
    assert row["authors"] and all(isinstance(name, str) for name in row["authors"])
    assert row["published_at"] == datetime(2025, 6, 28, 12, 36, 19, tzinfo=UTC)
    assert row["submitted_on_daily_at"] == datetime(2025, 7, 3, 6, 8, 50, 749000, tzinfo=UTC)
    assert row["upvotes"] == 1
    assert row["num_comments"] == 1
    assert row["keywords"][:2] == ["T2V diffusion models", "latent optimization"]
    assert row["source_code_url"] == "https://github.com/jslee525/STR-Match_official"
    assert row["source_project_url"] == "https://jslee525.github.io/str-match"
    assert row["captured_at"] == CAPTURED_AT
    assert frame["parse_error"].null_count() == frame.height


def test_python_repr_items_are_parsed_without_eval() -> None:
    frame = parse_capture(fixture("hf-daily/2024-12-11-repr-excerpt.json"))
    assert frame["arxiv_id"].to_list() == ["2412.07730", "2412.05210"]
    assert frame["parse_error"].null_count() == 2
    assert frame["keywords"].to_list() == [None, None], "missing optional fields are null"


def test_wrapped_day_is_unwrapped() -> None:
    frame = parse_capture(fixture("hf-daily/2025-01-10-wrapped-excerpt.json"))
    assert detect_format(fixture("hf-daily/2025-01-10-wrapped-excerpt.json").content) == "hf-daily"
    assert frame.height == 2
    assert frame["arxiv_id"].to_list() == ["2501.05441", "2501.05453"]


def _item(paper: dict[str, object], **outer: object) -> dict[str, object]:
    return {"paper": paper, **outer}


def test_ids_stay_strings_and_versions_split() -> None:
    items = [
        _item({"id": "2503.02130", "title": "Zeros"}),
        _item({"id": "2503.02130v3", "title": "Versioned"}),
        {"paper": {"title": "A float id"}, "id": 1},
    ]
    raw = json.dumps(items).replace('"id": 1', '"id": 2503.02130').encode()
    frame = parse_capture(capture(raw))
    assert frame["arxiv_id"].to_list() == ["2503.02130", "2503.02130", None]
    assert frame["arxiv_version"].to_list() == [None, 3, None]


def test_numeric_json_id_keeps_its_text_trailing_zero_included() -> None:
    raw = (
        b'[{"paper": {"id": 2503.02130, "title": "Numeric id"}}, {"paper": {"id": 2503.0213, "title": "x"}}]'
    )
    frame = parse_capture(capture(raw))
    assert frame["arxiv_id"].to_list() == ["2503.02130", "2503.0213"]


def test_python_float_id_is_refused_rather_than_shortened() -> None:
    frame = parse_capture(capture(json.dumps(["{'paper': {'id': 2503.02130, 'title': 'Float'}}"])))
    assert frame["arxiv_id"].to_list() == [None]
    assert frame["title_raw"].to_list() == ["Float"]


def test_unknown_fields_ignored_and_bad_items_reported_not_dropped() -> None:
    items = [
        _item({"id": "2501.00001", "title": "Ünïcode ✓", "brandNew": {"x": 1}, "upvotes": "12"}, extra=[1]),
        "{'paper': {'id': '2501.00002', 'title': __import__('os').getcwd()}}",
        "not a dict at all",
        42,
        _item({"authors": [{"name": "Nobody"}]}),
        _item({"id": "2501.00003", "title": "", "summary": None, "authors": None, "upvotes": True}),
    ]
    frame = parse_capture(capture(json.dumps(items)))
    assert frame.height == len(items)
    assert frame["raw_index"].to_list() == list(range(len(items)))
    assert frame["parse_error"].to_list() == [
        None,
        "parse:hf-daily:item-not-a-literal",
        "parse:hf-daily:item-not-a-literal",
        "parse:hf-daily:item-not-an-object",
        "parse:hf-daily:item-without-id-or-title",
        None,
    ]
    first, last = frame.row(0, named=True), frame.row(-1, named=True)
    assert first["title_raw"] == "Ünïcode ✓"
    assert first["upvotes"] == 12
    assert last["title_raw"] is None and last["authors"] is None and last["upvotes"] is None


@pytest.mark.parametrize(
    "content", [b"[]", b'{"status": "success", "date": "2025-01-01", "count": 0, "data": []}']
)
def test_empty_day_is_zero_records(content: bytes) -> None:
    frame = parse_capture(capture(content, source="hf-daily"))
    assert frame.height == 0
    assert frame.schema == polars_schema(RECORD_SCHEMA)


def test_unparseable_response_is_one_reported_failure() -> None:
    frame = parse_capture(capture(b'{"error": "Invalid date"}', source="hf-daily"))
    assert frame.height == 1
    assert frame["parse_error"].to_list() == ["parse:hf-daily:not-a-daily-papers-list"]
    truncated = parse_capture(capture(b'[{"paper": {"id": "2501.0', source="hf-daily"))
    assert truncated["parse_error"].to_list() == ["parse:hf-daily:invalid-json"]


@pytest.mark.parametrize("source", ["hf-daily", "auto"])
def test_a_list_cut_short_keeps_the_items_before_the_break_and_says_the_rest_is_lost(source: str) -> None:
    items = json.loads(fixture("hf-daily/2025-07-03-excerpt.json").content)
    whole = json.dumps(items + items[:1]).encode()  # three items, the last cut in its middle
    frame = parse_capture(capture(whole[: len(whole) - 300], source=source))
    assert frame.get_column("arxiv_id").to_list()[:2] == [item["paper"]["id"] for item in items]
    assert frame.get_column("parse_error").to_list() == [
        None,
        None,
        "parse:hf-daily:broken-structure-rest-lost",
    ]
    assert frame.item(2, "raw_item").startswith('"{')


def test_record_ids_are_stable_across_parses() -> None:
    first = parse_capture(fixture("hf-daily/2025-07-03-excerpt.json"))
    again = parse_capture(fixture("hf-daily/2025-07-03-excerpt.json"))
    assert_frame_equal(first, again)
    assert first["record_id"].n_unique() == first.height


def test_a_capture_is_parsed_once_by_the_limit_check_the_recognisers_and_the_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three JSON parses and depth walks per capture were 60 % of ingest; the records stay the same."""
    import transforms.parse.common as common

    calls: list[int] = []
    real_loads = common.json.loads

    def counting_loads(text: str, **kwargs: object) -> object:
        calls.append(len(text))
        return real_loads(text, **kwargs)

    unsourced = fixture("hf-daily/2025-07-03-excerpt.json")  # source "auto": format detection runs
    monkeypatch.setattr(common.json, "loads", counting_loads)
    frame = parse_capture(unsourced)
    assert len(calls) == 1 and frame.height == 2
    assert_frame_equal(frame, parse_capture(unsourced))
    assert len(calls) == 2, "a second parse_capture parses again: nothing is kept between captures"
