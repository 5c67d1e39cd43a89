"""The row-wise stages (clean, language, derive) and dedup's MinHash band keys, run one task per partition.

:func:`per_chunk` runs a stage's frame function (``flows/run/frames.py``) over the run's spilled chunks, each
chunk as one task per partition on a task runner (a Dask cluster's workers, or the flow's own runner), and
merges the outputs back in single-process order (:mod:`transforms.partition`), so the published dataset does
not change.

This module imports little on purpose: a Dask worker imports it to run a partition task (not the flow, which
loads Great Expectations), and the tasks take only the settings they use, not the whole ``RunConfig``.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import polars as pl
from prefect import Task, task
from prefect.context import FlowRunContext
from prefect.task_runners import TaskRunner

from flows.run.config import RunConfig
from flows.run.frames import clean_frame, derive_frame, language_frame
from flows.run.stage import STAGE_OPTIONS
from flows.runtime.progress import StageTiming, progress, record
from flows.store.spill import Spilled, WorkFolder
from transforms.clean.quality import QualitySettings
from transforms.dedup.minhash import DedupParams, Signatures
from transforms.partition import merge_partitions, split_partitions

Counts = Callable[[pl.DataFrame, pl.DataFrame], tuple[int | None, int | None]]


# ----- One task per partition (timed by the flow over all partitions) -----


@task(name="clean-partition", **STAGE_OPTIONS)
def clean_partition(records: pl.DataFrame, quality: QualitySettings) -> pl.DataFrame:
    return clean_frame(records, quality)


@task(name="language-partition", **STAGE_OPTIONS)
def language_partition(
    records: pl.DataFrame,
    known: pl.DataFrame | pl.LazyFrame | None,
    allowed_languages: tuple[str, ...],
    workers: int = 1,
) -> pl.DataFrame:
    """``workers``: language detection processes; 1 (in the task's own process) when partitions are the
    parallelism, as a Dask worker process may not start a pool of its own."""
    return language_frame(records, known, allowed_languages, workers=workers, report_progress=False)


SIGNED_ROW = "__signed_row"
"""The row a record's signature goes to (its position among the run's pending records: dedup's ``doc``)."""


@task(name="signatures-partition", **STAGE_OPTIONS)
def signatures_partition(records: pl.DataFrame, params: DedupParams) -> tuple[np.ndarray, Signatures]:
    """MinHash signatures of one partition's abstracts and the rows (``SIGNED_ROW``) they go to (dedup's global
    step bands them all)."""
    return records.get_column(SIGNED_ROW).to_numpy(), Signatures.of(records.get_column("abstract"), params)


@task(name="derive-partition", **STAGE_OPTIONS)
def derive_partition(papers: pl.DataFrame) -> pl.DataFrame:
    return derive_frame(papers)


# ----- Running them -----


def per_chunk(
    runner: TaskRunner | None,
    stage: str,
    partition_task: Task[..., pl.DataFrame],
    chunks: Spilled,
    work: WorkFolder,
    count: Callable[[Spilled, Spilled], tuple[int | None, int | None]],
    partitions: int,
    block: tuple[str, Callable[[pl.DataFrame], pl.Expr]] | None = None,
    **parameters: Any,
) -> Spilled:
    """``partition_task`` over every chunk of ``chunks`` (each in ``partitions`` partitions), spilled chunk by
    chunk, timed as ``stage`` over all of them; each input chunk's file is removed once read.

    ``block``: the column that records, for every row, the output block the stage puts it in (``(name, expr of the
    input chunk)``; e.g. clean puts unparsed records after the others), so :func:`in_run_order` can put the
    chunks' rows in the order one frame of the whole run would have had (None: the stage keeps every row where it
    is, as derive does; its chunks are then in the order of the whole run already).
    """
    started = time.perf_counter()

    def outputs() -> Iterator[pl.DataFrame]:
        done = 0
        for chunk in chunks.frames(consume=True):
            if block is None:
                yield partitioned(runner, partition_task, chunk, partitions, **parameters)
            else:
                name, expr = block
                tagged = chunk.with_columns(expr(chunk).fill_null(False).alias(name))
                yield partitioned(
                    runner, partition_task, tagged, partitions, group=pl.col(name), **parameters
                )
            done += chunk.height
            progress(stage, done, chunks.rows)

    result = work.spill(stage, outputs())
    records_in, records_out = count(chunks, result)
    record(StageTiming(stage, records_in, records_out, round(time.perf_counter() - started, 3)))
    return result


def partitioned(
    runner: TaskRunner | None,
    partition_task: Task[..., pl.DataFrame],
    frame: pl.DataFrame,
    partitions: int,
    group: pl.Expr | None = None,
    **parameters: Any,
) -> pl.DataFrame:
    """``partition_task`` over the partitions of ``frame``, merged in single-process order."""
    parts = split_partitions(frame, partitions, group=group)
    if not parts:  # nothing to split: the stage's own function on the empty frame gives its columns
        return partition_task.fn(frame, **parameters)
    return merge_partitions(partition_results(runner, partition_task, parts, **parameters))


def partition_results(
    runner: TaskRunner | None, partition_task: Task[..., Any], parts: list[pl.DataFrame], **parameters: Any
) -> list[Any]:
    """One task per partition, the results in partition order: all submitted to ``runner`` before waiting on any,
    or, without a runner, run one after another in this thread (so a Ctrl-C interrupts the task itself)."""
    first = next(iter(inspect.signature(partition_task.fn).parameters))
    if runner is None:
        return [partition_task(**{first: part, **parameters}) for part in parts]
    futures = [runner.submit(partition_task, {first: part, **parameters}) for part in parts]
    return [future.result() for future in futures]


@contextmanager
def task_runner(config: RunConfig) -> Iterator[TaskRunner | None]:
    """The Dask cluster of the config (an existing one at ``dask_address``, or a local one of ``dask_workers``
    processes on 127.0.0.1, started for the run and stopped after it), else the flow's own task runner for
    several partitions, else None: the tasks run in the flow's thread."""
    if not config.partitioned:
        yield None
        return
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
    """The flow's ``PREFECT_API_URL`` for local workers, so they report their task runs to the same API instead
    of each starting a temporary one of its own (tens of seconds)."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return {"PREFECT_API_URL": url} if url else {}
