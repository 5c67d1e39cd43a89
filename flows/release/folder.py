"""The folder a release uploads: ``OUT/releases/<version>/`` with the version's data files and its card."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import polars as pl

from flows.release.plan import ReleaseFile
from flows.render.card import build_card
from flows.store.catalog import Catalog, read_manifest
from flows.store.files import sha256_file
from flows.store.layout import DATA_FOLDER, DATA_STEM, RELEASED_TABLES, releases_root, shard_file
from flows.store.parquet import row_group_sizes
from transforms.history.changes import diff_papers
from transforms.report.provenance import capture_sources, papers_by_source, papers_without_licence
from transforms.report.summary import paper_counts


def build_release_folder(
    out_dir: Path, version_dir: Path, repo_id: str, previous_release: str | None
) -> Path:
    """``OUT/releases/<version>/``: the tables of both configs (``data/`` and ``listings/``), linked from the
    version, and the release card.

    The files are named ``train-0000i-of-0000N.parquet``, without the version the version folder's names end with:
    on the Hub a version is a tagged commit (what ``datasets`` keys its cache on), and a shard whose bytes did not
    change keeps its name from one release to the next, so it is not uploaded again."""
    folder = releases_root(out_dir) / version_dir.name
    if folder.exists():
        shutil.rmtree(folder)
    for table in RELEASED_TABLES:
        (folder / table).mkdir(parents=True)
        sources = sorted((version_dir / table).glob(f"{DATA_STEM}-*.parquet"))
        for index, source in enumerate(sources):
            target = folder / table / shard_file(DATA_STEM, index, len(sources), None)
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)
    manifest = read_manifest(version_dir) or {}
    papers = read_papers(version_dir)
    changes, since, kind = _changes_for_card(out_dir, manifest, papers, previous_release)
    captures = capture_sources(manifest.get("provenance") or [])
    card = build_card(
        manifest,
        paper_counts(papers),
        changes=changes,
        since=since,
        since_kind=kind,
        repo_id=repo_id,
        source_papers=dict(papers_by_source(papers, captures).iter_rows()),
        unlicensed=papers_without_licence(papers, captures).height,
    )
    (folder / "README.md").write_text(card, encoding="utf-8")
    return folder


def unlicensed_papers(version_dir: Path) -> pl.DataFrame:
    """The ``paper_id`` of the version's papers no source of which states a licence (read column-pruned)."""
    manifest = read_manifest(version_dir) or {}
    papers = pl.read_parquet(version_dir / DATA_FOLDER / "*.parquet", columns=["paper_id", "sources"])
    return papers_without_licence(papers, capture_sources(manifest.get("provenance") or []))


def read_papers(version_dir: Path) -> pl.DataFrame:
    return Catalog(version_dir.parent.parent).papers(version_dir.name)


def describe_folder(folder: Path) -> list[ReleaseFile]:
    files = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data_file = path.suffix == ".parquet"
        groups = row_group_sizes(path) if data_file else []
        files.append(
            ReleaseFile(
                path_in_repo=path.relative_to(folder).as_posix(),
                local=path,
                bytes=path.stat().st_size,
                sha256=sha256_file(path),
                git_blob=git_blob(path),
                rows=sum(rows for rows, _ in groups) if data_file else None,
                row_groups=groups,
            )
        )
    return files


def _changes_for_card(
    out_dir: Path, manifest: dict[str, Any], papers: pl.DataFrame, previous_release: str | None
) -> tuple[dict[str, Any] | None, str | None, str]:
    """Changes since the previous release when its version is here, else the version's own changes."""
    catalog = Catalog(out_dir)
    if previous_release is not None and previous_release in catalog.versions():
        return diff_papers(catalog.papers(previous_release), papers), previous_release, "release"
    recorded = manifest.get("changes")
    if recorded and recorded.get("since"):
        return recorded, recorded["since"], "version"
    return None, None, "release"


def git_blob(path: Path) -> str:
    data = path.read_bytes() if path.stat().st_size <= 10 << 20 else b""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() if data else ""
