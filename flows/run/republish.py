"""Publishing the latest version's papers again, changed without new input: a retraction and a re-derivation.

Both are publishes through the same table gate and writer as a run, of the latest version's papers with some
removed (``papers retract``) or derived again (``papers rederive``). What the version before knew and no input of
theirs changes is carried whole: its config, listing days, sources' provenance and the listing's volume (the
day counts the run-level checks read, and the provisional days later runs fetch again: a republish that dropped
them would make the next run forget a half-filled day). The digest is written as the version before had it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from expectations.parts import summarize_part
from flows.render.card import build_card
from flows.render.changelog import render_changelog
from flows.render.digest import digest_documents, provisional_days
from flows.run.digest_config import DigestSettings
from flows.run.validate import require_table
from flows.run.volume import SECTION as VOLUME_SECTION
from flows.runtime.project import code_version
from flows.store.catalog import Catalog, read_manifest
from flows.store.layout import new_version_id
from flows.store.previous import PreviousVersion
from flows.store.publish import Documents, publish_version
from flows.store.tables import WholeTables
from transforms.derive import topic_method
from transforms.history.changes import diff_papers
from transforms.report.summary import paper_counts
from transforms.schema import DATASET_NAME, LEDGER_SCHEMA, QUARANTINE_SCHEMA, SCHEMA_VERSION, empty

CARRIED = ("config", "listing_days", "provenance", VOLUME_SECTION)
"""The manifest sections a republish carries from the version before (no input of its own changes them)."""


def next_version(catalog: Catalog, latest: PreviousVersion) -> str:
    """The id of the version a republish writes (after every version, also ones rolled back from)."""
    return new_version_id(datetime.now(UTC), max([latest.version, *catalog.versions()]))


def republished_manifest(
    latest: PreviousVersion,
    version: str,
    papers: pl.DataFrame,
    operation: str,
    counted: dict[str, int],
    details: dict[str, Any],
) -> dict[str, Any]:
    """The manifest of ``papers`` republished as ``version`` by ``operation`` (``retract``, ``rederive``):
    ``counted``, the operation's own counts (papers retracted, derived again); ``details``, its own sections."""
    before = read_manifest(latest.path) or {}
    counts = {
        "inputs": 0,
        "published": 0,
        "duplicates": 0,
        "quarantined": 0,
        "quarantined_by_reason": {},
        "accounting_holds": True,
        "new_papers": 0,
        "updated_papers": 0,
        **counted,
        "papers_total": papers.height,
        "papers_previous": latest.papers.height,
    }
    carried = {section: before[section] for section in CARRIED if section in before}
    return {
        "dataset": DATASET_NAME,
        "version": version,
        "previous_version": latest.version,
        "created_at": datetime.now(UTC).isoformat(),
        "code_version": code_version(),
        "schema_version": SCHEMA_VERSION,
        "topic_method": topic_method(),
        "operation": operation,
        **details,
        "inputs": [],
        "source_failures": [],
        "listing_days": [],
        "provenance": [],
        **carried,
        "counts": counts,
    }


def republish(
    out_dir: Path,
    latest: PreviousVersion,
    papers: pl.DataFrame,
    index: pl.DataFrame | None,
    manifest: dict[str, Any],
) -> Path:
    """Gate ``papers`` as a version (the table suite), and publish them with ``manifest`` (from
    :func:`republished_manifest`), the change summary against ``latest``, its card, changelog and digest."""
    require_table([summarize_part(papers, "version")])
    version = manifest["version"]
    changes = diff_papers(latest.papers, papers)
    manifest["changes"] = {"since": latest.version, **changes}
    digest = DigestSettings.of_version(manifest)  # the digest as the version before had it
    provisional = provisional_days(read_manifest(latest.path) or {})
    documents = Documents(
        card=build_card(manifest, paper_counts(papers), changes=changes, since=latest.version),
        changelog=render_changelog(version, latest.version, changes),
        from_papers=lambda staged: digest_documents(
            staged, version, digest.selection(), digest.profile_selections(), provisional
        ),
    )
    return publish_version(
        out_dir,
        version,
        WholeTables(papers, index),
        empty(QUARANTINE_SCHEMA),
        empty(LEDGER_SCHEMA),
        documents,
        manifest,
    )
