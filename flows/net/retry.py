"""The one retry policy of every network client here (the sources' client and the Hub release).

Transient failures are retried a bounded number of times: HTTP 429 and the 5xx of :data:`RETRY_STATUSES`, and
dropped connections. The wait before a retry is the server's ``Retry-After`` when it sends one (seconds or an
HTTP date); a ``Retry-After`` longer than ``max_retry_after`` gives up rather than hammering or hanging.
Otherwise it is an exponential backoff, ``min(max_wait, base_wait * 2**retry)``, scaled by a jitter in [0.5, 1]
so that clients that failed together do not retry together.

Both clients run their calls through :func:`with_retries`, one loop built on tenacity (its stop, wait and
before-sleep hooks carry the policy), instead of a hand-written loop each.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Statuses worth another try; 501 and other 5xx that signal a permanent condition are not retried."""


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how long to retry a transient failure (see the module docstring)."""

    retries: int = 4
    """Retries after the first attempt."""
    base_wait: float = 1.0
    """Seconds of the first backoff; each next one doubles."""
    max_wait: float = 60.0
    """Upper bound of one backoff."""
    max_retry_after: float = 300.0
    """The longest ``Retry-After`` honoured; a longer one ends the retries."""

    def backoff(self, retry: int, jitter: float = 1.0) -> float:
        """Seconds before retry number ``retry`` (0 for the first), ``jitter`` in [0, 1] (1: the full backoff)."""
        ceiling = min(self.max_wait, self.base_wait * 2**retry)
        return ceiling * (0.5 + 0.5 * jitter)

    def wait(self, retry: int, retry_after: float | None, jitter: float = 1.0) -> float | None:
        """Seconds before retry number ``retry``, or None when there is none left or ``retry_after`` is too long."""
        if retry >= self.retries or (retry_after is not None and retry_after > self.max_retry_after):
            return None
        return retry_after if retry_after is not None else self.backoff(retry, jitter)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date); None when absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


Classify = Callable[[BaseException], "tuple[bool, float | None]"]
"""Whether a failure is worth a retry, and the server's ``Retry-After`` in seconds when it sent one."""


def with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    classify: Classify,
    sleep: Callable[[float], None],
    jitter: Callable[[], float] = lambda: 1.0,
    before_wait: Callable[[BaseException, int, float], None] | None = None,
) -> T:
    """``call()``, retried as ``policy`` says while ``classify`` calls its failure transient.

    The failure that ends the retries is raised as it is: one ``classify`` does not call transient at once; a
    transient one after ``policy.retries`` retries, or whose ``Retry-After`` is longer than
    ``max_retry_after`` (the caller tells these apart with :func:`gave_up_on`). ``before_wait(error, retry,
    seconds)`` runs before each wait (a log line, a deadline check that may raise).
    """

    def transient(error: BaseException) -> bool:
        return classify(error)[0]

    def stop(state: RetryCallState) -> bool:
        error = _failure(state)
        return policy.wait(state.attempt_number - 1, classify(error)[1], 1.0) is None

    def wait(state: RetryCallState) -> float:
        seconds = policy.wait(state.attempt_number - 1, classify(_failure(state))[1], jitter())
        return 0.0 if seconds is None else seconds

    def before_sleep(state: RetryCallState) -> None:
        if before_wait is not None:
            seconds = state.next_action.sleep if state.next_action is not None else 0.0
            before_wait(_failure(state), state.attempt_number - 1, seconds)

    retrying = Retrying(
        retry=retry_if_exception(transient),
        stop=stop,
        wait=wait,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(call)


def gave_up_on(error: BaseException, policy: RetryPolicy, classify: Classify) -> str | None:
    """Why :func:`with_retries` stopped on ``error``: ``not-transient``, ``retry-after-too-long`` or
    ``retries-exhausted``."""
    transient, retry_after = classify(error)
    if not transient:
        return "not-transient"
    if retry_after is not None and retry_after > policy.max_retry_after:
        return "retry-after-too-long"
    return "retries-exhausted"


def _failure(state: RetryCallState) -> BaseException:
    error = state.outcome.exception() if state.outcome is not None else None
    if error is None:  # only failed attempts are retried (retry_if_exception)
        raise RuntimeError("a retry without a failure")
    return error
