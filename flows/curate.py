"""The curation flow: ingest -> clean -> language -> dedup -> derive -> validate -> publish.

Each stage is one Prefect task around pure transforms; all I/O happens in ingest and publish. Only network
tasks (in ``flows/sources.py``) retry: a failed pure stage would fail the same way again.
"""

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.states import Failed, State

from expectations.docs import render_validation_html
from expectations.gate import ExpectationOutcome, check_rows, require_table
from expectations.suites import GateSettings
from flows.card import build_card
from flows.config import RunConfig
from flows.history_store import Incremental, LazyVersion, incremental_version, open_latest, version_columns
from flows.ingest import InputReport, read_inputs
from flows.ownership import output_lock
from flows.partitions import (
    LANGUAGE_BLOCK,
    STAGE,
    clean_block,
    clean_counts,
    clean_frame,
    clean_partition,
    derive_counts,
    derive_frame,
    derive_partition,
    language_counts,
    language_frame,
    language_partition,
    partition_results,
    pending_count,
    per_partition,
    signatures_partition,
    task_runner,
)
from flows.progress import StageTiming, forget_run_timings, record, run_timings, timed
from flows.publish import (
    PreviousVersion,
    latest_version_id,
    new_version_id,
    publish_version,
    read_latest,
    remove_stale_staging,
    write_failed_run,
)
from flows.report import build_manifest, render_changelog, run_markdown, topic_table
from flows.undo import read_retractions
from flows.version_report import render_report
from transforms.accounting import (
    build_ledger,
    build_quarantine,
    count_outcomes,
    record_hash_expr,
    with_paper_decisions,
)
from transforms.changes import diff_papers
from transforms.dedup import collapse_clusters, find_clusters
from transforms.derive import add_analysis_columns
from transforms.history import attach_listings, history_columns, upsert
from transforms.matching import (
    build_index,
    keys_by_id,
    match_previous,
    positional_keys,
    update_index,
)
from transforms.minhash import shared_bands
from transforms.partition import split_partitions
from transforms.retraction import empty_retractions, withhold_retracted
from transforms.routing import reject_failed_papers
from transforms.schema import PAPER_SCHEMA, conform, empty
from transforms.summary import summarize

VALIDATION_HTML = "validation/index.html"
VALIDATION_JSON = "validation/results.json"


@dataclass
class Ingested:
    version: str
    """The id the version of this run will have (also tags its raw captures)."""
    records: pl.DataFrame
    inputs: list[InputReport]
    source_failures: list[dict[str, str]]
    previous: PreviousVersion | LazyVersion | None
    """``latest`` for incremental runs: opened lazily (shard files and key ranges), read whole only when it
    cannot be (``flows/history_store.py``)."""
    retractions: pl.DataFrame = field(default_factory=empty_retractions)
    """Papers kept out of every run until un-retracted (``OUT/trending-papers/retractions.json``)."""
    every_source_failed: bool = False
    """Every network source of the run failed: the run ends Failed whatever it read locally."""


@dataclass
class Deduplicated:
    records: pl.DataFrame
    """Every record, with ``cluster_id``/``similarity``/``match_rule`` where it reached dedup."""
    papers: pl.DataFrame
    """One row per cluster of this run, with ``paper_id`` (previous id when seen before) and ``is_new``."""
    keys: pl.DataFrame | None = None
    """The papers' dedup lookup keys by ``paper_id`` (``transforms.matching.keys_by_id``), hashed once for the
    match and reused by the index update."""


@dataclass
class Validated:
    records: pl.DataFrame
    run_papers: pl.DataFrame
    """This run's papers that passed the row gate (new or updated)."""
    version_papers: pl.DataFrame
    """Every paper of the new version (previous version plus this run), in ``PAPER_SCHEMA``; with
    ``incremental``, only the columns the card and report read (``SUMMARY_COLUMNS``), from a pruned scan."""
    dedup_index: pl.DataFrame
    """Lookup keys of every paper of the new version (with ``incremental``: of the touched index shards)."""
    outcomes: list[ExpectationOutcome]
    """Every expectation's result (row suite on this run's papers, table suite on the version, or on the
    rewritten shards of a daily run: carried shards are files of the validated previous version)."""
    incremental: Incremental | None = None
    """A run on a lazily opened ``latest``: the shards it rewrites, before and after."""


@dataclass(frozen=True)
class RunSummary:
    version: str | None
    path: Path | None
    counts: dict[str, Any]
    source_failures: list[dict[str, str]]
    error: str | None = None
    every_source_failed: bool = False


@task(name="ingest", **STAGE)
@timed("ingest", lambda args, out: (len(out.inputs), out.records.height))
def ingest(config: RunConfig) -> Ingested:
    """Read every input and parse it to records; read the previous version for incremental runs."""
    remove_stale_staging(config.out_dir)
    previous = (
        open_latest(config.out_dir, config.dedup.fingerprint, read_latest) if config.incremental else None
    )
    version = new_version_id(datetime.now(UTC), latest_version_id(config.out_dir))
    read = read_inputs(
        config.inputs, config.sources, config.out_dir / "raw", run=version, limits=config.limits
    )
    retractions = read_retractions(config.out_dir)
    return Ingested(
        version,
        read.records,
        read.inputs,
        read.source_failures,
        previous,
        retractions=retractions,
        every_source_failed=read.every_source_failed,
    )


@task(name="clean", **STAGE)
@timed("clean", clean_counts)
def clean(records: pl.DataFrame, config: RunConfig) -> pl.DataFrame:
    """Clean titles and abstracts; tag unparseable records, and low-quality ones among the parsed."""
    return clean_frame(records, config.quality)


def known_languages(previous: PreviousVersion | LazyVersion | None) -> pl.DataFrame | pl.LazyFrame | None:
    """The previous version's detected languages, reused instead of detecting the same abstract again (a lazy
    scan of a lazily opened version: only the rows of the run's abstracts are read)."""
    if isinstance(previous, LazyVersion):
        return previous.scan_papers().select("abstract", "language", "language_score")
    return previous.papers.select("abstract", "language", "language_score") if previous else None


@task(name="language", **STAGE)
@timed("language", language_counts)
def language(records: pl.DataFrame, previous: PreviousVersion | None, config: RunConfig) -> pl.DataFrame:
    """Detect the abstract's language (reusing the previous version's results), tag disallowed ones and
    abstracts that mix two scripts (``language:mixed``)."""
    return language_frame(
        records, known_languages(previous), config.allowed_languages, config.language_workers
    )


@task(name="dedup", **STAGE)
@timed("dedup", lambda args, out: (pending_count(args[0]), out.papers.height))
def dedup(
    records: pl.DataFrame,
    previous: PreviousVersion | LazyVersion | None,
    config: RunConfig,
    bands: pl.DataFrame | None = None,
) -> Deduplicated:
    """Cluster this run's records, keep one per cluster, and match clusters to the previous version's papers.

    ``bands``: the band keys of the pending records computed per partition (None: computed here).
    """
    pending = pl.col("reasons").list.len() == 0
    clustered = find_clusters(records.filter(pending), config.dedup, bands=bands)
    papers = collapse_clusters(clustered)
    probe = positional_keys(papers, config.dedup)
    matched = match_previous(
        papers, _papers_of(previous), config.dedup, index=_index_of(previous, config), probe=probe
    )
    every_record = pl.concat([clustered, records.filter(~pending)], how="diagonal_relaxed")
    return Deduplicated(
        records=with_paper_decisions(every_record, matched),
        papers=matched,
        keys=keys_by_id(probe, matched),
    )


@task(name="retract", **STAGE)
def withhold(deduplicated: Deduplicated, retractions: pl.DataFrame) -> Deduplicated:
    """Papers on the retraction list stay out: their records go to quarantine as ``retracted``."""
    records, papers = withhold_retracted(deduplicated.records, deduplicated.papers, retractions)
    return Deduplicated(records=records, papers=papers, keys=deduplicated.keys)


@task(name="derive", **STAGE)
@timed("derive", derive_counts)
def derive(papers: pl.DataFrame) -> pl.DataFrame:
    """Topic, venue hints and code links for this run's papers."""
    return derive_frame(papers)


@task(name="validate", **STAGE)
@timed("validate", lambda args, out: (args[1].height, out.run_papers.height))
def validate(
    deduplicated: Deduplicated,
    papers: pl.DataFrame,
    previous: PreviousVersion | LazyVersion | None,
    config: RunConfig,
) -> Validated:
    """Row gate on this run's papers (failures to quarantine), then the table gate on the whole new version."""
    seen_at = _seen_at(deduplicated.records)
    candidates = attach_listings(papers, deduplicated.records).with_columns(history_columns(seen_at))
    row_gate = check_rows(candidates, _gate_settings(config))
    records, passed = reject_failed_papers(deduplicated.records, candidates, row_gate.failures)
    passed = passed.with_columns(record_hash_expr().alias("record_hash"))
    if isinstance(previous, LazyVersion):
        return _validate_incremental(
            records, passed, previous, seen_at, row_gate.outcomes, config, deduplicated.keys
        )
    # The analysis columns are recomputed for every paper: an updated paper may have gained a repository.
    version_papers = (
        upsert(previous.papers if previous else None, passed, seen_at)
        .pipe(add_analysis_columns)
        .with_columns(record_hash_expr().alias("record_hash"))
    )
    version_papers = conform(version_papers, PAPER_SCHEMA).sort("paper_id")
    table_outcomes = []
    if passed.height:  # with nothing of this run to publish, publish() records a failed run instead
        table_outcomes = require_table(version_papers)
    index = update_index(_index_of(previous, config), passed, config.dedup, keys=deduplicated.keys)
    return Validated(
        records=records,
        run_papers=passed,
        version_papers=version_papers,
        dedup_index=index,
        outcomes=[*row_gate.outcomes, *table_outcomes],
    )


@task(name="publish", **STAGE)
@timed(
    "publish", lambda args, out: (args[1].run_papers.height, out.counts["papers_total"] if out.version else 0)
)
def publish(ingested: Ingested, validated: Validated, config: RunConfig) -> RunSummary:
    """Write the new version atomically (or, when nothing of this run could be published, a failed-run record)."""
    previous, version = ingested.previous, ingested.version
    quarantine = build_quarantine(validated.records)
    ledger = build_ledger(validated.records, validated.run_papers)
    counts = count_outcomes(ledger) | _paper_counts(validated, previous)
    if not counts["accounting_holds"] or counts["published"] != validated.run_papers.height:
        raise RuntimeError(f"accounting does not hold: {counts}, {validated.run_papers.height} papers")
    manifest = build_manifest(version, config, ingested, counts, previous, run_timings())
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
        )
    latest = previous or read_latest(config.out_dir)  # a --fresh run still records what it replaces
    since = latest.version if latest else None
    incremental = validated.incremental
    if incremental is not None:  # carried shards are unchanged: only the rewritten rows can differ
        part = incremental.papers
        changes = diff_papers(part.before, part.after, unchanged_elsewhere=part.carried_rows)
    else:
        old = latest.papers if isinstance(latest, PreviousVersion) else empty(PAPER_SCHEMA)
        changes = diff_papers(old, validated.version_papers)
    manifest["changes"] = {"since": since, **changes}
    card = build_card(manifest, validated.version_papers, changes=changes if since else None, since=since)
    results = [outcome.__dict__ for outcome in validated.outcomes]
    documents = {
        VALIDATION_HTML: render_validation_html(version, validated.outcomes),
        VALIDATION_JSON: json.dumps(results, indent=2) + "\n",
    }
    new_ids = validated.run_papers.filter(pl.col("is_new")).get_column("paper_id").to_list()
    tables = summarize(validated.version_papers, quarantine, new_ids)
    report_html = render_report(version, manifest, validated.version_papers, tables)
    path = publish_version(
        config.out_dir,
        version,
        validated.version_papers,
        quarantine,
        ledger,
        manifest,
        card,
        validated.dedup_index,
        documents,
        changelog=render_changelog(version, since, changes),
        report=report_html,
        previous=latest if isinstance(latest, PreviousVersion) else None,
        incremental=incremental,
    )
    return RunSummary(
        version, path, counts, ingested.source_failures, every_source_failed=ingested.every_source_failed
    )


@task(name="report", **STAGE)
def report(summary: RunSummary, validated: Validated) -> None:
    """The run's Prefect artifacts: a markdown summary and a table of topics and code availability."""
    stages = run_timings()
    forget_run_timings()
    create_markdown_artifact(
        key="curation-summary",
        markdown=run_markdown(summary, stages, validated.run_papers, failure_reason(summary)),
        description=f"Curation run: {summary.version or 'nothing published'}",
    )
    create_table_artifact(
        key="curation-topics",
        table=topic_table(validated.version_papers) or [{"topic": "(no papers)", "papers": 0}],
        description="Papers per topic and code availability in the version",
    )


def failure_reason(summary: RunSummary) -> str | None:
    """Why a run counts as failed (its sources all failed, or it published nothing); None when it published."""
    failures = "; ".join(f"{f['source']} {f['target']}: {f['reason']}" for f in summary.source_failures)
    if summary.every_source_failed:
        return f"every source failed ({failures})"
    if summary.version is None:
        return f"nothing published: {summary.error}" + (f" (source failures: {failures})" if failures else "")
    return None


def final_state(summary: RunSummary) -> RunSummary | State:
    """A Failed state carrying the summary when the run failed (so schedules and operators see it), else the
    summary itself (Completed)."""
    reason = failure_reason(summary)
    return Failed(message=reason, data=summary) if reason else summary


@flow(name="curate-trending-papers", log_prints=False, validate_parameters=True)
def curate(config: RunConfig = RunConfig()) -> RunSummary:
    """Turn listings of trending papers into a new validated, versioned Parquet dataset.

    One run at a time per output folder: the lock is taken before ``latest`` is read (``OutputLocked``
    otherwise) and held until the version is published. Ends Failed (with the reason) when every source failed
    or nothing of the run could be published.
    """
    with output_lock(config.out_dir):
        ingested = ingest(config)
        if config.partitioned:
            deduplicated, derived = _partitioned_stages(ingested, config)
        else:
            cleaned = clean(ingested.records, config)
            detected = language(cleaned, ingested.previous, config)
            deduplicated = dedup(detected, ingested.previous, config)
            deduplicated = withhold(deduplicated, ingested.retractions)
            derived = derive(deduplicated.papers)
        validated = validate(deduplicated, derived, ingested.previous, config)
        summary = publish(ingested, validated, config)
    report(summary, validated)
    get_run_logger().info("published %s: %s", summary.version, summary.counts)
    return final_state(summary)


def _partitioned_stages(ingested: Ingested, config: RunConfig) -> tuple[Deduplicated, pl.DataFrame]:
    """clean -> language -> dedup -> retract -> derive with the row-wise stages run per partition.

    clean, language, the MinHash band keys and derive are one task per partition, on the Dask cluster of the
    config (or the flow's own task runner without one); the partitions are concatenated back in single-process
    order (:func:`~transforms.partition.merge_partitions`). Dedup's grouping by band key, the cluster step and
    matching against the previous version, and the retraction list, run once on the whole frame in the flow.
    Each stage is timed here, in the flow's process, from first submission to merged result.
    """
    with task_runner(config) as runner:
        cleaned = per_partition(
            runner, "clean", clean_partition, ingested.records, clean_counts, config.partitions,
            group=clean_block(ingested.records), quality=config.quality,
        )  # fmt: skip
        detected = per_partition(
            runner, "language", language_partition, cleaned, language_counts, config.partitions,
            group=LANGUAGE_BLOCK, known=known_languages(ingested.previous),
            allowed_languages=config.allowed_languages,
        )  # fmt: skip
        pending = detected.filter(pl.col("reasons").list.len() == 0).select("record_id", "abstract")
        started = time.perf_counter()
        parts = split_partitions(pending, config.partitions)
        bands = shared_bands(partition_results(runner, signatures_partition, parts, params=config.dedup))
        record(StageTiming("signatures", pending.height, None, round(time.perf_counter() - started, 3)))
        deduplicated = dedup(detected, ingested.previous, config, bands=bands)
        deduplicated = withhold(deduplicated, ingested.retractions)
        derived = per_partition(
            runner, "derive", derive_partition, deduplicated.papers, derive_counts, config.partitions
        )
    return deduplicated, derived


def run_curation(config: RunConfig) -> RunSummary:
    """Run the flow and return its summary, also when it ended Failed because nothing was published.

    The flow's Failed state is for schedules and operators; a caller in Python (backfill, undo, benches) wants
    the summary either way. A real failure (broken contract, lock, crash) is raised.
    """
    state = curate(config, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    return result


def _papers_of(previous: PreviousVersion | LazyVersion | None) -> pl.DataFrame | pl.LazyFrame:
    """The previous version's papers: a lazy scan of a lazily opened version."""
    if isinstance(previous, LazyVersion):
        return previous.scan_papers()
    return previous.papers if previous else empty(PAPER_SCHEMA)


def _validate_incremental(
    records: pl.DataFrame,
    passed: pl.DataFrame,
    previous: LazyVersion,
    seen_at: datetime,
    row_outcomes: list[ExpectationOutcome],
    config: RunConfig,
    keys: pl.DataFrame | None = None,
) -> Validated:
    """validate() on a lazily opened version: merge into the shards the run's ids touch, gate those rows.

    The GX table suite runs on the rewritten rows; the carried shards are files of the previous version, which
    passed it, and publish checks that the key ranges of all shards are disjoint (``flows/history_store.py``).
    """
    incremental = incremental_version(previous, passed, seen_at, config.dedup, keys=keys)
    table_outcomes = require_table(incremental.papers.after) if passed.height else []
    return Validated(
        records=records,
        run_papers=passed,
        version_papers=version_columns(incremental.papers),
        dedup_index=incremental.index.after,
        outcomes=[*row_outcomes, *table_outcomes],
        incremental=incremental,
    )


def _index_of(
    previous: PreviousVersion | LazyVersion | None, config: RunConfig
) -> pl.DataFrame | pl.LazyFrame:
    """The previous version's dedup keys (a lazy scan of a lazily opened version, whose fingerprint
    ``open_latest`` checked); rebuilt from its papers when missing or built with other parameters."""
    if previous is None:
        return build_index(empty(PAPER_SCHEMA), config.dedup)
    if isinstance(previous, LazyVersion):
        return previous.scan_index()
    index = previous.dedup_index
    if index is None or index.get_column("fingerprint").unique().to_list() not in (
        [],
        [config.dedup.fingerprint],
    ):
        return build_index(previous.papers, config.dedup)
    return index


def _gate_settings(config: RunConfig) -> GateSettings:
    return GateSettings(
        allowed_languages=config.allowed_languages, min_abstract_chars=config.quality.min_abstract_chars
    )


def _seen_at(records: pl.DataFrame) -> datetime:
    """Stand-in capture time for papers without one: the run's latest capture (now, for an empty run)."""
    latest = records.get_column("captured_at").max() if records.height else None
    return latest if isinstance(latest, datetime) else datetime.now(UTC)


def _paper_counts(validated: Validated, previous: PreviousVersion | LazyVersion | None) -> dict[str, int]:
    new = int(validated.run_papers.get_column("is_new").sum()) if validated.run_papers.height else 0
    return {
        "new_papers": new,
        "updated_papers": validated.run_papers.height - new,
        "papers_total": validated.version_papers.height,
        "papers_previous": (previous.rows if isinstance(previous, LazyVersion) else previous.papers.height)
        if previous
        else 0,
    }
