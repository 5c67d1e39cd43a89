"""The curation flow: ingest -> clean -> language -> dedup -> retract -> derive -> validate -> publish, then the
follow-up: the version's digest e-mailed when recipients are configured (``flows/run/digest.py``).

Each stage runs pure transforms as Prefect tasks (``flows/run/stages.py``, ``validate.py``, ``publish.py``); all
I/O happens in ingest and publish, and in the run's work folder, where ingest, clean and language spill their
chunks, and dedup's papers go on range by range of ``paper_id`` (``flows/store/spill.py``,
``flows/run/version.py``). Only network tasks (``flows/sources/adapters.py``) retry:
a failed pure stage would fail the same way again.

No ``from __future__ import annotations`` here: Prefect validates the flow's parameters against its annotations,
and a deployment loads this file as a script, where a string annotation cannot be resolved.
"""

import gc
import time

import polars as pl
from prefect import flow, get_run_logger
from prefect.states import State
from prefect.task_runners import TaskRunner

from flows.run.config import RunConfig
from flows.run.degraded import degraded_reason
from flows.run.digest import send_digest
from flows.run.outcome import ended, quiet_expected_failures, summary_of
from flows.run.partitions import SIGNED_ROW, partition_results, signatures_partition, task_runner
from flows.run.publish import failure_reason, publish, report
from flows.run.results import Deduplicated, Ingested, RunSummary
from flows.run.stages import DEDUP_READS, clean, dedup, derive, in_run_order, ingest, language, withhold
from flows.run.validate import validate
from flows.run.version import in_ranges
from flows.runtime.progress import StageTiming, progress, record
from flows.store.lock import output_lock
from flows.store.spill import Spilled, work_folder
from transforms.dedup.minhash import Signatures
from transforms.partition import split_partitions
from transforms.routing import split


@flow(name="curate-trending-papers", log_prints=False, validate_parameters=True)
def curate(config: RunConfig = RunConfig()) -> RunSummary | State:
    """Turn listings of trending papers into a new validated, versioned Parquet dataset.

    One run at a time per output folder: the lock is taken before ``latest`` is read (``OutputLocked``
    otherwise) and held until the version is published. Ends Failed (with the reason) when every source failed
    or nothing of the run could be published.
    """
    quiet_expected_failures()
    with output_lock(config.out_dir), work_folder(config.out_dir) as work:
        ingested = ingest(config, work)
        with task_runner(config) as runner:
            cleaned = clean(ingested.records, config, work, runner)
            detected = language(cleaned, ingested.previous, config, work, runner)
            deduplicated = deduplicate(detected, ingested, config, runner)
            let_go()
            deduplicated, ranges = in_ranges(deduplicated, work, config.chunk_records)
            let_go()
            derived = derive(ranges, config, work, runner)
        validated = validate(deduplicated, derived, ingested.previous, config, work)
        let_go()
        summary = publish(ingested, validated, config)
    summary = send_digest(summary, config)  # a follow-up: its failure makes the run degraded, never failed
    report(summary, validated)
    get_run_logger().info("published %s: %s", summary.version, summary.counts)
    return final_state(summary)


def let_go() -> None:
    """Free what the stages before left in reference cycles: Prefect's task-run engine keeps a task's parameters
    and result in objects that refer to one another, so dedup's frames stay until the interpreter's next
    collection, which counts Python objects, not bytes."""
    gc.collect()


def final_state(summary: RunSummary) -> RunSummary | State:
    """A Failed state when the run published nothing (so schedules and operators see it), a Completed state
    named ``Degraded`` with the reasons in its message when it published but is degraded
    (``flows/run/degraded.py``), else the summary itself (Completed); the states' messages and data as
    ``flows/run/outcome.py`` says."""
    return ended(summary, failure_reason(summary), degraded_reason(summary))


def run_curation(config: RunConfig) -> RunSummary:
    """Run the flow and return its summary, also when it ended Failed because nothing was published.

    The flow's Failed state is for schedules and operators; a caller in Python (backfill, benches) wants the
    summary either way. A real failure (broken contract, lock, crash) is raised.
    """
    return summary_of(curate(config, return_state=True))


def deduplicate(
    detected: Spilled, ingested: Ingested, config: RunConfig, runner: TaskRunner | None
) -> Deduplicated:
    """Dedup on the run's records read back as one frame of the columns it reads (``DEDUP_READS``, held only
    here: its papers get the others range by range, and quarantine reads them back from ``detected``) and the
    LSH bands their abstracts share, then the retraction list. The abstracts' signatures are banded here and kept
    only to key the papers against a previous version: a first version has none, and they are 256 bytes a record.
    """
    records = in_run_order(detected, consume=False, columns=DEDUP_READS)  # papers get the rest by range
    signed = signatures(detected, records, config, runner)
    bands = signed.shared_band_frame(config.dedup)
    to_key = signed if ingested.previous is not None else None
    del signed
    deduplicated = dedup(
        records, ingested.previous, config, signatures=to_key, captured=detected, bands=bands
    )
    return withhold(deduplicated, ingested.retractions)


def signatures(
    detected: Spilled, records: pl.DataFrame, config: RunConfig, runner: TaskRunner | None
) -> Signatures:
    """MinHash signatures of the pending records' abstracts, row ``i`` the ``i``-th pending record of
    ``records`` (dedup's docs): read a chunk of ``detected`` at a time, each chunk signed as one task per
    partition, so no more than a chunk's abstracts are held."""
    started = time.perf_counter()
    rows = split(records)[0].select("record_id").with_row_index(SIGNED_ROW)
    signed = Signatures.empty(config.dedup, rows.height)
    done = 0
    for chunk in detected.frames(columns=("record_id", "abstract")):
        pending = chunk.join(rows, on="record_id")
        parts = split_partitions(pending, config.partitions)
        for positions, part in partition_results(runner, signatures_partition, parts, params=config.dedup):
            signed.put(positions, part)
        done += pending.height
        progress("signatures", done, rows.height)
    if done != rows.height:
        raise RuntimeError(f"{done} abstracts signed for {rows.height} pending records")
    record(StageTiming("signatures", rows.height, done, round(time.perf_counter() - started, 3)))
    return signed
