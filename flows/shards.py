"""Range shards shared between versions: a daily version rewrites only the shards whose rows changed.

A sharded table (the papers, the dedup index) is sorted by a key (``paper_id``) and cut into shards by key
range. The next version reuses the previous version's boundaries (each shard's first key, from its manifest
entry), so a run that adds or updates a few papers changes the rows of a few shards only: ids are
``arxiv:<YYMM.NNNNN>``, new papers land in the last shards. A shard whose rows equal the previous shard's
rows (same rows, same order, same values and types: compared as frames, not by a hash of some columns) is
hard-linked from the previous version folder: same bytes, same sha256, no new bytes on disk, and the version
folder still holds a complete set of plain Parquet files for every reader. The others are written anew.

Sizes: a shard that grows past twice the target is split into shards of about the target; consecutive shards
that together fit in the target are merged (after retractions, or a change of target), so the shard count
follows the table's size. Splits are cut where the key changes, so all rows of one key stay in one shard.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl


@dataclass(frozen=True)
class Shard:
    """One shard file of a published version, as its manifest entry describes it."""

    path: Path
    """The file in the version folder (the source of a hard link)."""
    rows: int
    first_key: str
    last_key: str
    sha256: str
    bytes: int
    written_by: str
    """The version that wrote these bytes (the first one of a chain of links)."""


@dataclass(frozen=True)
class Piece:
    """A run of rows ``[start, stop)`` of the new table and the previous shard it may equal."""

    start: int
    stop: int
    candidate: Shard | None


def previous_shards(version_dir: Path | None, folder: str) -> list[Shard]:
    """The shards of ``folder/`` in a published version, in key order; [] when it has none with key ranges.

    Versions written before range shards have no ``first_key`` in their manifest: the next version lays its
    shards out afresh (it links nothing).
    """
    if version_dir is None or not (version_dir / "manifest.json").is_file():
        return []
    manifest = json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))
    entries = sorted(
        (f for f in manifest.get("files", []) if f["path"].startswith(f"{folder}/")), key=lambda f: f["path"]
    )
    if not entries or any("first_key" not in f or f.get("rows", 0) == 0 for f in entries):
        return []
    return [
        Shard(
            path=version_dir / f["path"],
            rows=f["rows"],
            first_key=f["first_key"],
            last_key=f["last_key"],
            sha256=f["sha256"],
            bytes=f["bytes"],
            written_by=f.get("written_by", manifest.get("version", version_dir.name)),
        )
        for f in entries
    ]


def plan_pieces(keys: pl.Series, previous: list[Shard], target_rows: int) -> list[Piece]:
    """Cut the sorted ``keys`` at the previous shards' first keys, then split, merge and pair the pieces.

    Each piece is paired with the previous shard whose range it came from, when it was not split or merged
    (only such a piece can equal a previous shard).
    """
    total = len(keys)
    target_rows = max(1, target_rows)
    if total == 0:
        return [Piece(0, 0, None)]
    if not previous:
        return _split(keys, 0, total, target_rows, None)
    boundaries = [shard.first_key for shard in previous[1:]]
    cuts = [0, *_search(keys, boundaries), total]
    pieces: list[Piece] = []
    for index, shard in enumerate(previous):
        start, stop = cuts[index], cuts[index + 1]
        if stop > start:
            pieces.extend(_split(keys, start, stop, target_rows, shard))
    return _merge(pieces, target_rows)


def _search(keys: pl.Series, boundaries: list[str]) -> list[int]:
    """For each boundary, the index of the first key >= it (``keys`` sorted)."""
    return keys.search_sorted(pl.Series(boundaries, dtype=keys.dtype), side="left").to_list()


def _split(keys: pl.Series, start: int, stop: int, target_rows: int, shard: Shard | None) -> list[Piece]:
    """One piece, or (past twice the target, or with no previous layout) pieces of about the target (even sizes)."""
    rows = stop - start
    if shard is not None and rows <= 2 * target_rows:
        return [Piece(start, stop, shard)]
    count = max(1, -(-rows // target_rows))
    pieces, begin = [], start
    for number in range(1, count + 1):
        end = max(begin + 1, start + rows * number // count) if number < count else stop
        while begin < end < stop and keys[end] == keys[end - 1]:  # keep one key's rows together
            end += 1
        if end > begin:
            pieces.append(Piece(begin, end, None))
        begin = end
    return pieces


def _merge(pieces: list[Piece], target_rows: int) -> list[Piece]:
    """Merge consecutive pieces that together fit in the target (a merged piece equals no previous shard)."""
    merged: list[Piece] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if last is not None and (last.stop - last.start) + (piece.stop - piece.start) <= target_rows:
            merged[-1] = Piece(last.start, piece.stop, None)
        else:
            merged.append(piece)
    return merged


def write_shards(
    staging: Path,
    folder: str,
    stem: str,
    frame: pl.DataFrame,
    key: str,
    target_rows: int,
    previous: list[Shard],
    previous_version: str | None,
    version: str,
    write: Callable[[Path, pl.DataFrame], None],
    read_previous: Callable[[Shard], pl.DataFrame],
) -> list[dict[str, Any]]:
    """``folder/stem-0000i-of-0000N.parquet`` of ``frame`` (sorted by ``key``): linked when unchanged, else written.

    Manifest entries carry ``first_key``/``last_key`` (the next version's boundaries), ``written_by`` (the
    version whose run wrote the bytes, also in the file's metadata) and, for a shared file, ``linked_from``.
    A hard link can carry another name than its source, so a shard keeps its bytes when the count changes.
    Rows are compared as polars frames (``read_previous`` gives a previous shard's rows), so only the shards
    written are converted to Arrow.
    """
    (staging / folder).mkdir(parents=True, exist_ok=True)
    keys = frame.get_column(key)
    pieces = plan_pieces(keys, previous, target_rows)
    entries = []
    for index, piece in enumerate(pieces):
        path = staging / folder / f"{stem}-{index:05d}-of-{len(pieces):05d}.parquet"
        rows = rows_of(frame, piece.start, piece.stop)
        shard = piece.candidate
        entry: dict[str, Any] = {"path": path.relative_to(staging).as_posix(), "rows": rows.height}
        if rows.height:
            entry |= {"first_key": keys[piece.start], "last_key": keys[piece.stop - 1]}
        if shard is not None and _same_rows(rows, entry, shard, read_previous) and _link(shard.path, path):
            entry |= {
                "bytes": shard.bytes,
                "sha256": shard.sha256,
                "written_by": shard.written_by,
                "linked_from": previous_version,
            }
        else:
            write(path, rows)
            entry |= {"bytes": path.stat().st_size, "sha256": _sha256(path), "written_by": version}
        entries.append(entry)
    return entries


def rows_of(frame: pl.DataFrame, start: int, stop: int) -> pl.DataFrame:
    """Rows ``[start, stop)`` copied out of ``frame``: polars exports a slice's nested columns to Arrow with the
    whole table's buffers, and gathers from a frame of many chunks (a version read file by file) rechunk it
    whole: either made each shard (compared or written) cost as much as the whole table. Slice, then gather."""
    return frame.slice(start, stop - start).select(pl.all().gather(pl.int_range(0, stop - start)))


def _same_rows(
    rows: pl.DataFrame, entry: dict[str, Any], shard: Shard, read: Callable[[Shard], pl.DataFrame]
) -> bool:
    """Whether ``rows`` are exactly the previous shard's rows (cheap checks first, then every value and type)."""
    if (rows.height, entry.get("first_key"), entry.get("last_key")) != (
        shard.rows,
        shard.first_key,
        shard.last_key,
    ):
        return False
    if not shard.path.is_file():
        return False
    return frames_equal(read(shard), rows)


def frames_equal(left: pl.DataFrame, right: pl.DataFrame) -> bool:
    """Same types and values, column by column (first difference stops it; ``record_hash`` first).

    Nested columns (lists of structs: listings, sources, topic scores...) are compared as Arrow arrays, 5-6x
    faster than polars' nested equality on a papers shard (``bench/README.md``).
    """
    schema = left.schema
    if schema != right.schema or left.height != right.height:
        return False
    for name in sorted(schema, key=lambda name: (name != "record_hash", schema[name].is_nested())):
        a, b = left.get_column(name), right.get_column(name)
        if schema[name].is_nested():
            if not a.to_arrow().equals(b.to_arrow()):
                return False
        elif not a.equals(b, null_equal=True):
            return False
    return True


def _link(source: Path, target: Path) -> bool:
    """Hard-link ``source`` as ``target``; False where the file system cannot (the shard is then written)."""
    try:
        os.link(source, target)
    except OSError:
        return False
    return True


def _sha256(path: Path) -> str:
    from flows.publish import sha256_file

    return sha256_file(path)


def new_bytes(files: list[dict[str, Any]]) -> int:
    """Bytes of the manifest's files that this version wrote (not linked from the version before it)."""
    return sum(f.get("bytes", 0) for f in files if "linked_from" not in f)
