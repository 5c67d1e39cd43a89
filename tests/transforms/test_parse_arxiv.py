"""arXiv Atom feeds: both serialisations, the error feed, empty feeds, malformed XML."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support.parse_helpers import capture, fixture
from transforms.parse import detect_format, parse_capture
from transforms.parse.arxiv import error_slug


def test_classic_serialisation_with_comment_journal_ref_and_doi() -> None:
    frame = parse_capture(fixture("arxiv/classic-2016-id_list-1111.2011v2.xml"))
    row = frame.row(0, named=True)
    assert row["source"] == "arxiv"
    assert (row["arxiv_id"], row["arxiv_version"]) == ("1111.2011", 2)
    assert row["arxiv_comment"] == "8 pages, 3 figures. Published version"
    assert row["journal_ref"] == "Phys. Rev. B 85, 115117 (2012)"
    assert row["doi"] == "10.1103/PhysRevB.85.115117"
    assert row["categories"] == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert row["primary_category"] == "cond-mat.str-el"
    assert row["authors"] == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert row["published_at"] == datetime(2011, 11, 8, 18, 48, 36, tzinfo=UTC)
    assert row["url"] == "https://arxiv.org/abs/1111.2011"


def test_recorded_serialisation() -> None:
    row = parse_capture(fixture("arxiv/recorded-2026-2104.12255v1.xml")).row(0, named=True)
    assert (row["arxiv_id"], row["arxiv_version"]) == ("2104.12255", 1)
    assert row["title_raw"] == "0"
    assert row["primary_category"] == "cs.CR"
    assert row["arxiv_comment"] is None and row["journal_ref"] is None


def test_error_feed_is_one_failure_with_a_countable_reason() -> None:
    frame = parse_capture(fixture("arxiv/recorded-2026-error-400.xml"))
    assert frame.height == 1
    assert frame["parse_error"].to_list() == ["parse:arxiv:api-error:incorrect-id-format"]


def test_empty_feed_is_zero_records_not_an_error() -> None:
    frame = parse_capture(fixture("arxiv/recorded-2026-empty.xml"))
    assert frame.height == 0


def test_truncated_feed_is_reported() -> None:
    content = fixture("arxiv/classic-2016-id_list-1111.2011v2.xml").content[:1500]
    frame = parse_capture(capture(content))
    assert frame["source"].to_list() == ["arxiv"]
    assert frame["parse_error"].to_list() == ["parse:arxiv:malformed-xml"]


def test_entry_without_id_is_kept_with_an_error() -> None:
    feed = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>Orphan ü</title><summary>s</summary></entry></feed>"""
    frame = parse_capture(capture(feed))
    assert frame.select("title_raw", "parse_error").rows() == [
        ("Orphan ü", "parse:arxiv:entry-without-arxiv-id")
    ]


def test_old_style_ids() -> None:
    feed = """<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/quant-ph/0201082v1</id>
<title>t</title></entry></feed>"""
    assert detect_format(feed.encode()) == "arxiv"
    row = parse_capture(capture(feed)).row(0, named=True)
    assert (row["arxiv_id"], row["arxiv_version"]) == ("quant-ph/0201082", 1)


def test_error_slug() -> None:
    assert error_slug("incorrect id format for 1234.5678v9") == "incorrect-id-format"
    assert error_slug("  ") == "unknown"
    assert error_slug("x " * 100_000) == "-".join(["x"] * 30)  # capped: a reason, not a message


def test_an_error_entry_among_papers_costs_only_itself() -> None:
    papers = fixture("arxiv/classic-2016-id_list-1111.2011v2.xml").content.decode()
    error_entry = (
        "<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_x</id>"
        f"<title>Error</title><summary>{'incorrect id format ' * 10_000}</summary></entry>"
    )
    feed = papers.replace("</feed>", error_entry + "</feed>")
    frame = parse_capture(capture(feed))
    assert frame.select("arxiv_id", "parse_error").rows() == [
        ("1111.2011", None),
        (None, "parse:arxiv:api-error-entry"),
    ]
