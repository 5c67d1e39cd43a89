"""The new version built range by range of ``paper_id``: what a run holds from dedup on is one range of papers,
not all of them.

:func:`in_ranges` spills the run's papers after dedup to the run's work folder in ``paper_id`` order, in ranges of
about ``RunConfig.chunk_records`` papers, cut where the id changes (a paper id is in one range only); papers that
carry only the columns dedup read are collapsed again from their members as they are. Derive then reads, derives
and spills one range at a time (``flows/run/stages.py``), and :func:`build_version` makes the version from them
in two passes over the ranges:

1. the row gate: each range's papers gain their listings and history columns, go through the row suite
   (:class:`~expectations.gate.RowGate`: batches cut as in one frame, so its outcomes do not depend on the
   ranges) and are spilled again as the gate's candidates;
2. the merge: each range's papers that passed are upserted with the previous version's rows of the same key
   span, get their analysis columns and ``record_hash``, and are spilled in ``PAPER_SCHEMA`` as the version's
   rows; the dedup index is grown the same way (the range's keys hashed from its papers' titles, ids and
   abstracts: dedup's probe of them was numbers on row positions, and holding it, sorted, until here cost more
   memory than hashing them again).

What stays in memory besides one range: the version's paper counts and the run's most upvoted new papers (what
the card and report say of it, ``transforms/report/summary.py``), one summary row per range (what the table gate
reads, ``expectations/parts.py``), the run's published papers' ``RUN_PAPER_COLUMNS`` and the reasons the member
records of rejected papers gained. Publish writes the version's shards from the spilled ranges
(``flows/store/tables.py``), one shard's rows at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

import polars as pl

from expectations.gate import ROW_INDEX, RowGate
from expectations.outcomes import ExpectationOutcome
from expectations.parts import summarize_part
from flows.run.results import Deduplicated
from flows.run.stages import ORDER_COLUMNS
from flows.runtime.progress import progress
from flows.store.spill import Spilled, WorkFolder
from transforms.dedup.clusters import CLUSTER_COLUMNS
from transforms.dedup.collapse import collapse_clusters
from transforms.dedup.index import INDEX_ORDER, update_index
from transforms.dedup.minhash import DedupParams
from transforms.derive import add_analysis_columns, rederive_topics
from transforms.history.merge import attach_listings, history_columns, in_paper_order, upsert
from transforms.report.accounting import with_record_hash
from transforms.report.summary import most_upvoted, new_papers, paper_counts, summed_counts
from transforms.routing import failed_members, passed_papers
from transforms.schema import DEDUP_INDEX_SCHEMA, PAPER_SCHEMA, conform

RUN_PAPER_COLUMNS = ("paper_id", "title", "is_new", "member_record_ids")
"""What the ledger, the counts and the run's summary read of the run's published papers."""


@dataclass(frozen=True)
class BuiltVersion:
    """The version a run would publish, built range by range (see the module's docstring)."""

    papers: Spilled
    """Every paper of the version in ``PAPER_SCHEMA``, in ``paper_id`` order, range after range."""
    index: Spilled
    """Its dedup index in ``INDEX_ORDER``, range after range."""
    counts: pl.DataFrame
    """The version's papers counted by what the card and report count (``paper_counts``)."""
    new_papers: pl.DataFrame
    """The report's columns of the run's most upvoted new papers (``new_papers``)."""
    run_papers: pl.DataFrame
    """``RUN_PAPER_COLUMNS`` of the run's papers that passed the row gate."""
    gained: pl.DataFrame
    """``record_id`` and ``gained`` reasons of the member records of the papers the row gate rejected."""
    outcomes: list[ExpectationOutcome]
    """The row suite's outcomes over every range."""
    parts: list[pl.DataFrame]
    """The table suite's summary of each range of the version (``expectations/parts.py``), in key order."""


def in_ranges(deduplicated: Deduplicated, work: WorkFolder, rows: int) -> tuple[Deduplicated, Spilled]:
    """Spill ``deduplicated``'s papers to ``work`` in ranges of about ``rows`` papers, in ``paper_id``
    order (each range's rows gathered as it is spilled: sorting the papers first held a second copy of them).

    Papers read from records spilled to the work folder (``deduplicated.captured``) carry only the columns dedup
    read (``DEDUP_READS``): each range is collapsed again from its members' every column, read back in one pass
    over the records and regrouped by range (:func:`_collapsed_by_range`).

    Returns the rest of ``deduplicated`` (its records; papers emptied: they are in the work folder now, and
    nothing should hold them in memory) and the ranges.
    """
    papers = deduplicated.papers
    order = papers.get_column("paper_id").arg_sort()
    ids = papers.get_column("paper_id").gather(order)
    cuts = _range_cuts(ids, rows)
    if deduplicated.captured is None:
        ranges: Iterator[pl.DataFrame] = (
            papers.gather(order.slice(start, stop - start)) for start, stop in cuts
        )
    else:
        ranges = _collapsed_by_range(papers, order, cuts, deduplicated.records, deduplicated.captured, work)
    spilled = work.spill("papers", ranges)
    return replace(deduplicated, papers=papers.clear()), spilled


MATCHED_COLUMNS = ("paper_id", "is_new", "decisions")
"""What a paper gains after its cluster is collapsed (``match_previous``): its id, whether it is new, and the
decisions of its cluster and of the match."""


def _collapsed_by_range(
    papers: pl.DataFrame,
    order: pl.Series,
    cuts: list[tuple[int, int]],
    records: pl.DataFrame,
    captured: Spilled,
    work: WorkFolder,
) -> Iterator[pl.DataFrame]:
    """Each range of ``papers`` (``order``: their positions in ``paper_id`` order; ``cuts``: the ranges in it)
    collapsed from its papers' member records, every column as they were ``captured``, with their clusters' dedup
    columns from the ledger (``records``), and given the ``MATCHED_COLUMNS`` of ``papers``.

    The same collapse as dedup's, on the same members in the same kept order: only the columns differ. A paper
    whose members are not all found is a broken run, not a paper with nulls.
    """
    ledger = records.select("record_id", *CLUSTER_COLUMNS)
    numbers = [
        pl.repeat(number, stop - start, dtype=pl.UInt32, eager=True)
        for number, (start, stop) in enumerate(cuts)
    ]
    members = (
        papers.select(pl.col("member_record_ids").gather(order).alias("record_id"))
        .with_columns(pl.concat(numbers).alias("group"))
        .explode("record_id")
        .join(ledger, on="record_id", how="left", maintain_order="left")
    )
    columns = [name for name in captured.columns if name not in ORDER_COLUMNS and name != "record_id"]
    regrouped = work.regroup(captured, members, len(cuts), columns, "members")
    del members
    no_members = pl.concat(  # an empty range (a run without papers) still has the papers' columns
        [
            pl.read_parquet(captured.paths[0], columns=["record_id", *columns], n_rows=0),
            ledger.drop("record_id").clear(),
        ],
        how="horizontal",
    )
    for (start, stop), range_members in zip(cuts, regrouped, strict=True):
        matched = papers.select("record_id", "member_record_ids", *MATCHED_COLUMNS).gather(
            order.slice(start, stop - start)
        )
        wanted = int(matched.get_column("member_record_ids").list.len().sum())
        if range_members.rows != wanted:
            raise RuntimeError(
                f"{range_members.rows} member records found of the {wanted} of a range of papers"
            )
        rows = pl.concat(list(range_members.frames(consume=True))) if wanted else no_members
        collapsed = collapse_clusters(rows)
        found = matched.drop("member_record_ids").join(
            collapsed.drop("decisions"), on="record_id", how="inner", maintain_order="left"
        )
        if found.height != matched.height or collapsed.height != matched.height:
            raise RuntimeError(
                f"{collapsed.height} clusters collapsed from the members of a range of {matched.height} papers"
            )
        yield found.select(*collapsed.columns, "paper_id", "is_new")  # dedup's collapse, then the match's


def _range_cuts(ids: pl.Series, rows: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of consecutive ranges of about ``rows`` sorted ids, each ending where the id changes
    (one empty range when there is no id: the stages after it then see the papers' columns)."""
    if ids.len() == 0:
        return [(0, 0)]
    cuts, start = [], 0
    while start < ids.len():
        stop = min(start + max(rows, 1), ids.len())
        stop = _position(ids, ids[stop - 1], "right")  # the whole group of the range's last id
        cuts.append((start, stop))
        start = stop
    return cuts


def _position(ids: pl.Series, value: str, side: Literal["left", "right"]) -> int:
    """Where ``value`` goes in the sorted ``ids``: before (``left``) or after (``right``) its equals."""
    return ids.search_sorted(value, side=side)


def build_version(
    derived: Spilled,
    records: pl.DataFrame,
    previous_papers: pl.DataFrame | None,
    previous_index: pl.DataFrame,
    gate: RowGate,
    seen_at: datetime,
    params: DedupParams,
    work: WorkFolder,
) -> BuiltVersion:
    """The version of this run's ``derived`` papers (ranges of :func:`in_ranges`, derived) on top of the
    previous version's rows, range by range (see the module's docstring).

    ``previous_papers``/``previous_index``: the previous version's rows,
    whole (None/empty: a first version); ``records``: the run's records (their listings); ``gate``: the row
    suite to run.
    """
    gated = GatedRanges(derived, records, gate, seen_at, work)
    merge = _Merge(previous_papers, previous_index, seen_at, params)
    counts, new, parts = [], [], []
    index_ranges: list[Spilled] = []

    def version_ranges() -> Iterator[pl.DataFrame]:
        for number, (passed, upto) in enumerate(gated.passed(), start=1):
            rows, index = merge.take(passed, upto)
            counts.append(paper_counts(rows))
            new.append(new_papers(rows, passed.filter(pl.col("is_new")).get_column("paper_id")))
            parts.append(summarize_part(rows, f"range {number} of {gated.ranges}"))
            index_ranges.append(work.spill("index", [index]))
            yield rows

    papers = work.spill("version", version_ranges())
    return BuiltVersion(
        papers=papers,
        index=Spilled.joined(index_ranges),
        counts=summed_counts(counts),
        new_papers=most_upvoted(pl.concat(new)),
        run_papers=gated.run_papers(),
        gained=gated.gained(),
        outcomes=gated.outcomes,
        parts=parts,
    )


class GatedRanges:
    """The run's ranges of papers (``derived``) through the row suite: each range's candidates (with their
    listings and history columns) checked and spilled in a first pass, then, range by range, the papers that
    passed (:meth:`passed`), while the member records of those that failed gain their reasons."""

    def __init__(
        self, derived: Spilled, records: pl.DataFrame, gate: RowGate, seen_at: datetime, work: WorkFolder
    ) -> None:
        self._candidates = work.spill("candidates", _candidates(derived, records, gate, seen_at))
        checked = gate.result()
        self._failures = checked.failures
        self.outcomes: list[ExpectationOutcome] = checked.outcomes
        """The row suite's outcomes over every range."""
        self._run_papers: list[pl.DataFrame] = []
        self._gained: list[pl.DataFrame] = []

    @property
    def ranges(self) -> int:
        return len(self._candidates.paths)

    def passed(self) -> Iterator[tuple[pl.DataFrame, str | None]]:
        """Each range's papers that passed (``record_hash`` emptied: it is computed once, on the merged row),
        with the last id of the range (None for the last range: the rest of the key space is its). Read once."""
        offset = 0
        for number, papers in enumerate(self._candidates.frames(consume=True), start=1):
            failures = self._failures.filter(
                pl.col(ROW_INDEX).is_between(offset, offset + papers.height, closed="left")
            ).with_columns(pl.col(ROW_INDEX) - offset)
            offset += papers.height
            self._gained.append(failed_members(papers, failures))
            passed = passed_papers(papers, failures).with_columns(
                pl.lit(None, dtype=pl.String).alias("record_hash")
            )
            self._run_papers.append(passed.select(RUN_PAPER_COLUMNS))
            upto = None if number == self.ranges else papers.get_column("paper_id")[-1]
            yield passed, upto
            progress("validate", offset, self._candidates.rows)

    def run_papers(self) -> pl.DataFrame:
        """``RUN_PAPER_COLUMNS`` of the papers that passed (once :meth:`passed` has been read)."""
        return pl.concat(self._run_papers)

    def gained(self) -> pl.DataFrame:
        """``record_id`` and ``gained`` reasons of the member records of the papers that failed."""
        return pl.concat(self._gained)


def _candidates(
    derived: Spilled, records: pl.DataFrame, gate: RowGate, seen_at: datetime
) -> Iterator[pl.DataFrame]:
    """Each range of ``derived`` with its listings and history columns, queued on the row gate."""
    for papers in derived.frames(consume=True):
        candidates = attach_listings(papers, records).with_columns(history_columns(seen_at))
        gate.add(candidates)
        yield candidates


class _Merge:
    """The previous version's rows taken range by range, in key order, as the run's ranges come."""

    def __init__(
        self,
        previous_papers: pl.DataFrame | None,
        previous_index: pl.DataFrame,
        seen_at: datetime,
        params: DedupParams,
    ) -> None:
        papers = in_paper_order(previous_papers) if previous_papers is not None else None
        in_order = previous_index.get_column("paper_id").is_sorted()  # as versions store it
        self._papers = _ById(papers) if papers is not None else None
        self._index = _ById(previous_index if in_order else previous_index.sort(INDEX_ORDER))
        self._seen_at = seen_at
        self._params = params

    def take(self, passed: pl.DataFrame, upto: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The version's rows and index rows of the ids up to ``upto`` (None: all that remain), not taken
        before: the previous rows of that span upserted with ``passed`` (the run's papers of the span), those a
        previous topic method derived derived again (``rederive_topics``)."""
        before = self._papers.take(upto) if self._papers is not None else None
        rows = (
            upsert(before if before is not None and before.height else None, passed, self._seen_at)
            .pipe(rederive_topics)  # previous papers of another topic method: derived again, once
            .pipe(add_analysis_columns)
            .pipe(with_record_hash)
        )
        rows = in_paper_order(conform(rows, PAPER_SCHEMA))
        index = update_index(self._index.take(upto), passed, self._params)
        return rows, conform(index, DEDUP_INDEX_SCHEMA)


class _ById:
    """Rows sorted by ``paper_id``, taken in order: each :meth:`take` gives the next rows up to an id."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self._frame = frame
        self._ids = frame.get_column("paper_id")
        self._taken = 0

    def take(self, upto: str | None) -> pl.DataFrame:
        """The rows not taken yet whose id is at most ``upto`` (None: every row not taken yet)."""
        stop = self._frame.height if upto is None else _position(self._ids, upto, "right")
        rows = self._frame.slice(self._taken, stop - self._taken)
        self._taken = stop
        return rows
