"""The one Parquet writer of the project: every Parquet file we write goes through :func:`write_parquet`.

The options are chosen for the Hugging Face Hub and for analysts' readers alike:

* **Row groups sized by memory, not rows** (``row_group_bytes``, 64 MiB of Arrow memory by default): the Hub's
  dataset viewer refuses row groups above ~286 MiB in memory, and a reader that loads one row group at a time
  (``datasets`` streaming, DuckDB, polars' scan) stays bounded. 121,000 papers are ~363 MiB in memory, so one
  row group per file would be over the limit.
* **Shards of bounded size** (``shard_bytes``, 512 MiB of Arrow memory per file by default, ~100-200 MiB on disk
  with zstd): uploads and downloads resume per file and no single file grows without bound.
* **A page index** (column and offset indexes), so readers skip pages by statistics, not only row groups.
* **Content-defined chunking** (pyarrow >= 21, ``use_content_defined_chunking``) when the installed pyarrow
  has it: data pages are cut where the content says, so a release that inserts or changes a few papers
  rewrites few pages, and the Hub's chunk-deduplicating storage (Xet) stores and transfers only those.
  Dictionary encoding is then kept only for low-cardinality string columns (language, topic, status...):
  a dictionary of unique texts renumbers every later value when one row is inserted, and no page is shared.
* zstd compression and statistics, the project's defaults since the first version.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypedDict

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

MIB = 1 << 20

Compression = Literal["gzip", "brotli", "lz4", "zstd", "snappy", "none"]
"""The codecs ``pq.write_table`` takes by name."""

CONTENT_DEFINED_CHUNKING_AVAILABLE = (
    "use_content_defined_chunking" in inspect.signature(pq.write_table).parameters
)
"""Whether the installed pyarrow can write content-defined data pages (pyarrow 21 and later)."""

CDC_PAGES = {"min_chunk_size": 64 * 1024, "max_chunk_size": 256 * 1024}
"""Content-defined pages of 64-256 KiB before encoding, near the Hub's Xet chunks (~64 KiB): on the real captures
a release with 1 % new and 1 % updated papers spread over the ids keeps 68 % of its bytes in chunks of the
previous file, against 44 % with pyarrow's default 256 KiB-1 MiB pages and 41 % without CDC, for files 5 % larger
(``bench/experiments/release-cdc-page-sizes.md``)."""


@dataclass(frozen=True)
class ParquetLayout:
    """How a table is cut into files, row groups and pages."""

    row_group_bytes: int = 64 * MIB
    """Target Arrow (in-memory) size of one row group; well under the dataset viewer's ~286 MiB limit."""
    shard_bytes: int = 512 * MIB
    """Target Arrow (in-memory) size of one shard file of a sharded table."""
    compression: Compression = "zstd"
    page_index: bool = True
    content_defined_chunking: bool | dict[str, int] = field(
        default_factory=lambda: dict(CDC_PAGES) if CONTENT_DEFINED_CHUNKING_AVAILABLE else False
    )
    """The chunker's options (``CDC_PAGES``), True for pyarrow's defaults (256 KiB-1 MiB), or False."""


DEFAULT_LAYOUT = ParquetLayout()


class _ChunkingOptions(TypedDict, total=False):
    """The ``pq.write_table`` keywords passed only when content-defined chunking is on."""

    use_content_defined_chunking: bool | dict[str, int]
    use_dictionary: list[str]


def rows_per(target_bytes: int, table: pa.Table) -> int:
    """How many rows of ``table`` fit in ``target_bytes`` of memory (at least one; all rows of an empty table)."""
    if table.num_rows == 0:
        return 1
    bytes_per_row = max(table.nbytes / table.num_rows, 1.0)
    return max(1, int(target_bytes // bytes_per_row))


def shard_slices(table: pa.Table, layout: ParquetLayout = DEFAULT_LAYOUT) -> list[pa.Table]:
    """``table`` cut into consecutive slices of at most ``layout.shard_bytes`` in memory (one slice if empty)."""
    size = rows_per(layout.shard_bytes, table)
    count = max(1, -(-table.num_rows // size))
    return [table.slice(index * size, size) for index in range(count)]


def write_parquet(
    table: pa.Table,
    path: Path,
    metadata: Mapping[str, str] | None = None,
    layout: ParquetLayout = DEFAULT_LAYOUT,
) -> None:
    """Write ``table`` to ``path`` with the project's layout; ``metadata`` is added to the schema's key-values."""
    if metadata:
        keyed = {key.encode(): value.encode() for key, value in metadata.items()}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **keyed})
    options: _ChunkingOptions = {}
    if layout.content_defined_chunking and CONTENT_DEFINED_CHUNKING_AVAILABLE:
        options["use_content_defined_chunking"] = layout.content_defined_chunking
        options["use_dictionary"] = dictionary_columns(table)
    pq.write_table(
        table,
        path,
        row_group_size=rows_per(layout.row_group_bytes, table),
        compression=layout.compression,
        write_statistics=True,
        write_page_index=layout.page_index,
        **options,  # type: ignore[arg-type]  # pyarrow-stubs type use_dictionary as bool; pyarrow takes a list of columns too
    )


def dictionary_columns(table: pa.Table) -> list[str]:
    """Top-level string columns with few distinct values (at most one in ten rows): worth a dictionary."""
    return [
        field.name
        for field, column in zip(table.schema, table.columns, strict=True)
        if pa.types.is_string(field.type)
        and table.num_rows
        and pc.count_distinct(column).as_py() <= max(1, table.num_rows // 10)
    ]


def row_group_sizes(path: Path) -> list[tuple[int, int]]:
    """(rows, uncompressed bytes) of every row group of a Parquet file, as its footer records them."""
    metadata = pq.ParquetFile(path).metadata
    return [
        (metadata.row_group(index).num_rows, metadata.row_group(index).total_byte_size)
        for index in range(metadata.num_row_groups)
    ]
