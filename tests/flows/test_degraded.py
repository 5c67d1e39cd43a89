"""The one definition of a degraded run: every cause is a reason, a run that published nothing is not degraded."""

from __future__ import annotations

from pathlib import Path

from flows.cli.exits import ExitCode
from flows.cli.run import outcome
from flows.run.degraded import degraded_reason, degraded_reasons
from flows.run.flow import final_state
from flows.run.outcome import DEGRADED
from flows.run.results import RunSummary

FAILURE = {"source": "hf-daily", "target": "2025-07-04", "reason": "http-status:500"}


def summary(version: str | None = "v1", **fields: object) -> RunSummary:
    fields.setdefault("source_failures", [])
    return RunSummary(version, Path("out") / "v1" if version else None, {}, **fields)  # type: ignore[arg-type]


def test_each_cause_is_a_reason_and_the_state_names_them_all() -> None:
    assert degraded_reasons(summary()) == [] and degraded_reason(summary()) is None
    assert outcome(summary()) == ExitCode.DONE
    every = summary(
        source_failures=[FAILURE],
        provisional_days=["2025-07-03"],
        follow_up_failures=[{"step": "digest", "reason": "smtp refused"}],
    )
    assert degraded_reasons(every) == [
        "a source failed: hf-daily 2025-07-04: http-status:500",
        "provisional day(s) far below their weekday's median, fetched again by later runs: 2025-07-03",
        "follow-up digest failed: smtp refused",
    ]
    state = final_state(every)
    assert state.is_completed() and state.name == DEGRADED
    assert state.message == "published v1, but " + "; ".join(degraded_reasons(every))
    for cause in ({"source_failures": [FAILURE]}, {"provisional_days": ["2025-07-03"]}):
        assert summary(**cause).degraded and outcome(summary(**cause)) == ExitCode.DEGRADED
    assert summary(follow_up_failures=[{"step": "digest", "reason": "x"}]).degraded


def test_a_run_that_published_nothing_is_failed_not_degraded() -> None:
    nothing = summary(None, source_failures=[FAILURE], provisional_days=["2025-07-03"])
    assert degraded_reasons(nothing) == [] and not nothing.degraded
    assert outcome(nothing) == ExitCode.NOTHING_PUBLISHED
    assert final_state(nothing).is_failed()
