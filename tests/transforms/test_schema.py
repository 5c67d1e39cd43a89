from datetime import UTC, datetime

import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from transforms.schema import (
    COLUMN_DOCS,
    PAPER_SCHEMA,
    QUARANTINE_SCHEMA,
    RECORD_SCHEMA,
    column_table,
    conform,
    empty,
    polars_schema,
    record_id_expr,
    to_arrow,
)


def test_conform_orders_and_casts_columns() -> None:
    frame = pl.DataFrame(
        {"extra": [1], "reasons": [["x"]], "stage": ["clean"], "source": ["text"], "record_id": ["r1"]}
    )
    frame = frame.with_columns(
        pl.lit(None).alias(c) for c in QUARANTINE_SCHEMA.names if c not in frame.columns
    )
    conformed = conform(frame, QUARANTINE_SCHEMA)
    assert conformed.columns == QUARANTINE_SCHEMA.names
    assert conformed.schema == polars_schema(QUARANTINE_SCHEMA)


def test_conform_fails_loudly_on_missing_column() -> None:
    with pytest.raises(ValueError, match="record_id"):
        conform(pl.DataFrame({"source": ["text"]}), QUARANTINE_SCHEMA)


def test_to_arrow_rejects_nulls_in_required_fields() -> None:
    frame = empty(QUARANTINE_SCHEMA).vstack(
        pl.DataFrame(
            {"record_id": [None], "source": ["text"], "stage": ["clean"], "reasons": [["x"]]},
            schema_overrides={"record_id": pl.String},
        )
        .with_columns(
            pl.lit(None).alias(c)
            for c in QUARANTINE_SCHEMA.names
            if c not in {"record_id", "source", "stage", "reasons"}
        )
        .pipe(conform, QUARANTINE_SCHEMA)
    )
    with pytest.raises((pa.ArrowInvalid, ValueError)):
        to_arrow(frame, QUARANTINE_SCHEMA)


def test_empty_frames_have_the_contract_types() -> None:
    for schema in (RECORD_SCHEMA, PAPER_SCHEMA, QUARANTINE_SCHEMA):
        table = to_arrow(empty(schema), schema)
        assert table.schema.equals(schema)


def test_every_published_column_is_documented() -> None:
    assert set(COLUMN_DOCS) == set(PAPER_SCHEMA.names)
    assert column_table().count("\n") == len(PAPER_SCHEMA.names) + 1


def test_record_id_is_stable_and_depends_on_capture_and_position() -> None:
    frame = pl.DataFrame({"sha": ["a", "a", "b", None], "index": [0, 1, 0, 0]})
    ids = frame.select(record_id_expr(pl.col("sha"), pl.col("index")).alias("id"))
    again = frame.select(record_id_expr(pl.col("sha"), pl.col("index")).alias("id"))
    assert_frame_equal(ids, again)
    values = ids.get_column("id").to_list()
    assert len(set(values[:3])) == 3 and all(len(v) == 16 for v in values[:3])
    assert values[3] is None


def test_timestamps_are_utc_microseconds() -> None:
    stamp = datetime(2024, 5, 27, 7, 54, tzinfo=UTC)
    frame = pl.DataFrame({"t": [stamp]}).with_columns(
        pl.col("t").cast(polars_schema(PAPER_SCHEMA)["first_seen"])
    )
    assert frame.schema["t"] == pl.Datetime("us", "UTC")
