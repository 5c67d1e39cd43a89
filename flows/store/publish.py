"""Publishing a version: written whole in a staging folder, renamed into place, then ``latest`` moved to it.

A version holds its tables (``flows/store/tables.py``: papers and dedup index as range shards by ``paper_id``,
the quarantine, the ledger), its documents (the card, the changelog, the report, the validation results, the
digest) and its manifest, which lists every table file and listed document with its sha256 and row count. Every
file is made read-only. A failure before the rename leaves nothing but the staging folder, removed here.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from flows.net.scrub import redact_json
from flows.store.catalog import Catalog
from flows.store.files import sha256_file, write_folder_atomically, write_text_atomically
from flows.store.journal import record_event
from flows.store.layout import (
    CARD_FILE,
    CHANGELOG_FILE,
    DATA_STEM,
    LATEST,
    LEDGER_FILE,
    LISTINGS_FOLDER,
    MANIFEST_FILE,
    REPORT_FILE,
    STAGING_PREFIX,
    dataset_root,
    failed_runs_root,
)
from flows.store.listings import write_listings
from flows.store.lock import is_stale, owner_file
from flows.store.previous import Incremental
from flows.store.shards import (
    FileEntry,
    new_bytes,
)
from flows.store.tables import WholeTables, write_papers, write_records, write_table
from transforms.schema import (
    DATASET_NAME,
    LEDGER_SCHEMA,
    QUARANTINE_SCHEMA,
    SCHEMA_VERSION,
)


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
    from_papers: Callable[[pl.LazyFrame], dict[str, str]] | None = None
    """Documents made from the version's papers as written (the digest: an incremental run holds only the
    shards it rewrote), called with the staged papers, lazily; listed as ``listed`` is."""


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
        papers, index = write_papers(staging, tables, metadata, root / base if base else None)
        listings = write_listings(staging, papers, root / base if base else None, metadata)
        records = write_records(staging, quarantine, ledger, metadata)
        tables_first = (
            [*papers, *listings, *index, *records]
            if isinstance(tables, Incremental)
            else [*papers, *listings, *records, *index]
        )
        staged = pl.scan_parquet([staging / entry["path"] for entry in papers]) if papers else None
        files = tables_first + _write_documents(staging, documents, staged)
        _write_manifest(staging, manifest, files, base)
        for path in staging.rglob("*"):
            if path.is_file():
                path.chmod(0o444)

    write_folder_atomically(final, write)
    point_latest(root, version)
    record_event(
        root,
        manifest.get("operation", "publish"),
        version,
        previous_version=manifest.get("previous_version"),
        **({"retraction": manifest["retraction"]} if "retraction" in manifest else {}),
        **({"rederivation": manifest["rederivation"]} if "rederivation" in manifest else {}),
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
            write_table(
                folder, "quarantine.parquet", quarantine.sort("record_id"), QUARANTINE_SCHEMA, metadata
            ),
            write_table(folder, LEDGER_FILE, ledger.sort("record_id"), LEDGER_SCHEMA, metadata),
        ]
        record = redact_json({**manifest, "status": "failed", "error": error, "files": files})
        (folder / MANIFEST_FILE).write_text(json.dumps(record, indent=2, default=str) + "\n", "utf-8")

    return write_folder_atomically(failed_runs_root(out_dir) / version, write)


def point_latest(root: Path, version: str) -> None:
    """Swap the relative ``latest`` symlink to ``version`` atomically (symlink beside it, then rename), then
    rewrite the root card to name ``version``."""
    temporary = root / f".{LATEST}-{version}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(version)
    os.replace(temporary, root / LATEST)
    write_root_card(root, version)


ROOT_CARD = """---
pretty_name: Trending ML papers (all versions)
configs:
- config_name: papers
  default: true
  data_files:
  - split: train
    path: {version}/data/{stem}-*.parquet{listings}
---

# Trending ML papers: every published version

Each folder here is one immutable version; `latest` points at the newest (now `{version}`). **Load
`latest/data/*.parquet`** (or one version's `data/`): this card makes `datasets.load_dataset("<this folder>")` read
the version `latest` points at, while pandas and polars given this whole folder refuse it (it mixes versions,
ledgers and quarantines) rather than concatenate versions. `papers versions` lists the versions, `papers diff A B`
compares two.

```python
import polars as pl

papers = pl.read_parquet("latest/data/*.parquet")
listings = pl.read_parquet("latest/listings/*.parquet")  # one row per paper, day and source
```
"""
"""``OUT/trending-papers/README.md``: the dataset root loads as ``latest``, never as a concatenation of versions.

It names the version, not ``latest/``: ``datasets`` keys its cache of a local folder on the folder's name and the
card's ``data_files`` patterns (not on the files they match), so a pattern through ``latest/`` would load the
rows cached for the version ``latest`` pointed at before."""


def write_root_card(root: Path, version: str) -> None:
    """Write the root card for ``latest`` -> ``version`` (atomically; unchanged when it is already there)."""
    listings = (
        "\n- config_name: listings\n  data_files:\n  - split: train\n"
        f"    path: {version}/{LISTINGS_FOLDER}/{DATA_STEM}-*.parquet"
        if (root / version / LISTINGS_FOLDER).is_dir()  # versions written before the listings table have none
        else ""
    )
    card, text = root / CARD_FILE, ROOT_CARD.format(version=version, stem=DATA_STEM, listings=listings)
    if card.exists() and card.read_text(encoding="utf-8") == text:
        return
    write_text_atomically(card, text)


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


# ----- documents and manifest -----


def _write_documents(staging: Path, documents: Documents, papers: pl.LazyFrame | None) -> list[FileEntry]:
    """The card, the changelog and the report; the listed documents, with their manifest entries."""
    (staging / CARD_FILE).write_text(documents.card, encoding="utf-8")
    files = []
    listed = dict(documents.listed)
    if documents.from_papers is not None and papers is not None:
        listed |= documents.from_papers(papers)
    for relative, text in listed.items():
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
    full = redact_json({**manifest, "schema_version": SCHEMA_VERSION, "storage": storage, "files": files})
    (staging / MANIFEST_FILE).write_text(json.dumps(full, indent=2, default=str) + "\n", "utf-8")
