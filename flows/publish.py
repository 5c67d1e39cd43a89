"""Versioned, immutable, atomic publication of the dataset (all writes of the curated zone happen here).

Layout under ``OUT/trending-papers/``::

    <version>/                       one immutable folder per run, built in .staging-<version>/ then renamed
        data/train-0000i-of-0000N.parquet
        quarantine/quarantine-00000-of-00001.parquet
        ledger.parquet               one row per input record of the run, with its outcome
        index/dedup-keys.parquet     lookup keys of every paper, for matching the next run against this version
        manifest.json
        README.md                    dataset card (Hugging Face front matter)
        report.html                  static report: counts, charts (embedded PNG) and tables
    latest -> <version>              relative symlink, swapped atomically
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.schema import (
    DATASET_NAME,
    DEDUP_INDEX_SCHEMA,
    LEDGER_SCHEMA,
    PAPER_SCHEMA,
    QUARANTINE_SCHEMA,
    SCHEMA_VERSION,
    empty,
    to_arrow,
)

ROWS_PER_SHARD = 250_000
"""Rows per data file: small enough for comfortable reads, large enough that typical versions are one file."""

METADATA_PREFIX = "trending_papers"
DEDUP_INDEX_FILE = "index/dedup-keys.parquet"


@dataclass(frozen=True)
class PreviousVersion:
    """The latest published version, read back for incremental runs."""

    version: str
    path: Path
    papers: pl.DataFrame
    dedup_index: pl.DataFrame | None
    """The version's ``index/dedup-keys.parquet``, when it has one."""


def dataset_root(out_dir: Path) -> Path:
    return out_dir / DATASET_NAME


def new_version_id(now: datetime, previous: str | None = None) -> str:
    """A UTC timestamp id (``20261127T183000.123456Z``) that sorts in time order, after ``previous``."""
    candidate = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    if previous is not None and candidate <= previous:
        stamp = datetime.strptime(previous, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
        candidate = (stamp + _ONE_MICROSECOND).strftime("%Y%m%dT%H%M%S.%fZ")
    return candidate


def read_latest(out_dir: Path) -> PreviousVersion | None:
    """The version ``latest`` points at, or None before the first publish."""
    link = dataset_root(out_dir) / "latest"
    if not link.exists():
        return None
    path = link.resolve()
    files = sorted((path / "data").glob("*.parquet"))
    papers = (
        pl.concat([pl.from_arrow(pq.read_table(f, schema=PAPER_SCHEMA)) for f in files])
        if files
        else empty(PAPER_SCHEMA)
    )
    index_file = path / DEDUP_INDEX_FILE
    index = (
        pl.from_arrow(pq.read_table(index_file, schema=DEDUP_INDEX_SCHEMA)) if index_file.exists() else None
    )
    return PreviousVersion(version=path.name, path=path, papers=papers, dedup_index=index)


def publish_version(
    out_dir: Path,
    version: str,
    papers: pl.DataFrame,
    quarantine: pl.DataFrame,
    ledger: pl.DataFrame,
    manifest: dict[str, Any],
    card: str,
    dedup_index: pl.DataFrame | None = None,
    report: str | None = None,
) -> Path:
    """Write a complete version folder, then make it visible in one rename and point ``latest`` at it.

    Every table is cast to its contract schema; files are made read-only; the manifest lists every file with
    its sha256 and row count; ``report`` (HTML) becomes ``report.html``. A failure before the rename leaves no
    trace but the staging folder, removed here.
    """
    root = dataset_root(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    final = root / version
    if final.exists():
        raise FileExistsError(f"version {version} already exists: versions are immutable")
    staging = root / f".staging-{version}"
    try:
        staging.mkdir()
        metadata = {"version": version, "schema_version": SCHEMA_VERSION, "dataset": DATASET_NAME}
        files = [
            *_write_sharded(
                staging, "data", "train", papers.sort("paper_id"), PAPER_SCHEMA, metadata, ROWS_PER_SHARD
            ),
            *_write_sharded(
                staging,
                "quarantine",
                "quarantine",
                quarantine.sort("record_id"),
                QUARANTINE_SCHEMA,
                metadata,
                None,
            ),
            _write_table(
                staging / "ledger.parquet", ledger.sort("record_id"), LEDGER_SCHEMA, metadata, staging
            ),
        ]
        if dedup_index is not None:
            (staging / DEDUP_INDEX_FILE).parent.mkdir()
            files.append(
                _write_table(staging / DEDUP_INDEX_FILE, dedup_index, DEDUP_INDEX_SCHEMA, metadata, staging)
            )
        (staging / "README.md").write_text(card, encoding="utf-8")
        if report is not None:
            (staging / "report.html").write_text(report, encoding="utf-8")
        manifest = {**manifest, "files": files}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", "utf-8")
        for path in staging.rglob("*"):
            if path.is_file():
                path.chmod(0o444)
        _fsync_tree(staging)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    point_latest(root, version)
    return final


def point_latest(root: Path, version: str) -> None:
    """Swap the relative ``latest`` symlink to ``version`` atomically (symlink beside it, then rename)."""
    temporary = root / f".latest-{version}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(version)
    os.replace(temporary, root / "latest")


def remove_stale_staging(out_dir: Path) -> list[Path]:
    """Staging folders left by a crashed process (never visible as versions); removed before a run."""
    root = dataset_root(out_dir)
    stale = sorted(root.glob(".staging-*")) if root.exists() else []
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return stale


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_sharded(
    staging: Path,
    folder: str,
    stem: str,
    frame: pl.DataFrame,
    schema: pa.Schema,
    metadata: dict[str, str],
    rows_per_shard: int | None,
) -> list[dict[str, Any]]:
    (staging / folder).mkdir()
    size = rows_per_shard or max(frame.height, 1)
    shards = max(1, -(-frame.height // size))
    return [
        _write_table(
            staging / folder / f"{stem}-{index:05d}-of-{shards:05d}.parquet",
            frame.slice(index * size, size),
            schema,
            metadata,
            staging,
        )
        for index in range(shards)
    ]


def _write_table(
    path: Path, frame: pl.DataFrame, schema: pa.Schema, metadata: dict[str, str], staging: Path
) -> dict[str, Any]:
    table = to_arrow(frame, schema)
    keyed = {f"{METADATA_PREFIX}.{key}".encode(): value.encode() for key, value in metadata.items()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **keyed})
    pq.write_table(table, path, compression="zstd", write_statistics=True)
    return {
        "path": path.relative_to(staging).as_posix(),
        "rows": table.num_rows,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
    }


def _fsync_tree(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_ONE_MICROSECOND = datetime(2000, 1, 1, 0, 0, 0, 1) - datetime(2000, 1, 1)


def failed_runs_root(out_dir: Path) -> Path:
    return out_dir / "failed-runs"


def write_failed_run(
    out_dir: Path,
    version: str,
    quarantine: pl.DataFrame,
    ledger: pl.DataFrame,
    manifest: dict[str, Any],
    error: str,
) -> Path:
    """Keep the quarantine and ledger of a run that published nothing, outside the dataset (``latest`` untouched)."""
    folder = failed_runs_root(out_dir) / version
    folder.mkdir(parents=True, exist_ok=False)
    metadata = {"version": version, "schema_version": SCHEMA_VERSION, "dataset": DATASET_NAME}
    files = [
        _write_table(
            folder / "quarantine.parquet", quarantine.sort("record_id"), QUARANTINE_SCHEMA, metadata, folder
        ),
        _write_table(folder / "ledger.parquet", ledger.sort("record_id"), LEDGER_SCHEMA, metadata, folder),
    ]
    record = {**manifest, "status": "failed", "error": error, "files": files}
    (folder / "manifest.json").write_text(json.dumps(record, indent=2, default=str) + "\n", "utf-8")
    return folder
