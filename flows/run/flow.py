"""The curation flow: ingest -> clean -> language -> dedup -> retract -> derive -> validate -> publish.

Each stage is one Prefect task around pure transforms (``flows/run/stages.py``, ``validate.py``,
``publish.py``); all I/O happens in ingest and publish. Only network tasks (``flows/sources/adapters.py``) retry:
a failed pure stage would fail the same way again.

No ``from __future__ import annotations`` here: Prefect validates the flow's parameters against its annotations,
and a deployment loads this file as a script, where a string annotation cannot be resolved.
"""

import time

import polars as pl
from prefect import flow, get_run_logger
from prefect.states import Failed, State

from flows.run.config import RunConfig
from flows.run.frames import LANGUAGE_BLOCK, clean_block, clean_counts, derive_counts, language_counts
from flows.run.partitions import (
    clean_partition,
    derive_partition,
    language_partition,
    partition_results,
    per_partition,
    signatures_partition,
    task_runner,
)
from flows.run.publish import failure_reason, publish, report
from flows.run.results import Deduplicated, Ingested, RunSummary
from flows.run.stages import clean, dedup, derive, ingest, known_languages, language, withhold
from flows.run.validate import validate
from flows.runtime.progress import StageTiming, record
from flows.store.lock import output_lock
from transforms.dedup.minhash import shared_bands
from transforms.partition import split_partitions


@flow(name="curate-trending-papers", log_prints=False, validate_parameters=True)
def curate(config: RunConfig = RunConfig()) -> RunSummary | State:
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
            deduplicated = withhold(dedup(detected, ingested.previous, config), ingested.retractions)
            derived = derive(deduplicated.papers)
        validated = validate(deduplicated, derived, ingested.previous, config)
        summary = publish(ingested, validated, config)
    report(summary, validated)
    get_run_logger().info("published %s: %s", summary.version, summary.counts)
    return final_state(summary)


def final_state(summary: RunSummary) -> RunSummary | State:
    """A Failed state carrying the summary when the run failed (so schedules and operators see it), else the
    summary itself (Completed)."""
    reason = failure_reason(summary)
    return Failed(message=reason, data=summary) if reason else summary


def run_curation(config: RunConfig) -> RunSummary:
    """Run the flow and return its summary, also when it ended Failed because nothing was published.

    The flow's Failed state is for schedules and operators; a caller in Python (backfill, benches) wants the
    summary either way. A real failure (broken contract, lock, crash) is raised.
    """
    state = curate(config, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    if not isinstance(result, RunSummary):
        raise TypeError(f"the curation flow returned {type(result).__name__}, not a RunSummary")
    return result


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
        deduplicated = withhold(dedup(detected, ingested.previous, config, bands=bands), ingested.retractions)
        derived = per_partition(
            runner, "derive", derive_partition, deduplicated.papers, derive_counts, config.partitions
        )
    return deduplicated, derived
