"""Published versions for release and version-history tests, written by the real publisher (no Prefect)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from flows.render.card import build_card
from flows.render.changelog import render_changelog
from flows.store.previous import open_latest
from flows.store.publish import Documents, publish_version
from flows.store.tables import WholeTables
from tests.support.paper_rows import CAPTURE
from transforms.history.changes import diff_papers
from transforms.report.summary import paper_counts
from transforms.schema import LEDGER_SCHEMA, PAPER_SCHEMA, QUARANTINE_SCHEMA, empty

V1 = "20240527T080000.000000Z"
V2 = "20240528T080000.000000Z"
V3 = "20240529T080000.000000Z"


def manifest_for(
    version: str, papers: pl.DataFrame, previous: str | None, languages=("en",)
) -> dict[str, Any]:
    return {
        "dataset": "trending-papers",
        "version": version,
        "previous_version": previous,
        "created_at": f"{version[:4]}-{version[4:6]}-{version[6:8]}T08:00:00+00:00",
        "schema_version": "1.0.0",
        "code_version": {"package": "0.1.0", "git_commit": "abc123"},
        "config": {"allowed_languages": list(languages)},
        "inputs": [{"path": "/data/hf-daily-api/2024-05-27.json", "sha256": CAPTURE, "bytes": 10}],
        "provenance": [
            {
                "name": "hf-daily-api",
                "origin": "GitHub repository example/captures",
                "licence": "Apache-2.0",
                "inputs": 1,
                "captures": [CAPTURE],
            }
        ],
        "counts": {
            "inputs": papers.height + 2,
            "published": papers.height,
            "duplicates": 1,
            "quarantined": 1,
            "quarantined_by_reason": {"abstract:too-short": 1},
            "new_papers": papers.height,
            "updated_papers": 0,
            "papers_total": papers.height,
        },
    }


def publish(out: Path, version: str, papers: pl.DataFrame, languages=("en",)) -> Path:
    """Publish ``papers`` as ``version`` the way the flow does: manifest with changes, changelog, card."""
    latest = open_latest(out)
    since = latest.version if latest else None
    changes = diff_papers(latest.papers if latest else empty(PAPER_SCHEMA), papers)
    manifest = manifest_for(version, papers, since, languages) | {"changes": {"since": since, **changes}}
    card = build_card(manifest, paper_counts(papers), changes=changes if since else None, since=since)
    ledger = pl.DataFrame(
        {
            "record_id": [f"r{i:04d}" for i in range(papers.height)],
            "source": ["hf-daily"] * papers.height,
            "raw_sha256": ["ab" * 32] * papers.height,
            "raw_index": list(range(papers.height)),
            "outcome": ["published"] * papers.height,
            "paper_id": papers.get_column("paper_id").to_list(),
        }
    ).with_columns(
        pl.lit(None, pl.String).alias("merged_into"),
        pl.lit(None, pl.Float64).alias("similarity"),
        pl.lit([], pl.List(pl.String)).alias("reasons"),
    )
    ledger = ledger.with_columns(  # the records' capture and listing evidence: unknown in these fixtures
        pl.lit(None).alias(name) for name in LEDGER_SCHEMA.names if name not in ledger.columns
    )
    return publish_version(
        out,
        version,
        WholeTables(papers, None),
        empty(QUARANTINE_SCHEMA),
        ledger.select(LEDGER_SCHEMA.names),
        Documents(card, changelog=render_changelog(version, since, changes)),
        manifest,
    )
