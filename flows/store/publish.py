"""Publishing a version: written whole in a staging folder, renamed into place, then ``latest`` moved to it.

A version holds its tables (papers and dedup index as range shards by ``paper_id``, the quarantine, the
ledger), its documents (the card, the changelog, the report, the validation results) and its manifest, which
lists every table file and listed document with its sha256 and row count. Every table is cast to its contract
schema (``transforms/schema.py``) and written by the one Parquet writer (``flows/store/parquet.py``); every
file is made read-only. A failure before the rename leaves nothing but the staging folder, removed here.

The papers and index shards of a new version are laid out on the boundaries of the version ``latest`` points
at, and a shard whose rows equal the previous one is a hard link of its file (``flows/store/shards.py``). Two
plans write them: :class:`WholeTables` (every paper of the version in memory) and
:class:`~flows.store.previous.Incremental` (a run on a lazily opened version: the touched ranges written, the
other shards carried as links, every key range checked).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from flows.errors import ContractBroken
from flows.net.scrub import redact_json
from flows.store.catalog import Catalog
from flows.store.files import sha256_file, write_folder_atomically, write_text_atomically
from flows.store.journal import record_event
from flows.store.layout import (
    CARD_FILE,
    CHANGELOG_FILE,
    DATA_FOLDER,
    DATA_STEM,
    INDEX_FOLDER,
    INDEX_STEM,
    LATEST,
    LEDGER_FILE,
    MANIFEST_FILE,
    METADATA_PREFIX,
    QUARANTINE_FOLDER,
    QUARANTINE_STEM,
    REPORT_FILE,
    STAGING_PREFIX,
    dataset_root,
    failed_runs_root,
)
from flows.store.lock import is_stale, owner_file
from flows.store.parquet import MIB, shard_slices, write_parquet
from flows.store.previous import Incremental, PreviousVersion
from flows.store.shards import (
    FileEntry,
    Shard,
    check_ranges,
    new_bytes,
    previous_shards,
    rows_of,
    write_part,
    write_shards,
)
from transforms.dedup.index import INDEX_ORDER
from transforms.schema import (
    DATASET_NAME,
    DEDUP_INDEX_SCHEMA,
    LEDGER_SCHEMA,
    PAPER_SCHEMA,
    QUARANTINE_SCHEMA,
    SCHEMA_VERSION,
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
    """Every paper and index row of the new version, in memory, written against ``latest``'s layout."""

    papers: pl.DataFrame
    dedup_index: pl.DataFrame | None
    previous: PreviousVersion | None = None
    """``latest`` as the run read it: its rows, when read whole, are compared by slice instead of per file."""


@dataclass(frozen=True)
class Documents:
    """The texts of a version beside its tables."""

    card: str
    """``README.md``: the dataset card."""
    changelog: str | None = None
    report: str | None = None
    """``report.html``: the static report page."""
    listed: dict[str, str] = field(default_factory=dict)
    """Relative path -> text of documents the manifest lists with their sha256 (the validation results)."""


def publish_version(
    out_dir: Path,
    version: str,
    tables: WholeTables | Incremental,
    quarantine: pl.DataFrame,
    ledger: pl.DataFrame,
    documents: Documents,
    manifest: dict[str, Any],
) -> Path:
    """Write version ``version`` whole, make it visible in one rename, point ``latest`` at it, journal it."""
    root = dataset_root(out_dir)
    final = root / version
    if final.exists():
        raise FileExistsError(f"version {version} already exists: versions are immutable")
    base = Catalog(out_dir).latest()
    if isinstance(tables, Incremental) and tables.previous.version != base:
        raise RuntimeError(f"latest is {base}, the run read {tables.previous.version}")
    metadata = {"version": version, "schema_version": SCHEMA_VERSION, "dataset": DATASET_NAME}

    def write(staging: Path) -> None:
        papers, index = _write_papers(staging, tables, metadata, root / base if base else None)
        records = _write_records(staging, quarantine, ledger, metadata)
        tables_first = (
            [*papers, *index, *records] if isinstance(tables, Incremental) else [*papers, *records, *index]
        )
        files = tables_first + _write_documents(staging, documents)
        _write_manifest(staging, manifest, files, base)
        for path in staging.rglob("*"):
            if path.is_file():
                path.chmod(0o444)

    write_folder_atomically(final, write)
    point_latest(root, version)
    write_root_card(root)
    record_event(
        root,
        manifest.get("operation", "publish"),
        version,
        previous_version=manifest.get("previous_version"),
        **({"retraction": manifest["retraction"]} if "retraction" in manifest else {}),
    )
    return final


def write_failed_run(
    out_dir: Path,
    version: str,
    quarantine: pl.DataFrame,
    ledger: pl.DataFrame,
    manifest: dict[str, Any],
    error: str,
) -> Path:
    """Keep the quarantine and ledger of a run that published nothing, outside the dataset (``latest``
    untouched), written whole or not at all."""
    metadata = {"version": version, "schema_version": SCHEMA_VERSION, "dataset": DATASET_NAME}

    def write(folder: Path) -> None:
        files = [
            _write_table(
                folder, "quarantine.parquet", quarantine.sort("record_id"), QUARANTINE_SCHEMA, metadata
            ),
            _write_table(folder, LEDGER_FILE, ledger.sort("record_id"), LEDGER_SCHEMA, metadata),
        ]
        record = redact_json({**manifest, "status": "failed", "error": error, "files": files})
        (folder / MANIFEST_FILE).write_text(json.dumps(record, indent=2, default=str) + "\n", "utf-8")

    return write_folder_atomically(failed_runs_root(out_dir) / version, write)


def point_latest(root: Path, version: str) -> None:
    """Swap the relative ``latest`` symlink to ``version`` atomically (symlink beside it, then rename)."""
    temporary = root / f".{LATEST}-{version}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(version)
    os.replace(temporary, root / LATEST)


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
    card = root / CARD_FILE
    if card.exists() and card.read_text(encoding="utf-8") == ROOT_CARD:
        return
    write_text_atomically(card, ROOT_CARD)


def remove_stale_staging(out_dir: Path) -> list[Path]:
    """Staging folders left by a dead process (never visible as versions); removed before a run.

    A staging folder whose owner is alive is another run's work in progress and is left alone. Failed-run
    folders are staged the same way.
    """
    stale: list[Path] = []
    for root in (dataset_root(out_dir), failed_runs_root(out_dir)):
        if not root.exists():
            continue
        for path in sorted(root.glob(f"{STAGING_PREFIX}*")):
            staging = path.with_name(path.name.removesuffix(".owner"))
            if path.exists() and is_stale(staging):  # may be gone: removed with its folder this loop
                if staging.is_dir():
                    shutil.rmtree(staging, ignore_errors=True)
                    stale.append(staging)
                owner_file(staging).unlink(missing_ok=True)
    return stale


# ----- tables -----


def _write_papers(
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
        tables.papers.sort("paper_id"),
        PAPER_SCHEMA,
        PAPER_SHARD_BYTES,
        base_dir,
        metadata,
        in_memory.papers if in_memory else None,
    )
    if tables.dedup_index is None:
        return papers, []
    index = tables.dedup_index
    in_order = index.get_column("paper_id").is_sorted()  # update_index keeps INDEX_ORDER
    return papers, _write_range_shards(
        staging,
        INDEX_FOLDER,
        INDEX_STEM,
        index if in_order else index.sort(INDEX_ORDER),
        DEDUP_INDEX_SCHEMA,
        INDEX_SHARD_BYTES,
        base_dir,
        metadata,
        in_memory.dedup_index if in_memory else None,
    )


def _write_records(
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
    files.append(_write_table(staging, LEDGER_FILE, ledger.sort("record_id"), LEDGER_SCHEMA, metadata))
    return files


def _write_range_shards(
    staging: Path,
    folder: str,
    stem: str,
    frame: pl.DataFrame,
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
        previous_version=base_dir.name if base_dir is not None else None,
        version=metadata["version"],
        write=lambda path, rows: write_parquet(to_arrow(rows, schema), path, _keyed(metadata)),
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
            write_parquet(to_arrow(rows, schema), path, _keyed(metadata))

        entries = write_part(
            staging,
            folder,
            stem,
            part,
            target_rows=_rows_per(shard_bytes, part.after) if part.after.height else part.shards[0].rows,
            previous_version=incremental.previous.version,
            version=metadata["version"],
            write=write_rows,
            schema=schema,
        )
        problems = check_ranges(entries)
        if problems:
            raise ContractBroken(problems)
        files.append(entries)
    return files[0], files[1]


def _write_table(
    folder: Path, relative: str, frame: pl.DataFrame, schema: pa.Schema, metadata: dict[str, str]
) -> FileEntry:
    return _write_arrow(folder, relative, to_arrow(frame, schema), metadata)


def _write_arrow(folder: Path, relative: str, table: pa.Table, metadata: dict[str, str]) -> FileEntry:
    path = folder / relative
    write_parquet(table, path, _keyed(metadata))
    return {
        "path": relative,
        "rows": table.num_rows,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
    }


def _keyed(metadata: dict[str, str]) -> dict[str, str]:
    return {f"{METADATA_PREFIX}.{key}": value for key, value in metadata.items()}


def _rows_per(target_bytes: int, frame: pl.DataFrame) -> int:
    """How many rows of ``frame`` fit in ``target_bytes`` of memory (at least one)."""
    if frame.height == 0:
        return 1
    return max(1, int(target_bytes // max(frame.estimated_size() / frame.height, 1.0)))


# ----- documents and manifest -----


def _write_documents(staging: Path, documents: Documents) -> list[FileEntry]:
    """The card, the changelog and the report; the listed documents, with their manifest entries."""
    (staging / CARD_FILE).write_text(documents.card, encoding="utf-8")
    files = []
    for relative, text in documents.listed.items():
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        files.append({"path": relative, "sha256": sha256_file(target), "bytes": target.stat().st_size})
    if documents.changelog is not None:
        (staging / CHANGELOG_FILE).write_text(documents.changelog, encoding="utf-8")
    if documents.report is not None:
        (staging / REPORT_FILE).write_text(documents.report, encoding="utf-8")
    return files


def _write_manifest(
    staging: Path, manifest: dict[str, Any], files: list[FileEntry], base: str | None
) -> None:
    """``manifest.json``: the run's manifest plus the storage figures and every listed file (secrets redacted)."""
    linked = any("linked_from" in f for f in files)
    storage = {
        "bytes": sum(f["bytes"] for f in files),
        "new_bytes": new_bytes(files),
        "linked_files": sum("linked_from" in f for f in files),
        "linked_from": base if linked else None,
    }
    full = redact_json({**manifest, "storage": storage, "files": files})
    (staging / MANIFEST_FILE).write_text(json.dumps(full, indent=2, default=str) + "\n", "utf-8")
