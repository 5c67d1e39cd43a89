"""What a run tells the people watching it: one timing per finished stage, and progress inside long stages.

Stages are timed by :func:`timed` (records in, records out, seconds); the timings of a flow run are kept here
for its manifest and artifacts, logged to the run's Prefect logger (so they reach a server when one is
configured), and passed to the observers a caller registered with :func:`observing` (the command line prints
them and draws progress bars). Long stages call :func:`progress` as they go. No observer: nothing is printed.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from typing import Any, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class StageTiming:
    stage: str
    records_in: int | None
    records_out: int | None
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Observer(Protocol):
    def stage_finished(self, timing: StageTiming) -> None: ...

    def progress(self, stage: str, done: int, total: int | None) -> None: ...


_observers: list[Observer] = []
_timings: dict[object, list[StageTiming]] = {}
_lock = threading.Lock()


@contextmanager
def observing(observer: Observer) -> Iterator[Observer]:
    """Send stage timings and progress of every run in this process to ``observer`` while the block runs."""
    _observers.append(observer)
    try:
        yield observer
    finally:
        _observers.remove(observer)


def timed(
    stage: str, count: Callable[[tuple[Any, ...], Any], tuple[int | None, int | None]]
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Time a stage function; ``count(args, result)`` gives its records in and out."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            result = function(*args, **kwargs)
            records_in, records_out = count(args, result)
            record(StageTiming(stage, records_in, records_out, round(time.perf_counter() - started, 3)))
            return result

        return run

    return decorate


def record(timing: StageTiming) -> None:
    """Keep a finished stage's timing for the current flow run, log it, and tell the observers."""
    with _lock:
        _timings.setdefault(_run_key(), []).append(timing)
    _log(timing)
    for observer in list(_observers):
        observer.stage_finished(timing)


def progress(stage: str, done: int, total: int | None) -> None:
    """Report progress inside a long stage (``done`` of ``total`` units; ``total`` None when unknown)."""
    for observer in list(_observers):
        observer.progress(stage, done, total)


def run_timings() -> list[StageTiming]:
    """Timings of the stages the current flow run has finished so far, in order."""
    with _lock:
        return list(_timings.get(_run_key(), []))


def forget_run_timings() -> None:
    with _lock:
        _timings.pop(_run_key(), None)


STAGE_WIDTH = len("signatures")
"""The column stage names are printed in: the longest stage name's."""


def describe(timing: StageTiming) -> str:
    """``clean      100 -> 98 records   0.12 s``: the line the command line prints for a stage."""
    counts = (
        f"{_count(timing.records_in)} -> {_count(timing.records_out)} records"
        if timing.records_in is not None or timing.records_out is not None
        else ""
    )
    return f"{timing.stage:<{STAGE_WIDTH}} {counts:<28} {timing.seconds:8.2f} s"


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _run_key() -> object:
    """The current flow run's id (timings of concurrent runs in one process stay apart); None outside a run."""
    try:
        from prefect.context import FlowRunContext
    except ImportError:  # pragma: no cover - prefect is a dependency
        return None
    context = FlowRunContext.get()
    return context.flow_run.id if context and context.flow_run else None


def _log(timing: StageTiming) -> None:
    try:
        from prefect import get_run_logger
        from prefect.exceptions import MissingContextError
    except ImportError:  # pragma: no cover
        return
    with suppress(MissingContextError):
        get_run_logger().info("stage %s", describe(timing).strip())
