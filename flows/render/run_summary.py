"""What a person reads about one run: the summary the command line prints and the run's Prefect artifacts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from expectations.outcomes import ExpectationOutcome
from flows.render.escape import code_span, markdown_text
from flows.runtime.progress import StageTiming
from transforms.report.summary import total_papers
from transforms.schema import CODE_STATUSES


class RunOutcome(Protocol):
    """What a run reports (``flows.run.results.RunSummary`` is one)."""

    @property
    def version(self) -> str | None: ...
    @property
    def path(self) -> Path | None: ...
    @property
    def counts(self) -> dict[str, Any]: ...
    @property
    def source_failures(self) -> list[dict[str, str]]: ...
    @property
    def error(self) -> str | None: ...
    @property
    def provisional_days(self) -> list[str]: ...
    @property
    def run_checks(self) -> Sequence[ExpectationOutcome]: ...


def failure_text(failure: dict[str, str]) -> str:
    """A source failure's reason code and, when it says more, its root cause with the attempts made:
    ``retries-exhausted:network:ConnectError (refused: [Errno 111] Connection refused after 5 attempts)``."""
    reason, cause = failure["reason"], failure.get("cause", "")
    return f"{reason} ({cause})" if cause and cause != reason else reason


def summary_text(summary: RunOutcome) -> str:
    """The lines ``papers run`` prints when it ends: version, counts by outcome and reason, failures, path."""
    counts = summary.counts
    lines = [
        f"version      {summary.version or '(none: nothing published)'}",
        f"inputs       {counts['inputs']} records",
        f"published    {counts['published']} ({counts['new_papers']} new, {counts['updated_papers']} updated)",
        f"duplicates   {counts['duplicates']}",
        f"quarantined  {counts['quarantined']}",
    ]
    lines += [f"  {reason:<40} {n}" for reason, n in counts["quarantined_by_reason"].items()]
    dated = counts.get("listed_on_evidence_counts", {})
    if dated:
        lines.append("listed on    " + ", ".join(f"{n} by {evidence}" for evidence, n in dated.items()))
    lines.append(f"papers       {counts['papers_total']} in this version")
    for failure in summary.source_failures:
        lines.append(f"source failed: {failure['source']} {failure['target']}: {failure_text(failure)}")
    for check in summary.run_checks:
        if not check.success:
            lines.append(f"check failed: {check.name}: {check.observed}")
    if summary.provisional_days:
        lines.append(f"provisional  {', '.join(summary.provisional_days)} (fetched again by later runs)")
    if summary.error:
        lines.append(f"error        {summary.error}")
    lines.append(f"path         {summary.path}")
    return "\n".join(lines)


def run_markdown(
    summary: RunOutcome, stages: Sequence[StageTiming], papers: pl.DataFrame, outcome: str | None
) -> str:
    """The run's Prefect markdown artifact: outcome, counts per stage and reason, papers, failures, timings.

    ``papers`` are this run's published papers (``paper_id``, ``title``, ``is_new``); ``outcome`` is the
    reason the run failed, or is degraded when it published (None: it published, every source answered).
    """
    counts = summary.counts
    status = f"published version `{summary.version}`" if summary.version else "**nothing published**"
    lines = [f"# Curation run: {status}", ""]
    if outcome:
        label = "Degraded" if summary.version else "Failed"
        lines += [f"**{label}:** {markdown_text(outcome, limit=1000)}", ""]
    lines += [
        f"Path: {code_span(summary.path, limit=500)}",
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
            [
                f"| {code_span(reason)} | {n} |"
                for reason, n in counts.get("quarantined_by_reason", {}).items()
            ]
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
                f"- {code_span(paper_id)} {markdown_text(title)}"
                for paper_id, title in chosen.sort("paper_id")
                .head(20)
                .select("paper_id", "title")
                .iter_rows()
            ]
            lines.append("")
    lines += ["## Run checks", ""]
    lines += (
        [
            "| check | result | judged | failing | observed |",
            "| --- | --- | ---: | ---: | --- |",
            *[
                f"| {code_span(check.name)} | {'passed' if check.success else '**failed**'} "
                f"| {_cell(check.element_count)} | {_cell(check.unexpected_count)} "
                f"| {markdown_text(check.observed or '', limit=300)} |"
                for check in summary.run_checks
            ],
            "",
        ]
        if summary.run_checks
        else ["none (no listing read)", ""]
    )
    if summary.provisional_days:
        lines += [
            f"Provisional days (fetched again by later runs): {', '.join(summary.provisional_days)}",
            "",
        ]
    lines += ["## Source failures", ""]
    lines += [
        f"- {markdown_text(failure['source'])} {code_span(failure['target'], limit=200)}: "
        f"{markdown_text(failure_text(failure))}"
        for failure in summary.source_failures
    ] or ["none"]
    return "\n".join(lines) + "\n"


def topic_table(counts: pl.DataFrame) -> list[dict[str, Any]]:
    """The run's table artifact: papers per topic and code availability (``code_status``) in the version
    (``counts``: its :func:`~transforms.report.summary.paper_counts`)."""
    if total_papers(counts) == 0:
        return []
    return (
        counts.group_by("topic")
        .agg(
            pl.col("papers").sum(),
            *[
                pl.col("papers").filter(pl.col("code_status") == status).sum().alias(f"code_{status}")
                for status in CODE_STATUSES
            ],
        )
        .sort(["papers", "topic"], descending=[True, False])
        .to_dicts()
    )


def _cell(value: int | None) -> str:
    return "" if value is None else str(value)
