"""Release layout on real data: row groups and shards at ~121,000 papers, and bytes shared between releases.

Run on a version built from the real captures:

    .venv/bin/papers run ../shared/data/hf-daily-api --out /tmp/rel-real
    .venv/bin/python bench/release_layout.py /tmp/rel-real/trending-papers/latest

1. Layout at scale: the version's papers repeated 50 times (new ids) and written by the project's writer.
2. Sharing: the version against a next release (1 % new papers, 1 % upvotes changed), either a day's run (new
   arXiv ids sort after the known ones, updates on the newest papers) or changes spread over the id range. Both
   files are cut by a gear-hash content-defined chunker (8 KiB average, as chunk-deduplicating storage does);
   the share of the new file's bytes that are chunks of the old one is what a release would not upload again.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.store.parquet import CDC_PAGES, MIB, ParquetLayout, row_group_sizes, shard_slices, write_parquet
from tests.support.content_chunks import content_chunks as _chunks


def layout_at_scale(real: pa.Table, tmp: Path, copies: int = 50) -> None:
    print(
        f"real: {real.num_rows} rows, {real.nbytes / MIB:.1f} MiB in memory, {real.nbytes / real.num_rows:.0f} B/row"
    )
    big = pa.concat_tables(
        real.set_column(
            0, "paper_id", pc.binary_join_element_wise(real["paper_id"], pa.scalar(f"#{i:02d}"), "")
        )
        for i in range(copies)
    ).combine_chunks()
    print(f"scaled: {big.num_rows} rows, {big.nbytes / MIB:.1f} MiB in memory")
    shards = shard_slices(big)
    for index, shard in enumerate(shards):
        path = tmp / f"train-{index:05d}-of-{len(shards):05d}.parquet"
        started = time.perf_counter()
        write_parquet(shard, path)
        elapsed = time.perf_counter() - started
        groups = row_group_sizes(path)
        print(
            f"  {path.name}: {shard.num_rows} rows, {path.stat().st_size / MIB:.1f} MiB on disk, {len(groups)} row "
            f"groups, largest {max(b for _, b in groups) / MIB:.1f} MiB uncompressed "
            f"({max(r for r, _ in groups)} rows); written in {elapsed:.1f} s"
        )


def next_release(real: pa.Table, mode: str) -> pa.Table:
    n = real.num_rows
    new = real.slice(0, n // 100)
    if mode == "spread":
        new = new.set_column(0, "paper_id", pc.binary_join_element_wise(new["paper_id"], pa.scalar("x"), ""))
        touched = range(0, n, 100)
    else:
        new = new.set_column(0, "paper_id", pa.array([f"arxiv:9999.{i:05d}" for i in range(new.num_rows)]))
        touched = range(n - 2 * (n // 100), n - n // 100)
    upvotes = real["upvotes"].to_pylist()
    for index in touched:
        upvotes[index] = (upvotes[index] or 0) + 1
    updated = real.set_column(
        real.schema.get_field_index("upvotes"), "upvotes", pa.array(upvotes, pa.int64())
    )
    return pa.concat_tables([updated, new.cast(real.schema)]).sort_by("paper_id")


def shared(old: bytes, new: bytes) -> float:
    known = set(_chunks(old, (1 << 13) - 1))
    return sum(len(c) for c in _chunks(new, (1 << 13) - 1) if c in known) / len(new)


def sharing(real: pa.Table, tmp: Path) -> None:
    variants = {"cdc 64-256 KiB (CDC_PAGES)": dict(CDC_PAGES), "cdc pyarrow defaults": True, "no cdc": False}
    for mode in ("daily", "spread"):
        later = next_release(real, mode)
        for name, cdc in variants.items():
            layout = ParquetLayout(content_defined_chunking=cdc)
            before, after = tmp / "before.parquet", tmp / "after.parquet"
            write_parquet(real, before, layout=layout)
            write_parquet(later, after, layout=layout)
            print(
                f"  {mode:<6} {name:<28} {before.stat().st_size / MIB:.2f} -> {after.stat().st_size / MIB:.2f} MiB, "
                f"{shared(before.read_bytes(), after.read_bytes()):.1%} of the new file in chunks of the old"
            )


def main() -> None:
    version = Path(sys.argv[1])
    real = pa.concat_tables([pq.read_table(f) for f in sorted((version / "data").glob("*.parquet"))])
    real = real.sort_by("paper_id")
    with tempfile.TemporaryDirectory() as folder:
        layout_at_scale(real, Path(folder))
        sharing(real, Path(folder))


if __name__ == "__main__":
    main()
