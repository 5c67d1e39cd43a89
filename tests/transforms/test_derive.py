"""derive_fields: adds exactly the derived contract columns, with their contract dtypes, on every row."""

from __future__ import annotations

import polars as pl

from transforms.derive import DERIVED_COLUMNS, derive_fields
from transforms.schema import PAPER_SCHEMA, polars_schema

INPUT_SCHEMA = {
    "title": pl.String,
    "abstract": pl.String,
    "arxiv_comment": pl.String,
    "journal_ref": pl.String,
    "venue_field": pl.String,
    "source_code_url": pl.String,
    "source_project_url": pl.String,
    "categories": pl.List(pl.String),
    "primary_category": pl.String,
}


def test_derive_fields_adds_contract_columns() -> None:
    rows = [
        {
            "title": "Robust grasping",
            "abstract": "A robot grasps objects. Code: https://github.com/a/b.",
            "arxiv_comment": "Accepted at ICRA 2024",
            "categories": ["cs.RO"],
            "primary_category": "cs.RO",
        },
        {"title": "", "abstract": ""},
        {"title": "Ünïcödé", "abstract": "ß"},
    ]
    frame = pl.DataFrame(
        [{name: row.get(name) for name in INPUT_SCHEMA} for row in rows], schema=INPUT_SCHEMA
    )
    out = derive_fields(frame.lazy()).collect()
    contract = polars_schema(PAPER_SCHEMA)
    assert set(out.columns) - set(INPUT_SCHEMA) == set(DERIVED_COLUMNS)
    for name in DERIVED_COLUMNS:
        assert out.schema[name] == contract[name], name
    assert out["topic"].null_count() == 0
    assert out["code_status"].to_list() == ["linked", "none", "none"]
    assert out["topic"].to_list() == ["robotics", "general-ml", "general-ml"]
    assert out["venue_hints"][0][0]["venue"] == "ICRA"
    assert out.height == 3
