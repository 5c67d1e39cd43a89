"""The gate: the row suite on this run's papers (failures to quarantine), then the version the run would
publish, checked by the table suite (a failure breaks the contract: publish keeps the run's quarantine and
ledger in ``failed-runs/`` and publishes nothing, :func:`broken_contract`).

The table suite reads one summary row per part of the version (``expectations/parts.py``), never its rows. A
first version, or one on a previous version read whole, is built range by range of ``paper_id``
(``flows/run/version.py``): each range is a part. On a version merged into shard by shard
(``flows/run/shard_merge.py``), the run's papers are merged into the shards their ids touch, one shard at a time:
each segment of a touched shard's rewritten rows is a part, and each carried shard (a file of the previous
version, which passed the suite) is a part summarized from its manifest entry.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from expectations.gate import RowGate, table_outcomes
from expectations.outcomes import ExpectationOutcome
from expectations.suites import GateSettings
from flows.errors import ContractBroken
from flows.run.config import RunConfig
from flows.run.results import Deduplicated, Validated
from flows.run.shard_merge import merge_into_shards
from flows.run.stage import stage
from flows.run.stages import previous_index
from flows.run.version import GatedRanges, build_version
from flows.store.previous import PreviousVersion
from flows.store.spill import Spilled, WorkFolder
from transforms.routing import with_gained_reasons

TABLE_SUITE = "paper_table"
"""The suite whose failure breaks the contract (``expectations/suites.py``)."""


@stage("validate", counts=lambda derived, result: (derived.rows, result.run_papers.height))
def validate(
    deduplicated: Deduplicated,
    derived: Spilled,
    previous: PreviousVersion | None,
    config: RunConfig,
    work: WorkFolder,
) -> Validated:
    """Row gate on this run's papers (failures to quarantine), then the table gate on the whole new version.

    ``derived``: the run's papers by ``paper_id`` range, derived (``flows/run/version.py``).
    """
    seen_at = _seen_at(deduplicated.records)
    gate = RowGate(_gate_settings(config))
    if previous is not None and previous.incremental:
        gated = GatedRanges(derived, deduplicated.records, gate, seen_at, work)
        merged = merge_into_shards(gated, previous, seen_at, config.dedup, work)
        run_papers = gated.run_papers()
        return Validated(
            records=with_gained_reasons(deduplicated.records, gated.gained()),
            run_papers=run_papers,
            version_counts=merged.counts,
            new_papers=merged.new_papers,
            dedup_index=merged.incremental.index.after,
            outcomes=[*gated.outcomes, *_table_gate(merged.parts, run_papers)],
            incremental=merged.incremental,
            captured=deduplicated.captured,
        )
    index = previous_index(previous, config)
    assert isinstance(index, pl.DataFrame), "only a version merged into shard by shard has its index scanned"
    built = build_version(
        derived,
        deduplicated.records,
        previous.papers if previous else None,
        index,
        gate,
        seen_at,
        config.dedup,
        work,
    )
    return Validated(
        records=with_gained_reasons(deduplicated.records, built.gained),
        run_papers=built.run_papers,
        version_counts=built.counts,
        new_papers=built.new_papers,
        dedup_index=built.index,
        outcomes=[
            *built.outcomes,
            *_table_gate(built.parts, built.run_papers),
        ],
        version=built.papers,
        captured=deduplicated.captured,
    )


def require_table(parts: list[pl.DataFrame]) -> list[ExpectationOutcome]:
    """The table suite's outcomes on a version's ``parts`` (as ``table_outcomes`` reads them);
    :class:`ContractBroken` when one of them failed."""
    outcomes = table_outcomes(parts)
    failures = [outcome.name for outcome in outcomes if not outcome.success]
    if failures:
        raise ContractBroken(failures)
    return outcomes


def _table_gate(parts: list[pl.DataFrame], passed: pl.DataFrame) -> list[ExpectationOutcome]:
    """The table suite, when the run has papers to publish (with none, publish records a failed run instead).
    A failed expectation is an outcome here; publish refuses the version on it (:func:`broken_contract`), after
    keeping the run's quarantine and ledger."""
    return table_outcomes(parts) if passed.height else []


def broken_contract(outcomes: list[ExpectationOutcome]) -> list[str]:
    """The table suite's failed expectations among ``outcomes`` (any: the version must not be published)."""
    return [outcome.name for outcome in outcomes if outcome.suite == TABLE_SUITE and not outcome.success]


def _gate_settings(config: RunConfig) -> GateSettings:
    """The row gate of this run (its date windows end tomorrow as of now, the same for every batch)."""
    return GateSettings(
        allowed_languages=config.allowed_languages,
        min_abstract_chars=config.quality.min_abstract_chars,
        last_day=GateSettings().latest_day(),
    )


def _seen_at(records: pl.DataFrame) -> datetime:
    """Stand-in capture time for papers without one: the run's latest capture (now, for an empty run)."""
    latest = records.get_column("captured_at").max() if records.height else None
    return latest if isinstance(latest, datetime) else datetime.now(UTC)
