"""Listing dates: every evidence source on tiny literal captures, and the order in which evidence wins."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from flows.sources.replay import read_raw_zone
from flows.store.raw_zone import RawZone
from transforms.parse import Capture, parse_capture
from transforms.parse.listing import FILE_MTIME, LISTED_ON_EVIDENCE, NOT_A_LISTING, RAW_ZONE, date_listings

FETCHED = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
"""A capture time far from every listing day, so a test fails if the capture time is taken by mistake."""

ABSTRACT = "We study sparse widgets and show that they make transformers efficient on long inputs."

OLD_ITEM = {
    "paper": {
        "id": "2411.19930",
        "title": "Old Day Paper",
        "summary": ABSTRACT,
        "upvotes": 18,
        "publishedAt": "2024-11-29T18:42:28.000Z",
    },
    "publishedAt": "2024-12-01T23:12:46.420Z",
    "numComments": 1,
}
"""An older API item (no ``submittedOnDailyAt``): submitted to Daily Papers on the evening of Dec 1 (UTC)."""

NEW_ITEM = {
    "paper": {
        "id": "2506.23044",
        "title": "New Day Paper",
        "summary": ABSTRACT,
        "upvotes": 26,
        "publishedAt": "2025-06-29T00:40:17.000Z",
        "submittedOnDailyAt": "2025-07-01T04:30:09.856Z",
    },
    "publishedAt": "2025-06-28T20:40:17.000Z",
    "numComments": 2,
}
"""A newer API item: the paper carries ``submittedOnDailyAt``; the item's ``publishedAt`` is not a daily time."""

COLUMNS = ("arxiv_id", "rank", "listed_on", "listed_on_evidence", "captured_at_evidence")


def dated(content: object, location: str, evidence: str = FILE_MTIME, source: str = "auto") -> pl.DataFrame:
    body = content if isinstance(content, bytes) else json.dumps(content).encode()
    records = parse_capture(Capture(source, location, body, FETCHED, evidence))
    return records.lazy().pipe(date_listings).collect().select(COLUMNS)


def expected(*rows: tuple[str | None, int | None, date, str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "arxiv_id": pl.String,
            "rank": pl.Int32,
            "listed_on": pl.Date,
            "listed_on_evidence": pl.String,
            "captured_at_evidence": pl.String,
        },
        orient="row",
    )


def test_older_api_day_without_other_evidence_uses_the_item_published_at() -> None:
    frame = dated([OLD_ITEM], "responses/daily.json")
    assert_frame_equal(frame, expected(("2411.19930", 1, date(2024, 12, 1), "item:publishedAt", FILE_MTIME)))


def test_newer_api_day_uses_submitted_on_daily_at_not_the_item_published_at() -> None:
    frame = dated([NEW_ITEM], "responses/daily.json")
    assert_frame_equal(
        frame, expected(("2506.23044", 1, date(2025, 7, 1), "item:submittedOnDailyAt", FILE_MTIME))
    )


def test_older_item_fills_submitted_on_daily_at_and_keeps_the_arxiv_date_as_published_at() -> None:
    row = parse_capture(Capture("auto", "x.json", json.dumps([OLD_ITEM]).encode(), FETCHED, FILE_MTIME)).row(
        0, named=True
    )
    assert row["submitted_on_daily_at"] == datetime(2024, 12, 1, 23, 12, 46, 420000, tzinfo=UTC)
    assert row["published_at"] == datetime(2024, 11, 29, 18, 42, 28, tzinfo=UTC)


def test_the_listing_day_beats_the_item_timestamps() -> None:
    """The evening item of Dec 1 was on Dec 2's list: the wrapper, the file name and the URL all say so."""
    wrapper = {"status": "success", "date": "2024-12-02", "count": 2, "data": [OLD_ITEM, NEW_ITEM]}
    assert_frame_equal(
        dated(wrapper, "dump/daily.json"),
        expected(
            ("2411.19930", 1, date(2024, 12, 2), "document:date", FILE_MTIME),
            ("2506.23044", 2, date(2024, 12, 2), "document:date", FILE_MTIME),
        ),
    )
    assert_frame_equal(
        dated([OLD_ITEM], "dump/2024-12-02.json"),
        expected(("2411.19930", 1, date(2024, 12, 2), "file-name", FILE_MTIME)),
    )
    api = "https://huggingface.co/api/daily_papers?date=2024-12-02&limit=100&p=1"
    assert_frame_equal(
        dated([OLD_ITEM], api, RAW_ZONE, source="hf-daily"),
        expected(("2411.19930", 101, date(2024, 12, 2), "url:date-param", RAW_ZONE)),
    )


def test_a_dated_url_or_page_names_its_day() -> None:
    cards = (
        b"<!DOCTYPE html><html><body><h3><a href='/papers/2502.01234'>Widgets</a></h3>"
        b"<h3><a href='/papers/2502.05678'>Gadgets</a></h3></body></html>"
    )
    assert_frame_equal(
        dated(cards, "https://huggingface.co/papers/date/2025-02-03", RAW_ZONE),
        expected(
            ("2502.01234", 1, date(2025, 2, 3), "url:papers-date", RAW_ZONE),
            ("2502.05678", 2, date(2025, 2, 3), "url:papers-date", RAW_ZONE),
        ),
    )
    saved = cards.replace(
        b"<body>",
        b"<head><link rel='canonical' href='https://huggingface.co/papers/date/2025-02-03'></head><body>",
    )
    assert_frame_equal(
        dated(saved, "saved/page.html"),
        expected(
            ("2502.01234", 1, date(2025, 2, 3), "document:date", FILE_MTIME),
            ("2502.05678", 2, date(2025, 2, 3), "document:date", FILE_MTIME),
        ),
    )


def test_a_capture_dump_names_its_day_in_the_document_and_the_file_name() -> None:
    paper = {"title": "Widgets", "url": "https://huggingface.co/papers/2405.15574", "abstract": ABSTRACT}
    assert_frame_equal(
        dated({"date": "2024-05-27", "papers": [paper]}, "2024-05-28.json"),
        expected(("2405.15574", 1, date(2024, 5, 27), "document:date", FILE_MTIME)),
    )
    assert_frame_equal(
        dated({"papers": [paper]}, "/dumps/hf/2024-05-28.json"),
        expected(("2405.15574", 1, date(2024, 5, 28), "file-name", FILE_MTIME)),
    )


def test_a_raw_zone_replay_keeps_the_response_time_and_the_request_day(tmp_path: Path) -> None:
    zone = RawZone(tmp_path / "raw", run="r1")
    api = "https://huggingface.co/api/daily_papers?date=2025-07-01&limit=100&p=0"
    trending = "https://huggingface.co/papers/trending"
    page = b"<!DOCTYPE html><html><body><h3><a href='/papers/2502.01234'>Widgets</a></h3></body></html>"
    zone.store("hf-daily", api, 200, json.dumps([NEW_ITEM]).encode(), FETCHED)
    zone.store("hf-page", trending, 200, page, FETCHED)
    replayed = [parse_capture(capture) for capture in read_raw_zone(tmp_path / "raw").captures]
    frame = pl.concat(replayed).lazy().pipe(date_listings).collect()
    assert_frame_equal(
        frame.select(COLUMNS).sort("arxiv_id"),
        expected(
            ("2502.01234", 1, FETCHED.date(), f"captured-at:{RAW_ZONE}", RAW_ZONE),
            ("2506.23044", 1, date(2025, 7, 1), "url:date-param", RAW_ZONE),
        ),
    )
    assert frame["captured_at"].to_list() == [FETCHED, FETCHED]


def test_without_any_evidence_the_file_mtime_is_the_last_resort_and_says_so() -> None:
    text = "A Paper About Widgets\n" + " ".join(["widgets"] * 30) + "\n"
    assert_frame_equal(
        dated(text.encode(), "notes/page.txt"),
        expected((None, 1, FETCHED.date(), f"captured-at:{FILE_MTIME}", FILE_MTIME)),
    )
    paper_page = (
        b"<!DOCTYPE html><html><head><link rel='canonical' href='https://huggingface.co/papers/2503.02130'>"
        b"</head><body><h1>One Paper</h1></body></html>"
    )
    assert_frame_equal(
        dated(paper_page, "2025-03-04/paper.html"),
        expected(("2503.02130", None, None, NOT_A_LISTING, FILE_MTIME)),
    )


def test_inputs_that_are_not_listings_give_no_day_whatever_their_file_or_url_says() -> None:
    """An arXiv feed or a Papers with Code page is not a trending list: neither its file's time, nor a date in
    its name or URL, nor a broken input of it dates anything."""
    feed = (
        b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry>"
        b"<id>http://arxiv.org/abs/2503.02130v1</id><title>One Paper</title><summary>"
        + ABSTRACT.encode()
        + b"</summary>"
        b"</entry></feed>"
    )
    paper = {
        "id": "one-paper",
        "title": "One Paper",
        "abstract": ABSTRACT,
        "url_abs": "https://arxiv.org/abs/2503.02130",
    }
    pwc = {"count": 1, "next": None, "previous": None, "results": [paper]}
    for content, location in [
        (feed, "feeds/2025-03-04.xml"),
        (feed, "https://export.arxiv.org/api/query?id_list=2503.02130&date=2025-03-04"),
        (pwc, "pwc/2025-03-04.json"),
        (b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry>", "feeds/2025-03-05.xml"),
    ]:
        frame = dated(content, location)
        assert frame.get_column("listed_on").null_count() == frame.height == 1, location
        assert frame.get_column("listed_on_evidence").to_list() == [NOT_A_LISTING], location


def test_an_impossible_date_is_no_evidence() -> None:
    frame = dated([NEW_ITEM], "dump/2025-02-30.json")
    assert frame["listed_on_evidence"].to_list() == ["item:submittedOnDailyAt"]


def test_evidence_names_are_the_documented_ones() -> None:
    assert list(LISTED_ON_EVIDENCE)[:4] == ["url:date-param", "url:papers-date", "document:date", "file-name"]
    assert list(LISTED_ON_EVIDENCE)[-1] == f"captured-at:{FILE_MTIME}"
