"""The manifest of a version: what the run read, how, with which code and settings, and with what outcome.

``flows/store/publish.py`` adds the storage figures and every file with its sha256 when it writes it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flows.run.config import RunConfig
from flows.run.results import Ingested
from flows.runtime.progress import StageTiming
from flows.runtime.project import code_version
from flows.sources.settings import HF_DAILY
from flows.store.catalog import read_manifest
from flows.store.previous import PreviousVersion
from transforms.derive import topic_method
from transforms.schema import DATASET_NAME, SCHEMA_VERSION

RECIPIENTS: dict[str, Any] = {"digest": {"recipients": True, "profiles": {"__all__": {"recipients"}}}}
"""Left out of the manifest's copy of the config: the digest's recipients are people's e-mail addresses, and a
version folder is published."""


def build_manifest(
    version: str,
    config: RunConfig,
    ingested: Ingested,
    counts: dict[str, Any],
    previous: PreviousVersion | None,
    stages: Sequence[StageTiming] = (),
) -> dict[str, Any]:
    """``stages``: the timings of the stages before publish (publish itself is timed in the run's artifacts)."""
    return {
        "dataset": DATASET_NAME,
        "version": version,
        "previous_version": previous.version if previous else None,
        "created_at": datetime.now(UTC).isoformat(),
        "code_version": code_version(),
        "schema_version": SCHEMA_VERSION,
        "topic_method": topic_method(),
        "config": config.model_dump(mode="json", exclude=RECIPIENTS),
        "inputs": [report.__dict__ for report in ingested.inputs],
        "source_failures": ingested.source_failures,
        "listing_days": listing_days(config, ingested, previous),
        "retractions": {
            "active": sorted(ingested.retractions.get_column("paper_id").to_list()),
            "withheld_records": counts["quarantined_by_reason"].get("retracted", 0),
        },
        "counts": counts,
        "stages": [timing.as_dict() for timing in stages],
        "provenance": carried_provenance(
            (read_manifest(previous.path) or {}).get("provenance", []) if previous is not None else [],
            input_provenance([report.__dict__ for report in ingested.inputs]),
        ),
    }


def listing_days(config: RunConfig, ingested: Ingested, previous: PreviousVersion | None) -> list[str]:
    """Daily Papers days this version's history has read: the previous version's plus this run's (fetched or
    replayed, not failed). ``papers backfill`` publishes only days not listed here, so it resumes."""
    earlier = (read_manifest(previous.path) or {}).get("listing_days", []) if previous is not None else []
    failed = {f["target"] for f in ingested.source_failures if f.get("source") == HF_DAILY}
    this_run = {day.isoformat() for day in config.sources.days} - failed
    return sorted(set(earlier) | this_run)


PROVENANCE_FILE = "PROVENANCE.txt"

_NETWORK_ORIGINS = {
    "huggingface.co": ("Hugging Face (fetched)", "not stated: the Hugging Face terms of service apply"),
    "export.arxiv.org": (
        "arXiv API (fetched)",
        "arXiv metadata is CC0 1.0; abstracts are under their authors' licences",
    ),
}


def input_provenance(inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sources of a run's inputs with their licences, one row per source folder or fetched host.

    A local file's source is the nearest ``PROVENANCE.txt`` in its folder or above it (its ``Source:`` and
    ``Licence:`` lines); a fetched response's is its host. ``captures`` are the sha256 of the inputs read from it
    (a paper's ``sources`` name them). A path the scan skipped was not read: it has no source here, and it is not
    touched again (a link loop cannot be resolved).
    """
    found: dict[str, dict[str, Any]] = {}
    for item in inputs:
        if item.get("skipped"):
            continue
        name, origin, licence = _provenance_of(str(item["path"]))
        entry = found.setdefault(
            name, {"name": name, "origin": origin, "licence": licence, "inputs": 0, "captures": []}
        )
        entry["inputs"] += 1
        if item.get("sha256"):
            entry["captures"].append(item["sha256"])
    return sorted(
        ({**entry, "captures": sorted(set(entry["captures"]))} for entry in found.values()),
        key=lambda entry: entry["name"],
    )


def carried_provenance(earlier: list[dict[str, Any]], run: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sources of every paper of a version: those the versions before it read (``earlier``, the previous
    manifest's) and this run's. A source read again keeps this run's origin and licence text (its
    ``PROVENANCE.txt`` may have changed), adds its inputs, and its captures are the union."""
    merged = {entry["name"]: dict(entry) for entry in earlier}
    for entry in run:
        before = merged.get(entry["name"], {})
        merged[entry["name"]] = {
            **entry,
            "inputs": int(before.get("inputs", 0)) + int(entry["inputs"]),
            "captures": sorted({*before.get("captures", []), *entry["captures"]}),
        }
    return sorted(merged.values(), key=lambda entry: entry["name"])


def _provenance_of(location: str) -> tuple[str, str, str]:
    if "://" in location:
        host = location.split("://", 1)[1].split("/", 1)[0]
        name, licence = _NETWORK_ORIGINS.get(host, (host, "not stated"))
        return name, location.split("?", 1)[0].rsplit("/", 1)[0], licence
    try:
        path = Path(location).resolve()  # a link's source is where its file is
    except (OSError, RuntimeError):  # a link that became a loop after the file was read
        path = Path(os.path.abspath(location))
    for folder in list(path.parents)[:4]:
        record = folder / PROVENANCE_FILE
        if record.is_file():
            fields = _provenance_fields(record.read_text(encoding="utf-8", errors="replace"))
            return folder.name, fields.get("source", "not stated"), fields.get("licence", "not stated")
    return "local files", "no PROVENANCE.txt beside the input", "unknown"


def _provenance_fields(text: str) -> dict[str, str]:
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in ("source", "licence", "license"):
            fields["licence" if key.strip().lower() == "license" else key.strip().lower()] = value.strip()
    return fields
