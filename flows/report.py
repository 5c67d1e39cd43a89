"""The manifest of a version, its changelog, and the provenance of its inputs (written by ``flows/publish.py``)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from flows.prefect_env import PROJECT_ROOT
from flows.progress import StageTiming, describe
from transforms.schema import DATASET_NAME, SCHEMA_VERSION

if TYPE_CHECKING:
    from flows.config import RunConfig
    from flows.curate import Ingested, RunSummary
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
        "config": config.model_dump(mode="json"),
        "inputs": [report.__dict__ for report in ingested.inputs],
        "source_failures": ingested.source_failures,
        "listing_days": listing_days(config, ingested, previous),
        "retractions": {
            "active": sorted(ingested.retractions.get_column("paper_id").to_list()),
            "withheld_records": counts["quarantined_by_reason"].get("retracted", 0),
        },
        "counts": counts,
        "stages": [timing.as_dict() for timing in stages],
        "provenance": input_provenance([report.__dict__ for report in ingested.inputs]),
    }


def listing_days(config: RunConfig, ingested: Ingested, previous: PreviousVersion | None) -> list[str]:
    """Daily Papers days this version's history has read: the previous version's plus this run's (fetched or
    replayed, not failed). ``papers backfill`` publishes only days not listed here, so it resumes."""
    earlier: list[str] = []
    if previous is not None and (previous.path / "manifest.json").exists():
        earlier = json.loads((previous.path / "manifest.json").read_text("utf-8")).get("listing_days", [])
    failed = {f["target"] for f in ingested.source_failures if f.get("source") == "hf-daily"}
    this_run = {day.isoformat() for day in config.sources.days} - failed
    return sorted(set(earlier) | this_run)


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


def run_markdown(
    summary: RunSummary, stages: Sequence[StageTiming], papers: pl.DataFrame, outcome: str | None
) -> str:
    """The run's Prefect markdown artifact: outcome, counts per stage and reason, papers, failures, timings.

    ``papers`` are this run's published papers (``paper_id``, ``title``, ``is_new``); ``outcome`` is the
    reason the run failed (None: it published).
    """
    counts = summary.counts
    status = f"published version `{summary.version}`" if summary.version else "**nothing published**"
    lines = [f"# Curation run: {status}", ""]
    if outcome:
        lines += [f"**Failed:** {outcome}", ""]
    lines += [
        f"Path: `{summary.path}`",
        "",
        "## Records",
        "",
        "| outcome | records |",
        "| --- | ---: |",
        f"| inputs | {counts.get('inputs', 0)} |",
        f"| published | {counts.get('published', 0)} |",
        f"| merged as duplicates | {counts.get('duplicates', 0)} |",
        f"| quarantined | {counts.get('quarantined', 0)} |",
        "",
        "| quarantine reason | records |",
        "| --- | ---: |",
        *(
            [f"| `{reason}` | {n} |" for reason, n in counts.get("quarantined_by_reason", {}).items()]
            or ["| none | 0 |"]
        ),
        "",
        "## Stages",
        "",
        "| stage | records in | records out | seconds |",
        "| --- | ---: | ---: | ---: |",
        *[
            f"| {t.stage} | {_cell(t.records_in)} | {_cell(t.records_out)} | {t.seconds:.2f} |"
            for t in stages
        ],
        "",
        f"## Papers: {counts.get('new_papers', 0)} new, {counts.get('updated_papers', 0)} updated, "
        f"{counts.get('papers_total', 0)} in the version",
        "",
    ]
    for label, is_new in (("New", True), ("Updated", False)):
        chosen = papers.filter(pl.col("is_new") == is_new) if papers.height else papers
        if chosen.height:
            lines += [f"{label} (first {min(chosen.height, 20)} of {chosen.height}):", ""]
            lines += [
                f"- `{paper_id}` {_escape(title)}"
                for paper_id, title in chosen.sort("paper_id")
                .head(20)
                .select("paper_id", "title")
                .iter_rows()
            ]
            lines.append("")
    lines += ["## Source failures", ""]
    lines += [
        f"- {failure['source']} `{failure['target']}`: {failure['reason']}"
        for failure in summary.source_failures
    ] or ["none"]
    return "\n".join(lines) + "\n"


def topic_table(papers: pl.DataFrame) -> list[dict[str, Any]]:
    """The run's table artifact: papers per topic and code availability (``code_status``) in the version."""
    if papers.height == 0:
        return []
    return (
        papers.group_by("topic")
        .agg(
            pl.len().alias("papers"),
            *[(pl.col("code_status") == status).sum().alias(f"code_{status}") for status in CODE_STATUSES],
        )
        .sort(["papers", "topic"], descending=[True, False])
        .to_dicts()
    )


CODE_STATUSES = ("linked", "claimed", "planned", "none")


def stage_lines(stages: Sequence[StageTiming]) -> list[str]:
    return [describe(timing) for timing in stages]


def _cell(value: int | None) -> str:
    return "" if value is None else str(value)


def _escape(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), *args], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None
