"""Versioned, immutable, atomic publication of the dataset (all writes of the curated zone happen here).

Layout under ``OUT/trending-papers/``::

    <version>/                       one immutable folder per run, built in .staging-<version>/ then renamed
        data/train-0000i-of-0000N.parquet   range shards by paper_id; unchanged ones hard-linked (flows/shards.py)
        quarantine/quarantine-00000-of-00001.parquet
        ledger.parquet               one row per input record of the run, with its outcome
        index/dedup-keys-0000i-of-0000N.parquet   lookup keys of every paper (range shards by paper_id too)
        manifest.json                with ``changes`` against the version before it
        CHANGELOG.md                 the same changes, for a person
        README.md                    dataset card (Hugging Face front matter)
        validation/index.html        the Great Expectations results of the run (self-contained HTML)
        validation/results.json      the same results as JSON
        report.html                  static report: counts, charts (embedded PNG) and tables
    latest -> <version>              relative symlink, swapped atomically
    README.md                        root card: ``load_dataset`` on this folder reads ``latest`` only
    journal.jsonl                    append-only: every publish, rollback, retraction and prune (flows/journal.py)
    retractions.json                 papers kept out of every later run (flows/undo.py)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from expectations.gate import ContractBroken
from flows.history_store import Incremental, check_ranges, write_incremental
from flows.journal import record_event
from flows.ownership import claim, is_stale, owner_file, release
from flows.parquet_writer import MIB, shard_slices, write_parquet
from flows.secrets import redact_json
from flows.shards import Shard, new_bytes, previous_shards, rows_of, write_shards
from transforms.matching import INDEX_ORDER
from transforms.schema import (
    DATASET_NAME,
    DEDUP_INDEX_SCHEMA,
    LEDGER_SCHEMA,
    PAPER_SCHEMA,
    QUARANTINE_SCHEMA,
    SCHEMA_VERSION,
    conform,
    empty,
    to_arrow,
)

METADATA_PREFIX = "trending_papers"
DEDUP_INDEX_FOLDER, DEDUP_INDEX_STEM = "index", "dedup-keys"
PAPER_SHARD_BYTES = 32 * MIB
"""Target Arrow size of a papers shard (~10k papers, ~12 MB on disk): a daily run rewrites the last shard or two
and those of the papers it updated, a few per cent of a 1M-paper version (``bench/README.md``)."""
INDEX_SHARD_BYTES = 32 * MIB
"""Target Arrow size of a dedup-index shard (16 rows a paper)."""
CHANGELOG_FILE = "CHANGELOG.md"


@dataclass(frozen=True)
class PreviousVersion:
    """The latest published version, read back for incremental runs."""

    version: str
    path: Path
    papers: pl.DataFrame
    dedup_index: pl.DataFrame | None
    """The version's dedup index (``index/dedup-keys-*.parquet``), when it has one."""


def dataset_root(out_dir: Path) -> Path:
    return out_dir / DATASET_NAME


def new_version_id(now: datetime, previous: str | None = None) -> str:
    """A UTC timestamp id (``20261127T183000.123456Z``) that sorts in time order, after ``previous``."""
    candidate = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    if previous is not None and candidate <= previous:
        stamp = datetime.strptime(previous, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
        candidate = (stamp + _ONE_MICROSECOND).strftime("%Y%m%dT%H%M%S.%fZ")
    return candidate


class IncompatibleSchema(Exception):
    """The latest version was written with another major schema version: its columns mean other things."""


def latest_version_id(out_dir: Path) -> str | None:
    """The id of the version ``latest`` points at, or None before the first publish."""
    link = dataset_root(out_dir) / "latest"
    return link.resolve().name if link.exists() else None


def version_schema(path: Path) -> str | None:
    """The schema version a version folder was written with (its data files' metadata, else its manifest)."""
    files = sorted((path / "data").glob("*.parquet"))
    if files:
        metadata = pq.read_schema(files[0]).metadata or {}
        found = metadata.get(f"{METADATA_PREFIX}.schema_version".encode())
        if found:
            return found.decode()
    manifest = path / "manifest.json"
    if manifest.exists():
        return json.loads(manifest.read_text(encoding="utf-8")).get("schema_version")
    return None


def check_latest_schema(out_dir: Path) -> None:
    """Raise :class:`IncompatibleSchema` (one-line message) unless ``latest`` has this code's major version.

    A run never merges into a history whose columns mean something else (schema 1.x counted ``times_seen`` in
    runs and dated papers by file times): it refuses, and the operator rebuilds with ``--fresh``.
    """
    link = dataset_root(out_dir) / "latest"
    if not link.exists():
        return
    found = version_schema(link.resolve())
    if found is None or found.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise IncompatibleSchema(
            f"{link.resolve()} has schema {found or 'unknown'} but this code writes {SCHEMA_VERSION} "
            "(see SCHEMA_CHANGELOG.md): rebuild the history with `papers run --fresh INPUT...` "
            "(OUT/raw replays fetched captures) or choose another --out"
        )


def read_latest(out_dir: Path) -> PreviousVersion | None:
    """The version ``latest`` points at, or None before the first publish; refuses another major schema."""
    link = dataset_root(out_dir) / "latest"
    if not link.exists():
        return None
    check_latest_schema(out_dir)
    path = link.resolve()
    files = sorted((path / "data").glob("*.parquet"))
    papers = (
        pl.concat([pl.from_arrow(pq.read_table(f, schema=PAPER_SCHEMA)) for f in files])
        if files
        else empty(PAPER_SCHEMA)
    )
    # dedup-keys-0000i-of-0000N.parquet, or the one dedup-keys.parquet of versions before range shards
    index_files = sorted((path / DEDUP_INDEX_FOLDER).glob(f"{DEDUP_INDEX_STEM}*.parquet"))
    index = (
        pl.concat([pl.from_arrow(pq.read_table(f, schema=DEDUP_INDEX_SCHEMA)) for f in index_files])
        if index_files
        else None
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
    documents: dict[str, str] | None = None,
    changelog: str | None = None,
    report: str | None = None,
    previous: PreviousVersion | None = None,
    incremental: Incremental | None = None,
) -> Path:
    """Write a complete version folder, then make it visible in one rename and point ``latest`` at it.

    Every table is cast to its contract schema; files are made read-only; the manifest lists every file with
    its sha256 and row count. The papers and the dedup index are range shards by ``paper_id``: a shard whose
    rows equal a shard of the version ``latest`` points at is a hard link to that file (``linked_from`` in
    its manifest entry; ``storage.new_bytes`` counts what this version wrote), see ``flows/shards.py``.
    ``documents`` (relative path -> text, e.g. the validation report) are written and listed too; ``report``
    (HTML) becomes ``report.html``. A failure before the rename leaves no trace but the staging folder, removed
    here. ``previous`` (the ``latest`` version as the run read it) spares reading its shards again to compare.
    With ``incremental`` (a daily run on a lazily opened ``latest``, ``flows/history_store.py``), ``papers`` and
    ``dedup_index`` are unused: the rows of the shards the run touched are written, the other shards are hard
    links of ``latest``'s files, and the key ranges of all shards are checked to be disjoint and in order.
    """
    root = dataset_root(out_dir)
    final = root / version
    if final.exists():
        raise FileExistsError(f"version {version} already exists: versions are immutable")

    base = latest_version_id(out_dir)
    base_dir = root / base if base is not None else None
    in_memory = previous if previous is not None and previous.version == base else None

    if incremental is not None and incremental.previous.version != base:
        raise RuntimeError(f"latest is {base}, the run read {incremental.previous.version}")

    def write(staging: Path) -> None:
        metadata = {"version": version, "schema_version": SCHEMA_VERSION, "dataset": DATASET_NAME}
        if incremental is not None:
            files = _write_incremental(staging, incremental, metadata)
            files += _write_sharded(
                staging, "quarantine", "quarantine", quarantine.sort("record_id"), QUARANTINE_SCHEMA, metadata
            )
            files.append(
                _write_table(
                    staging / "ledger.parquet", ledger.sort("record_id"), LEDGER_SCHEMA, metadata, staging
                )
            )
            _finish(staging, files)
            return
        files = [
            *_write_range_shards(
                staging,
                "data",
                "train",
                papers.sort("paper_id"),
                PAPER_SCHEMA,
                PAPER_SHARD_BYTES,
                base_dir,
                metadata,
                in_memory.papers if in_memory else None,
            ),
            *_write_sharded(
                staging, "quarantine", "quarantine", quarantine.sort("record_id"), QUARANTINE_SCHEMA, metadata
            ),
            _write_table(
                staging / "ledger.parquet", ledger.sort("record_id"), LEDGER_SCHEMA, metadata, staging
            ),
        ]
        if dedup_index is not None:
            in_order = dedup_index.get_column("paper_id").is_sorted()  # update_index keeps INDEX_ORDER
            files += _write_range_shards(
                staging,
                DEDUP_INDEX_FOLDER,
                DEDUP_INDEX_STEM,
                dedup_index if in_order else dedup_index.sort(INDEX_ORDER),
                DEDUP_INDEX_SCHEMA,
                INDEX_SHARD_BYTES,
                base_dir,
                metadata,
                in_memory.dedup_index if in_memory else None,
            )
        _finish(staging, files)

    def _finish(staging: Path, files: list[dict[str, Any]]) -> None:
        (staging / "README.md").write_text(card, encoding="utf-8")
        for relative, text in (documents or {}).items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            files.append({"path": relative, "sha256": sha256_file(target), "bytes": target.stat().st_size})
        if changelog is not None:
            (staging / CHANGELOG_FILE).write_text(changelog, encoding="utf-8")
        if report is not None:
            (staging / "report.html").write_text(report, encoding="utf-8")
        storage = {
            "bytes": sum(f["bytes"] for f in files),
            "new_bytes": new_bytes(files),
            "linked_files": sum("linked_from" in f for f in files),
            "linked_from": base if any("linked_from" in f for f in files) else None,
        }
        full = redact_json({**manifest, "storage": storage, "files": files})
        (staging / "manifest.json").write_text(json.dumps(full, indent=2, default=str) + "\n", "utf-8")
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
    """Staging folders left by a dead process (never visible as versions); removed before a run.

    A staging folder whose owner is alive is another run's work in progress and is left alone. Failed-run
    folders are staged the same way.
    """
    stale: list[Path] = []
    for root in (dataset_root(out_dir), failed_runs_root(out_dir)):
        if not root.exists():
            continue
        for path in sorted(root.glob(".staging-*")):
            staging = path.with_name(path.name.removesuffix(".owner"))
            if path.exists() and is_stale(staging):  # may be gone: removed with its folder this loop
                if staging.is_dir():
                    shutil.rmtree(staging, ignore_errors=True)
                    stale.append(staging)
                owner_file(staging).unlink(missing_ok=True)
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
) -> list[dict[str, Any]]:
    """Range shards of ``frame`` (sorted by ``paper_id``), sharing the unchanged ones with ``base_dir``.

    ``base_rows``: every row of ``base_dir``'s shards in file order (as :func:`read_latest` concatenates them),
    compared by slice instead of reading each candidate file again.
    """
    keyed = {f"{METADATA_PREFIX}.{key}": value for key, value in metadata.items()}
    frame = conform(frame, schema)
    previous = previous_shards(base_dir, folder)
    ends = list(accumulate(shard.rows for shard in previous))
    starts = {shard.path: end - shard.rows for shard, end in zip(previous, ends, strict=True)}
    in_memory = base_rows is not None and base_rows.height == (ends[-1] if ends else 0)

    def read_previous(shard: Shard) -> pl.DataFrame:
        if in_memory and base_rows is not None:
            start = starts[shard.path]
            return conform(rows_of(base_rows, start, start + shard.rows), schema)
        return conform(pl.from_arrow(pq.read_table(shard.path, schema=schema)), schema)

    return write_shards(
        staging,
        folder,
        stem,
        frame,
        key="paper_id",
        target_rows=rows_per(shard_bytes, frame),
        previous=previous,
        previous_version=base_dir.name if base_dir is not None else None,
        version=metadata["version"],
        write=lambda path, rows: write_parquet(to_arrow(rows, schema), path, keyed),
        read_previous=read_previous,
    )


def _write_incremental(
    staging: Path, incremental: Incremental, metadata: dict[str, str]
) -> list[dict[str, Any]]:
    """The papers and index shards of a daily run: touched ranges written, the rest linked; ranges checked."""
    keyed = {f"{METADATA_PREFIX}.{key}": value for key, value in metadata.items()}
    files: list[dict[str, Any]] = []
    for folder, stem, part, schema, shard_bytes in (
        ("data", "train", incremental.papers, PAPER_SCHEMA, PAPER_SHARD_BYTES),
        (DEDUP_INDEX_FOLDER, DEDUP_INDEX_STEM, incremental.index, DEDUP_INDEX_SCHEMA, INDEX_SHARD_BYTES),
    ):
        entries = write_incremental(
            staging,
            folder,
            stem,
            part,
            target_rows=rows_per(shard_bytes, part.after) if part.after.height else part.shards[0].rows,
            previous_version=incremental.previous.version,
            version=metadata["version"],
            write=lambda path, rows, schema=schema: write_parquet(to_arrow(rows, schema), path, keyed),
            schema=schema,
        )
        problems = check_ranges(entries)
        if problems:
            raise ContractBroken(problems)
        files += entries
    return files


def rows_per(target_bytes: int, frame: pl.DataFrame) -> int:
    """How many rows of ``frame`` fit in ``target_bytes`` of memory (at least one)."""
    if frame.height == 0:
        return 1
    return max(1, int(target_bytes // max(frame.estimated_size() / frame.height, 1.0)))


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
    """Keep the quarantine and ledger of a run that published nothing, outside the dataset (``latest`` untouched).

    Written whole or not at all, like a version (staged, then renamed).
    """
    metadata = {"version": version, "schema_version": SCHEMA_VERSION, "dataset": DATASET_NAME}

    def write(folder: Path) -> None:
        files = [
            _write_table(
                folder / "quarantine.parquet",
                quarantine.sort("record_id"),
                QUARANTINE_SCHEMA,
                metadata,
                folder,
            ),
            _write_table(
                folder / "ledger.parquet", ledger.sort("record_id"), LEDGER_SCHEMA, metadata, folder
            ),
        ]
        record = redact_json({**manifest, "status": "failed", "error": error, "files": files})
        (folder / "manifest.json").write_text(json.dumps(record, indent=2, default=str) + "\n", "utf-8")

    return write_folder_atomically(failed_runs_root(out_dir) / version, write)


def write_folder_atomically(final: Path, write: Callable[[Path], None]) -> Path:
    """Build ``final`` in an owned staging folder beside it with ``write``, then rename it into place; on any
    failure (disk full, read-only) nothing is left behind."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        raise FileExistsError(f"{final} already exists")
    staging = final.with_name(f".staging-{final.name}")
    try:
        claim(staging)
        staging.mkdir()
        write(staging)
        _fsync_tree(staging)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        release(staging)
    return final
