import json
from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import transforms.report.accounting as accounting
from tests.support.paper_rows import paper_row, papers_frame
from transforms.report.accounting import (
    build_ledger,
    build_quarantine,
    count_outcomes,
    record_hash_expr,
    with_paper_decisions,
)
from transforms.schema import LEDGER_SCHEMA, QUARANTINE_SCHEMA, RECORD_SCHEMA, polars_schema

CAPTURED = datetime(2024, 5, 27, tzinfo=UTC)


def records(rows: list[dict]) -> pl.DataFrame:
    base = {name: None for name in RECORD_SCHEMA.names} | {
        "source": "text",
        "raw_sha256": "s",
        "captured_at": CAPTURED,
        "captured_at_evidence": "file-mtime",
        "listed_on": CAPTURED.date(),
        "listed_on_evidence": "captured-at:file-mtime",
    }
    frame = pl.DataFrame([base | row for row in rows], schema=polars_schema(RECORD_SCHEMA), orient="row")
    extra = pl.DataFrame(
        [
            {
                "reasons": r.get("reasons", []),
                "cluster_id": r.get("cluster_id"),
                "similarity": r.get("similarity"),
                "match_rule": r.get("match_rule"),
            }
            for r in rows
        ],
        schema={
            "reasons": pl.List(pl.String),
            "cluster_id": pl.String,
            "similarity": pl.Float64,
            "match_rule": pl.String,
        },
    )
    return pl.concat([frame, extra], how="horizontal")


RECORDS = records(
    [
        {
            "record_id": "a",
            "raw_index": 0,
            "title_raw": "Kept",
            "cluster_id": "a",
            "similarity": 1.0,
            "match_rule": "kept",
        },
        {
            "record_id": "b",
            "raw_index": 1,
            "title_raw": "Twin",
            "cluster_id": "a",
            "similarity": 0.93,
            "match_rule": "near_duplicate",
        },
        {"record_id": "c", "raw_index": 2, "title_raw": "", "reasons": ["title:empty", "abstract:empty"]},
        {"record_id": "d", "raw_index": -1, "reasons": ["parse:unrecognised-format"]},
        {
            "record_id": "e",
            "raw_index": 3,
            "title_raw": "Ünï",
            "cluster_id": "e",
            "similarity": 1.0,
            "match_rule": "kept",
            "reasons": ["expectation:abstract-length"],
        },
    ]
)
PUBLISHED = pl.DataFrame({"paper_id": ["arxiv:1"], "member_record_ids": [["a", "b"]]})


def test_ledger_gives_every_record_one_outcome() -> None:
    ledger = build_ledger(RECORDS, PUBLISHED)
    assert ledger.schema == polars_schema(LEDGER_SCHEMA)
    expected = pl.DataFrame(
        {
            "record_id": ["a", "b", "c", "d", "e"],
            "outcome": ["published", "duplicate", "quarantined", "quarantined", "quarantined"],
            "paper_id": ["arxiv:1", "arxiv:1", None, None, None],
            "merged_into": [None, "a", None, None, None],
        }
    )
    assert_frame_equal(ledger.select(expected.columns), expected)


def test_counts_follow_the_accounting_rule() -> None:
    counts = count_outcomes(build_ledger(RECORDS, PUBLISHED))
    assert counts == {
        "inputs": 5,
        "published": 1,
        "duplicates": 1,
        "quarantined": 3,
        "quarantined_by_reason": {
            "abstract:empty": 1,
            "expectation:abstract-length": 1,
            "parse:unrecognised-format": 1,
            "title:empty": 1,
        },
        "accounting_holds": True,
        "listed_on_evidence_counts": {"captured-at:file-mtime": 5},
        "captured_at_evidence_counts": {"file-mtime": 5},
    }


def test_quarantine_keeps_the_raw_record_and_names_the_stage() -> None:
    quarantine = build_quarantine(RECORDS)
    assert quarantine.schema == polars_schema(QUARANTINE_SCHEMA)
    assert quarantine.get_column("stage").to_list() == ["clean", "ingest", "validate"]
    raw = json.loads(quarantine.item(2, "raw_record"))
    assert raw["title_raw"] == "Ünï" and raw["record_id"] == "e"


def test_record_hash_changes_with_content_not_with_sightings() -> None:
    base = papers_frame(paper_row())
    seen_again = papers_frame(paper_row(times_seen=5, last_seen=datetime(2025, 1, 1, tzinfo=UTC)))
    edited = papers_frame(paper_row(title="Another Title"))
    hashes = [f.select(record_hash_expr()).item() for f in (base, seen_again, edited)]
    assert hashes[0] == hashes[1] != hashes[2]


def test_ledger_carries_the_decisions_of_records_and_of_their_papers() -> None:
    decided = RECORDS.with_columns(
        pl.Series("decisions", [["dedup:split_arxiv_conflict"], [], None, None, []], dtype=pl.List(pl.String))
    )
    papers = PUBLISHED.with_columns(
        pl.Series("decisions", [["match:split_arxiv_conflict", "dedup:split_arxiv_conflict"]])
    )
    with_papers = with_paper_decisions(decided, papers)
    assert with_papers["decisions"].to_list() == [
        ["dedup:split_arxiv_conflict", "match:split_arxiv_conflict"],
        ["dedup:split_arxiv_conflict", "match:split_arxiv_conflict"],
        [],
        [],
        [],
    ]
    ledger = build_ledger(with_papers, PUBLISHED)
    assert ledger["decisions"].to_list() == with_papers["decisions"].to_list()
    # A decision is not a quarantine reason: outcomes and counts are those of the undecided records.
    assert_frame_equal(ledger.drop("decisions"), build_ledger(RECORDS, PUBLISHED).drop("decisions"))
    assert build_ledger(RECORDS, PUBLISHED)["decisions"].to_list() == [[]] * RECORDS.height
    assert with_paper_decisions(RECORDS, PUBLISHED)["decisions"].to_list() == [[]] * RECORDS.height


def test_record_hash_in_batches_of_rows_is_the_expression_on_the_whole_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [paper_row(title=f"Title {n}", upvotes=n) for n in range(7)]
    papers = papers_frame(*rows).drop("record_hash")
    expected = papers.with_columns(record_hash_expr().alias("record_hash"))
    monkeypatch.setattr(accounting, "HASH_BATCH_ROWS", 3)
    assert_frame_equal(accounting.with_record_hash(papers), expected)
    assert accounting.with_record_hash(papers.head(0)).get_column("record_hash").dtype == pl.String
