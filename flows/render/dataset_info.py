"""The card's ``dataset_info``: per config, its features in the Hub's YAML form and its splits' sizes.

A feature is ``{name, dtype}`` for a value (``string``, ``int64``, ``date32``, ``timestamp[us, tz=UTC]``...),
``{name, list: ...}`` for a list (the item's dtype, or the fields of a struct item), ``{name, struct: [...]}``
for a struct. This is what ``datasets.Features.from_arrow_schema(schema)._to_yaml_list()`` writes (datasets 5),
built here from the Arrow schema because ``datasets`` is a dev dependency only;
``tests/flows/test_dataset_info.py`` checks that the two agree.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.types as pat

_SIMPLE_DTYPES = {
    pa.null(): "null",
    pa.bool_(): "bool",
    pa.int8(): "int8",
    pa.int16(): "int16",
    pa.int32(): "int32",
    pa.int64(): "int64",
    pa.uint8(): "uint8",
    pa.uint16(): "uint16",
    pa.uint32(): "uint32",
    pa.uint64(): "uint64",
    pa.float16(): "float16",
    pa.float32(): "float32",
    pa.float64(): "float64",
    pa.date32(): "date32",
    pa.date64(): "date64",
    pa.string(): "string",
    pa.large_string(): "large_string",
    pa.binary(): "binary",
    pa.large_binary(): "large_binary",
}


def dataset_info(config_name: str, schema: pa.Schema, rows: int, split: str = "train") -> dict[str, Any]:
    """The ``dataset_info`` entry of one config: its features and its one split with ``rows`` examples
    (``datasets`` checks the count when it loads the split)."""
    return {
        "config_name": config_name,
        "features": features(schema),
        "splits": [{"name": split, "num_examples": rows}],
    }


def features(schema: pa.Schema) -> list[dict[str, Any]]:
    """The schema's columns as the Hub's feature list."""
    return [{"name": field.name, **_feature(field.type)} for field in schema]


def hub_dtype(arrow_type: pa.DataType) -> str:
    """The Hub's dtype of an Arrow value type (``double`` is ``float64``, ``date32[day]`` is ``date32``)."""
    if arrow_type in _SIMPLE_DTYPES:
        return _SIMPLE_DTYPES[arrow_type]
    if pat.is_timestamp(arrow_type):
        zone = f", tz={arrow_type.tz}" if arrow_type.tz else ""
        return f"timestamp[{arrow_type.unit}{zone}]"
    if pat.is_time32(arrow_type) or pat.is_time64(arrow_type):
        return f"time{arrow_type.bit_width}[{arrow_type.unit}]"
    if pat.is_duration(arrow_type):
        return f"duration[{arrow_type.unit}]"
    if pat.is_decimal128(arrow_type) or pat.is_decimal256(arrow_type):
        return f"decimal{arrow_type.bit_width}({arrow_type.precision}, {arrow_type.scale})"
    if pat.is_fixed_size_binary(arrow_type):
        return f"fixed_size_binary[{arrow_type.byte_width}]"
    raise ValueError(f"no Hub dtype for the Arrow type {arrow_type}")


def _feature(arrow_type: pa.DataType) -> dict[str, Any]:
    """A feature without its name: ``{"dtype": ...}``, ``{"list": ...}`` or ``{"struct": [...]}``."""
    if pat.is_struct(arrow_type):
        return {"struct": [{"name": field.name, **_feature(field.type)} for field in arrow_type]}
    if pat.is_list(arrow_type) or pat.is_large_list(arrow_type) or pat.is_fixed_size_list(arrow_type):
        item = _feature(arrow_type.value_type)
        if list(item) in (
            ["dtype"],
            ["struct"],
        ):  # a list of values names their dtype, of structs their fields
            [item] = item.values()
        listed = {"large_list" if pat.is_large_list(arrow_type) else "list": item}
        if pat.is_fixed_size_list(arrow_type):
            listed["length"] = arrow_type.list_size
        return listed
    if pat.is_dictionary(arrow_type):
        return _feature(arrow_type.value_type)
    return {"dtype": hub_dtype(arrow_type)}
