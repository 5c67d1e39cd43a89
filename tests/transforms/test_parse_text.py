from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from transforms.parse import Capture, detect_format, parse_capture
from transforms.schema import RECORD_SCHEMA, polars_schema

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "trending-papers-page.txt"
ABSTRACT = " ".join(["We study a model and show that it learns well."] * 4)


def capture(text: str) -> Capture:
    return Capture("auto", "page.txt", text.encode(), datetime(2024, 1, 1, tzinfo=UTC), "file-mtime")


def titles_and_abstracts(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select("raw_index", "title_raw", "abstract_raw")


def test_chrome_lines_are_not_records_and_glued_chrome_stays_raw() -> None:
    page = "\n".join(
        [
            "Get trending papers in your email inbox once a day!",
            "Get trending papers in your email inbox!",
            "SubscribeA First Title",
            ABSTRACT,
            "Ünïcode Title ∑",
            ABSTRACT + " ∑",
        ]
    )
    parsed = parse_capture(capture(page))
    expected = pl.DataFrame(
        {
            "raw_index": [0, 1],
            "title_raw": ["SubscribeA First Title", "Ünïcode Title ∑"],
            "abstract_raw": [ABSTRACT, ABSTRACT + " ∑"],
        },
        schema_overrides={"raw_index": pl.Int32},
    )
    assert_frame_equal(titles_and_abstracts(parsed), expected)
    assert parsed.schema == polars_schema(RECORD_SCHEMA)
    assert parsed.get_column("source").unique().to_list() == ["text"]


def test_missing_abstract_and_orphan_abstract_become_records_not_losses() -> None:
    page = "\r\n".join(["Title Without Abstract", "Title With Abstract", ABSTRACT, ABSTRACT, "Last Title"])
    parsed = titles_and_abstracts(parse_capture(capture(page)))
    assert parsed.get_column("title_raw").to_list() == [
        "Title Without Abstract",
        "Title With Abstract",
        "",
        "Last Title",
    ]
    assert parsed.get_column("abstract_raw").to_list() == ["", ABSTRACT, ABSTRACT, ""]


def test_unrecognised_input_is_one_reported_record() -> None:
    for content, reason in [
        ("", "parse:text:empty"),
        ("just one short line", "parse:text:no-title-abstract-pairs"),
        ('{"json": true}', "parse:unrecognised-format"),
    ]:
        parsed = parse_capture(capture(content))
        assert parsed.height == 1
        assert parsed.item(0, "parse_error") == reason
        assert parsed.item(0, "raw_index") == -1


def test_bundled_sample_has_100_entries_and_no_newsletter_records() -> None:
    content = SAMPLE.read_bytes()
    assert detect_format(content) == "text"
    parsed = parse_capture(
        Capture("auto", str(SAMPLE), content, datetime(2024, 1, 1, tzinfo=UTC), "file-mtime")
    )
    assert parsed.height == 100
    assert parsed.get_column("record_id").n_unique() == 100
    assert not parsed.get_column("title_raw").str.contains("email inbox").any()
    assert (parsed.get_column("abstract_raw").str.len_chars() > 200).all()
