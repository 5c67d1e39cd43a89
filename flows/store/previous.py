"""The previous version as a run sees it: the version ``latest`` points at, read only where the run needs it.

One type for every previous version (:class:`PreviousVersion`). It is opened from its manifest alone: the
range shards of its papers and dedup index (each shard's key range, rows, sha256, size). A run on a version
that can be merged shard by shard (``incremental``: range shards, an index built with this run's dedup
parameters) reads only the shards its ids touch (:func:`~flows.store.shards.touched_shards`) and scans the rest
column-pruned; every other file is carried into the new version as a hard link, never read into memory.
A version that cannot (written before range shards, without an index, or with an index of other dedup
parameters) is read whole, once, when the run asks for :attr:`PreviousVersion.papers`.

Why a carried shard needs no re-validation: it is the same file (a hard link: same inode, same bytes) as a shard
of the previous version, which passed the table gate when it was published; it is checked by the manifest's
size and the file's presence before linking. Global ``paper_id`` uniqueness follows from uniqueness inside each
rewritten shard plus strictly increasing, disjoint key ranges over all shards of the new version: the table suite
checks both on a summary of each shard (``expectations/parts.py``), and publish checks the ranges again on the
files it wrote (:func:`~flows.store.shards.check_ranges`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from flows.store.catalog import Catalog, data_files
from flows.store.layout import DATA_FOLDER, INDEX_FOLDER, INDEX_STEM
from flows.store.shards import Shard, VersionPart, previous_shards
from transforms.derive import topic_method
from transforms.report.summary import COUNTED_COLUMNS, paper_counts
from transforms.schema import DEDUP_INDEX_SCHEMA, PAPER_SCHEMA, SCHEMA_VERSION, arrow_frame, conform, empty


@dataclass(frozen=True)
class PreviousVersion:
    """The version a run builds on, as its manifest describes it; rows are read when asked for."""

    version: str
    path: Path
    paper_shards: list[Shard]
    """Range shards of the papers (empty for a version written before range shards)."""
    index_shards: list[Shard]
    """Range shards of the dedup index (empty when it has none with key ranges)."""
    fingerprint: str | None
    """The dedup parameters its index was built with (None: no index)."""
    schema_version: str | None = SCHEMA_VERSION
    """The schema its files were written with: a run carries its shards as they are only when it is this code's
    (a shard of older columns beside new ones would break every reader of ``data/*.parquet``)."""
    topic_method: str | None = None
    """The topic method its papers were derived with (its manifest's ``topic_method``; None before 2.4.0)."""

    @classmethod
    def from_frames(
        cls, version: str, path: Path, papers: pl.DataFrame, dedup_index: pl.DataFrame | None
    ) -> PreviousVersion:
        """A previous version whose rows are in memory already (merged into whole, never shard by shard)."""
        previous = cls(version=version, path=path, paper_shards=[], index_shards=[], fingerprint=None)
        previous.__dict__.update(papers=papers, dedup_index=dedup_index)  # what the cached properties read
        return previous

    @property
    def incremental(self) -> bool:
        """Whether a run with these dedup parameters can merge into it shard by shard: not when its schema or
        its topic method is another (every paper is then read, derived again and rewritten, once)."""
        return (
            bool(self.paper_shards and self.index_shards)
            and self.fingerprint is not None
            and self.schema_version == SCHEMA_VERSION
            and self.topic_method == topic_method()
        )

    @property
    def rows(self) -> int:
        """Its papers (from the manifest when sharded, else counted)."""
        if self.paper_shards:
            return sum(shard.rows for shard in self.paper_shards)
        return self.papers.height

    def scan_papers(self) -> pl.LazyFrame:
        """Its papers, lazily, in key order."""
        files = [shard.path for shard in self.paper_shards] or data_files(self.path)
        return pl.scan_parquet(files) if files else empty(PAPER_SCHEMA).lazy()

    def scan_index(self) -> pl.LazyFrame:
        """Its dedup index, lazily, in key order."""
        files = [shard.path for shard in self.index_shards] or _index_files(self.path)
        return pl.scan_parquet(files) if files else empty(DEDUP_INDEX_SCHEMA).lazy()

    @cached_property
    def papers(self) -> pl.DataFrame:
        """Every paper, read once, in the contract schema and in file order."""
        files = data_files(self.path)
        if not files:
            return empty(PAPER_SCHEMA)
        return pl.concat([arrow_frame(pq.read_table(f, schema=PAPER_SCHEMA)) for f in files])

    @cached_property
    def dedup_index(self) -> pl.DataFrame | None:
        """Its whole dedup index, read once; None when it has none."""
        files = _index_files(self.path)
        if not files:
            return None
        return pl.concat([arrow_frame(pq.read_table(f, schema=DEDUP_INDEX_SCHEMA)) for f in files])


@dataclass(frozen=True)
class Incremental:
    """What a run publishes on top of a version it merges into shard by shard: the rewritten parts of its two
    tables (every other shard is carried as a link), and what changed (``flows/run/shard_merge.py``)."""

    previous: PreviousVersion
    papers: VersionPart
    index: VersionPart
    changes: dict[str, Any]
    """The change summary of the papers (:func:`~transforms.history.changes.diff_papers`), carried shards
    counted as unchanged."""


def open_latest(out_dir: Path, fingerprint: str | None = None) -> PreviousVersion | None:
    """The version ``latest`` points at, opened from its manifest; None before the first publish.

    ``fingerprint``: the dedup parameters of the run that will merge into it (None: it is only read). Refuses
    (:class:`~flows.errors.IncompatibleSchema`) a history of another major schema version.
    """
    catalog = Catalog(out_dir)
    latest = catalog.latest()
    if latest is None:
        return None
    catalog.check_latest_schema()
    path = catalog.path(latest).resolve()
    papers, index = previous_shards(path, DATA_FOLDER), previous_shards(path, INDEX_FOLDER)
    if not all(shard.path.is_file() for shard in [*papers, *index]):
        papers, index = [], []
    found = _fingerprints(index) if index else []
    return PreviousVersion(
        version=path.name,
        path=path,
        paper_shards=papers,
        index_shards=index,
        fingerprint=fingerprint if fingerprint is not None and found == [fingerprint] else None,
        schema_version=catalog.schema_version(latest),
        topic_method=catalog.manifest(latest).get("topic_method"),
    )


def read_shards(shards: list[Shard], positions: list[int], schema: pa.Schema) -> pl.DataFrame:
    """The rows of the shards at ``positions``, in key order, in the contract schema."""
    if not positions:
        return empty(schema)
    return pl.concat(
        [conform(arrow_frame(pq.read_table(shards[i].path, schema=schema)), schema) for i in positions]
    )


def carried_counts(shards: list[Shard]) -> list[pl.DataFrame]:
    """The paper counts (:func:`~transforms.report.summary.paper_counts`) of each of ``shards`` (a version's
    carried shards), read column-pruned, one at a time."""
    return [paper_counts(pl.read_parquet(shard.path, columns=list(COUNTED_COLUMNS))) for shard in shards]


def _fingerprints(index: list[Shard]) -> list[str]:
    """The dedup fingerprints of an index (one column of its shards)."""
    scan = pl.scan_parquet([shard.path for shard in index])
    return scan.select(pl.col("fingerprint").unique()).collect().get_column("fingerprint").to_list()


def _index_files(version_dir: Path) -> list[Path]:
    """``index/dedup-keys-0000i-of-0000N-<version>.parquet`` (older versions: without ``-<version>``), or the one
    ``dedup-keys.parquet`` of an unsharded index."""
    return sorted((version_dir / INDEX_FOLDER).glob(f"{INDEX_STEM}*.parquet"))
