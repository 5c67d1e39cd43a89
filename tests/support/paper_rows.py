"""Literal paper rows in the published contract, for tests of the gate and of publishing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl

from transforms.report.accounting import record_hash_expr
from transforms.schema import PAPER_SCHEMA, conform, polars_schema

SEEN = datetime(2024, 5, 27, 8, 0, tzinfo=UTC)


CAPTURE = "ab" * 32
"""The sha256 of the capture every fixture paper was found in (the fixture manifests' one input)."""


def paper_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {name: None for name in PAPER_SCHEMA.names}
    row |= {
        "paper_id": "arxiv:2405.15738",
        "title": "A Paper About Things",
        "abstract": "We study things. " * 10,
        "arxiv_id": "2405.15738",
        "url": "https://huggingface.co/papers/2405.15738",
        "language": "en",
        "language_score": 0.99,
        "topic": "general-ml",
        "topics": ["general-ml"],
        "code_status": "none",
        "first_seen": SEEN,
        "last_seen": SEEN,
        "times_seen": 1,
        "first_listed_on": SEEN.date(),
        "last_listed_on": SEEN.date(),
        "days_listed": 1,
        "listings": [
            {
                "listed_on": SEEN.date(),
                "source": "hf-daily",
                "upvotes": 3,
                "num_comments": 0,
                "rank": 1,
                "github_stars": None,
            }
        ],
        "sources": [{"source": "hf-daily", "captured_at": SEEN, "raw_sha256": CAPTURE}],
        "aliases": [],
        "authors": ["Ada Lovelace", "Zoë Ångström"],
    }
    return row | overrides


def papers_frame(*rows: dict[str, Any]) -> pl.DataFrame:
    frame = pl.DataFrame(list(rows), schema=polars_schema(PAPER_SCHEMA), orient="row")
    return conform(frame.with_columns(record_hash_expr().alias("record_hash")), PAPER_SCHEMA)
