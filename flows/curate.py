"""The curation flow: ingest -> clean -> language -> dedup -> derive -> validate -> publish.

Each stage is one Prefect task around pure transforms; all I/O happens in ingest and publish. Only network
tasks (in ``flows/sources.py``) retry: a failed pure stage would fail the same way again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from expectations.gate import check_rows, require_table
from expectations.suites import GateSettings
from flows.card import build_card
from flows.config import RunConfig
from flows.ingest import InputReport, read_inputs
from flows.language import detect_languages
from flows.publish import (
    PreviousVersion,
    new_version_id,
    publish_version,
    read_latest,
    remove_stale_staging,
    write_failed_run,
)
from flows.report import build_manifest, render_changelog
from transforms.accounting import build_ledger, build_quarantine, count_outcomes, record_hash_expr
from transforms.changes import diff_papers
from transforms.clean import clean_records, tag_quality
from transforms.dedup import collapse_clusters, find_clusters
from transforms.derive import derive_fields
from transforms.history import upsert
from transforms.language import tag_language
from transforms.matching import build_index, match_previous, update_index
from transforms.routing import reason_when, reject_failed_papers, split, tag, with_reasons
from transforms.schema import PAPER_SCHEMA, conform, empty

STAGE = {"cache_policy": NONE, "persist_result": False}
"""Stages pass frames in memory: nothing to cache or persist between them."""


@dataclass
class Ingested:
    version: str
    """The id the version of this run will have (also tags its raw captures)."""
    records: pl.DataFrame
    inputs: list[InputReport]
    source_failures: list[dict[str, str]]
    previous: PreviousVersion | None


@dataclass
class Deduplicated:
    records: pl.DataFrame
    """Every record, with ``cluster_id``/``similarity``/``match_rule`` where it reached dedup."""
    papers: pl.DataFrame
    """One row per cluster of this run, with ``paper_id`` (previous id when seen before) and ``is_new``."""


@dataclass
class Validated:
    records: pl.DataFrame
    run_papers: pl.DataFrame
    """This run's papers that passed the row gate (new or updated)."""
    version_papers: pl.DataFrame
    """Every paper of the new version (previous version plus this run), in ``PAPER_SCHEMA``."""
    dedup_index: pl.DataFrame
    """Lookup keys of every paper of the new version."""


@dataclass(frozen=True)
class RunSummary:
    version: str | None
    path: Path | None
    counts: dict[str, Any]
    source_failures: list[dict[str, str]]
    error: str | None = None


@task(name="ingest", **STAGE)
def ingest(config: RunConfig) -> Ingested:
    """Read every input and parse it to records; read the previous version for incremental runs."""
    remove_stale_staging(config.out_dir)
    latest = read_latest(config.out_dir)
    version = new_version_id(datetime.now(UTC), latest.version if latest else None)
    read = read_inputs(config.inputs, config.sources, config.out_dir / "raw", run=version)
    previous = latest if config.incremental else None
    return Ingested(version, read.records, read.inputs, read.source_failures, previous)


@task(name="clean", **STAGE)
def clean(records: pl.DataFrame, config: RunConfig) -> pl.DataFrame:
    """Clean titles and abstracts; tag unparseable records, and low-quality ones among the parsed."""
    parsed, unparsed = split(
        with_reasons(records)
        .pipe(tag, [reason_when(pl.col("parse_error").is_not_null(), pl.col("parse_error"))])
        .collect()
    )
    checked = parsed.lazy().pipe(clean_records).pipe(tag_quality, config.quality)
    return pl.concat([checked, unparsed.lazy().pipe(clean_records)], how="vertical_relaxed").collect()


@task(name="language", **STAGE)
def language(records: pl.DataFrame, previous: PreviousVersion | None, config: RunConfig) -> pl.DataFrame:
    """Detect the abstract's language (reusing the previous version's results) and tag disallowed ones."""
    pending = pl.col("reasons").list.len() == 0
    known = previous.papers.select("abstract", "language", "language_score") if previous else None
    detected = detect_languages(records.filter(pending), known=known, workers=config.language_workers)
    rest = records.filter(~pending).with_columns(
        pl.lit(None, pl.String).alias("language"), pl.lit(None, pl.Float64).alias("language_score")
    )
    return (
        pl.concat([detected, rest], how="vertical_relaxed")
        .lazy()
        .pipe(tag_language, config.allowed_languages)
        .collect()
    )


@task(name="dedup", **STAGE)
def dedup(records: pl.DataFrame, previous: PreviousVersion | None, config: RunConfig) -> Deduplicated:
    """Cluster this run's records, keep one per cluster, and match clusters to the previous version's papers."""
    pending = pl.col("reasons").list.len() == 0
    clustered = find_clusters(records.filter(pending), config.dedup)
    papers = collapse_clusters(clustered)
    matched = match_previous(
        papers,
        previous.papers if previous else empty(PAPER_SCHEMA),
        config.dedup,
        index=_index_of(previous, config),
    )
    return Deduplicated(
        records=pl.concat([clustered, records.filter(~pending)], how="diagonal_relaxed"), papers=matched
    )


@task(name="derive", **STAGE)
def derive(papers: pl.DataFrame) -> pl.DataFrame:
    """Topic, venue hints and code links for this run's papers."""
    return papers.lazy().pipe(derive_fields).collect()


@task(name="validate", **STAGE)
def validate(
    deduplicated: Deduplicated, papers: pl.DataFrame, previous: PreviousVersion | None, config: RunConfig
) -> Validated:
    """Row gate on this run's papers (failures to quarantine), then the table gate on the whole new version."""
    seen_at = _seen_at(deduplicated.records)
    candidates = papers.with_columns(
        pl.lit(seen_at).alias("first_seen"),
        pl.lit(seen_at).alias("last_seen"),
        pl.lit(1, pl.Int64).alias("times_seen"),
    )
    failures = check_rows(candidates, _gate_settings(config)).failures
    records, passed = reject_failed_papers(deduplicated.records, candidates, failures)
    passed = passed.with_columns(record_hash_expr().alias("record_hash"))
    version_papers = upsert(previous.papers if previous else None, passed, seen_at).with_columns(
        record_hash_expr().alias("record_hash")
    )
    version_papers = conform(version_papers, PAPER_SCHEMA).sort("paper_id")
    if passed.height:  # with nothing of this run to publish, publish() records a failed run instead
        require_table(version_papers)
    index = update_index(_index_of(previous, config), passed, config.dedup)
    return Validated(records=records, run_papers=passed, version_papers=version_papers, dedup_index=index)


@task(name="publish", **STAGE)
def publish(ingested: Ingested, validated: Validated, config: RunConfig) -> RunSummary:
    """Write the new version atomically (or, when nothing of this run could be published, a failed-run record)."""
    previous, version = ingested.previous, ingested.version
    quarantine = build_quarantine(validated.records)
    ledger = build_ledger(validated.records, validated.run_papers)
    counts = count_outcomes(ledger) | _paper_counts(validated, previous)
    if not counts["accounting_holds"] or counts["published"] != validated.run_papers.height:
        raise RuntimeError(f"accounting does not hold: {counts}, {validated.run_papers.height} papers")
    manifest = build_manifest(version, config, ingested, counts, previous)
    if counts["published"] == 0:
        path = write_failed_run(
            config.out_dir, version, quarantine, ledger, manifest, "no record was published"
        )
        return RunSummary(
            None, path, counts, ingested.source_failures, "no record of this run could be published"
        )
    latest = previous or read_latest(config.out_dir)  # a --fresh run still records what it replaces
    since = latest.version if latest else None
    changes = diff_papers(latest.papers if latest else empty(PAPER_SCHEMA), validated.version_papers)
    manifest["changes"] = {"since": since, **changes}
    card = build_card(manifest, validated.version_papers, changes=changes if since else None, since=since)
    path = publish_version(
        config.out_dir,
        version,
        validated.version_papers,
        quarantine,
        ledger,
        manifest,
        card,
        validated.dedup_index,
        changelog=render_changelog(version, since, changes),
    )
    return RunSummary(version, path, counts, ingested.source_failures)


@flow(name="curate-trending-papers", log_prints=False, validate_parameters=True)
def curate(config: RunConfig) -> RunSummary:
    """Turn listings of trending papers into a new validated, versioned Parquet dataset."""
    ingested = ingest(config)
    cleaned = clean(ingested.records, config)
    detected = language(cleaned, ingested.previous, config)
    deduplicated = dedup(detected, ingested.previous, config)
    derived = derive(deduplicated.papers)
    validated = validate(deduplicated, derived, ingested.previous, config)
    summary = publish(ingested, validated, config)
    get_run_logger().info("published %s: %s", summary.version, summary.counts)
    return summary


def _index_of(previous: PreviousVersion | None, config: RunConfig) -> pl.DataFrame:
    """The previous version's dedup keys; rebuilt from its papers when missing or built with other parameters."""
    if previous is None:
        return build_index(empty(PAPER_SCHEMA), config.dedup)
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


def _paper_counts(validated: Validated, previous: PreviousVersion | None) -> dict[str, int]:
    new = int(validated.run_papers.get_column("is_new").sum()) if validated.run_papers.height else 0
    return {
        "new_papers": new,
        "updated_papers": validated.run_papers.height - new,
        "papers_total": validated.version_papers.height,
        "papers_previous": previous.papers.height if previous else 0,
    }
