"""Running the suites: polars in, failing rows and every expectation's outcome out (polars to pandas happens
only here). What a failed table expectation means for a run (nothing published) is the caller's to decide.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cache

import great_expectations as gx
import polars as pl
from great_expectations.core import ExpectationValidationResult
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from expectations.outcomes import ExpectationOutcome, summed_outcomes
from expectations.suites import ROW_COLUMNS, GateSettings, paper_row_suite, paper_table_suite

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
    frame = papers.select(ROW_COLUMNS).with_row_index(ROW_INDEX)
    _context()
    rows: list[tuple[int, str]] = []
    batches: list[list[ExpectationOutcome]] = []
    for offset in range(0, max(frame.height, 1), batch_rows):
        suite = paper_row_suite(settings)
        results = _validate(frame.slice(offset, batch_rows), suite, index_column=ROW_INDEX)
        for result in results.results:
            if result.success:
                continue
            name = _config(result).meta["name"]
            for entry in (result.result or {}).get("unexpected_index_list") or []:
                rows.append((int(entry[ROW_INDEX]), f"expectation:{name}"))
        batches.append(outcomes_of(suite.name, results))
    failures = (
        pl.DataFrame(rows, schema={ROW_INDEX: pl.UInt32, "reason": pl.String}, orient="row")
        .group_by(ROW_INDEX)
        .agg(pl.col("reason").unique().sort().alias("reasons"))
        .sort(ROW_INDEX)
    )
    return RowGateResult(
        failures=failures,
        evaluated=[(e.meta or {})["name"] for e in suite.expectations],
        outcomes=summed_outcomes(batches),
    )


def table_outcomes(papers: pl.DataFrame) -> list[ExpectationOutcome]:
    """Run the table suite on the whole version; every expectation's outcome.

    GX sees the columns the suite's expectations name with their values, and every other column by name only
    (a one-byte stand-in): the suite checks the ordered column list, the ids and the row count, and a pandas
    copy of every title and abstract of a large version cost more memory than the rest of the run.
    """
    _context()
    suite = paper_table_suite()
    named = {column for e in suite.expectations if (column := getattr(e, "column", None))}
    scalar = papers.select(
        [pl.col(c) if c in named else pl.lit(0, pl.UInt8).alias(c) for c in papers.columns]
    ).with_row_index(ROW_INDEX)
    results = _validate(scalar, suite, index_column=ROW_INDEX, drop_index=True)
    return outcomes_of(suite.name, results)


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
    frame: pl.DataFrame, suite: gx.ExpectationSuite, *, index_column: str, drop_index: bool = False
) -> gx.core.ExpectationSuiteValidationResult:
    context = _context()
    pandas_frame = frame.to_pandas()
    if drop_index:
        pandas_frame = pandas_frame.drop(columns=[index_column])
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
                **({} if drop_index else {"unexpected_index_column_names": [index_column]}),
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
