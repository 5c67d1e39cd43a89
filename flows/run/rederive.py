"""``papers rederive``: publish the latest version with every paper's topics derived by this code's method.

A new topic method changes what ``topic`` means (``topic_method`` names it, per paper and in the manifest), and no
version may mix two. A run does it by itself the first time it merges into a history of another method
(``flows/run/version.py`` reads such a version whole and derives its papers again); this command does it
without new input, e.g. right after an upgrade. Like a retraction it is a publish of the latest version's
papers (``operation: rederive``) through the same table gate and writer; only ``topic``, ``topics``,
``topic_scores`` and ``topic_method`` change, from columns the version holds (title, abstract, categories,
venue hints), so nothing is fetched.
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
from flows.run.validate import require_table
from flows.runtime.project import code_version
from flows.store.catalog import Catalog, read_manifest
from flows.store.layout import new_version_id
from flows.store.lock import lock_if_present
from flows.store.previous import PreviousVersion, open_latest
from flows.store.publish import Documents, publish_version
from flows.store.tables import WholeTables
from transforms.dedup.minhash import DedupParams
from transforms.derive import rederive_topics, stale_topics, topic_method
from transforms.history.changes import diff_papers
from transforms.report.summary import paper_counts
from transforms.schema import DATASET_NAME, LEDGER_SCHEMA, QUARANTINE_SCHEMA, SCHEMA_VERSION, empty


@dataclass(frozen=True)
class Rederivation:
    """What ``papers rederive`` did: the version it published (None: every paper was current already)."""

    version: str | None
    path: Path | None
    previous: str
    papers: int
    """Papers derived again."""
    method: str


def rederive(out_dir: Path) -> Rederivation:
    """Publish the latest version with every paper of another topic method derived again; nothing when every
    paper's ``topic_method`` is this code's and the version was written with this schema."""
    with lock_if_present(out_dir):
        catalog = Catalog(out_dir)
        latest = open_latest(out_dir, DedupParams().fingerprint)
        if latest is None:
            raise UsageError(f"nothing is published under {catalog.root}")
        stale = latest.papers.filter(stale_topics()).height
        if stale == 0 and latest.schema_version == SCHEMA_VERSION and latest.topic_method == topic_method():
            return Rederivation(None, None, latest.version, 0, topic_method())
        return _publish(out_dir, catalog, latest, stale)


def _publish(out_dir: Path, catalog: Catalog, latest: PreviousVersion, stale: int) -> Rederivation:
    papers = rederive_topics(latest.papers)
    require_table([summarize_part(papers, "version")])
    version = new_version_id(datetime.now(UTC), max([latest.version, *catalog.versions()]))
    manifest = _manifest(latest, version, papers, stale)
    changes = diff_papers(latest.papers, papers)
    manifest["changes"] = {"since": latest.version, **changes}
    documents = Documents(
        card=build_card(manifest, paper_counts(papers), changes=changes, since=latest.version),
        changelog=render_changelog(version, latest.version, changes),
    )
    path = publish_version(
        out_dir,
        version,
        WholeTables(papers, latest.dedup_index),
        empty(QUARANTINE_SCHEMA),
        empty(LEDGER_SCHEMA),
        documents,
        manifest,
    )
    return Rederivation(version, path, latest.version, stale, topic_method())


def _manifest(latest: PreviousVersion, version: str, papers: pl.DataFrame, stale: int) -> dict[str, Any]:
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
        "rederived_papers": stale,
        "papers_total": papers.height,
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
        "operation": "rederive",
        "rederivation": {"papers": stale, "from": latest.topic_method, "to": topic_method()},
        "config": previous_manifest.get("config"),
        "inputs": [],
        "source_failures": [],
        "listing_days": previous_manifest.get("listing_days", []),
        "provenance": previous_manifest.get("provenance", []),
        "counts": counts,
    }
