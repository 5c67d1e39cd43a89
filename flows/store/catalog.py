"""The one catalog of versions: which versions an output folder holds, which is ``latest``, and what each holds.

Every command and the flow read versions through :class:`Catalog` (or :func:`read_manifest` for a folder at
hand): a version is a folder under ``OUT/trending-papers/`` named by a version id (not a symlink, not a hidden
staging folder); ``latest`` is the version the ``latest`` symlink points at.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from flows.errors import IncompatibleSchema, NotFound
from flows.store.layout import (
    DATA_FOLDER,
    LATEST,
    LEDGER_FILE,
    MANIFEST_FILE,
    METADATA_PREFIX,
    dataset_root,
    looks_like_version,
)
from transforms.schema import PAPER_SCHEMA, SCHEMA_VERSION, empty


def read_manifest(version_dir: Path) -> dict[str, Any] | None:
    """The manifest of a version (or failed-run) folder; None when it has none (one that is there but cannot be
    read or parsed, e.g. a folder or a damaged file, raises: it is not taken for a missing one)."""
    path = version_dir / MANIFEST_FILE
    if not path.exists():
        return None
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def written_with_this_schema(version_dir: Path) -> bool:
    """Whether a version's files were written with this code's schema: only then is one of its shards linked
    into a new version (a shard of other columns beside new ones would break every reader of the folder)."""
    return (read_manifest(version_dir) or {}).get("schema_version") == SCHEMA_VERSION


def data_files(version_dir: Path) -> list[Path]:
    """The papers files of a version folder, in key order."""
    return sorted((version_dir / DATA_FOLDER).glob("*.parquet"))


@dataclass(frozen=True)
class Catalog:
    """The versions of one output folder."""

    out_dir: Path

    @property
    def root(self) -> Path:
        return dataset_root(self.out_dir)

    def versions(self) -> list[str]:
        """Every version id, oldest first (ids sort in time order)."""
        if not self.root.is_dir():
            return []
        return sorted(
            path.name
            for path in self.root.iterdir()
            if looks_like_version(path.name) and path.is_dir() and not path.is_symlink()
        )

    def latest(self) -> str | None:
        """The version ``latest`` points at; None before the first publish."""
        link = self.root / LATEST
        return link.resolve().name if link.exists() else None

    def resolve(self, version: str) -> str:
        """``version`` (an id or ``latest``) as a version id; :class:`NotFound` when there is no such version.

        The version's manifest is read: a damaged version is refused before it is used (:class:`NotFound`
        without a manifest, the parse error of an unreadable one).
        """
        name = self.latest() if version == LATEST else version
        if name is None or name not in self.versions():
            known = ", ".join(self.versions()[-5:]) or "none"
            raise NotFound(f"no version {version!r} under {self.root} (newest: {known})")
        if read_manifest(self.path(name)) is None:
            raise NotFound(f"version {name} under {self.root} is damaged: it has no {MANIFEST_FILE}")
        return name

    def path(self, version: str) -> Path:
        return self.root / version

    def manifest(self, version: str) -> dict[str, Any]:
        """The version's manifest; an empty dict for a damaged version folder without one."""
        return read_manifest(self.path(version)) or {}

    def scan_papers(self, version: str) -> pl.LazyFrame:
        """The version's papers, lazily (every shard file, in key order)."""
        files = data_files(self.path(version))
        return pl.scan_parquet(files) if files else empty(PAPER_SCHEMA).lazy()

    def papers(self, version: str, paper_id: str | None = None) -> pl.DataFrame:
        """The version's papers (only ``paper_id``'s row when given)."""
        scan = self.scan_papers(version)
        return (scan.filter(pl.col("paper_id") == paper_id) if paper_id else scan).collect()

    def ledger(self, version: str) -> pl.LazyFrame | None:
        """The version's ledger (one row per input record of its run), lazily; None when it has none."""
        path = self.path(version) / LEDGER_FILE
        return pl.scan_parquet(path) if path.is_file() else None

    def listing_days(self, version: str | None = None) -> list[str]:
        """The Daily Papers days the history of ``version`` (default: ``latest``) has read."""
        name = version or self.latest()
        return list(self.manifest(name).get("listing_days", [])) if name else []

    def schema_version(self, version: str) -> str | None:
        """The schema version a version was written with (its data files' metadata, else its manifest)."""
        files = data_files(self.path(version))
        if files:
            metadata = pq.read_schema(files[0]).metadata or {}
            found = metadata.get(f"{METADATA_PREFIX}.schema_version".encode())
            if found:
                return str(found.decode())
        recorded = self.manifest(version).get("schema_version")
        return str(recorded) if recorded else None

    def check_latest_schema(self) -> None:
        """Raise :class:`IncompatibleSchema` unless ``latest`` has this code's major schema version.

        A run never merges into a history whose columns mean something else: it refuses, and the operator
        rebuilds with ``--fresh``.
        """
        latest = self.latest()
        if latest is None:
            return
        found = self.schema_version(latest)
        if found is None or found.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
            raise IncompatibleSchema(
                f"{self.path(latest).resolve()} has schema {found or 'unknown'} but this code writes {SCHEMA_VERSION} "
                "(see SCHEMA_CHANGELOG.md): rebuild the history with `papers run --fresh INPUT...` "
                "(OUT/raw replays fetched captures) or choose another --out"
            )
