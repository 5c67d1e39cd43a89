"""The manifest and the dataset card of a version (written by ``flows/publish.py``)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import TYPE_CHECKING, Any

import polars as pl

from flows.prefect_env import PROJECT_ROOT
from flows.progress import StageTiming, describe
from transforms.schema import DATASET_NAME, SCHEMA_VERSION, column_table

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
        "counts": counts,
        "stages": [timing.as_dict() for timing in stages],
    }


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
