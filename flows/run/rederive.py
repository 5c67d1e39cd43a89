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
from pathlib import Path

from flows.errors import UsageError
from flows.run.republish import next_version, republish, republished_manifest
from flows.store.catalog import Catalog
from flows.store.lock import lock_if_present
from flows.store.previous import PreviousVersion, open_latest
from transforms.dedup.minhash import DedupParams
from transforms.derive import rederive_topics, stale_topics, topic_method
from transforms.schema import SCHEMA_VERSION


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
    version = next_version(catalog, latest)
    manifest = republished_manifest(
        latest,
        version,
        papers,
        "rederive",
        {"rederived_papers": stale},
        {"rederivation": {"papers": stale, "from": latest.topic_method, "to": topic_method()}},
    )
    path = republish(out_dir, latest, papers, latest.dedup_index, manifest)
    return Rederivation(version, path, latest.version, stale, topic_method())
