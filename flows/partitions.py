"""The row-wise stages (clean, language, derive) and dedup's MinHash band keys, run one task per partition.

The functions here are what each stage does to a frame, whole or one partition of it; ``flows/curate.py``
times them as stages when they run in the flow's process, and :func:`per_partition` runs them as one task per
partition on a task runner (a Dask cluster's workers, or the flow's own runner) and merges the outputs back in
single-process order (:mod:`transforms.partition`), so the published dataset does not change.

This module imports little on purpose: a Dask worker imports it (not ``flows.curate``, which loads Great
Expectations) to run a partition task, and the tasks take only the settings they use, not the whole
``RunConfig``.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import polars as pl
from prefect import Task, task
from prefect.cache_policies import NONE
from prefect.context import FlowRunContext
from prefect.task_runners import TaskRunner

from flows.language import detect_languages
from flows.progress import StageTiming, progress, record
from transforms.clean import clean_records
from transforms.derive import derive_fields
from transforms.language import tag_language
from transforms.minhash import DedupParams, partition_band_frame
from transforms.partition import ORDER, merge_partitions, split_partitions
from transforms.quality import QualitySettings, tag_quality
from transforms.routing import reason_when, split, tag, with_reasons
from transforms.scripts import tag_mixed_script

if TYPE_CHECKING:
    from flows.config import RunConfig

STAGE = {"cache_policy": NONE, "persist_result": False}
"""Stages pass frames in memory: nothing to cache or persist between them."""

Counts = Callable[[tuple[Any, ...], pl.DataFrame], tuple[int | None, int | None]]


def pending_count(frame: pl.DataFrame) -> int:
    """Records still on their way to publication (no reason tagged yet)."""
    return (
        frame.filter(pl.col("reasons").list.len() == 0).height if "reasons" in frame.columns else frame.height
    )


def clean_counts(args: tuple[Any, ...], out: pl.DataFrame) -> tuple[int | None, int | None]:
    return args[0].height, pending_count(out)


def language_counts(args: tuple[Any, ...], out: pl.DataFrame) -> tuple[int | None, int | None]:
    return pending_count(args[0]), pending_count(out)


def derive_counts(args: tuple[Any, ...], out: pl.DataFrame) -> tuple[int | None, int | None]:
    return args[0].height, out.height


# ----- What each stage does to a frame -----


def clean_frame(records: pl.DataFrame, quality: QualitySettings) -> pl.DataFrame:
    """Clean titles and abstracts; tag unparseable records, and low-quality ones among the parsed."""
    parsed, unparsed = split(
        with_reasons(records)
        .pipe(tag, [reason_when(pl.col("parse_error").is_not_null(), pl.col("parse_error"))])
        .collect()
    )
    checked = parsed.lazy().pipe(clean_records).pipe(tag_quality, quality)
    return pl.concat([checked, unparsed.lazy().pipe(clean_records)], how="vertical_relaxed").collect()


def clean_block(records: pl.DataFrame) -> pl.Expr:
    """Which block of :func:`clean_frame`'s output a record lands in: the unparsed (or already tagged) last."""
    unparsed = pl.col("parse_error").is_not_null()
    return unparsed | (pl.col("reasons").list.len() > 0) if "reasons" in records.columns else unparsed


LANGUAGE_BLOCK = pl.col("reasons").list.len() > 0
"""Which block of :func:`language_frame`'s output a record lands in: those already tagged last."""


def language_frame(
    records: pl.DataFrame,
    known: pl.DataFrame | None,
    allowed_languages: tuple[str, ...],
    workers: int,
    report_progress: bool = True,
) -> pl.DataFrame:
    """Detect the abstract's language (reusing ``known`` results), tag disallowed ones and abstracts that mix
    two scripts (``language:mixed``)."""
    pending = pl.col("reasons").list.len() == 0
    detected = detect_languages(
        records.filter(pending),
        known=known,
        workers=workers,
        progress=(lambda done, total: progress("language", done, total)) if report_progress else None,
    )
    rest = records.filter(~pending).with_columns(
        pl.lit(None, pl.String).alias("language"), pl.lit(None, pl.Float64).alias("language_score")
    )
    return (
        pl.concat([detected, rest], how="vertical_relaxed")
        .lazy()
        .pipe(tag_language, allowed_languages)
        .pipe(tag_mixed_script)
        .collect()
    )


DERIVE_BATCH_ROWS = 20_000
"""Papers derived at a time: the topic scorer holds a row per word of every abstract it scores (~150 a paper),
so one batch bounds that, not the run (the fields are per paper: batches give the same frame)."""


def derive_frame(papers: pl.DataFrame) -> pl.DataFrame:
    """Topic, venue hints and code links for this run's papers, :data:`DERIVE_BATCH_ROWS` at a time."""
    if papers.height <= DERIVE_BATCH_ROWS:
        return papers.lazy().pipe(derive_fields).collect()
    return pl.concat(
        [batch.lazy().pipe(derive_fields).collect() for batch in papers.iter_slices(DERIVE_BATCH_ROWS)]
    )


# ----- One task per partition (timed by the flow over all partitions) -----


@task(name="clean-partition", **STAGE)
def clean_partition(records: pl.DataFrame, quality: QualitySettings) -> pl.DataFrame:
    return clean_frame(records, quality)


@task(name="language-partition", **STAGE)
def language_partition(
    records: pl.DataFrame, known: pl.DataFrame | None, allowed_languages: tuple[str, ...]
) -> pl.DataFrame:
    """In the worker's own process: the partitions are the parallelism, and a Dask worker process may not
    start a pool of its own."""
    return language_frame(records, known, allowed_languages, workers=1, report_progress=False)


@task(name="signatures-partition", **STAGE)
def signatures_partition(records: pl.DataFrame, params: DedupParams) -> pl.DataFrame:
    """LSH band keys of one partition's abstracts, ``doc`` numbered in the whole frame (dedup's global step
    groups them by band key)."""
    return partition_band_frame(records.get_column("abstract"), records.get_column(ORDER), params)


@task(name="derive-partition", **STAGE)
def derive_partition(papers: pl.DataFrame) -> pl.DataFrame:
    return derive_frame(papers)


# ----- Running them -----


def per_partition(
    runner: TaskRunner,
    stage: str,
    partition_task: Task[..., pl.DataFrame],
    frame: pl.DataFrame,
    count: Counts,
    partitions: int,
    group: pl.Expr | None = None,
    **parameters: Any,
) -> pl.DataFrame:
    """``partition_task`` over the partitions of ``frame``, merged in single-process order, timed as ``stage``
    (in this process, from the first submission to the merged frame)."""
    started = time.perf_counter()
    parts = split_partitions(frame, partitions, group=group)
    if parts:
        merged = merge_partitions(partition_results(runner, partition_task, parts, **parameters))
    else:  # nothing to split: the stage's own function on the empty frame gives its columns
        merged = partition_task.fn(frame, **parameters)
    records_in, records_out = count((frame,), merged)
    record(StageTiming(stage, records_in, records_out, round(time.perf_counter() - started, 3)))
    return merged


def partition_results(
    runner: TaskRunner, partition_task: Task[..., Any], parts: list[pl.DataFrame], **parameters: Any
) -> list[Any]:
    """Submit one task per partition (all before waiting on any), then collect the results in partition order."""
    first = next(iter(inspect.signature(partition_task.fn).parameters))
    futures = [runner.submit(partition_task, {first: part, **parameters}) for part in parts]
    return [future.result() for future in futures]


@contextmanager
def task_runner(config: RunConfig) -> Iterator[TaskRunner]:
    """The Dask cluster of the config (an existing one at ``dask_address``, or a local one of ``dask_workers``
    processes on 127.0.0.1, started for the run and stopped after it), else the flow's own task runner."""
    if not config.on_dask:
        context = FlowRunContext.get()
        if context is None or context.task_runner is None:
            raise RuntimeError("partitioned stages run inside a flow")
        yield context.task_runner
        return
    from prefect_dask import DaskTaskRunner

    if config.dask_address:
        runner = DaskTaskRunner(address=config.dask_address)
    else:
        runner = DaskTaskRunner(
            cluster_kwargs={
                "n_workers": config.dask_workers,
                "threads_per_worker": 1,
                "processes": True,
                "host": "127.0.0.1",
                "dashboard_address": None,
                "env": _worker_env(),
            }
        )
    with runner:
        yield runner


def _worker_env() -> dict[str, str]:
    """``PREFECT_API_URL`` for local workers when this process runs on its own ephemeral API: otherwise each
    worker would start one of its own (tens of seconds) to report its task runs."""
    from prefect.settings import get_current_settings

    if get_current_settings().api.url:
        return {}
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    return {"PREFECT_API_URL": server.api_url} if server.running else {}
