"""The manifest of a version, its changelog, and the provenance of its inputs (written by ``flows/publish.py``)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.prefect_env import PROJECT_ROOT
from transforms.schema import DATASET_NAME, SCHEMA_VERSION

if TYPE_CHECKING:
    from flows.config import RunConfig
    from flows.curate import Ingested
    from flows.publish import PreviousVersion


def code_version() -> dict[str, str | None]:
    """The package version and, in a git checkout, the commit (with ``-dirty`` for uncommitted changes)."""
    try:
        release = package_version("trending-papers")
    except PackageNotFoundError:
        release = None
    commit = _git("rev-parse", "HEAD")
    if commit and _git("status", "--porcelain", "--untracked-files=no"):
        commit += "-dirty"
    return {"package": release, "git_commit": commit}


def build_manifest(
    version: str,
    config: RunConfig,
    ingested: Ingested,
    counts: dict[str, Any],
    previous: PreviousVersion | None,
) -> dict[str, Any]:
    return {
        "dataset": DATASET_NAME,
        "version": version,
        "previous_version": previous.version if previous else None,
        "created_at": datetime.now(UTC).isoformat(),
        "code_version": code_version(),
        "schema_version": SCHEMA_VERSION,
        "config": config.model_dump(mode="json"),
        "inputs": [report.__dict__ for report in ingested.inputs],
        "source_failures": ingested.source_failures,
        "counts": counts,
        "provenance": input_provenance([report.__dict__ for report in ingested.inputs]),
    }


def render_changelog(version: str, since: str | None, changes: dict[str, Any]) -> str:
    """``CHANGELOG.md`` of a version: what changed against the version before it."""
    from flows.card import render_changes

    if since is None:
        return f"# {version}\n\nFirst version: {changes['added']} papers.\n"
    return f"# {version}\n\nChanges since `{since}`:\n\n{render_changes(changes)}\n"


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
    ``Licence:`` lines); a fetched response's is its host.
    """
    found: dict[str, dict[str, Any]] = {}
    for item in inputs:
        name, origin, licence = _provenance_of(str(item["path"]))
        entry = found.setdefault(name, {"name": name, "origin": origin, "licence": licence, "inputs": 0})
        entry["inputs"] += 1
    return sorted(found.values(), key=lambda entry: entry["name"])


def _provenance_of(location: str) -> tuple[str, str, str]:
    if "://" in location:
        host = location.split("://", 1)[1].split("/", 1)[0]
        name, licence = _NETWORK_ORIGINS.get(host, (host, "not stated"))
        return name, location.split("?", 1)[0].rsplit("/", 1)[0], licence
    path = Path(location).resolve()
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


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), *args], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None
