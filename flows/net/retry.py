"""The one retry policy of every network client here (the sources' client and the Hub release).

Transient failures are retried a bounded number of times: HTTP 429 and the 5xx of :data:`RETRY_STATUSES`, and
dropped connections. The wait before a retry is the server's ``Retry-After`` when it sends one (seconds or an
HTTP date); a ``Retry-After`` longer than ``max_retry_after`` gives up rather than hammering or hanging.
Otherwise it is an exponential backoff, ``min(max_wait, base_wait * 2**retry)``, scaled by a jitter in [0.5, 1]
so that clients that failed together do not retry together.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime

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
