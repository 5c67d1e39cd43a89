"""The tables of a version: papers and dedup-index range shards, the quarantine and the ledger.

Every table is cast to its contract schema and written by the one Parquet writer (``flows/store/parquet.py``),
with the version's metadata. Papers and index shards are laid out on the boundaries of the version ``latest``
points at, and a shard whose rows equal the previous one is a hard link of its file (``flows/store/shards.py``).
Two plans write them: :class:`WholeTables` (every paper of the version, in memory or spilled range by range) and
:class:`~flows.store.previous.Incremental` (a run on a version merged into shard by shard: the touched ranges
written, the other shards carried as links, every key range checked).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from flows.errors import ContractBroken
from flows.store.catalog import written_with_this_schema
from flows.store.files import sha256_file
from flows.store.layout import (
    DATA_FOLDER,
    DATA_STEM,
    INDEX_FOLDER,
    INDEX_STEM,
    LEDGER_FILE,
    QUARANTINE_FOLDER,
    QUARANTINE_STEM,
    keyed_metadata,
)
from flows.store.parquet import MIB, shard_slices, write_parquet
from flows.store.previous import Incremental, PreviousVersion
from flows.store.shards import (
    FileEntry,
    Shard,
    VersionPart,
    check_ranges,
    previous_shards,
    rows_of,
    write_part,
    write_shards,
)
from flows.store.spill import Spilled
from transforms.dedup.index import INDEX_ORDER
from transforms.schema import (
    DEDUP_INDEX_SCHEMA,
    LEDGER_SCHEMA,
    PAPER_SCHEMA,
    QUARANTINE_SCHEMA,
    arrow_frame,
    conform,
    to_arrow,
)

PAPER_SHARD_BYTES = 32 * MIB
"""Target Arrow size of a papers shard (~10k papers, ~12 MB on disk): a daily run rewrites the last shard or two
and those of the papers it updated, a few per cent of a 1M-paper version (``bench/RESULTS.md``)."""
INDEX_SHARD_BYTES = 32 * MIB
"""Target Arrow size of a dedup-index shard (34 rows a paper)."""


@dataclass(frozen=True)
class WholeTables:
    """Every paper and index row of the new version, in memory or spilled to the run's work folder (in the
    contract's schema and order, range by range), written against ``latest``'s layout."""

    papers: pl.DataFrame | Spilled
    dedup_index: pl.DataFrame | Spilled | None
    previous: PreviousVersion | None = None
    """``latest`` as the run read it: its rows, when read whole, are compared by slice instead of per file."""


def write_papers(
    staging: Path, tables: WholeTables | Incremental, metadata: dict[str, str], base_dir: Path | None
) -> tuple[list[FileEntry], list[FileEntry]]:
    """The papers shards and the dedup-index shards."""
    if isinstance(tables, Incremental):
        return _write_incremental(staging, tables, metadata)
    previous = tables.previous
    in_memory = (
        previous
        if previous is not None and base_dir is not None and previous.version == base_dir.name
        else None
    )
    papers = _write_range_shards(
        staging,
        DATA_FOLDER,
        DATA_STEM,
        tables.papers if isinstance(tables.papers, Spilled) else tables.papers.sort("paper_id"),
        PAPER_SCHEMA,
        PAPER_SHARD_BYTES,
        base_dir,
        metadata,
        in_memory.papers if in_memory else None,
    )
    if tables.dedup_index is None:
        return papers, []
    index = tables.dedup_index
    # update_index keeps INDEX_ORDER (and a spilled index is written range after range in it)
    if isinstance(index, pl.DataFrame) and not index.get_column("paper_id").is_sorted():
        index = index.sort(INDEX_ORDER)
    return papers, _write_range_shards(
        staging,
        INDEX_FOLDER,
        INDEX_STEM,
        index,
        DEDUP_INDEX_SCHEMA,
        INDEX_SHARD_BYTES,
        base_dir,
        metadata,
        in_memory.dedup_index if in_memory else None,
    )


def write_records(
    staging: Path, quarantine: pl.DataFrame, ledger: pl.DataFrame, metadata: dict[str, str]
) -> list[FileEntry]:
    """The quarantine (shards of bounded size) and the ledger of the run."""
    (staging / QUARANTINE_FOLDER).mkdir()
    shards = shard_slices(to_arrow(quarantine.sort("record_id"), QUARANTINE_SCHEMA))
    files = [
        _write_arrow(
            staging,
            f"{QUARANTINE_FOLDER}/{QUARANTINE_STEM}-{index:05d}-of-{len(shards):05d}.parquet",
            shard,
            metadata,
        )
        for index, shard in enumerate(shards)
    ]
    files.append(write_table(staging, LEDGER_FILE, ledger.sort("record_id"), LEDGER_SCHEMA, metadata))
    return files


def _write_range_shards(
    staging: Path,
    folder: str,
    stem: str,
    frame: pl.DataFrame | Spilled,
    schema: pa.Schema,
    shard_bytes: int,
    base_dir: Path | None,
    metadata: dict[str, str],
    base_rows: pl.DataFrame | None = None,
) -> list[FileEntry]:
    """Range shards of ``frame`` (sorted by ``paper_id``), sharing the unchanged ones with ``base_dir``.

    ``base_rows``: every row of ``base_dir``'s shards in file order, compared by slice instead of reading each
    candidate file again.
    """
    if isinstance(frame, pl.DataFrame):  # spilled rows were conformed before they were spilled
        frame = conform(frame, schema)
    previous = previous_shards(base_dir, folder)
    ends = list(accumulate(shard.rows for shard in previous))
    starts = {shard.path: end - shard.rows for shard, end in zip(previous, ends, strict=True)}
    in_memory = base_rows is not None and base_rows.height == (ends[-1] if ends else 0)

    def read_previous(shard: Shard) -> pl.DataFrame:
        if in_memory and base_rows is not None:
            start = starts[shard.path]
            return conform(rows_of(base_rows, start, start + shard.rows), schema)
        return conform(arrow_frame(pq.read_table(shard.path, schema=schema)), schema)

    return write_shards(
        staging,
        folder,
        stem,
        frame,
        key="paper_id",
        target_rows=_rows_per(shard_bytes, frame),
        previous=previous,
        previous_version=base_dir.name
        if base_dir is not None and written_with_this_schema(base_dir)
        else None,
        version=metadata["version"],
        write=lambda path, rows: write_parquet(to_arrow(rows, schema), path, keyed_metadata(metadata)),
        read_previous=read_previous,
    )


def _write_incremental(
    staging: Path, incremental: Incremental, metadata: dict[str, str]
) -> tuple[list[FileEntry], list[FileEntry]]:
    """The papers and index shards of a daily run: touched ranges written, the rest linked; ranges checked."""
    files: list[list[FileEntry]] = []
    for folder, stem, part, schema, shard_bytes in (
        (DATA_FOLDER, DATA_STEM, incremental.papers, PAPER_SCHEMA, PAPER_SHARD_BYTES),
        (INDEX_FOLDER, INDEX_STEM, incremental.index, DEDUP_INDEX_SCHEMA, INDEX_SHARD_BYTES),
    ):

        def write_rows(path: Path, rows: pl.DataFrame, schema: pa.Schema = schema) -> None:
            write_parquet(to_arrow(rows, schema), path, keyed_metadata(metadata))

        entries = write_part(
            staging,
            folder,
            stem,
            part,
            target_rows=_rows_per(shard_bytes, part),
            previous_version=incremental.previous.version,
            version=metadata["version"],
            write=write_rows,
        )
        problems = check_ranges(entries)
        if problems:
            raise ContractBroken(problems)
        files.append(entries)
    return files[0], files[1]


def write_table(
    folder: Path, relative: str, frame: pl.DataFrame, schema: pa.Schema, metadata: dict[str, str]
) -> FileEntry:
    return _write_arrow(folder, relative, to_arrow(frame, schema), metadata)


def _write_arrow(folder: Path, relative: str, table: pa.Table, metadata: dict[str, str]) -> FileEntry:
    path = folder / relative
    write_parquet(table, path, keyed_metadata(metadata))
    return {
        "path": relative,
        "rows": table.num_rows,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
    }


def _rows_per(target_bytes: int, frame: pl.DataFrame | Spilled | VersionPart) -> int:
    """How many rows of ``frame`` fit in ``target_bytes`` of memory (at least one). Of a run's rewritten shards,
    by the memory per row of their previous rows (:attr:`~flows.store.shards.VersionPart.row_bytes`)."""
    if isinstance(frame, VersionPart):
        return max(1, int(target_bytes // frame.row_bytes)) if frame.row_bytes else frame.shards[0].rows
    if frame.height == 0:
        return 1
    return max(1, int(target_bytes // max(frame.estimated_size() / frame.height, 1.0)))
