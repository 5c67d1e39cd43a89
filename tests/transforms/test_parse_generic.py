"""The generic listing reader on tiny literal inputs: JSON lists and wrappers, JSON Lines, CSV, TSV, nested and
renamed fields, counts as text, files that do not map, a user's mapping."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.parse import Capture, detect_format, parse_capture, parse_capture_as
from transforms.parse.fields import mapping_problems, resolve_fields
from transforms.parse.generic import describe
from transforms.parse.listing import NOT_A_LISTING

ABSTRACT = "We study a simple model of learning and show that it generalises well on many hard benchmarks."
PAPERS = [
    ("2501.00001", "First Paper", ["Ann One", "Bob Two"]),
    ("2501.00002", "Second Paper", ["Cy Three"]),
]


def capture(content: str | bytes, location: str = "listing.txt") -> Capture:
    data = content.encode() if isinstance(content, str) else content
    return Capture("auto", location, data, datetime(2025, 1, 15, tzinfo=UTC), "file-mtime")


def parsed(content: str, location: str = "listing.txt", **kwargs: object) -> pl.DataFrame:
    frame, name, _ = parse_capture_as(capture(content, location), **kwargs)  # type: ignore[arg-type]
    assert name == "generic", frame.get_column("parse_error").to_list()
    assert set(frame.get_column("source")) == {"generic"}
    return frame


def papers_of(frame: pl.DataFrame) -> list[tuple[str, str, list[str]]]:
    return [(a, t, list(au)) for a, t, au in frame.select("arxiv_id", "title_raw", "authors").iter_rows()]


def flat_records() -> list[dict[str, object]]:
    return [{"id": i, "title": t, "summary": ABSTRACT, "authors": a} for i, t, a in PAPERS]


def test_a_json_list_of_records() -> None:
    frame = parsed(json.dumps(flat_records()))
    assert papers_of(frame) == PAPERS
    assert frame.get_column("abstract_raw").to_list() == [ABSTRACT, ABSTRACT]
    assert set(frame.get_column("listed_on_evidence")) == {NOT_A_LISTING}


def test_an_object_holding_one_list_of_records() -> None:
    frame = parsed(json.dumps({"generated": "today", "count": 2, "results": flat_records()}))
    assert papers_of(frame) == PAPERS
    assert (
        describe(capture(json.dumps({"results": flat_records()})).content)["shape"] == "json-object:results"
    )


def test_json_lines_with_a_broken_line_among_many() -> None:
    lines = [json.dumps(record) for record in flat_records() * 10] + ["{not json"]
    frame = parsed("\n".join(lines) + "\n")
    assert frame.height == 21
    assert frame.get_column("parse_error").to_list()[-1] == "parse:generic:line-not-json"
    assert frame.get_column("raw_item").to_list()[-1] == '"{not json"'


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_and_tsv(delimiter: str) -> None:
    header = delimiter.join(["arxiv_id", "paper_title", "abstract", "authors", "stars"])
    rows = [
        delimiter.join(
            [
                i,
                t,
                f'"{ABSTRACT}"' if delimiter == "," else ABSTRACT,
                ("; " if delimiter != ";" else ", ").join(a),
                "7",
            ]
        )
        for i, t, a in PAPERS
    ]
    frame = parsed("\n".join([header, *rows]) + "\n", "papers.csv")
    assert papers_of(frame) == PAPERS
    assert frame.get_column("github_stars").to_list() == [7, 7]


def test_nested_records_are_flattened_and_ids_come_from_urls() -> None:
    records = [
        {
            "title": t,
            "paper_url": f"https://huggingface.co/papers/{i}",
            "details": {"abstract": ABSTRACT, "pdf_url": f"https://arxiv.org/pdf/{i}v3", "github_links": []},
            "authors": [{"name": name, "affiliation": "X"} for name in a],
            "scraped_date": "2025-12-04",
        }
        for i, t, a in PAPERS
    ]
    frame = parsed(json.dumps(records))
    assert papers_of(frame) == PAPERS
    assert frame.get_column("listed_on").to_list() == [date(2025, 12, 4)] * 2
    assert set(frame.get_column("listed_on_evidence")) == {"item:scraped_date"}
    mapping = describe(json.dumps(records).encode())
    assert mapping["fields"]["abstract"] == "details.abstract"
    assert mapping["fields"]["arxiv_id"] == ["paper_url", "details.pdf_url"]
    assert mapping["listing"] is True


def test_a_day_in_the_file_name_makes_a_listing() -> None:
    content = json.dumps(flat_records())
    assert describe(content.encode(), "dumps/2025-03-04.json")["listing"] is True
    frame = parsed(content, "dumps/2025-03-04.json")
    assert frame.get_column("listed_on_evidence").null_count() == 2  # date_listings dates it by its file name


def test_a_file_is_a_listing_only_when_every_record_has_a_day() -> None:
    records = flat_records()
    records[0]["date"] = "2025-01-01"
    frame = parsed(json.dumps(records))
    assert set(frame.get_column("listed_on_evidence")) == {NOT_A_LISTING}
    assert frame.get_column("listed_on").null_count() == 2


@pytest.mark.parametrize(
    ("text", "count"),
    [("7", 7), (" 1,234 ", 1234), ("1.2k", 1200), ("11.8K", 11800), ("3M", 3_000_000), ("0", 0)],
)
def test_counts_as_text(text: str, count: int) -> None:
    records = [{**record, "upvotes": text} for record in flat_records()]
    assert parsed(json.dumps(records)).get_column("upvotes").to_list() == [count, count]


def test_a_count_that_is_not_a_number_is_reported_never_zero() -> None:
    records = flat_records()
    records[0]["stars"], records[1]["stars"] = "lots", -3
    frame = parsed(json.dumps(records))
    assert frame.get_column("github_stars").to_list() == [None, None]
    assert describe(json.dumps(records).encode())["unparsed_counts"] == {"github_stars": 2}


@given(st.integers(min_value=0, max_value=10**15))
def test_any_whole_count_reads_back(number: int) -> None:
    records = [{**flat_records()[0], "likes": str(number)}, {**flat_records()[1], "likes": f"{number:,}"}]
    assert parsed(json.dumps(records)).get_column("upvotes").to_list() == [number, number]


def test_a_file_below_90_percent_is_refused_with_its_columns() -> None:
    records = flat_records() * 4 + [{"id": "x", "name": "no title here"}]  # 8 of 9 records have a title: 89 %
    frame = parse_capture(capture(json.dumps(records)))
    assert frame.height == 1
    assert frame.item(0, "parse_error") == "parse:generic:unmapped:json-list:id,title,summary,authors,name"
    assert detect_format(json.dumps(records * 10 + flat_records() * 100).encode()) == "generic"


def test_the_unmapped_reason_is_bounded() -> None:
    records = [{f"column_number_{n}": "x" for n in range(100)}] * 3
    reason = parse_capture(capture(json.dumps(records))).item(0, "parse_error")
    assert reason.startswith("parse:generic:unmapped:json-list:column_number_0,") and len(reason) == 120
    odd = [{"Paper Title": "x", "a:b": "y", "\x1b[31m": "z"}] * 3
    reason = parse_capture(capture(json.dumps(odd))).item(0, "parse_error")
    assert reason == "parse:generic:unmapped:json-list:Paper_Title,a_b,__31m"


def test_known_formats_keep_priority() -> None:
    daily = json.dumps([{"paper": {"id": "2501.00001", "title": "T", "summary": ABSTRACT}}])
    assert detect_format(daily.encode()) == "hf-daily"
    dump = json.dumps({"date": "2025-01-01", "papers": [{"title": "T", "url": "u", "abstract": ABSTRACT}]})
    assert detect_format(dump.encode()) == "hf-scraped"


def test_items_that_break_are_records_with_a_reason() -> None:
    records: list[object] = [*flat_records() * 10, "not an object", {"id": "x", "note": "no title, no id"}]
    frame = parse_capture(capture(json.dumps(records)))
    reasons = frame.get_column("parse_error").to_list()
    assert reasons[-2:] == ["parse:generic:item-not-an-object", "parse:generic:item-without-id-or-title"]
    assert frame.get_column("raw_item").to_list()[-2] == '"not an object"'
    broken = "\n".join(
        [json.dumps(r) for r in flat_records() * 10] + ['{"title": "T", "summary": "\\udcff"}']
    )
    assert (
        parse_capture(capture(broken)).get_column("parse_error").to_list()[-1]
        == "parse:generic:invalid-unicode"
    )


def test_a_mapping_names_the_columns_the_table_does_not_know() -> None:
    records = [{"headline": t, "body": ABSTRACT, "ref": i, "people": "; ".join(a)} for i, t, a in PAPERS]
    content = json.dumps(records)
    assert (
        parse_capture(capture(content)).item(0, "parse_error")
        == "parse:generic:unmapped:json-list:headline,body,ref,people"
    )
    mapping = {"title": ("headline",), "abstract": ("body",), "arxiv_id": ("ref",), "authors": ("people",)}
    assert papers_of(parsed(content, mapping=mapping)) == PAPERS


def test_mapping_problems_and_resolution() -> None:
    assert mapping_problems({"title": "headline", "abstract": ["a", "b"]}) == []
    assert mapping_problems({"titel": "x"})[0].startswith("unknown field 'titel'")
    assert mapping_problems({"title": 3})[0].startswith("field 'title'")
    fields = resolve_fields(["details.title", "title", "summary", "description"])
    assert fields["title"] == ["title", "details.title"] and fields["abstract"] == ["summary", "description"]
