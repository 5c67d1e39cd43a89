"""A stage of the curation flow: one Prefect task, timed, with its records in and out.

:func:`stage` names a stage once: the task's name and the name its timing is reported under (the line the
command line prints, the manifest's ``stages``, the run's artifact). Its ``counts`` function receives the
stage's arguments by name, and ``result`` for what it returned.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Task, task
from prefect.cache_policies import NONE

from flows.runtime.progress import StageTiming, record

P = ParamSpec("P")
R = TypeVar("R")

STAGE_OPTIONS: dict[str, Any] = {"cache_policy": NONE, "persist_result": False}
"""Stages pass frames in memory: nothing to cache or persist between them (and no retries: a failed pure stage
would fail the same way again; only the network tasks of ``flows/sources/`` retry)."""

Counts = Callable[..., tuple[int | None, int | None]]


def stage(name: str, counts: Counts) -> Callable[[Callable[P, R]], Task[P, R]]:
    """The stage ``name``: a task whose every run records a :class:`~flows.runtime.progress.StageTiming`."""
    wanted = list(inspect.signature(counts).parameters)

    def decorate(function: Callable[P, R]) -> Task[P, R]:
        signature = inspect.signature(function)

        @functools.wraps(function)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            result = function(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            given = {key: result if key == "result" else bound.arguments[key] for key in wanted}
            records_in, records_out = counts(**given)
            record(StageTiming(name, records_in, records_out, round(time.perf_counter() - started, 3)))
            return result

        return task(name=name, **STAGE_OPTIONS)(run)

    return decorate
