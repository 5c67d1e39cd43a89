"""arXiv enrichment: fills only what is missing, never overwrites, keeps rows and order."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from polars.testing import assert_frame_equal

from tests.support.parse_helpers import capture, fixture
from transforms.parse import parse_capture
from transforms.parse.common import records_frame
from transforms.parse.enrich import enrich_with_arxiv, matched_arxiv_captures

LATER = datetime(2025, 2, 1, tzinfo=UTC)


def _records() -> pl.DataFrame:
    rows = [
        {"arxiv_id": "1111.2011", "title_raw": "Has nothing", "authors": []},
        {"arxiv_id": "1111.2011", "title_raw": "Has its own", "journal_ref": "Own ref", "authors": ["Ünsal"]},
        {"arxiv_id": None, "title_raw": "No id"},
        {"arxiv_id": "9999.99999", "title_raw": "Unknown to arXiv", "arxiv_comment": ""},
    ]
    return records_frame(capture(b"listing", source="hf-daily"), "hf-daily", rows)


def _arxiv() -> pl.DataFrame:
    return pl.concat(
        [
            parse_capture(fixture("arxiv/classic-2016-id_list-1111.2011v2.xml")),
            parse_capture(fixture("arxiv/recorded-2026-error-400.xml")),
            parse_capture(fixture("arxiv/recorded-2026-empty.xml")),
        ]
    )


def test_fills_missing_fields_only() -> None:
    records = _records()
    enriched = enrich_with_arxiv(records, _arxiv()).collect()
    assert enriched.columns == records.columns
    assert enriched["record_id"].to_list() == records["record_id"].to_list()
    first, second = enriched.row(0, named=True), enriched.row(1, named=True)
    assert first["journal_ref"] == "Phys. Rev. B 85, 115117 (2012)"
    assert first["arxiv_comment"] == "8 pages, 3 figures. Published version"
    assert first["doi"] == "10.1103/PhysRevB.85.115117"
    assert first["categories"] == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert first["primary_category"] == "cond-mat.str-el"
    assert first["authors"] == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert first["published_at"] == datetime(2011, 11, 8, 18, 48, 36, tzinfo=UTC)
    assert first["arxiv_version"] == 2
    assert first["title_raw"] == "Has nothing", "titles are never taken from arXiv"
    assert second["journal_ref"] == "Own ref"
    assert second["authors"] == ["Ünsal"]
    assert_frame_equal(enriched.slice(2), records.slice(2))


def test_no_arxiv_records_is_identity() -> None:
    records = _records()
    assert_frame_equal(enrich_with_arxiv(records, _arxiv().clear()).collect(), records)


def test_latest_version_wins_among_repeats() -> None:
    old = records_frame(
        capture(b"old", source="arxiv"),
        "arxiv",
        [{"arxiv_id": "1111.2011", "arxiv_version": 1, "doi": "old"}],
    )
    enriched = enrich_with_arxiv(_records(), pl.concat([old, _arxiv()])).collect()
    assert enriched["doi"][0] == "10.1103/PhysRevB.85.115117"


def test_matched_captures_name_the_arxiv_capture() -> None:
    matched = matched_arxiv_captures(_records(), _arxiv()).collect()
    arxiv_sha = fixture("arxiv/classic-2016-id_list-1111.2011v2.xml").sha256
    assert matched["raw_sha256"].to_list() == [arxiv_sha, arxiv_sha]
    assert matched["record_id"].to_list() == _records()["record_id"].to_list()[:2]
