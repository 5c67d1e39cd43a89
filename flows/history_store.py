"""The previous version opened lazily: its range shards, read only where a daily run touches them.

A version's papers and dedup index are range shards by ``paper_id`` (``flows/shards.py``). A run of 1,000
records on a 1M-paper history changes the rows of a few shards: the papers it matched and the shard its new ids
land in. :func:`open_latest` therefore reads only the manifest (each shard's key range, rows, sha256, size);
:func:`touched_shards` finds the shards whose range holds one of the run's ids, :func:`read_shards` reads those,
and :func:`write_incremental` writes the new rows of those ranges while every other shard is carried over as a
hard link of the previous file, never read into memory. Whole-version figures (card, report tables) come from a
column-pruned scan (:func:`version_columns`).

Why a carried shard needs no re-validation: it is the same file (a hard link: same inode, same bytes) as a shard
of the previous version, which passed the table gate when it was published; it is checked here by the manifest's
size and the file's presence before linking. Global ``paper_id`` uniqueness follows from uniqueness inside each
rewritten shard (the GX table suite on the rewritten rows) plus strictly increasing, disjoint key ranges over all
shards of the new version (:func:`check_ranges`).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from flows.shards import Piece, Shard, _merge, _split, frames_equal, previous_shards, rows_of
from transforms.dedup import DedupParams
from transforms.incremental import version_rows
from transforms.matching import update_index
from transforms.schema import DEDUP_INDEX_SCHEMA, PAPER_SCHEMA, conform, empty

DATA_FOLDER, INDEX_FOLDER = "data", "index"

SUMMARY_COLUMNS = (
    "paper_id",
    "title",
    "url",
    "upvotes",
    "language",
    "topic",
    "has_code",
    "code_status",
    "venue",
    "venue_status",
    "venue_workshop",
    "submitted_on_daily_at",
    "first_seen",
)
"""The columns the card, the report, its tables and the run's artifacts read of the whole version."""


@dataclass(frozen=True)
class LazyVersion:
    """The latest published version as its manifest describes it: shard files and key ranges, no rows."""

    version: str
    path: Path
    paper_shards: list[Shard]
    index_shards: list[Shard]

    @property
    def rows(self) -> int:
        return sum(shard.rows for shard in self.paper_shards)

    def scan_papers(self) -> pl.LazyFrame:
        return scan(self.paper_shards, PAPER_SCHEMA)

    def scan_index(self) -> pl.LazyFrame:
        return scan(self.index_shards, DEDUP_INDEX_SCHEMA)


@dataclass(frozen=True)
class VersionPart:
    """The rows of one sharded table that a run rewrites: the previous shards its ids touch, before and after."""

    shards: list[Shard]
    """Every shard of the previous version, in key order."""
    touched: list[int]
    """Positions in ``shards`` of the shards whose key range holds one of the run's ids."""
    before: pl.DataFrame
    """The previous rows of the touched shards (in key order)."""
    after: pl.DataFrame
    """The new version's rows of the touched ranges (sorted by ``paper_id``)."""

    @property
    def carried_rows(self) -> int:
        touched = set(self.touched)
        return sum(shard.rows for index, shard in enumerate(self.shards) if index not in touched)

    @property
    def carried(self) -> list[Shard]:
        touched = set(self.touched)
        return [shard for index, shard in enumerate(self.shards) if index not in touched]


@dataclass(frozen=True)
class Incremental:
    """What a daily run publishes on top of a lazily opened version: the rewritten parts of its two tables."""

    previous: LazyVersion
    papers: VersionPart
    index: VersionPart


def open_latest(
    out_dir: Path, fingerprint: str, read_whole: Callable[[Path], Any]
) -> LazyVersion | Any | None:
    """``latest`` opened lazily; the whole version (``read_whole``) when it cannot be (no range shards, no
    index, or an index built with other dedup parameters: it is rebuilt from every paper)."""
    from flows.publish import check_latest_schema, dataset_root

    link = dataset_root(out_dir) / "latest"
    if not link.exists():
        return None
    check_latest_schema(out_dir)
    path = link.resolve()
    papers, index = previous_shards(path, DATA_FOLDER), previous_shards(path, INDEX_FOLDER)
    if not papers or not index or not all(shard.path.is_file() for shard in [*papers, *index]):
        return read_whole(out_dir)
    version = LazyVersion(version=path.name, path=path, paper_shards=papers, index_shards=index)
    if index_fingerprints(version) != [fingerprint]:
        return read_whole(out_dir)
    return version


def index_fingerprints(version: LazyVersion) -> list[str]:
    """The dedup fingerprints of a version's index (one column of the index shards)."""
    return (
        version.scan_index()
        .select(pl.col("fingerprint").unique())
        .collect()
        .get_column("fingerprint")
        .to_list()
    )


def scan(shards: list[Shard], schema: pa.Schema) -> pl.LazyFrame:
    """A lazy scan of the shard files, in key order (they were written in the contract schema, ``to_arrow``)."""
    if not shards:
        return empty(schema).lazy()
    return pl.scan_parquet([shard.path for shard in shards])


def touched_shards(shards: list[Shard], ids: pl.Series) -> list[int]:
    """Positions of the shards whose key range holds one of ``ids``.

    Shard ``i`` holds the keys from its first key up to the next shard's first key (the first shard also those
    below it, the last those above), as :func:`~flows.shards.plan_pieces` cuts a new version.
    """
    if not shards or ids.len() == 0:
        return []
    boundaries = pl.Series([shard.first_key for shard in shards[1:]], dtype=pl.String)
    positions = boundaries.search_sorted(ids.cast(pl.String).unique().sort(), side="right")
    return sorted(set(positions.to_list()))


def read_shards(shards: list[Shard], positions: list[int], schema: pa.Schema) -> pl.DataFrame:
    """The rows of the shards at ``positions``, in key order, in the contract schema."""
    if not positions:
        return empty(schema)
    return pl.concat(
        [conform(pl.from_arrow(pq.read_table(shards[i].path, schema=schema)), schema) for i in positions]
    )


def version_columns(part: VersionPart, columns: tuple[str, ...] = SUMMARY_COLUMNS) -> pl.DataFrame:
    """``columns`` of every paper of the new version, sorted by ``paper_id``: the carried shards scanned
    column-pruned, the rewritten rows from memory."""
    carried = scan(part.carried, PAPER_SCHEMA).select(columns).collect() if part.carried else None
    rewritten = part.after.select(columns)
    frame = rewritten if carried is None else pl.concat([carried, rewritten.cast(carried.schema)])
    return frame.sort("paper_id")


def _range_cuts(keys: pl.Series, shards: list[Shard], touched: list[int]) -> list[tuple[int, int, int]]:
    """(shard position, start, stop) of the rows of ``keys`` (sorted) in each touched shard's key range."""
    cuts = []
    for position in touched:
        low = shards[position].first_key if position > 0 else None
        high = shards[position + 1].first_key if position + 1 < len(shards) else None
        start = 0 if low is None else keys.search_sorted(low, side="left")
        stop = keys.len() if high is None else keys.search_sorted(high, side="left")
        cuts.append((position, int(start), int(stop)))
    return cuts


def write_incremental(
    staging: Path,
    folder: str,
    stem: str,
    part: VersionPart,
    target_rows: int,
    previous_version: str,
    version: str,
    write: Callable[[Path, pl.DataFrame], None],
    schema: pa.Schema,
) -> list[dict[str, Any]]:
    """``folder/stem-0000i-of-0000N.parquet``: carried shards hard-linked as they are, the touched ranges laid out
    as :func:`~flows.shards.write_shards` lays out a range (split past twice the target, consecutive rewritten
    pieces merged when they fit in it; a rewritten piece whose rows equal its previous shard's is linked too).

    Manifest entries are those of :func:`~flows.shards.write_shards`.
    """
    (staging / folder).mkdir(parents=True, exist_ok=True)
    frame = conform(part.after, schema)
    keys = frame.get_column("paper_id")
    cuts = {position: (start, stop) for position, start, stop in _range_cuts(keys, part.shards, part.touched)}
    before_starts: dict[int, int] = {}
    offset = 0
    for position in part.touched:
        before_starts[position] = offset
        offset += part.shards[position].rows
    # items: a carried shard, or a run of rewritten pieces (merged among themselves only)
    items: list[Shard | Piece] = []
    run: list[Piece] = []
    for position, shard in enumerate(part.shards):
        if position in cuts:
            start, stop = cuts[position]
            if stop > start:
                run.extend(_split(keys, start, stop, target_rows, shard))
            continue
        items.extend(_merge(run, target_rows))
        run = []
        items.append(shard)
    items.extend(_merge(run, target_rows))
    if not items:
        items = [Piece(0, 0, None)]

    def previous_rows(shard: Shard) -> pl.DataFrame:
        position = part.shards.index(shard)
        start = before_starts[position]
        return conform(rows_of(part.before, start, start + shard.rows), schema)

    entries = []
    for index, item in enumerate(items):
        path = staging / folder / f"{stem}-{index:05d}-of-{len(items):05d}.parquet"
        relative = path.relative_to(staging).as_posix()
        if isinstance(item, Shard):
            entries.append({"path": relative, **_carry(item, path, previous_version, version)})
            continue
        rows = rows_of(frame, item.start, item.stop)
        entry: dict[str, Any] = {"path": relative, "rows": rows.height}
        if rows.height:
            entry |= {"first_key": keys[item.start], "last_key": keys[item.stop - 1]}
        shard = item.candidate
        if (
            shard is not None
            and (rows.height, entry.get("first_key"), entry.get("last_key"))
            == (shard.rows, shard.first_key, shard.last_key)
            and frames_equal(previous_rows(shard), rows)
            and _link(shard.path, path)
        ):
            entry |= _linked(shard, previous_version)
        else:
            write(path, rows)
            entry |= {"bytes": path.stat().st_size, "sha256": _sha256(path), "written_by": version}
        entries.append(entry)
    return entries


def _carry(shard: Shard, path: Path, previous_version: str, version: str) -> dict[str, Any]:
    """A carried shard: a hard link of the previous file after checking it is the file its manifest lists
    (present, same size); a copy where the file system cannot link (its bytes then count as new)."""
    stat = shard.path.stat()
    if stat.st_size != shard.bytes:
        raise RuntimeError(f"{shard.path} is {stat.st_size} bytes, its manifest says {shard.bytes}")
    entry = {"rows": shard.rows, "first_key": shard.first_key, "last_key": shard.last_key}
    if _link(shard.path, path):
        return entry | _linked(shard, previous_version)
    shutil.copyfile(shard.path, path)
    return entry | {"bytes": shard.bytes, "sha256": shard.sha256, "written_by": shard.written_by}


def _linked(shard: Shard, previous_version: str) -> dict[str, Any]:
    return {
        "bytes": shard.bytes,
        "sha256": shard.sha256,
        "written_by": shard.written_by,
        "linked_from": previous_version,
    }


def check_ranges(entries: list[dict[str, Any]]) -> list[str]:
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


def _link(source: Path, target: Path) -> bool:
    try:
        os.link(source, target)
    except OSError:
        return False
    return True


def _sha256(path: Path) -> str:
    from flows.publish import sha256_file

    return sha256_file(path)


def manifest_rows(version_dir: Path) -> int:
    """Papers of a published version, from its manifest."""
    manifest = json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))
    return sum(f.get("rows", 0) for f in manifest["files"] if f["path"].startswith(f"{DATA_FOLDER}/"))


def incremental_version(
    previous: LazyVersion,
    passed: pl.DataFrame,
    seen_at: datetime,
    params: DedupParams,
    keys: pl.DataFrame | None = None,
) -> Incremental:
    """The run's papers merged into the shards of ``previous`` their ids fall in; the dedup index likewise.

    Reads the touched papers shards and index shards only (``passed``: this run's validated papers with
    ``record_hash``, ids from :func:`~transforms.matching.match_previous`; ``keys`` their lookup keys, when
    dedup has them).
    """
    ids = passed.get_column("paper_id")
    touched = touched_shards(previous.paper_shards, ids)
    before = read_shards(previous.paper_shards, touched, PAPER_SCHEMA)
    papers = VersionPart(previous.paper_shards, touched, before, version_rows(before, passed, seen_at))
    touched_index = touched_shards(previous.index_shards, ids)
    before_index = conform(
        read_shards(previous.index_shards, touched_index, DEDUP_INDEX_SCHEMA), DEDUP_INDEX_SCHEMA
    )
    index = VersionPart(
        previous.index_shards,
        touched_index,
        before_index,
        update_index(before_index, passed, params, keys=keys),
    )
    return Incremental(previous=previous, papers=papers, index=index)
