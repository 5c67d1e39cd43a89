"""The ``listings`` table of a version: the papers' ``listings`` as a long table, one shard per papers shard.

Time-series tools and the Hub's viewer want one row per (paper, day, source) rather than a nested list. Each
shard of ``listings/`` is derived from the papers shard of the same name (``LISTING_ROW_SCHEMA`` rows of its
papers, same key range), so it follows the papers' shard and link rules: when the papers shard has the bytes of
a shard of the previous version (the sha256 its manifest entry names), the listings shard derived from that one
is hard-linked; otherwise it is derived from the new papers shard, one shard's two columns at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from flows.store.catalog import read_manifest, written_with_this_schema
from flows.store.files import hard_link, sha256_file
from flows.store.layout import LISTINGS_FOLDER, keyed_metadata
from flows.store.parquet import write_parquet
from flows.store.shards import FileEntry
from transforms.history.merge import listing_rows
from transforms.schema import LISTING_ROW_SCHEMA, to_arrow

PAPERS_SHA256 = "papers_sha256"
"""A listings shard's manifest key naming the papers shard (by its bytes) it was derived from."""


def write_listings(
    staging: Path, papers: list[FileEntry], base_dir: Path | None, metadata: dict[str, str]
) -> list[FileEntry]:
    """``listings/<name>`` for every papers shard ``data/<name>`` of the version being written in ``staging``.

    ``base_dir``: the version ``latest`` points at (its listings shards are linked where the papers shard is
    the same bytes). ``metadata``: the version's metadata, written into each new file as every table's is.
    """
    (staging / LISTINGS_FOLDER).mkdir()
    earlier = _previous_listings(base_dir)
    entries = []
    for paper_shard in papers:
        relative = f"{LISTINGS_FOLDER}/{Path(paper_shard['path']).name}"
        target = staging / relative
        keys: FileEntry = {k: paper_shard[k] for k in ("first_key", "last_key") if k in paper_shard}
        entry: FileEntry = {"path": relative, **keys, PAPERS_SHA256: paper_shard["sha256"]}
        carried = earlier.get(paper_shard["sha256"])
        if carried is not None and base_dir is not None and hard_link(base_dir / carried["path"], target):
            entry |= {
                "rows": carried["rows"],
                "bytes": carried["bytes"],
                "sha256": carried["sha256"],
                "written_by": carried["written_by"],
                "linked_from": base_dir.name,
            }
        else:
            source = pl.read_parquet(staging / paper_shard["path"], columns=["paper_id", "listings"])
            table = to_arrow(listing_rows(source), LISTING_ROW_SCHEMA)
            write_parquet(table, target, keyed_metadata(metadata))
            entry |= {
                "rows": table.num_rows,
                "bytes": target.stat().st_size,
                "sha256": sha256_file(target),
                "written_by": metadata["version"],
            }
        entries.append(entry)
    return entries


def _previous_listings(base_dir: Path | None) -> dict[str, dict[str, Any]]:
    """The previous version's listings shards by the sha256 of the papers shard each was derived from; none
    when it was written with another schema (its rows would have other columns) or has no listings table."""
    if base_dir is None or not written_with_this_schema(base_dir):
        return {}
    manifest = read_manifest(base_dir) or {}
    return {
        entry[PAPERS_SHA256]: entry
        for entry in manifest.get("files", [])
        if entry["path"].startswith(f"{LISTINGS_FOLDER}/")
        and PAPERS_SHA256 in entry
        and (base_dir is not None and (base_dir / entry["path"]).is_file())
    }
