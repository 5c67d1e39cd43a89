"""Analysis columns: the strongest venue hint flattened, and has_code that ignores Hub checkpoints."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from transforms.derive.analysis import ANALYSIS_COLUMNS, add_analysis_columns
from transforms.schema import PAPER_SCHEMA, polars_schema

CONTRACT = polars_schema(PAPER_SCHEMA)


def hint(venue: str, year: int | None, status: str, workshop: bool = False, field: str = "arxiv_comment"):
    return {
        "venue": venue,
        "year": year,
        "status": status,
        "workshop": workshop,
        "evidence": venue,
        "field": field,
    }


def frame(venue_hints: list, code_urls: list) -> pl.DataFrame:
    return pl.DataFrame(
        {"venue_hints": venue_hints, "code_urls": code_urls},
        schema={"venue_hints": CONTRACT["venue_hints"], "code_urls": CONTRACT["code_urls"]},
    )


def test_strongest_hint_is_flattened_by_status_then_order() -> None:
    papers = frame(
        [
            [
                hint("NeurIPS", 2024, "mentioned"),
                hint("ICLR", 2025, "accepted"),
                hint("ICML", 2025, "accepted"),
            ],
            [hint("TMLR", None, "submitted"), hint("Nature", 2023, "published", field="journal_ref")],
            [hint("CVPR", 2024, "accepted", workshop=True)],
            [],
            None,
        ],
        [[], [], [], [], None],
    )
    out = add_analysis_columns(papers).select(ANALYSIS_COLUMNS)
    expected = pl.DataFrame(
        {
            "venue": ["ICLR", "Nature", "CVPR", None, None],
            "venue_year": [2025, 2023, 2024, None, None],
            "venue_status": ["accepted", "published", "accepted", None, None],
            "venue_workshop": [False, False, True, None, None],
            "has_code": [False] * 5,
        },
        schema={name: CONTRACT[name] for name in ANALYSIS_COLUMNS},
    )
    assert_frame_equal(out, expected)


def test_has_code_counts_repositories_not_hub_checkpoints() -> None:
    papers = frame(
        [[]] * 5,
        [
            ["https://github.com/a/b"],
            ["https://huggingface.co/org/model"],
            ["https://huggingface.co/org/model", "https://gitlab.com/a/b"],
            ["https://anonymous.4open.science/r/xyz"],
            [],
        ],
    )
    assert add_analysis_columns(papers)["has_code"].to_list() == [True, False, True, True, False]


def test_lazy_and_eager_agree_and_columns_follow_the_contract() -> None:
    papers = frame([[hint("ACL", 2024, "published")]], [["https://github.com/a/b"]])
    eager = add_analysis_columns(papers)
    assert_frame_equal(eager, add_analysis_columns(papers.lazy()).collect())
    assert {name: eager.schema[name] for name in ANALYSIS_COLUMNS} == {
        name: CONTRACT[name] for name in ANALYSIS_COLUMNS
    }
