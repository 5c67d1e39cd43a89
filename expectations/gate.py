"""Running the suites: polars in, failing rows and failed table rules out (polars to pandas happens only here)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

import great_expectations as gx
import polars as pl
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations.suites import ROW_COLUMNS, GateSettings, paper_row_suite, paper_table_suite

ROW_INDEX = "gate_row"


class ContractBroken(RuntimeError):
    """A table-level expectation failed: the version must not be published."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__(f"table-level expectations failed: {', '.join(failures)}")
        self.failures = failures


@dataclass(frozen=True)
class RowGateResult:
    """Rows of the checked frame with the reasons they failed (``expectation:<name>``), one row per row."""

    failures: pl.DataFrame
    """Columns ``gate_row`` (position in the checked frame) and ``reasons`` (List[String])."""
    evaluated: list[str]
    """Names of the expectations that ran."""


def check_rows(papers: pl.DataFrame, settings: GateSettings) -> RowGateResult:
    """Run the row suite; return which rows failed which expectations."""
    frame = papers.select(ROW_COLUMNS).with_row_index(ROW_INDEX)
    _context()
    suite = paper_row_suite(settings)
    results = _validate(frame, suite, index_column=ROW_INDEX)
    rows: list[tuple[int, str]] = []
    for result in results.results:
        if result.success:
            continue
        name = result.expectation_config.meta["name"]
        for entry in result.result.get("unexpected_index_list") or []:
            rows.append((int(entry[ROW_INDEX]), f"expectation:{name}"))
    failures = (
        pl.DataFrame(rows, schema={ROW_INDEX: pl.UInt32, "reason": pl.String}, orient="row")
        .group_by(ROW_INDEX)
        .agg(pl.col("reason").unique().sort().alias("reasons"))
        .sort(ROW_INDEX)
    )
    return RowGateResult(failures=failures, evaluated=[e.meta["name"] for e in suite.expectations])


def check_table(papers: pl.DataFrame) -> list[str]:
    """Run the table suite on the whole version; return the names of failed expectations (empty: passed)."""
    scalar = papers.select(
        [
            pl.col(c) if not isinstance(dtype, pl.List) else pl.col(c).list.len().alias(c)
            for c, dtype in papers.schema.items()
        ]
    ).with_row_index(ROW_INDEX)
    _context()
    results = _validate(scalar, paper_table_suite(), index_column=ROW_INDEX, drop_index=True)
    return [r.expectation_config.meta["name"] for r in results.results if not r.success]


def require_table(papers: pl.DataFrame) -> None:
    """Raise :class:`ContractBroken` when a table-level expectation fails."""
    failures = check_table(papers)
    if failures:
        raise ContractBroken(failures)


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
