"""Language detection at scale: skip texts already known, settle the clearly English ones with a vectorised
gate, detect each remaining distinct text once with langdetect, and spread large batches over processes.

langdetect costs ~4 ms per abstract and holds the GIL, so threads do not help; processes do. Each worker
seeds langdetect and loads its profiles in its initializer, before it detects anything, and the detection of
a text does not depend on what else a process detected, so the parallel path gives the serial path's results.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import polars as pl

from transforms.language.detect import (
    GATE_SCORE,
    LANGUAGE_SCHEMA,
    clearly_english,
    detect_many,
    ensure_profiles_loaded,
)

R = TypeVar("R")
_KEY = "__language_key"
SERIAL_CHUNK = 250
"""Abstracts detected between two progress reports on the serial path (~1 s of work)."""
WAIT_SLICE_S = 0.2
CHUNKS_PER_WORKER = 4
"""Chunks handed to each worker: enough to even out uneven texts, few enough to keep pickling cheap."""


def detect_languages(
    frame: pl.DataFrame,
    *,
    known: pl.DataFrame | pl.LazyFrame | None = None,
    workers: int = 0,
    parallel_threshold: int = 2000,
    progress: Callable[[int, int], None] | None = None,
    gate: bool = True,
) -> pl.DataFrame:
    """``frame`` with ``language`` and ``language_score`` for its ``abstract`` column.

    ``known`` (columns ``abstract``, ``language``, ``language_score``, e.g. the previous published version) is
    reused: an abstract found there is not detected again (of a LazyFrame, only the rows of ``frame``'s
    abstracts are read). Of the remaining distinct abstracts, those
    :func:`~transforms.language.detect.clearly_english` settles are ``en`` (score :data:`GATE_SCORE`) unless
    ``gate`` is False; the others are detected with langdetect in this process, or across ``workers``
    processes (0: one per CPU) when there are at least ``parallel_threshold`` of them.
    Row order and all other columns of ``frame`` are kept. ``progress`` is called with (texts detected, texts
    to detect) as chunks finish.
    """
    base = frame.drop([name for name in LANGUAGE_SCHEMA if name in frame.columns])
    base = base.with_columns(pl.col("abstract").cast(pl.String).fill_null("").alias(_KEY))
    reusable = _known_results(known, base.get_column(_KEY))
    pending = base.select(_KEY).unique(maintain_order=True).join(reusable, on=_KEY, how="anti")
    settled = pending.filter(clearly_english(pl.col(_KEY)) if gate else pl.lit(False))
    gated = settled.with_columns(
        pl.lit("en", pl.String).alias("language"), pl.lit(GATE_SCORE, pl.Float64).alias("language_score")
    )
    texts = pending.join(settled, on=_KEY, how="anti", maintain_order="left").get_column(_KEY).to_list()
    codes, scores = _detect(
        texts, workers=workers, parallel_threshold=parallel_threshold, progress=progress or _no_progress
    )
    detected = pl.DataFrame({_KEY: texts, "language": codes, "language_score": scores}).cast(
        pl.Schema({_KEY: pl.String, **LANGUAGE_SCHEMA})
    )
    results = pl.concat([reusable, gated, detected])
    return base.join(results, on=_KEY, how="left", maintain_order="left").drop(_KEY)


def _known_results(known: pl.DataFrame | pl.LazyFrame | None, wanted: pl.Series) -> pl.DataFrame:
    """One (abstract, language, score) per abstract from ``known``; rows without a language are not reused."""
    empty = pl.DataFrame(schema={_KEY: pl.String, **LANGUAGE_SCHEMA})
    if isinstance(known, pl.LazyFrame):
        abstract = pl.col("abstract").cast(pl.String).fill_null("")
        known = known.filter(abstract.is_in(wanted.unique().implode())).collect()
    if known is None or known.height == 0:
        return empty
    return (
        known.select(
            pl.col("abstract").cast(pl.String).fill_null("").alias(_KEY),
            pl.col("language").cast(pl.String),
            pl.col("language_score").cast(pl.Float64),
        )
        .filter(pl.col("language").is_not_null())
        .unique(subset=_KEY, keep="first", maintain_order=True)
    )


def _detect(
    texts: Sequence[str], *, workers: int, parallel_threshold: int, progress: Callable[[int, int], None]
) -> tuple[list[str], list[float]]:
    """Detect in this process for small batches, across processes for large ones."""
    processes = workers or os.cpu_count() or 1
    codes: list[str] = []
    scores: list[float] = []
    if len(texts) < parallel_threshold or processes < 2:
        ensure_profiles_loaded()
        for start in range(0, len(texts), SERIAL_CHUNK):
            chunk_codes, chunk_scores = detect_many(texts[start : start + SERIAL_CHUNK])
            codes.extend(chunk_codes)
            scores.extend(chunk_scores)
            progress(len(codes), len(texts))
        return codes, scores
    chunks = _chunks(texts, processes * CHUNKS_PER_WORKER)
    # spawn: a fresh interpreter per worker (forking a process that runs polars' thread pool can deadlock).
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=min(processes, len(chunks)), mp_context=context, initializer=_start_worker
    )
    try:
        # Workers start with Ctrl-C blocked (the mask survives their exec), so the SIGINT a terminal sends to
        # the whole process group reaches this process alone, which stops them; none prints a traceback.
        with _sigint_blocked():
            futures = [pool.submit(detect_many, chunk) for chunk in chunks]
        for future in futures:
            chunk_codes, chunk_scores = _interruptible_result(future)
            codes.extend(chunk_codes)
            scores.extend(chunk_scores)
            progress(len(codes), len(texts))
    except BaseException:
        # Ctrl-C (or a failure): stop the workers now instead of waiting for their chunks to finish.
        for process in list((pool._processes or {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return codes, scores


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ensure_profiles_loaded()


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _interruptible_result(future: Future[R]) -> R:
    """The future's result, waited for in short slices: Ctrl-C may be delivered to another thread of the
    process, and a main thread blocked in one long wait would only see it when the chunk is done."""
    while True:
        try:
            return future.result(timeout=WAIT_SLICE_S)
        except TimeoutError:
            continue


def _no_progress(done: int, total: int) -> None:
    pass


def _chunks(texts: Sequence[str], count: int) -> list[list[str]]:
    """``texts`` split into at most ``count`` contiguous, nearly equal chunks (order kept)."""
    size = max(1, -(-len(texts) // max(1, count)))
    return [list(texts[start : start + size]) for start in range(0, len(texts), size)]
