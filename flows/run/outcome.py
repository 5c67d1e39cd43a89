"""How a curation run ends in Prefect: its final state, the one line that state says, and reading the summary back.

A run that published nothing ends Failed through Prefect's supported path: a ``Failed`` state whose data is an
exception (:class:`NothingPublished`, carrying the run's summary). Prefect resolves a Failed state's data into an
exception; any other object (the summary itself) made its engine log ``TypeError ... cannot be resolved into an
exception``. Its engine, in a worker's flow-run process, then raises that exception once more after the state is
recorded, and logs it with a 40-line traceback ("Engine execution exited with unexpected exception"): for a
:class:`NothingPublished` that line adds nothing the state's message does not say, so :class:`ExpectedFailureFilter`
drops it (and only it: a crash or a broken contract keeps its traceback).

The state's message is the run's one-line reason followed by its counts, so what an operator reads in the UI and
what an alert sends (``flows/run/alerts.py`` templates the message) are the same line.
"""

from __future__ import annotations

import logging
from typing import Any

from prefect.states import Completed, Failed, State

from flows.errors import PapersError
from flows.run.results import RunSummary

DEGRADED = "Degraded"
"""The name of a run's Completed state when it published but is degraded (``flows/run/degraded.py``: a source
failed, a day is provisional, a follow-up step failed); ``papers run`` exits 6."""

COUNTED = ("inputs", "published", "quarantined", "duplicates", "new_papers", "updated_papers", "papers_total")
"""The counts a state message (and so an alert) carries, in this order, when the run has them."""

ENGINE_RERAISE = "exited with unexpected exception"
"""What Prefect's engine logs when it raises a finished run's failure again ("Engine execution exited with
unexpected exception", ``prefect/flow_engine.py``; "Execution of flow run '<id>' exited with ...",
``prefect/engine.py``)."""


class NothingPublished(PapersError):
    """The run published nothing (every source failed, or no record passed); its summary says what it did."""

    def __init__(self, message: str, summary: RunSummary) -> None:
        super().__init__(message)
        self.summary = summary

    def __reduce__(self) -> tuple[Any, ...]:  # a result store pickles it with its summary
        return (NothingPublished, (str(self), self.summary))


def counts_line(counts: dict[str, Any]) -> str:
    """``inputs 12, published 9, ...``: the run's main counts on one line (empty when it has none)."""
    return ", ".join(f"{name} {counts[name]}" for name in COUNTED if name in counts)


def state_message(reason: str, summary: RunSummary) -> str:
    """The run's reason and its counts, one line: ``<reason> [counts: inputs 12, published 9, ...]``."""
    counts = counts_line(summary.counts)
    return f"{reason} [counts: {counts}]" if counts else reason


def ended(summary: RunSummary, failure: str | None, degraded: str | None) -> RunSummary | State:
    """The run's final state: Failed with :class:`NothingPublished` when it published nothing (``failure``),
    Completed named :data:`DEGRADED` when it published but is degraded, else the summary itself (Completed)."""
    if failure:
        message = state_message(failure, summary)
        return Failed(message=message, data=NothingPublished(message, summary))
    if degraded:
        return Completed(name=DEGRADED, message=state_message(degraded, summary), data=summary)
    return summary


def summary_of(state: State) -> RunSummary:
    """The summary of a finished run, also when it ended Failed because nothing was published. A real failure
    (broken contract, lock, crash) is raised."""
    result = state.result(raise_on_failure=False)
    if isinstance(result, NothingPublished):
        return result.summary
    if isinstance(result, BaseException):
        raise result
    if not isinstance(result, RunSummary):
        raise TypeError(f"the curation flow returned {type(result).__name__}, not a RunSummary")
    return result


class ExpectedFailureFilter(logging.Filter):
    """Drops the engine's re-raise of a :class:`NothingPublished` (see the module docstring); every other record
    passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, NothingPublished) and ENGINE_RERAISE in record.getMessage())


def quiet_expected_failures() -> None:
    """Install :class:`ExpectedFailureFilter` on the loggers Prefect's engine logs a flow run's end with (once)."""
    for name in ("prefect.flow_runs", "prefect.engine"):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, ExpectedFailureFilter) for existing in logger.filters):
            logger.addFilter(ExpectedFailureFilter())
