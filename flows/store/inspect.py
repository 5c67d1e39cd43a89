"""What a person asks of the versions of an output folder: the list of versions, and one paper's story.

Plain values here (rows, histories); ``flows/render/text.py`` turns them into text and the command line into
JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from flows.errors import NotFound
from flows.store.catalog import Catalog
from flows.store.releases import released_to
from transforms.history.changes import diff_papers


@dataclass(frozen=True)
class VersionRow:
    """One version as ``papers versions`` lists it."""

    version: str
    created_at: str
    papers: int
    new_papers: int
    updated_papers: int
    quarantined: int
    released_to: list[str]
    latest: bool


def version_rows(out_dir: Path) -> list[VersionRow]:
    """Every version, oldest first, with its counts and the Hub repositories it was released to."""
    catalog = Catalog(out_dir)
    released, latest = released_to(out_dir), catalog.latest()
    rows = []
    for version in catalog.versions():
        manifest = catalog.manifest(version)
        counts = manifest.get("counts", {})
        rows.append(
            VersionRow(
                version=version,
                created_at=str(manifest.get("created_at", "")),
                papers=int(counts.get("papers_total", 0)),
                new_papers=int(counts.get("new_papers", 0)),
                updated_papers=int(counts.get("updated_papers", 0)),
                quarantined=int(counts.get("quarantined", 0)),
                released_to=sorted(set(released.get(version, []))),
                latest=version == latest,
            )
        )
    return rows


@dataclass(frozen=True)
class Appearance:
    """A version that holds the paper (or, after holding it, does not: ``absent``)."""

    version: str
    status: str
    """``first-appears``, ``changed``, ``unchanged`` or ``absent``."""
    changed: list[str] = field(default_factory=list)
    """The columns that changed against the version before it."""
    times_seen: int | None = None


@dataclass(frozen=True)
class Provenance:
    """One input record that went into the paper, in the run of ``version``."""

    version: str
    record_id: str
    source: str
    outcome: str
    merged_into: str | None
    input: str
    """The input file or URL the record came from (the capture's sha256 when the manifest does not list it)."""
    raw_index: int | None


@dataclass(frozen=True)
class PaperStory:
    """A paper in one version: every field, the versions that held it, and where its records came from."""

    paper_id: str
    version: str
    fields: dict[str, Any]
    history: list[Appearance]
    provenance: list[Provenance]


def paper_story(out_dir: Path, paper_id: str, version: str) -> PaperStory:
    """The paper's fields in ``version``, its history up to that version and its input records."""
    catalog = Catalog(out_dir)
    current = catalog.papers(version, paper_id)
    if current.height == 0:
        raise NotFound(f"no paper {paper_id!r} in version {version}")
    earlier = [v for v in catalog.versions() if v <= version]
    history: list[Appearance] = []
    previous: pl.DataFrame | None = None
    for name in earlier:
        found = catalog.papers(name, paper_id)
        if found.height == 0:
            if previous is not None:
                history.append(Appearance(name, "absent"))
                previous = None
            continue
        if previous is None:
            history.append(Appearance(name, "first-appears", times_seen=found.item(0, "times_seen")))
        else:
            changed = list(diff_papers(previous, found, examples=1)["fields"])
            history.append(Appearance(name, "changed" if changed else "unchanged", changed))
        previous = found
    return PaperStory(
        paper_id, version, current.row(0, named=True), history, _provenance(catalog, paper_id, earlier)
    )


def _provenance(catalog: Catalog, paper_id: str, versions: list[str]) -> list[Provenance]:
    found = []
    for name in versions:
        ledger = catalog.ledger(name)
        if ledger is None:
            continue
        records = ledger.filter(pl.col("paper_id") == paper_id).collect()
        if records.height == 0:
            continue
        inputs = {item["sha256"]: item["path"] for item in catalog.manifest(name).get("inputs", [])}
        for record in records.sort("record_id").iter_rows(named=True):
            found.append(
                Provenance(
                    version=name,
                    record_id=record["record_id"],
                    source=record["source"],
                    outcome=record["outcome"],
                    merged_into=record.get("merged_into"),
                    input=inputs.get(record["raw_sha256"], f"capture {record['raw_sha256']}"),
                    raw_index=record["raw_index"],
                )
            )
    return found
