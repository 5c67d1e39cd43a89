"""A run's work folder: the frames its stages hand each other, spilled to Parquet one chunk at a time.

A run reads its inputs a chunk of records at a time (``RunConfig.chunk_records``), and each row-wise stage reads a
chunk, transforms it and writes it back here, so a stage holds one chunk of records, not the whole run. The
folder is a staging folder of the output (``OUT/trending-papers/.staging-work-…``) owned by the run's process: it
is removed when the run ends, however it ends, and a run killed outright leaves a stale one that the next run
removes before it starts (:func:`flows.store.publish.remove_stale_staging`). Nothing in it is ever published.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from flows.store.layout import STAGING_PREFIX, dataset_root
from flows.store.lock import claim, release
from flows.store.parquet import ParquetLayout, write_parquet
from transforms.routing import pending_count

SPILL_LAYOUT = ParquetLayout(compression="lz4", page_index=False, content_defined_chunking=False)
"""Written once and read once by the same run: the fastest codec, no page index, no content-defined pages."""


@dataclass(frozen=True)
class Spilled:
    """The output of one stage of a run: one Parquet file per chunk, in chunk order."""

    paths: tuple[Path, ...]
    counts: tuple[int, ...]
    """Rows of each chunk."""
    sizes: tuple[int, ...]
    """Each chunk's size in memory as polars estimated it when it was spilled."""
    pending: int
    """Rows with no quarantine reason yet (all rows when the frames have no ``reasons``)."""

    @staticmethod
    def joined(parts: list[Spilled]) -> Spilled:
        """The chunks of ``parts``, one after another."""
        return Spilled(
            tuple(path for part in parts for path in part.paths),
            tuple(count for part in parts for count in part.counts),
            tuple(size for part in parts for size in part.sizes),
            sum(part.pending for part in parts),
        )

    @property
    def rows(self) -> int:
        return sum(self.counts)

    @property
    def height(self) -> int:
        return self.rows

    @property
    def columns(self) -> list[str]:
        """The chunks' column names (those of the first chunk; none without a chunk)."""
        return list(pl.read_parquet_schema(self.paths[0])) if self.paths else []

    def estimated_size(self) -> int:
        """The chunks' size in memory (the sum of their estimates when spilled)."""
        return sum(self.sizes)

    def frame(self) -> pl.DataFrame:
        """Every chunk as one frame (held whole: for the callers that need every row at once)."""
        frames = list(self.frames())
        return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()

    def get_column(self, name: str) -> pl.Series:
        """One column of every chunk, read alone."""
        parts = [pl.read_parquet(path, columns=[name]).get_column(name) for path in self.paths]
        return pl.concat(parts) if parts else pl.Series(name, [])

    def slice_rows(self, start: int, stop: int) -> pl.DataFrame:
        """Rows ``[start, stop)`` of the chunks laid end to end, reading only the chunks they are in."""
        parts, first = [], 0
        for path, count in zip(self.paths, self.counts, strict=True):
            low, high = max(start - first, 0), min(stop - first, count)
            if low < high:
                parts.append(pl.read_parquet(path).slice(low, high - low))
            first += count
        return pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()

    def frames(
        self, consume: bool = False, drop: Collection[str] = (), columns: Collection[str] | None = None
    ) -> Iterator[pl.DataFrame]:
        """The chunks, one at a time; ``consume``: each chunk's file is removed once it is read (the next stage
        owns the rows), so the work folder holds about one copy of the run's records, not two. ``drop``: columns
        not read; ``columns``: the only columns read."""
        for path in self.paths:
            read = list(columns) if columns is not None else None
            if drop:
                read = [name for name in (read or pl.read_parquet_schema(path)) if name not in drop]
            frame = pl.read_parquet(path, columns=read)
            if consume:
                path.unlink()
            yield frame

    def rows_of(
        self, record_ids: pl.Series, drop: Collection[str] = (), columns: Collection[str] | None = None
    ) -> pl.DataFrame:
        """The rows whose ``record_id`` is one of ``record_ids``, without the columns ``drop`` (``columns``: only
        those, with ``record_id``); read a chunk at a time, so only those rows are held (with no chunk, an empty
        frame of ``record_id`` alone)."""
        wanted = record_ids.implode()
        read = None if columns is None else ["record_id", *(name for name in columns if name != "record_id")]
        found = [
            (pl.scan_parquet(path) if read is None else pl.scan_parquet(path).select(read))
            .filter(pl.col("record_id").is_in(wanted))
            .collect()
            .drop(drop, strict=False)
            for path in self.paths
        ]
        if not found:
            return pl.DataFrame(schema={"record_id": pl.String})
        return pl.concat(found, how="diagonal_relaxed", rechunk=False)  # laid end to end, not copied

    def remove(self) -> None:
        """Remove the chunks' files (their rows are no longer needed; the run's work folder goes at its end)."""
        for path in self.paths:
            path.unlink(missing_ok=True)


class WorkFolder:
    """The folder a run spills its chunks to (see the module's docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._files = 0

    def spill(self, stage: str, frames: Iterable[pl.DataFrame]) -> Spilled:
        """Write each frame of ``frames`` as it comes (the stage's chunks), and free it before the next."""
        paths: list[Path] = []
        counts: list[int] = []
        sizes: list[int] = []
        pending = 0
        for frame in frames:
            path = self.path / f"{self._files:05d}-{stage}.parquet"
            self._files += 1
            write_parquet(frame.to_arrow(), path, layout=SPILL_LAYOUT)
            paths.append(path)
            counts.append(frame.height)
            sizes.append(int(frame.estimated_size()))
            pending += pending_count(frame)
        return Spilled(tuple(paths), tuple(counts), tuple(sizes), pending)

    def regroup(
        self, source: Spilled, groups: pl.DataFrame, count: int, columns: Collection[str], stage: str
    ) -> list[Spilled]:
        """``columns`` of the rows of ``source`` whose ``record_id`` is in ``groups`` (``record_id``, ``group``:
        0 to ``count`` - 1), one :class:`Spilled` per group in group order (a file per chunk of ``source`` it has
        rows in).

        One pass over ``source``, reading those columns only: the rows of a group can then be read without
        reading every chunk again for each group.
        """
        parts: list[list[Spilled]] = [[] for _ in range(count)]
        for path in source.paths:
            chunk = pl.read_parquet(path, columns=["record_id", *columns]).join(groups, on="record_id")
            for (group,), rows in chunk.partition_by("group", as_dict=True, include_key=False).items():
                parts[group].append(self.spill(f"{stage}-{group}", [rows]))
        return [Spilled.joined(part) for part in parts]

    def bytes_used(self) -> int:
        return sum(entry.stat().st_size for entry in self.path.iterdir() if entry.is_file())


@contextmanager
def work_folder(out_dir: Path) -> Iterator[WorkFolder]:
    """A fresh work folder for one run, removed when the run ends."""
    root = dataset_root(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{STAGING_PREFIX}work-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    claim(path)
    try:
        path.mkdir()
        yield WorkFolder(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)
        release(path)
