"""Date expressions of ``--hf-daily`` and the daily deployment: resolved against the UTC day a run starts.

Accepted: ``YYYY-MM-DD``, ``today``, ``yesterday``, ``-Nd`` (N days before today), and an inclusive range
``FROM..TO`` of any two of those (``-7d..yesterday``). A scheduled deployment stores the expression, not the
day, so every run fetches its own yesterday. No Prefect here: the command line checks dates before it starts.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

MAX_DAYS = 366
"""Longest range one run fetches (a year); longer backfills go in several runs."""

_RELATIVE = re.compile(r"^-(\d{1,4})d$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def utc_today() -> date:
    return datetime.now(UTC).date()


def parse_day(expression: str, today: date) -> date:
    """One day: ``2025-01-10``, ``today``, ``yesterday`` or ``-3d``. ValueError (one readable line) otherwise."""
    text = expression.strip().lower()
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    if relative := _RELATIVE.match(text):
        return today - timedelta(days=int(relative.group(1)))
    if _ISO.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not a calendar date: {expression!r}") from None
    raise ValueError(f"expected YYYY-MM-DD, today, yesterday or -Nd, got {expression!r}")


def parse_days(expression: str, today: date | None = None) -> list[date]:
    """Every day of a day or ``FROM..TO`` range expression, oldest first (``today`` defaults to the UTC day)."""
    today = today or utc_today()
    first_text, separator, last_text = expression.strip().partition("..")
    if separator and (not first_text or not last_text):
        raise ValueError(f"expected FROM..TO with both ends, got {expression!r}")
    first = parse_day(first_text, today)
    last = parse_day(last_text, today) if separator else first
    if last < first:
        raise ValueError(f"date range ends before it starts: {expression!r}")
    if (last - first).days >= MAX_DAYS:
        raise ValueError(f"date range longer than {MAX_DAYS} days: {expression!r}")
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def past_days(first: str, last: str, today: date | None = None) -> list[date]:
    """The days ``first..last`` (inclusive) of a backfill; ValueError for malformed, reversed, too long or future
    ranges (a day after today has no listing yet)."""
    days = parse_days(f"{first}..{last}", today)
    today = today or utc_today()
    if days[-1] > today:
        raise ValueError(f"{days[-1]} is after today ({today}, UTC): there is no listing yet")
    return days
