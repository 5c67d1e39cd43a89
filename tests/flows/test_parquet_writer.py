from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from flows.store.parquet import (
    CONTENT_DEFINED_CHUNKING_AVAILABLE,
    MIB,
    ParquetLayout,
    row_group_sizes,
    rows_per,
    shard_slices,
    write_parquet,
)
from tests.support.content_chunks import content_chunks


def abstracts(rows: int) -> pa.Table:
    return pa.table(
        {
            "paper_id": [f"arxiv:{i:08d}" for i in range(rows)],
            "abstract": [f"paper {i} " + "we study things at scale " * (20 + i % 40) for i in range(rows)],
        }
    )


def test_row_groups_and_shards_are_bounded_by_memory_not_rows(tmp_path: Path) -> None:
    table = abstracts(20_000)  # 19.5 MiB in memory
    layout = ParquetLayout(row_group_bytes=2 * MIB, shard_bytes=6 * MIB)
    shards = shard_slices(table, layout)
    assert len(shards) == 4  # 19.5 MiB in shards of at most 6 MiB
    assert sum(shard.num_rows for shard in shards) == table.num_rows
    for index, shard in enumerate(shards):
        assert shard.nbytes <= 6 * MIB * 1.05
        path = tmp_path / f"shard-{index}.parquet"
        write_parquet(shard, path, {"trending_papers.version": "v1"}, layout)
        sizes = row_group_sizes(path)
        assert len(sizes) == -(-shard.num_rows // rows_per(2 * MIB, shard))
        assert (
            max(size for _, size in sizes) <= 2 * MIB * 1.1
        )  # uncompressed bytes, as the viewer counts them
        assert pq.read_schema(path).metadata[b"trending_papers.version"] == b"v1"
    back = pl.concat([pl.read_parquet(tmp_path / f"shard-{i}.parquet") for i in range(len(shards))])
    assert back.equals(pl.from_arrow(table))


def test_files_carry_a_page_index_and_zstd(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    table = abstracts(100).append_column("topic", pa.array(["nlp", "vision"] * 50))
    write_parquet(table, path)
    group = pq.ParquetFile(path).metadata.row_group(0)
    abstract, topic = group.column(1), group.column(2)
    assert abstract.has_column_index and abstract.has_offset_index
    assert abstract.compression == "ZSTD"
    assert "RLE_DICTIONARY" in topic.encodings  # few distinct values: a dictionary
    assert "RLE_DICTIONARY" not in abstract.encodings  # unique texts: plain, so CDC pages survive insertions


def test_content_defined_chunking_makes_an_insertion_rewrite_few_bytes(tmp_path: Path) -> None:
    """With CDC, inserting a few rows near the start leaves most of the file's bytes shareable.

    Sharing is measured the way chunk-deduplicating storage sees it: the files are cut at content-defined
    boundaries (a gear rolling hash, as Xet does) and the chunks of the new file found in the old one are counted.
    Small CDC pages make the effect visible on a test-sized file; production uses pyarrow's defaults.
    """
    assert CONTENT_DEFINED_CHUNKING_AVAILABLE, "pyarrow >= 21 is a dependency; CDC must be on"
    table = _random_abstracts(3_000, seed=1)
    inserted = pa.concat_tables([table.slice(0, 30), _random_abstracts(5, seed=2), table.slice(30)])
    small_pages = {"min_chunk_size": 16 * 1024, "max_chunk_size": 64 * 1024}
    shared = {}
    for name, cdc in (("cdc", small_pages), ("plain", False)):
        layout = ParquetLayout(content_defined_chunking=cdc)
        before, after = tmp_path / f"{name}-before.parquet", tmp_path / f"{name}-after.parquet"
        write_parquet(table, before, layout=layout)
        write_parquet(inserted, after, layout=layout)
        shared[name] = _shared_share(before.read_bytes(), after.read_bytes())
    assert shared["cdc"] > 0.7
    assert shared["cdc"] > shared["plain"] + 0.3


def _random_abstracts(rows: int, seed: int) -> pa.Table:
    import random

    rng = random.Random(seed)
    words = [f"w{n}" for n in range(5_000)]
    return pa.table(
        {
            "paper_id": [f"p{seed}-{i:06d}" for i in range(rows)],
            "abstract": [" ".join(rng.choices(words, k=60)) for _ in range(rows)],
        }
    )


def _shared_share(old: bytes, new: bytes) -> float:
    known = set(content_chunks(old))
    pieces = content_chunks(new)
    return sum(len(c) for c in pieces if c in known) / len(new)


def test_rows_per_never_returns_zero() -> None:
    assert rows_per(1, abstracts(3)) == 1
    assert rows_per(MIB, pa.table({"a": pa.array([], pa.string())})) == 1
