"""Date expressions: fixed days, today/yesterday, -Nd, and ranges of any two, against a fixed 'today'."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from flows.sources.dates import parse_days

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("expression", "first", "last"),
    [
        ("2025-01-10", date(2025, 1, 10), date(2025, 1, 10)),
        ("2024-12-30..2025-01-02", date(2024, 12, 30), date(2025, 1, 2)),
        ("today", TODAY, TODAY),
        ("yesterday", date(2026, 2, 28), date(2026, 2, 28)),
        (" Yesterday ", date(2026, 2, 28), date(2026, 2, 28)),
        ("-7d..yesterday", date(2026, 2, 22), date(2026, 2, 28)),
        ("-1d..today", date(2026, 2, 28), TODAY),
        ("2026-02-27..yesterday", date(2026, 2, 27), date(2026, 2, 28)),
        ("-0d", TODAY, TODAY),
    ],
)
def test_expressions_resolve_against_today(expression: str, first: date, last: date) -> None:
    days = parse_days(expression, today=TODAY)
    assert days[0] == first and days[-1] == last
    assert days == [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("2025-13-01", "not a calendar date: '2025-13-01'"),
        ("2025-02-30", "not a calendar date"),
        ("tomorrow", "expected YYYY-MM-DD, today, yesterday or -Nd"),
        ("-7d..", "both ends"),
        ("..today", "both ends"),
        ("today..-3d", "ends before it starts"),
        ("-400d..today", "longer than 366 days"),
        ("7d", "expected YYYY-MM-DD"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_days(expression, today=TODAY)
