"""The one definition of a degraded run: it published a version, but that version is not all it should be.

A run is degraded when it published and

* a source failed (a day, a page or an arXiv batch is missing from the version),
* a Daily Papers day of the version is provisional (far below the median of its weekday and not settled yet:
  ``flows/run/volume.py``), or
* a follow-up step failed (a step after publishing, such as sending a digest: each records its failure in
  ``RunSummary.follow_up_failures``, the one place such failures are added).

A run that published nothing is failed, not degraded (``flows/run/publish.py``, ``failure_reason``). ``papers
run`` exits 6 (``ExitCode.DEGRADED``) and the flow ends in a Completed state named ``Degraded`` whose message is
:func:`degraded_reason`.
"""

from __future__ import annotations

from typing import Protocol

from flows.render.run_summary import failure_text


class Published(Protocol):
    """What the definition reads of a run (``flows.run.results.RunSummary`` is one)."""

    @property
    def version(self) -> str | None: ...
    @property
    def source_failures(self) -> list[dict[str, str]]: ...
    @property
    def every_source_failed(self) -> bool: ...
    @property
    def provisional_days(self) -> list[str]: ...
    @property
    def follow_up_failures(self) -> list[dict[str, str]]: ...


def degraded_reasons(summary: Published) -> list[str]:
    """Why a run that published is degraded, one reason per cause (empty: it is not, or it published nothing)."""
    if summary.version is None:
        return []
    reasons = []
    if summary.source_failures:
        every = "every network source failed" if summary.every_source_failed else "a source failed"
        failures = "; ".join(
            f"{f['source']} {f['target']}: {failure_text(f)}" for f in summary.source_failures
        )
        reasons.append(f"{every}: {failures}")
    if summary.provisional_days:
        days = ", ".join(summary.provisional_days)
        reasons.append(
            f"provisional day(s) far below their weekday's median, fetched again by later runs: {days}"
        )
    reasons += [f"follow-up {f['step']} failed: {f['reason']}" for f in summary.follow_up_failures]
    return reasons


def degraded_reason(summary: Published) -> str | None:
    """The one line of a degraded run's state message and summary (None: not degraded)."""
    reasons = degraded_reasons(summary)
    return f"published {summary.version}, but " + "; ".join(reasons) if reasons else None
