"""Retracting papers: publish a version without them and keep them out of later runs until un-retracted.

A retraction is a publish (``operation: retract`` in its manifest and the journal) of the latest version minus
the papers, through the same table gate and writer as a run; the papers and the reason go to
``retractions.json`` (``flows/store/retractions.py``), which every later run reads at ingest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from flows.errors import UsageError
from flows.run.republish import next_version, republish, republished_manifest
from flows.store.catalog import Catalog
from flows.store.journal import record_event
from flows.store.lock import lock_if_present
from flows.store.previous import open_latest
from flows.store.retractions import read_retractions, write_retractions
from transforms.dedup.minhash import DedupParams
from transforms.derive import rederive_topics
from transforms.history.retraction import retraction_rows


@dataclass(frozen=True)
class Retraction:
    version: str
    path: Path
    papers: list[dict[str, str]]
    """paper_id and title of every paper removed."""


def retract(out_dir: Path, paper_ids: list[str], reason: str) -> Retraction:
    """Publish a new version without ``paper_ids`` and keep them out of later runs until un-retracted.

    All or nothing: an id not in the latest version, or already retracted, is a UsageError and nothing
    changes. The list is written before the version, and restored if publishing fails.
    """
    if not reason.strip():
        raise UsageError("a retraction needs a --reason")
    with lock_if_present(out_dir):
        return _retract(out_dir, paper_ids, reason.strip())


def unretract(out_dir: Path, paper_ids: list[str], reason: str = "") -> list[str]:
    """Take papers off the retraction list (later runs publish them again when they capture them)."""
    with lock_if_present(out_dir):
        retractions = read_retractions(out_dir)
        listed = set(retractions.get_column("paper_id").to_list())
        wanted = list(dict.fromkeys(paper_ids))
        unknown = [pid for pid in wanted if pid not in listed]
        if unknown:
            raise UsageError(f"not retracted: {', '.join(unknown)}")
        write_retractions(out_dir, retractions.filter(~pl.col("paper_id").is_in(wanted)))
        catalog = Catalog(out_dir)
        record_event(catalog.root, "unretract", catalog.latest(), papers=wanted, reason=reason)
        return wanted


def _retract(out_dir: Path, paper_ids: list[str], reason: str) -> Retraction:
    catalog = Catalog(out_dir)
    latest = open_latest(out_dir, DedupParams().fingerprint)
    if latest is None:
        raise UsageError(f"nothing is published under {catalog.root}")
    wanted = list(dict.fromkeys(paper_ids))
    retractions = read_retractions(out_dir)
    already = sorted(set(wanted) & set(retractions.get_column("paper_id").to_list()))
    if already:
        raise UsageError(f"already retracted: {', '.join(already)}")
    present = set(latest.papers.get_column("paper_id").to_list())
    unknown = [pid for pid in wanted if pid not in present]
    if unknown:
        raise UsageError(f"unknown paper id(s) in latest version {latest.version}: {', '.join(unknown)}")
    removed = latest.papers.filter(pl.col("paper_id").is_in(wanted))
    kept = rederive_topics(latest.papers.filter(~pl.col("paper_id").is_in(wanted)))  # one method per version
    if kept.height == 0:
        raise UsageError("retracting every paper would leave an empty version; roll back instead")
    version = next_version(catalog, latest)
    rows = retraction_rows(removed, reason, datetime.now(UTC).isoformat(), version)
    papers = removed.select("paper_id", "title").sort("paper_id").to_dicts()
    manifest = republished_manifest(
        latest,
        version,
        kept,
        "retract",
        {"retracted_papers": len(papers)},
        {"retraction": {"reason": reason, "papers": papers}},
    )
    index = latest.dedup_index
    if index is not None:
        index = index.filter(~pl.col("paper_id").is_in(wanted))
    write_retractions(out_dir, pl.concat([retractions, rows]))
    try:
        path = republish(out_dir, latest, kept, index, manifest)
    except BaseException:
        write_retractions(out_dir, retractions)
        raise
    return Retraction(version, path, papers)
