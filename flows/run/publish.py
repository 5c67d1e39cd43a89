"""The last stages: publish the version (or a failed-run record) and report the run as Prefect artifacts."""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from typing import Any

import polars as pl
from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.errors import ContractBroken
from flows.render.card import build_card
from flows.render.changelog import render_changelog
from flows.render.digest import digest_documents, provisional_days
from flows.render.report import render_report
from flows.render.run_summary import failure_text, run_markdown, topic_table
from flows.render.validation import render_validation_html
from flows.run.config import RunConfig
from flows.run.degraded import degraded_reason
from flows.run.manifest import build_manifest
from flows.run.results import Ingested, RunSummary, Validated
from flows.run.stage import STAGE_OPTIONS, stage
from flows.run.validate import broken_contract
from flows.run.volume import SECTION, VolumeOutcome, assess
from flows.runtime.progress import forget_run_timings, run_timings
from flows.store.layout import VALIDATION_HTML, VALIDATION_JSON, dataset_root
from flows.store.previous import Incremental, PreviousVersion, open_latest
from flows.store.publish import Documents, publish_version, write_failed_run
from flows.store.tables import WholeTables
from transforms.history.changes import diff_papers
from transforms.report.accounting import ACCOUNTED_COLUMNS, build_ledger, build_quarantine, count_outcomes
from transforms.report.summary import summarize, total_papers
from transforms.routing import pending as is_pending
from transforms.schema import PAPER_SCHEMA, empty


@stage(
    "publish",
    counts=lambda validated, result: (
        validated.run_papers.height,
        result.counts["papers_total"] if result.version else 0,
    ),
)
def publish(ingested: Ingested, validated: Validated, config: RunConfig) -> RunSummary:
    """Write the new version atomically (or, when nothing of this run could be published, a failed-run record).

    When the table suite failed (a broken contract: :class:`ContractBroken`, nothing published) or writing the
    version fails (a document that cannot be rendered, a full disk), the run's quarantine and ledger are still
    written to ``failed-runs/<version>/`` with the reason before the error goes on: no record disappears."""
    previous, version = ingested.previous, ingested.version
    quarantine = build_quarantine(validated.records, captured_rows(validated))
    ledger = build_ledger(validated.records, validated.run_papers)
    counts = count_outcomes(ledger) | _paper_counts(validated, previous)
    if not counts["accounting_holds"] or counts["published"] != validated.run_papers.height:
        raise RuntimeError(f"accounting does not hold: {counts}, {validated.run_papers.height} papers")
    manifest = build_manifest(version, config, ingested, counts, previous, run_timings())
    volume = run_checks(ingested, validated, config)
    if volume is not None:
        manifest[SECTION] = volume.section
    broken = broken_contract(validated.outcomes)
    if broken:  # nothing is published; the run's records are kept, with why
        write_failed_run(
            config.out_dir, version, quarantine, ledger, manifest, f"contract broken: {', '.join(broken)}"
        )
        raise ContractBroken(broken)
    if counts["published"] == 0:
        path = write_failed_run(
            config.out_dir, version, quarantine, ledger, manifest, "no record was published"
        )
        return RunSummary(
            None,
            path,
            counts,
            ingested.source_failures,
            "no record of this run could be published",
            ingested.every_source_failed,
            run_checks=volume.checks if volume else [],
        )
    if volume is not None:  # the version's validation results show the run checks beside the gate's suites
        validated = replace(validated, outcomes=[*validated.outcomes, *volume.checks])
    try:
        published = _publish_version(ingested, validated, config, quarantine, ledger, counts, manifest)
        if volume is None:
            return published
        return replace(published, provisional_days=volume.provisional, run_checks=volume.checks)
    except Exception as error:  # the run's accounting is kept, as for a run that published nothing
        if not (dataset_root(config.out_dir) / version).exists():
            reason = f"publish failed: {type(error).__name__}: {str(error)[:200]}"
            with contextlib.suppress(Exception):  # the first failure is the one to report
                write_failed_run(config.out_dir, version, quarantine, ledger, manifest, reason)
        raise


def _publish_version(
    ingested: Ingested,
    validated: Validated,
    config: RunConfig,
    quarantine: pl.DataFrame,
    ledger: pl.DataFrame,
    counts: dict[str, Any],
    manifest: dict[str, Any],
) -> RunSummary:
    """The version's change summary, documents and tables, written (see :func:`publish`)."""
    previous, version = ingested.previous, ingested.version
    # a --fresh run still records what it replaces
    latest = previous or open_latest(config.out_dir, config.dedup.fingerprint)
    since = latest.version if latest else None
    incremental = validated.incremental
    if incremental is not None:  # summed shard by shard as the run merged them
        changes = incremental.changes
    elif latest is not None and validated.version is not None:  # replaced whole (--fresh): every row compared
        changes = diff_papers(latest.papers, validated.version.frame())
    elif validated.version is not None:  # a first version: every paper is added
        changes = diff_papers(empty(PAPER_SCHEMA), validated.version.get_column("paper_id").to_frame())
    else:
        raise RuntimeError("a validated run has either its version's rows or its rewritten shards")
    manifest["changes"] = {"since": since, **changes}
    documents = Documents(
        card=build_card(manifest, validated.version_counts, changes=changes if since else None, since=since),
        changelog=render_changelog(version, since, changes),
        report=render_report(
            version,
            manifest,
            validated.version_counts,
            summarize(validated.version_counts, quarantine, validated.new_papers),
        ),
        listed={
            VALIDATION_HTML: render_validation_html(version, validated.outcomes),
            VALIDATION_JSON: json.dumps([outcome.__dict__ for outcome in validated.outcomes], indent=2)
            + "\n",
        },
        from_papers=lambda papers: digest_documents(
            papers,
            version,
            config.digest.selection(),
            config.digest.profile_selections(),
            provisional_days(manifest),
        ),
    )
    if incremental is not None:
        tables: WholeTables | Incremental = incremental
    elif validated.version is not None:
        tables = WholeTables(validated.version, validated.dedup_index, previous=latest)
    else:
        raise RuntimeError("a validated run has either its version's rows or its rewritten shards")
    path = publish_version(config.out_dir, version, tables, quarantine, ledger, documents, manifest)
    return RunSummary(
        version, path, counts, ingested.source_failures, every_source_failed=ingested.every_source_failed
    )


@task(name="report", **STAGE_OPTIONS)
def report(summary: RunSummary, validated: Validated) -> None:
    """The run's Prefect artifacts: a markdown summary and a table of topics and code availability."""
    stages = run_timings()
    forget_run_timings()
    create_markdown_artifact(
        key="curation-summary",
        markdown=run_markdown(
            summary, stages, validated.run_papers, failure_reason(summary) or degraded_reason(summary)
        ),
        description=f"Curation run: {summary.version or 'nothing published'}",
    )
    create_table_artifact(
        key="curation-topics",
        table=topic_table(validated.version_counts) or [{"topic": "(no papers)", "papers": 0}],
        description="Papers per topic and code availability in the version",
    )


def captured_rows(validated: Validated) -> pl.DataFrame | None:
    """The quarantined records' columns that the run's records no longer carry, read back from the work folder
    (whose copy of the records is then removed: nothing else reads it)."""
    if validated.captured is None:
        return None
    rejected = validated.records.filter(~is_pending()).get_column("record_id")
    rows = validated.captured.rows_of(
        rejected, drop=[name for name in ACCOUNTED_COLUMNS if name != "record_id"]
    )
    validated.captured.remove()
    return rows


def run_checks(ingested: Ingested, validated: Validated, config: RunConfig) -> VolumeOutcome | None:
    """The run-level checks of the listing's volume and freshness (``flows/run/volume.py``); None for a run
    that read no listing (its ingest was not counted)."""
    if ingested.listing is None:
        return None
    return assess(ingested.listing, validated.records, validated.run_papers, config.volume)


def failure_reason(summary: RunSummary) -> str | None:
    """Why a run counts as failed: it published nothing (its sources all failed, or no record passed); None
    when it published, also when a source failed (the run is then degraded, :func:`degraded_reason`)."""
    if summary.version is not None:
        return None
    failures = _failures(summary)
    if summary.every_source_failed:
        return f"every source failed ({failures})"
    return f"nothing published: {summary.error}" + (f" (source failures: {failures})" if failures else "")


def _failures(summary: RunSummary) -> str:
    return "; ".join(f"{f['source']} {f['target']}: {failure_text(f)}" for f in summary.source_failures)


def _paper_counts(validated: Validated, previous: PreviousVersion | None) -> dict[str, int]:
    new = int(validated.run_papers.get_column("is_new").sum()) if validated.run_papers.height else 0
    return {
        "new_papers": new,
        "updated_papers": validated.run_papers.height - new,
        "papers_total": total_papers(validated.version_counts),
        "papers_previous": previous.rows if previous else 0,
    }
