"""Retracting papers: publish a version without them and keep them out of later runs until un-retracted.

A retraction is a publish (``operation: retract`` in its manifest and the journal) of the latest version minus
the papers, through the same table gate and writer as a run; the papers and the reason go to
``retractions.json`` (``flows/store/retractions.py``), which every later run reads at ingest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from expectations.parts import summarize_part
from flows.errors import UsageError
from flows.render.card import build_card
from flows.render.changelog import render_changelog
from flows.render.digest import digest_documents, provisional_days
from flows.run.digest_config import DigestSettings
from flows.run.validate import require_table
from flows.runtime.project import code_version
from flows.store.catalog import Catalog, read_manifest
from flows.store.journal import record_event
from flows.store.layout import new_version_id
from flows.store.lock import lock_if_present
from flows.store.previous import PreviousVersion, open_latest
from flows.store.publish import Documents, publish_version
from flows.store.retractions import read_retractions, write_retractions
from flows.store.tables import WholeTables
from transforms.dedup.minhash import DedupParams
from transforms.derive import rederive_topics, topic_method
from transforms.history.changes import diff_papers
from transforms.history.retraction import retraction_rows
from transforms.report.summary import paper_counts
from transforms.schema import DATASET_NAME, LEDGER_SCHEMA, QUARANTINE_SCHEMA, SCHEMA_VERSION, empty


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
    require_table([summarize_part(kept, "version")])
    version = new_version_id(datetime.now(UTC), max([latest.version, *catalog.versions()]))
    rows = retraction_rows(removed, reason, datetime.now(UTC).isoformat(), version)
    papers = removed.select("paper_id", "title").sort("paper_id").to_dicts()
    manifest = _manifest(latest, version, kept, papers, reason)
    index = latest.dedup_index
    if index is not None:
        index = index.filter(~pl.col("paper_id").is_in(wanted))
    changes = diff_papers(latest.papers, kept)
    manifest["changes"] = {"since": latest.version, **changes}
    digest = DigestSettings.of_version(
        manifest
    )  # the digest as the version before had it, without the papers
    provisional = provisional_days(read_manifest(latest.path) or {})
    documents = Documents(
        card=build_card(manifest, paper_counts(kept), changes=changes, since=latest.version),
        changelog=render_changelog(version, latest.version, changes),
        from_papers=lambda staged: digest_documents(
            staged, version, digest.selection(), digest.profile_selections(), provisional
        ),
    )
    write_retractions(out_dir, pl.concat([retractions, rows]))
    try:
        path = publish_version(
            out_dir,
            version,
            WholeTables(kept, index),
            empty(QUARANTINE_SCHEMA),
            empty(LEDGER_SCHEMA),
            documents,
            manifest,
        )
    except BaseException:
        write_retractions(out_dir, retractions)
        raise
    return Retraction(version, path, papers)


def _manifest(
    latest: PreviousVersion, version: str, kept: pl.DataFrame, papers: list[dict[str, str]], reason: str
) -> dict[str, Any]:
    previous_manifest = read_manifest(latest.path) or {}
    counts = {
        "inputs": 0,
        "published": 0,
        "duplicates": 0,
        "quarantined": 0,
        "quarantined_by_reason": {},
        "accounting_holds": True,
        "new_papers": 0,
        "updated_papers": 0,
        "retracted_papers": len(papers),
        "papers_total": kept.height,
        "papers_previous": latest.papers.height,
    }
    return {
        "dataset": DATASET_NAME,
        "version": version,
        "previous_version": latest.version,
        "created_at": datetime.now(UTC).isoformat(),
        "code_version": code_version(),
        "schema_version": SCHEMA_VERSION,
        "topic_method": topic_method(),
        "operation": "retract",
        "retraction": {"reason": reason, "papers": papers},
        "config": previous_manifest.get("config"),
        "inputs": [],
        "source_failures": [],
        "listing_days": previous_manifest.get("listing_days", []),
        "provenance": previous_manifest.get("provenance", []),
        "counts": counts,
    }
