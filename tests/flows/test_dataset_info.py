"""The card's ``dataset_info`` features are what ``datasets`` derives from the same Arrow schema."""

from __future__ import annotations

import datasets
import pyarrow as pa
import pytest

from flows.render.dataset_info import dataset_info, features
from transforms.schema import LEDGER_SCHEMA, PAPER_SCHEMA

EVERY_KIND = pa.schema(
    [
        ("flag", pa.bool_()),
        ("small", pa.int8()),
        ("count", pa.uint64()),
        ("ratio", pa.float32()),
        ("naive", pa.timestamp("ns")),
        ("zoned", pa.timestamp("ms", tz="Europe/Paris")),
        ("clock", pa.time64("us")),
        ("day", pa.date64()),
        ("wait", pa.duration("ms")),
        ("price", pa.decimal128(10, 2)),
        ("bytes", pa.large_binary()),
        ("text", pa.large_string()),
        ("code", pa.dictionary(pa.int32(), pa.string())),
        ("nested", pa.list_(pa.list_(pa.string()))),
        ("large", pa.large_list(pa.int32())),
        ("fixed", pa.list_(pa.float32(), 3)),
        ("record", pa.struct([("a", pa.int64()), ("b", pa.list_(pa.struct([("c", pa.string())])))])),
    ]
)
"""Types the papers do not use yet (a later config may): each path of the converter."""


@pytest.mark.parametrize(
    "schema", [PAPER_SCHEMA, LEDGER_SCHEMA, EVERY_KIND], ids=["papers", "ledger", "kinds"]
)
def test_features_agree_with_datasets(schema: pa.Schema) -> None:
    assert features(schema) == datasets.Features.from_arrow_schema(schema)._to_yaml_list()


def test_a_config_has_its_features_and_its_splits_size() -> None:
    schema = pa.schema([("id", pa.string()), ("tags", pa.list_(pa.string()))])
    assert dataset_info("listings", schema, 7) == {
        "config_name": "listings",
        "features": [{"name": "id", "dtype": "string"}, {"name": "tags", "list": "string"}],
        "splits": [{"name": "train", "num_examples": 7}],
    }
    info = datasets.DatasetInfo._from_yaml_dict(dataset_info("listings", schema, 7))
    assert info.features == datasets.Features.from_arrow_schema(schema)
    assert info.splits["train"].num_examples == 7


def test_a_type_the_hub_cannot_describe_is_refused() -> None:
    with pytest.raises(ValueError, match="no Hub dtype"):
        features(pa.schema([("when", pa.month_day_nano_interval())]))
