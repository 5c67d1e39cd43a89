"""The summary of a part of a version: what the table suite reads instead of the version's rows."""

import polars as pl
from polars.testing import assert_frame_equal

from expectations.parts import PART_SCHEMA, carried_part, column_list, in_key_order, summarize_part


def summary(**values: object) -> pl.DataFrame:
    return pl.DataFrame([values], schema=PART_SCHEMA)


def test_a_part_is_summarized_by_its_rows_missing_and_repeated_ids_range_and_columns() -> None:
    papers = pl.DataFrame(
        {
            "paper_id": ["arxiv:2401.00002", None, "arxiv:2401.00001", "arxiv:2401.00002", None],
            "title": ["t"] * 5,
        }
    )
    expected = summary(
        part="p",
        rows=5,
        missing_ids=2,
        duplicate_ids=1,
        first_id="arxiv:2401.00001",
        last_id="arxiv:2401.00002",
        columns="paper_id, title",
    )
    assert_frame_equal(summarize_part(papers, "p"), expected)


def test_an_empty_part_and_a_part_without_ids_are_summarized_too() -> None:
    empty = pl.DataFrame(schema={"paper_id": pl.String, "title": pl.String})
    assert_frame_equal(
        summarize_part(empty, "e"),
        summary(part="e", rows=0, missing_ids=0, duplicate_ids=0, columns="paper_id, title"),
    )
    no_ids = pl.DataFrame({"title": ["a", "b"]})
    assert_frame_equal(
        summarize_part(no_ids, "n"),
        summary(part="n", rows=2, missing_ids=2, duplicate_ids=0, columns="title"),
    )


def test_parts_in_key_order_know_the_last_id_before_them_across_empty_parts() -> None:
    parts = [
        carried_part("a", 3, "arxiv:1", "arxiv:3"),
        summarize_part(pl.DataFrame(schema={"paper_id": pl.String}), "b"),
        summarize_part(pl.DataFrame({"paper_id": ["arxiv:4"]}), "c"),
    ]
    ordered = in_key_order(parts)
    assert ordered.get_column("previous_last_id").to_list() == [None, "arxiv:3", "arxiv:3"]
    assert ordered.get_column("columns").to_list() == [None, column_list(["paper_id"]), "paper_id"]
    assert_frame_equal(in_key_order([]).drop("previous_last_id"), pl.DataFrame(schema=PART_SCHEMA))
