"""Versioned, immutable, atomic publication of the dataset (all writes of the curated zone happen here).

Layout under ``OUT/trending-papers/``::

    <version>/                       one immutable folder per run, built in .staging-<version>/ then renamed
        data/train-0000i-of-0000N.parquet
        quarantine/quarantine-00000-of-00001.parquet
        ledger.parquet               one row per input record of the run, with its outcome
        index/dedup-keys.parquet     lookup keys of every paper, for matching the next run against this version
        manifest.json                with ``changes`` against the version before it
        CHANGELOG.md                 the same changes, for a person
        README.md                    dataset card (Hugging Face front matter)
    latest -> <version>              relative symlink, swapped atomically
    README.md                        root card: ``load_dataset`` on this folder reads ``latest`` only
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

from flows.parquet_writer import shard_slices, write_parquet
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

METADATA_PREFIX = "trending_papers"
DEDUP_INDEX_FILE = "index/dedup-keys.parquet"
CHANGELOG_FILE = "CHANGELOG.md"


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
    changelog: str | None = None,
) -> Path:
    """Write a complete version folder, then make it visible in one rename and point ``latest`` at it.

    Every table is cast to its contract schema; files are made read-only; the manifest lists every file with
    its sha256 and row count. A failure before the rename leaves no trace but the staging folder, removed here.
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
            *_write_sharded(staging, "data", "train", papers.sort("paper_id"), PAPER_SCHEMA, metadata),
            *_write_sharded(
                staging, "quarantine", "quarantine", quarantine.sort("record_id"), QUARANTINE_SCHEMA, metadata
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
        if changelog is not None:
            (staging / CHANGELOG_FILE).write_text(changelog, encoding="utf-8")
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
    write_root_card(root)
    return final


def point_latest(root: Path, version: str) -> None:
    """Swap the relative ``latest`` symlink to ``version`` atomically (symlink beside it, then rename)."""
    temporary = root / f".latest-{version}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(version)
    os.replace(temporary, root / "latest")


ROOT_CARD = """---
pretty_name: Trending ML papers (all versions)
configs:
- config_name: default
  data_files:
  - split: train
    path: latest/data/train-*.parquet
---

# Trending ML papers: every published version

Each folder here is one immutable version; `latest` points at the newest. **Load `latest/data/*.parquet`** (or one
version's `data/`): this card makes `datasets.load_dataset("<this folder>")` read `latest` only, while pandas and
polars given this whole folder refuse it (it mixes versions, ledgers and quarantines) rather than concatenate
versions. `papers versions` lists the versions, `papers diff A B` compares two.

```python
import polars as pl

papers = pl.read_parquet("latest/data/*.parquet")
```
"""
"""``OUT/trending-papers/README.md``: the dataset root loads as ``latest``, never as a concatenation of versions."""


def write_root_card(root: Path) -> None:
    """Write the root card (atomically; unchanged when it is already there)."""
    card = root / "README.md"
    if card.exists() and card.read_text(encoding="utf-8") == ROOT_CARD:
        return
    temporary = root / ".README.md.tmp"
    temporary.write_text(ROOT_CARD, encoding="utf-8")
    os.replace(temporary, card)


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
    staging: Path, folder: str, stem: str, frame: pl.DataFrame, schema: pa.Schema, metadata: dict[str, str]
) -> list[dict[str, Any]]:
    """``folder/stem-0000i-of-0000N.parquet``: shards of bounded size (see ``flows/parquet_writer.py``)."""
    (staging / folder).mkdir()
    shards = shard_slices(to_arrow(frame, schema))
    return [
        _write_arrow(
            staging / folder / f"{stem}-{index:05d}-of-{len(shards):05d}.parquet", shard, metadata, staging
        )
        for index, shard in enumerate(shards)
    ]


def _write_table(
    path: Path, frame: pl.DataFrame, schema: pa.Schema, metadata: dict[str, str], staging: Path
) -> dict[str, Any]:
    return _write_arrow(path, to_arrow(frame, schema), metadata, staging)


def _write_arrow(path: Path, table: pa.Table, metadata: dict[str, str], staging: Path) -> dict[str, Any]:
    write_parquet(table, path, {f"{METADATA_PREFIX}.{key}": value for key, value in metadata.items()})
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
