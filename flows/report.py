"""The manifest and the dataset card of a version (written by ``flows/publish.py``)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import TYPE_CHECKING, Any

import polars as pl

from flows.prefect_env import PROJECT_ROOT
from transforms.schema import DATASET_NAME, SCHEMA_VERSION, column_table

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
        "listing_days": listing_days(config, ingested, previous),
        "retractions": {
            "active": sorted(ingested.retractions.get_column("paper_id").to_list()),
            "withheld_records": counts["quarantined_by_reason"].get("retracted", 0),
        },
        "counts": counts,
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


def build_card(version: str, manifest: dict[str, Any], papers: pl.DataFrame) -> str:
    """A Hugging Face dataset card: front matter that maps the Parquet files to a split, then the essentials."""
    counts = manifest["counts"]
    topics = (
        papers.group_by("topic").len().sort("len", "topic", descending=[True, False]).head(10).iter_rows()
        if papers.height
        else []
    )
    topic_lines = "\n".join(f"| {topic} | {n} |" for topic, n in topics)
    reasons = (
        "\n".join(f"| `{reason}` | {n} |" for reason, n in counts["quarantined_by_reason"].items())
        or "| none | 0 |"
    )
    return f"""---
pretty_name: Trending ML papers
license: other
language:
- en
tags:
- arxiv
- papers
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*.parquet
---

# Trending ML papers, version `{version}`

Curated listings of trending machine-learning papers: cleaned titles and abstracts, one row per paper
(duplicates merged, with their titles kept in `aliases`), English only, with topic, venue hints and code links.
Schema version `{SCHEMA_VERSION}`; previous version `{manifest["previous_version"]}`.

Texts are the papers' own titles and abstracts, under the licences their authors chose on arXiv; this card's
`license: other` says so. `manifest.json` lists every input with its sha256 and every file with its sha256.

## This version

| | |
| --- | --- |
| papers | {papers.height} |
| input records of this run | {counts["inputs"]} |
| published (new / updated) | {counts["published"]} ({counts["new_papers"]} / {counts["updated_papers"]}) |
| merged as duplicates | {counts["duplicates"]} |
| quarantined | {counts["quarantined"]} |

Quarantine reasons of this run:

| reason | records |
| --- | --- |
{reasons}

Top topics:

| topic | papers |
| --- | --- |
{topic_lines}

## Loading

```python
import polars as pl
papers = pl.read_parquet("data/*.parquet")
```

## Columns

{column_table()}
"""


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), *args], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None
