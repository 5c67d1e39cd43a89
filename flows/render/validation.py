"""The validation results of a version as one self-contained HTML page (``validation/index.html``).

GX Data Docs pull Bootstrap and jQuery from a CDN, which a reader offline (or a closed CI network) cannot load;
this page shows the same results (suite, expectation, arguments, success, element and unexpected counts,
observed or unexpected values) with inline CSS and no script, so it renders anywhere, from ``file://``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

from expectations.outcomes import ExpectationOutcome

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #1d2330; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.meta { color: #5b6475; } table { border-collapse: collapse; width: 100%; margin-top: .6rem; }
th, td { border-bottom: 1px solid #d9dde5; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f2f4f8; } code { font-size: 12px; word-break: break-all; }
.pass { color: #11703a; font-weight: 600; } .fail { color: #b3261e; font-weight: 600; }
.summary span { display: inline-block; margin-right: 1.5rem; }
"""


def render_validation_html(version: str, outcomes: Sequence[ExpectationOutcome]) -> str:
    """A page with a summary line and one table per suite, one row per expectation."""
    suites: dict[str, list[ExpectationOutcome]] = {}
    for outcome in outcomes:
        suites.setdefault(outcome.suite, []).append(outcome)
    failed = sum(not outcome.success for outcome in outcomes)
    sections = "\n".join(_suite_section(name, rows) for name, rows in suites.items())
    if not sections:
        sections = "<p>No expectation ran for this version.</p>"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Validation results: {escape(version)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>Validation results</h1>
<p class="meta">Version <code>{escape(version)}</code>, Great Expectations suites as code in
<code>expectations/suites.py</code>.</p>
<p class="summary"><span>{len(outcomes)} expectations</span>
<span class="pass">{len(outcomes) - failed} passed</span>
<span class="{"fail" if failed else "pass"}">{failed} failed</span></p>
{sections}
</body>
</html>
"""


def _suite_section(suite: str, outcomes: Sequence[ExpectationOutcome]) -> str:
    rows = "\n".join(_row(outcome) for outcome in outcomes)
    return f"""<h2>Suite <code>{escape(suite)}</code></h2>
<table>
<thead><tr><th>name</th><th>expectation</th><th>arguments</th><th>result</th><th>rows</th>
<th>unexpected</th><th>observed / unexpected values</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>"""


def _row(outcome: ExpectationOutcome) -> str:
    status = '<span class="pass">passed</span>' if outcome.success else '<span class="fail">failed</span>'
    arguments = escape(json.dumps(outcome.kwargs, sort_keys=True))
    return (
        f'<tr class="expectation"><td>{escape(outcome.name)}</td><td><code>{escape(outcome.expectation)}</code></td>'
        f"<td><code>{arguments}</code></td><td>{status}</td><td>{_number(outcome.element_count)}</td>"
        f"<td>{_number(outcome.unexpected_count)}</td><td>{escape(outcome.observed or '')}</td></tr>"
    )


def _number(value: int | None) -> str:
    return "" if value is None else f"{value:,}"
