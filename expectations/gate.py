"""Running the suites: polars in, failing rows and every expectation's outcome out (polars to pandas happens
only here). What a failed table expectation means for a run (nothing published) is the caller's to decide.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import great_expectations as gx
import polars as pl
from great_expectations.core import ExpectationValidationResult
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from expectations.outcomes import ExpectationOutcome, summed_outcomes
from expectations.parts import in_key_order
from expectations.suites import (
    ROW_COLUMNS,
    RUN_CHECKS,
    GateSettings,
    paper_row_suite,
    paper_table_suite,
    run_check_suites,
)
from transforms.history.volume import VolumeSettings

ROW_INDEX = "gate_row"


@dataclass(frozen=True)
class RowGateResult:
    """Rows of the checked frame with the reasons they failed (``expectation:<name>``), one row per row."""

    failures: pl.DataFrame
    """Columns ``gate_row`` (position in the checked frame) and ``reasons`` (List[String])."""
    evaluated: list[str]
    """Names of the expectations that ran."""
    outcomes: list[ExpectationOutcome] = field(default_factory=list)


ROW_BATCH_ROWS = 25_000
"""Rows the row suite sees at once: GX validates a pandas copy, and of a 100,000-paper run that copy (every title
and abstract as a Python string) was the largest single allocation of the validate stage."""


def check_rows(
    papers: pl.DataFrame, settings: GateSettings, batch_rows: int = ROW_BATCH_ROWS
) -> RowGateResult:
    """Run the row suite, ``batch_rows`` rows at a time; return which rows failed which expectations.

    Every row expectation looks at one row, so batches give the same failures; their outcomes are summed.
    """
    gate = RowGate(settings, batch_rows)
    gate.add(papers)
    return gate.result()


class RowGate:
    """The row suite over frames given one after another, as if they were one frame: rows are numbered across
    them (``gate_row``) and checked in batches of ``batch_rows`` rows cut at the same places as in one frame,
    so the outcomes (counts, the first batch's unexpected values) do not depend on how the rows came. Holds at
    most one batch of the suite's columns (``ROW_COLUMNS``)."""

    def __init__(self, settings: GateSettings, batch_rows: int = ROW_BATCH_ROWS) -> None:
        self._settings = settings
        self._batch_rows = batch_rows
        self._waiting: list[pl.DataFrame] = []
        self._waiting_rows = 0
        self._checked = 0
        self._rows: list[tuple[int, str]] = []
        self._batches: list[list[ExpectationOutcome]] = []
        self._evaluated: list[str] = []

    def add(self, papers: pl.DataFrame) -> None:
        """Queue ``papers``' rows (numbered after every row added before); check every full batch."""
        self._waiting.append(papers.select(ROW_COLUMNS))
        self._waiting_rows += papers.height
        while self._waiting_rows >= self._batch_rows:
            waiting = pl.concat(self._waiting)
            self._check(waiting.head(self._batch_rows))
            rest = waiting.slice(self._batch_rows)
            self._waiting, self._waiting_rows = [rest], rest.height

    def result(self) -> RowGateResult:
        """Check the rows still queued (with no row at all, one empty batch: its outcomes are the suite's)."""
        if not self._waiting and not self._batches:
            raise ValueError("the row gate was given no frame, not even an empty one")
        if self._waiting_rows or not self._batches:
            self._check(pl.concat(self._waiting))
            self._waiting, self._waiting_rows = [], 0
        failures = (
            pl.DataFrame(self._rows, schema={ROW_INDEX: pl.UInt32, "reason": pl.String}, orient="row")
            .group_by(ROW_INDEX)
            .agg(pl.col("reason").unique().sort().alias("reasons"))
            .sort(ROW_INDEX)
        )
        return RowGateResult(
            failures=failures, evaluated=self._evaluated, outcomes=summed_outcomes(self._batches)
        )

    def _check(self, batch: pl.DataFrame) -> None:
        _context()
        suite = paper_row_suite(self._settings)
        frame = batch.with_row_index(ROW_INDEX, offset=self._checked)
        results = _validate(frame, suite, index_column=ROW_INDEX)
        for result in results.results:
            if result.success:
                continue
            name = _config(result).meta["name"]
            for entry in (result.result or {}).get("unexpected_index_list") or []:
                self._rows.append((int(entry[ROW_INDEX]), f"expectation:{name}"))
        self._batches.append(outcomes_of(suite.name, results))
        self._evaluated = [(e.meta or {})["name"] for e in suite.expectations]
        self._checked += batch.height


def table_outcomes(parts: Sequence[pl.DataFrame]) -> list[ExpectationOutcome]:
    """Run the table suite on the summaries of a version's parts, in key order; every expectation's outcome.

    ``parts``: one row per part (:func:`~expectations.parts.summarize_part`,
    :func:`~expectations.parts.carried_part`). The suite never sees the version's rows: a pandas copy of the ids
    of a million papers cost more memory than any stage of the run around it.
    """
    _context()  # a suite is made in the active context
    suite = paper_table_suite()
    return outcomes_of(suite.name, _validate(in_key_order(parts), suite))


def run_check_outcomes(frames: dict[str, pl.DataFrame], settings: VolumeSettings) -> list[ExpectationOutcome]:
    """The run-level checks (suite ``run_checks``) on the frames of a run that apply to it (``days``,
    ``freshness``, ``sources``: :func:`~expectations.suites.run_check_suites`), in that order."""
    _context()
    suites = run_check_suites(settings)
    outcomes = []
    for frame_name, suite in suites.items():
        if frame_name in frames:
            outcomes += outcomes_of(RUN_CHECKS, _validate(frames[frame_name], suite))
    return outcomes


def outcomes_of(suite: str, results: gx.core.ExpectationSuiteValidationResult) -> list[ExpectationOutcome]:
    """GX results as plain values (JSON-ready), in suite order."""
    outcomes = []
    for result in results.results:
        config, details = _config(result), result.result or {}
        observed = details.get("observed_value")
        if observed is None and details.get("partial_unexpected_list"):
            observed = ", ".join(repr(value) for value in details["partial_unexpected_list"][:5])
        kwargs = {k: v for k, v in config.kwargs.items() if k not in {"batch_id", "result_format"}}
        outcomes.append(
            ExpectationOutcome(
                suite=suite,
                name=config.meta.get("name", config.type),
                expectation=config.type,
                kwargs=json.loads(json.dumps(kwargs, default=str)),
                success=bool(result.success),
                element_count=details.get("element_count"),
                unexpected_count=details.get("unexpected_count"),
                observed=None if observed is None else str(observed)[:300],
            )
        )
    return outcomes


def _config(result: ExpectationValidationResult) -> ExpectationConfiguration:
    """The configuration of the expectation a result is for (GX fills it for every result of a suite run)."""
    config = result.expectation_config
    if config is None:
        raise ValueError("a Great Expectations result without its expectation's configuration")
    return config


def _validate(
    frame: pl.DataFrame, suite: gx.ExpectationSuite, *, index_column: str | None = None
) -> gx.core.ExpectationSuiteValidationResult:
    """``suite`` on a pandas copy of ``frame``; failing rows named by ``index_column`` (None: by position)."""
    context = _context()
    pandas_frame = frame.to_pandas()
    name = f"{suite.name}-{id(frame)}"
    batch = (
        context.data_sources.add_pandas(name)
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe(name)
    )
    suite = context.suites.add(suite)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )
    try:
        return definition.run(
            batch_parameters={"dataframe": pandas_frame},
            result_format={
                "result_format": "COMPLETE",
                **({"unexpected_index_column_names": [index_column]} if index_column else {}),
            },
        )
    finally:
        context.validation_definitions.delete(name)
        context.suites.delete(suite.name)
        context.data_sources.delete(name)


@cache
def _context() -> gx.data_context.AbstractDataContext:
    """One ephemeral GX context per process (no files, no progress bars, no INFO chatter).

    Some GX modules pin their own logger to INFO at import, so every GX logger is lowered before the context starts.
    """
    for name in [*logging.root.manager.loggerDict, "great_expectations"]:
        if name.startswith("great_expectations"):
            logging.getLogger(name).setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context
