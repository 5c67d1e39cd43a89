"""The outcome of an expectation as plain values: what a version's validation results and report show.

No Great Expectations here (importing it costs seconds): renderers and summaries read outcomes without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result, as the validation report of a version shows it."""

    suite: str
    name: str
    expectation: str
    kwargs: dict[str, Any]
    success: bool
    element_count: int | None
    unexpected_count: int | None
    observed: str | None
    """The observed value (table rules) or a few unexpected values (row rules), as text."""


def summed_outcomes(batches: list[list[ExpectationOutcome]]) -> list[ExpectationOutcome]:
    """One outcome per expectation over batches of rows: passed when every batch passed, counts summed, the
    first batch's unexpected values."""

    def total(values: list[int | None]) -> int | None:
        known = [value for value in values if value is not None]
        return sum(known) if known else None

    summed = []
    for outcomes in zip(*batches, strict=True):
        first = outcomes[0]
        summed.append(
            ExpectationOutcome(
                suite=first.suite,
                name=first.name,
                expectation=first.expectation,
                kwargs=first.kwargs,
                success=all(outcome.success for outcome in outcomes),
                element_count=total([outcome.element_count for outcome in outcomes]),
                unexpected_count=total([outcome.unexpected_count for outcome in outcomes]),
                observed=next((o.observed for o in outcomes if o.observed is not None), None),
            )
        )
    return summed
