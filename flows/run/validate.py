"""The gate: the row suite on this run's papers (failures to quarantine), then the version the run would
publish, checked by the table suite (a failure breaks the contract: nothing is published).

The table suite reads one summary row per part of the version (``expectations/parts.py``), never its rows. A
first version, or one on a previous version read whole, is built range by range of ``paper_id``
(``flows/run/version.py``): each range is a part. On a version merged into shard by shard, the run's papers are
merged into the shards their ids touch: each touched shard's rewritten rows are a part, and each carried shard
(a file of the previous version, which passed the suite) is a part summarized from its manifest entry.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from expectations.gate import RowGate, check_rows, table_outcomes
from expectations.outcomes import ExpectationOutcome
from expectations.parts import carried_part, summarize_part
from expectations.suites import GateSettings
from flows.errors import ContractBroken
from flows.run.config import RunConfig
from flows.run.results import Deduplicated, Validated
from flows.run.stage import stage
from flows.run.stages import previous_index
from flows.run.version import build_version
from flows.store.previous import Incremental, PreviousVersion, read_shards, version_counts
from flows.store.shards import VersionPart, touched_cuts, touched_shards
from flows.store.spill import Spilled, WorkFolder
from transforms.dedup.index import update_index
from transforms.dedup.minhash import DedupParams
from transforms.history.incremental import version_rows
from transforms.history.merge import attach_listings, history_columns
from transforms.report.summary import new_papers
from transforms.routing import reject_failed_papers, with_gained_reasons
from transforms.schema import DEDUP_INDEX_SCHEMA, PAPER_SCHEMA, conform


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
    if previous is not None and previous.incremental:
        return _validate_incremental(deduplicated, derived.frame(), previous, seen_at, config)
    index = previous_index(previous, config)
    assert isinstance(index, pl.DataFrame), "only a version merged into shard by shard has its index scanned"
    built = build_version(
        derived,
        deduplicated.records,
        previous.papers if previous else None,
        index,
        RowGate(_gate_settings(config)),
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


def _validate_incremental(
    deduplicated: Deduplicated,
    papers: pl.DataFrame,
    previous: PreviousVersion,
    seen_at: datetime,
    config: RunConfig,
) -> Validated:
    """The run's papers merged into the shards of ``previous`` their ids touch (``merge_into_shards``)."""
    candidates = attach_listings(papers, deduplicated.records).with_columns(history_columns(seen_at))
    row_gate = check_rows(candidates, _gate_settings(config))
    records, passed = reject_failed_papers(deduplicated.records, candidates, row_gate.failures)
    # A paper's hash is computed once, on its row of the version (after merging with earlier rows of its id).
    passed = passed.with_columns(pl.lit(None, dtype=pl.String).alias("record_hash"))
    incremental = merge_into_shards(previous, passed, seen_at, config.dedup)
    return Validated(
        records=records,
        run_papers=passed,
        version_counts=version_counts(incremental.papers),
        new_papers=new_papers(
            incremental.papers.after, passed.filter(pl.col("is_new")).get_column("paper_id")
        ),
        dedup_index=incremental.index.after,
        outcomes=[*row_gate.outcomes, *_table_gate(version_parts(incremental.papers), passed)],
        incremental=incremental,
        captured=deduplicated.captured,
    )


def merge_into_shards(
    previous: PreviousVersion,
    passed: pl.DataFrame,
    seen_at: datetime,
    params: DedupParams,
) -> Incremental:
    """The run's papers merged into the shards of ``previous`` their ids fall in; the dedup index likewise.

    Reads the touched papers shards and index shards only (``passed``: this run's validated papers, ids from
    :func:`~transforms.dedup.matching.match_previous`).
    ``record_hash`` is computed on the merged rows.
    """
    ids = passed.get_column("paper_id")
    touched = touched_shards(previous.paper_shards, ids)
    before = read_shards(previous.paper_shards, touched, PAPER_SCHEMA)
    papers = VersionPart(previous.paper_shards, touched, before, version_rows(before, passed, seen_at))
    touched_index = touched_shards(previous.index_shards, ids)
    before_index = conform(
        read_shards(previous.index_shards, touched_index, DEDUP_INDEX_SCHEMA), DEDUP_INDEX_SCHEMA
    )
    index = VersionPart(
        previous.index_shards,
        touched_index,
        before_index,
        update_index(before_index, passed, params),
    )
    return Incremental(previous=previous, papers=papers, index=index)


def version_parts(part: VersionPart) -> list[pl.DataFrame]:
    """The table suite's parts of a version merged into shard by shard, in key order: each touched shard's
    rewritten rows summarized, each carried shard from its manifest entry.

    Every rewritten row lies in the key range of a touched shard (the run's ids chose them); a row that did not
    would be in no part and in no file written, so it stops the run.
    """
    ids = part.after.get_column("paper_id")
    cuts = {position: (start, stop) for position, start, stop in touched_cuts(ids, part.shards, part.touched)}
    if sum(stop - start for start, stop in cuts.values()) != part.after.height:
        raise RuntimeError("rewritten rows outside the key ranges of the shards the run touched")
    parts = []
    for position, shard in enumerate(part.shards):
        name = shard.path.name
        if position in cuts:
            start, stop = cuts[position]
            parts.append(summarize_part(part.after.slice(start, stop - start), f"rewritten {name}"))
        else:
            parts.append(carried_part(f"carried {name}", shard.rows, shard.first_key, shard.last_key))
    return parts


def require_table(parts: list[pl.DataFrame]) -> list[ExpectationOutcome]:
    """The table suite's outcomes on a version's ``parts`` (as ``table_outcomes`` reads them);
    :class:`ContractBroken` when one of them failed."""
    outcomes = table_outcomes(parts)
    failures = [outcome.name for outcome in outcomes if not outcome.success]
    if failures:
        raise ContractBroken(failures)
    return outcomes


def _table_gate(parts: list[pl.DataFrame], passed: pl.DataFrame) -> list[ExpectationOutcome]:
    """The table suite, when the run has papers to publish (with none, publish records a failed run instead)."""
    return require_table(parts) if passed.height else []


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
