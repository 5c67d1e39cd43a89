import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms.routing import reason_when, reject_failed_papers, split, tag, with_reasons


def test_tag_appends_named_and_computed_reasons_once() -> None:
    frame = pl.LazyFrame({"text": ["", None, "ok", "é"]})
    tagged = (
        frame.pipe(tag, {"text:empty": pl.col("text") == "", "text:missing": pl.col("text").is_null()})
        .pipe(tag, [reason_when(pl.col("text") == "ok", pl.lit("text:") + pl.col("text"))])
        .pipe(tag, {"text:empty": pl.col("text") == ""})
        .collect()
    )
    expected = pl.DataFrame(
        {"text": ["", None, "ok", "é"], "reasons": [["text:empty"], ["text:missing"], ["text:ok"], []]},
        schema={"text": pl.String, "reasons": pl.List(pl.String)},
    )
    assert_frame_equal(tagged, expected)


def test_split_routes_rows_with_reasons_to_rejected() -> None:
    frame = pl.DataFrame({"id": [1, 2, 3], "reasons": [[], ["a"], ["a", "b"]]})
    kept, rejected = split(frame)
    assert kept.get_column("id").to_list() == [1]
    assert rejected.get_column("id").to_list() == [2, 3]


@pytest.mark.parametrize(
    "reasons",
    [
        [[], [], ["a"], ["b"]],  # kept rows first, as records leave language: slices
        [["a"], [], ["b"], []],  # interleaved: filters
        [[], [], [], []],
        [["a"], ["b"]],
        [],
    ],
)
def test_split_keeps_the_order_of_each_part_whatever_the_order_of_the_rows(reasons: list[list[str]]) -> None:
    frame = pl.DataFrame(
        {"id": list(range(len(reasons))), "reasons": reasons},
        schema={"id": pl.Int64, "reasons": pl.List(pl.String)},
    )
    kept, rejected = split(frame)
    assert_frame_equal(kept, frame.filter(pl.col("reasons").list.len() == 0))
    assert_frame_equal(rejected, frame.filter(pl.col("reasons").list.len() > 0))


def test_with_reasons_keeps_existing_reasons() -> None:
    frame = pl.LazyFrame({"reasons": [["x"]]})
    assert with_reasons(frame).collect().get_column("reasons").to_list() == [["x"]]
    assert with_reasons(pl.LazyFrame({"a": [1]})).collect().get_column("reasons").to_list() == [[]]


def test_records_of_a_failed_paper_gain_its_reasons_and_the_paper_leaves() -> None:
    records = pl.DataFrame(
        {"record_id": ["a", "b", "c", "d"], "reasons": [[], [], [], ["language:fr"]]},
        schema={"record_id": pl.String, "reasons": pl.List(pl.String)},
    )
    papers = pl.DataFrame(
        {"paper_id": ["p1", "p2"], "member_record_ids": [["a", "b"], ["c"]], "reasons": [[], []]},
        schema_overrides={"reasons": pl.List(pl.String)},
    )
    failures = pl.DataFrame(
        {"gate_row": [0], "reasons": [["expectation:title-length"]]},
        schema={"gate_row": pl.UInt32, "reasons": pl.List(pl.String)},
    )
    routed, passed = reject_failed_papers(records, papers, failures)
    expected = pl.DataFrame(
        {
            "record_id": ["a", "b", "c", "d"],
            "reasons": [["expectation:title-length"], ["expectation:title-length"], [], ["language:fr"]],
        }
    )
    assert_frame_equal(routed, expected)
    assert passed.get_column("paper_id").to_list() == ["p2"]
