"""The validation results of a version as one self-contained HTML page (``validation/index.html``).

GX Data Docs pull Bootstrap and jQuery from a CDN, which a reader offline (or a closed CI network) cannot load;
this page shows the same results (suite, expectation, arguments, success, element and unexpected counts,
observed or unexpected values) with inline CSS and no script, so it renders anywhere, from ``file://``. It is
rendered from ``templates/validation.html.j2`` with HTML autoescaping.
"""

from __future__ import annotations

from collections.abc import Sequence

from expectations.outcomes import ExpectationOutcome
from flows.render.pages import render_page


def render_validation_html(version: str, outcomes: Sequence[ExpectationOutcome]) -> str:
    """A page with a summary line and one table per suite, one row per expectation."""
    suites: dict[str, list[ExpectationOutcome]] = {}
    for outcome in outcomes:
        suites.setdefault(outcome.suite, []).append(outcome)
    return render_page(
        "validation.html.j2",
        version=version,
        suites=suites,
        total=len(outcomes),
        failed=sum(not outcome.success for outcome in outcomes),
    )
