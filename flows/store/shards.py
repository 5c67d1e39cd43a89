"""Range shards shared between versions: a daily version rewrites only the shards whose rows changed.

A sharded table (the papers, the dedup index) is sorted by a key (``paper_id``) and cut into shards by key
range. The next version reuses the previous version's boundaries (each shard's first key, from its manifest
entry), so a run that adds or updates a few papers changes the rows of a few shards only: ids are
``arxiv:<YYMM.NNNNN>``, new papers land in the last shards. A shard whose rows equal the previous shard's
rows (same rows, same order, same values and types: compared as frames, not by a hash of some columns) is
hard-linked from the previous version folder: same bytes, same sha256, no new bytes on disk, and the version
folder still holds a complete set of plain Parquet files for every reader. The others are written anew. Every
shard is named after the version whose folder it is in, a link too (``train-00000-of-00004-<version>.parquet``):
a reader that caches by file name (``datasets``) never takes a version's files for another's.

Sizes: a shard that grows past twice the target is split into shards of about the target; consecutive shards
that together fit in the target are merged (after retractions, or a change of target), so the shard count
follows the table's size. Splits are cut where the key changes, so all rows of one key stay in one shard.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from flows.store.catalog import read_manifest
from flows.store.files import hard_link, sha256_file
from flows.store.layout import shard_file
from flows.store.spill import Spilled

FileEntry = dict[str, Any]
"""One file of a version as its manifest lists it (``path``, ``rows``, ``bytes``, ``sha256``, key range...)."""


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
    if version_dir is None:
        return []
    manifest = read_manifest(version_dir)
    if manifest is None:
        return []
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
        return split_range(keys, 0, total, target_rows, None)
    boundaries = [shard.first_key for shard in previous[1:]]
    cuts = [0, *_search(keys, boundaries), total]
    pieces: list[Piece] = []
    for index, shard in enumerate(previous):
        start, stop = cuts[index], cuts[index + 1]
        if stop > start:
            pieces.extend(split_range(keys, start, stop, target_rows, shard))
    return merge_pieces(pieces, target_rows)


def _search(keys: pl.Series, boundaries: list[str]) -> list[int]:
    """For each boundary, the index of the first key >= it (``keys`` sorted)."""
    return keys.search_sorted(pl.Series(boundaries, dtype=keys.dtype), side="left").to_list()


def split_range(keys: pl.Series, start: int, stop: int, target_rows: int, shard: Shard | None) -> list[Piece]:
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


def merge_pieces(pieces: list[Piece], target_rows: int) -> list[Piece]:
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
    frame: pl.DataFrame | Spilled,
    key: str,
    target_rows: int,
    previous: list[Shard],
    previous_version: str | None,
    version: str,
    write: Callable[[Path, pl.DataFrame], None],
    read_previous: Callable[[Shard], pl.DataFrame],
) -> list[FileEntry]:
    """``folder/stem-0000i-of-0000N-<version>.parquet`` of ``frame`` (sorted by ``key``): linked when unchanged,
    else written.

    ``frame`` may be spilled to the run's work folder: then only its ``key`` column and one shard's rows at a time
    are read into memory.

    Manifest entries carry ``first_key``/``last_key`` (the next version's boundaries), ``written_by`` (the
    version whose run wrote the bytes, also in the file's metadata) and, for a shared file, ``linked_from``.
    A hard link can carry another name than its source, so a shard keeps its bytes under this version's name
    (:func:`~flows.store.layout.shard_file`).
    Rows are compared as polars frames (``read_previous`` gives a previous shard's rows), so only the shards
    written are converted to Arrow.
    """
    (staging / folder).mkdir(parents=True, exist_ok=True)
    keys = frame.get_column(key)
    pieces = plan_pieces(keys, previous, target_rows)
    entries = []
    for index, piece in enumerate(pieces):
        path = staging / folder / shard_file(stem, index, len(pieces), version)
        rows = rows_of(frame, piece.start, piece.stop)
        shard = piece.candidate
        entry: FileEntry = {"path": path.relative_to(staging).as_posix(), "rows": rows.height}
        if rows.height:
            entry |= {"first_key": keys[piece.start], "last_key": keys[piece.stop - 1]}
        if (
            shard is not None
            and previous_version is not None
            and _same_rows(rows, entry, shard, read_previous)
            and hard_link(shard.path, path)
        ):
            entry |= _linked(shard, previous_version)
        else:
            write(path, rows)
            entry |= {"bytes": path.stat().st_size, "sha256": sha256_file(path), "written_by": version}
        entries.append(entry)
    return entries


def rows_of(frame: pl.DataFrame | Spilled, start: int, stop: int) -> pl.DataFrame:
    """Rows ``[start, stop)`` copied out of ``frame``: polars exports a slice's nested columns to Arrow with the
    whole table's buffers, and gathers from a frame of many chunks (a version read file by file) rechunk it
    whole: either made each shard (compared or written) cost as much as the whole table. Slice, then gather.
    Of a spilled frame, the rows are read from its chunks (fresh buffers of their own)."""
    if isinstance(frame, Spilled):
        return frame.slice_rows(start, stop)
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
    faster than polars' nested equality on a papers shard.
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


def new_bytes(files: list[FileEntry]) -> int:
    """Bytes of the manifest's files that this version wrote (not linked from the version before it)."""
    return sum(f.get("bytes", 0) for f in files if "linked_from" not in f)


@dataclass(frozen=True)
class VersionPart:
    """The rows of one sharded table that a run rewrites: the previous shards its ids touch, and their new rows
    (spilled to the run's work folder, ``flows/run/shard_merge.py``)."""

    shards: list[Shard]
    """Every shard of the previous version, in key order."""
    touched: list[int]
    """Positions in ``shards`` of the shards whose key range holds one of the run's ids."""
    after: Spilled
    """The new version's rows of the touched ranges (sorted by ``paper_id``, in the table's schema)."""
    unchanged: frozenset[int] = frozenset()
    """Positions of touched shards whose new rows equal their previous rows (their file can be linked)."""
    row_bytes: float = 0.0
    """Memory per row of the touched shards' previous rows, as read from their files (0: none touched): what the
    rewritten rows are cut by, the same however the run's papers were cut into ranges."""

    @property
    def columns(self) -> list[str]:
        return self.after.columns

    @property
    def carried_rows(self) -> int:
        return sum(shard.rows for shard in self.carried)

    @property
    def carried(self) -> list[Shard]:
        touched = set(self.touched)
        return [shard for index, shard in enumerate(self.shards) if index not in touched]


def touched_shards(shards: list[Shard], ids: pl.Series) -> list[int]:
    """Positions of the shards whose key range holds one of ``ids``.

    Shard ``i`` holds the keys from its first key up to the next shard's first key (the first shard also those
    below it, the last those above), as :func:`plan_pieces` cuts a new version.
    """
    if not shards or ids.len() == 0:
        return []
    boundaries = pl.Series([shard.first_key for shard in shards[1:]], dtype=pl.String)
    positions = boundaries.search_sorted(ids.cast(pl.String).unique().sort(), side="right")
    return sorted(set(positions.to_list()))


def key_range(shards: list[Shard], position: int) -> tuple[str | None, str | None]:
    """The keys shard ``position`` holds: from its first key (the first shard: from the lowest) up to, not
    including, the next shard's first key (the last shard: to the highest), as :func:`plan_pieces` cuts."""
    low = shards[position].first_key if position > 0 else None
    high = shards[position + 1].first_key if position + 1 < len(shards) else None
    return low, high


def touched_cuts(keys: pl.Series, shards: list[Shard], touched: list[int]) -> list[tuple[int, int, int]]:
    """(shard position, start, stop) of the rows of ``keys`` (sorted) in each touched shard's key range."""
    cuts = []
    for position in touched:
        low, high = key_range(shards, position)
        start = 0 if low is None else keys.search_sorted(low, side="left")
        stop = keys.len() if high is None else keys.search_sorted(high, side="left")
        cuts.append((position, int(start), int(stop)))
    return cuts


def write_part(
    staging: Path,
    folder: str,
    stem: str,
    part: VersionPart,
    target_rows: int,
    previous_version: str,
    version: str,
    write: Callable[[Path, pl.DataFrame], None],
) -> list[FileEntry]:
    """``folder/stem-0000i-of-0000N-<version>.parquet`` of a run on a lazily opened version: carried shards
    hard-linked as they are, the touched ranges laid out as :func:`write_shards` lays out a range (split past
    twice the target, consecutive rewritten pieces merged when they fit in it; a rewritten piece that is a whole
    touched shard whose rows did not change is linked too). Only the rewritten rows' keys and one piece's rows are
    read at a time. Manifest entries are those of :func:`write_shards`.
    """
    (staging / folder).mkdir(parents=True, exist_ok=True)
    keys = part.after.get_column("paper_id")
    cuts = {
        position: (start, stop) for position, start, stop in touched_cuts(keys, part.shards, part.touched)
    }
    # items: a carried shard, or a run of rewritten pieces (merged among themselves only)
    items: list[Shard | Piece] = []
    run: list[Piece] = []
    for position, shard in enumerate(part.shards):
        if position in cuts:
            start, stop = cuts[position]
            if stop > start:
                run.extend(split_range(keys, start, stop, target_rows, shard))
            continue
        items.extend(merge_pieces(run, target_rows))
        run = []
        items.append(shard)
    items.extend(merge_pieces(run, target_rows))
    if not items:
        items = [Piece(0, 0, None)]

    unchanged = {part.shards[position].path for position in part.unchanged}
    entries = []
    for index, item in enumerate(items):
        path = staging / folder / shard_file(stem, index, len(items), version)
        relative = path.relative_to(staging).as_posix()
        if isinstance(item, Shard):
            entries.append({"path": relative, **_carry(item, path, previous_version)})
            continue
        rows = rows_of(part.after, item.start, item.stop)
        entry: FileEntry = {"path": relative, "rows": rows.height}
        if rows.height:
            entry |= {"first_key": keys[item.start], "last_key": keys[item.stop - 1]}
        candidate = item.candidate  # a touched shard's rows, not split or merged with others
        if (
            candidate is not None
            and candidate.path in unchanged
            and (rows.height, entry.get("first_key"), entry.get("last_key"))
            == (candidate.rows, candidate.first_key, candidate.last_key)
            and hard_link(candidate.path, path)
        ):
            entry |= _linked(candidate, previous_version)
        else:
            write(path, rows)
            entry |= {"bytes": path.stat().st_size, "sha256": sha256_file(path), "written_by": version}
        entries.append(entry)
    return entries


def _carry(shard: Shard, path: Path, previous_version: str) -> FileEntry:
    """A carried shard: a hard link of the previous file after checking it is the file its manifest lists
    (present, same size); a copy where the file system cannot link (its bytes then count as new)."""
    stat = shard.path.stat()
    if stat.st_size != shard.bytes:
        raise RuntimeError(f"{shard.path} is {stat.st_size} bytes, its manifest says {shard.bytes}")
    entry = {"rows": shard.rows, "first_key": shard.first_key, "last_key": shard.last_key}
    if hard_link(shard.path, path):
        return entry | _linked(shard, previous_version)
    shutil.copyfile(shard.path, path)
    return entry | {"bytes": shard.bytes, "sha256": shard.sha256, "written_by": shard.written_by}


def _linked(shard: Shard, previous_version: str) -> FileEntry:
    return {
        "bytes": shard.bytes,
        "sha256": shard.sha256,
        "written_by": shard.written_by,
        "linked_from": previous_version,
    }


def check_ranges(entries: list[FileEntry]) -> list[str]:
    """Problems with the key ranges of a sharded table's manifest entries (empty: every shard's range is ordered
    and lies strictly after the one before, so ids unique in each shard are unique in the table)."""
    frame = pl.DataFrame(
        [(e["path"], e.get("first_key"), e.get("last_key")) for e in entries if e.get("rows")],
        schema={"path": pl.String, "first": pl.String, "last": pl.String},
        orient="row",
    ).sort("path")
    bad = frame.filter((pl.col("first") > pl.col("last")) | (pl.col("first") <= pl.col("last").shift(1)))
    return [
        f"{path}: range {first}..{last} overlaps or is out of order" for path, first, last in bad.iter_rows()
    ]
