"""A run merged into ``latest`` shard by shard: the shards its papers' ids fall in are rewritten one at a time.

A version whose files are range shards (``flows/store/shards.py``) is merged into by key range: the run's papers
that passed the row gate are spilled in ``paper_id`` order (``GatedRanges``), then, for each touched shard in key
order, its previous rows are read, upserted with the run's papers of its key range
(:func:`~transforms.history.incremental.version_rows`), described (counts, top new papers, the table suite's
summary, the change summary) and spilled as the new version's rows of that range, before the next shard is read.
The dedup index is grown the same way over its own shards. Every other shard is carried into the new version as a
hard link, never read into memory but for a column-pruned count.

So a run holds one touched shard (before and after) and one range of its papers at a time, however many shards it
touches: a day touches the newest shards and a few older ones; a run whose duplicates reach all over the history
rewrites every shard, one after another. Publish lays the rewritten rows out from the work folder
(:func:`~flows.store.shards.write_part`), linking a rewritten shard whose rows did not change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import polars as pl
import pyarrow as pa

from expectations.parts import carried_part, summarize_part
from flows.run.version import GatedRanges
from flows.runtime.progress import progress
from flows.store.previous import Incremental, PreviousVersion, carried_counts, read_shards
from flows.store.shards import Shard, VersionPart, frames_equal, key_range, touched_shards
from flows.store.spill import WorkFolder
from transforms.dedup.index import update_index
from transforms.dedup.minhash import DedupParams
from transforms.history.changes import combined_changes, diff_papers
from transforms.history.incremental import version_rows
from transforms.report.summary import most_upvoted, new_papers, paper_counts, summed_counts
from transforms.schema import DEDUP_INDEX_SCHEMA, PAPER_SCHEMA, conform, empty

Merge = Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame]
"""A touched shard's previous rows of a segment and the run's papers there -> the new version's rows there."""
Describe = Callable[[int, pl.DataFrame, pl.DataFrame, pl.DataFrame], None]
"""Shard position, a segment's previous rows, its new rows, and the run's papers merged into it."""


@dataclass(frozen=True)
class MergedShards:
    """What a run merged shard by shard publishes, and what the card, report and table suite say of it."""

    incremental: Incremental
    counts: pl.DataFrame
    """The new version's papers counted (``paper_counts``): rewritten shards' and carried shards', summed."""
    new_papers: pl.DataFrame
    """The report's columns of the run's most upvoted new papers."""
    parts: list[pl.DataFrame]
    """The table suite's summary of each carried shard and of each segment of a rewritten one, in key order
    (``expectations/parts.py``)."""


def merge_into_shards(
    gated: GatedRanges,
    previous: PreviousVersion,
    seen_at: datetime,
    params: DedupParams,
    work: WorkFolder,
) -> MergedShards:
    """The run's papers that passed the row gate merged into the shards of ``previous`` their ids fall in, one
    shard at a time; the dedup index likewise (see the module's docstring)."""
    passed = work.spill("passed", (papers for papers, _ in gated.passed()))
    ids = gated.run_papers().get_column("paper_id")
    shards = previous.paper_shards
    counts, new, diffs = [], [], []
    summaries: dict[int, list[pl.DataFrame]] = {}

    def describe(position: int, before: pl.DataFrame, after: pl.DataFrame, run: pl.DataFrame) -> None:
        counts.append(paper_counts(after))
        new.append(new_papers(after, run.filter(pl.col("is_new")).get_column("paper_id")))
        diffs.append(diff_papers(before, after))
        segments = summaries.setdefault(position, [])
        name = f"rewritten {shards[position].path.name}"
        segments.append(summarize_part(after, name if not segments else f"{name}, part {len(segments) + 1}"))

    papers = _rewritten(
        shards,
        touched_shards(shards, ids),
        passed.frames(),
        PAPER_SCHEMA,
        lambda before, run: version_rows(before, run, seen_at),
        work,
        describe,
    )
    index = _rewritten(
        previous.index_shards,
        touched_shards(previous.index_shards, ids),
        passed.frames(consume=True),
        DEDUP_INDEX_SCHEMA,
        lambda before, run: conform(update_index(before, run, params), DEDUP_INDEX_SCHEMA),
        work,
    )
    changes = combined_changes(diffs, unchanged_elsewhere=papers.carried_rows)
    return MergedShards(
        incremental=Incremental(previous=previous, papers=papers, index=index, changes=changes),
        counts=summed_counts([*counts, *carried_counts(papers.carried)]),
        new_papers=most_upvoted(pl.concat([new_papers(empty(PAPER_SCHEMA), []), *new])),
        parts=version_parts(shards, summaries),
    )


def version_parts(shards: list[Shard], rewritten: dict[int, list[pl.DataFrame]]) -> list[pl.DataFrame]:
    """The table suite's parts of a version merged into shard by shard, in key order: the summaries of each
    touched shard's rewritten segments (``rewritten``, by shard position), and each carried shard's, from its
    manifest entry (a file of the previous version, which passed the suite)."""
    return [
        part
        for position, shard in enumerate(shards)
        for part in rewritten.get(position)
        or [carried_part(f"carried {shard.path.name}", shard.rows, shard.first_key, shard.last_key)]
    ]


def _rewritten(
    shards: list[Shard],
    touched: list[int],
    run_ranges: Iterable[pl.DataFrame],
    schema: pa.Schema,
    merge: Merge,
    work: WorkFolder,
    describe: Describe | None = None,
) -> VersionPart:
    """The new rows of each touched shard, spilled to the work folder in key order, one shard read at a time.

    A shard's rows are merged with the run's papers of its range in segments, one per range of the run it spans
    (:func:`in_shard_ranges`): each segment takes the shard's rows up to the segment's last id (the last
    segment, the rest), so no more than one range of the run is held beside the shard. ``describe`` sees each
    segment's rows before and after, and the run's rows merged into it.
    """
    unchanged: set[int] = set()
    read = {"rows": 0, "bytes": 0}

    def rows() -> Iterator[pl.DataFrame]:
        before, current, taken, same, done = pl.DataFrame(), None, 0, True, 0
        for position, run, last in in_shard_ranges(run_ranges, shards, touched):
            if position != current:
                before, current, taken, same = read_shards(shards, [position], schema), position, 0, True
                read["rows"] += before.height
                read["bytes"] += int(before.estimated_size())
            stop = before.height if last else _position(before, run)
            segment = before.slice(taken, stop - taken)
            after = merge(segment, run)
            check_in_range(after, shards, position)
            same = same and frames_equal(segment, after)
            if describe is not None:
                describe(position, segment, after, run)
            taken = stop
            if last:
                done += 1
                before = pl.DataFrame()  # released before the next shard is read
                if same:
                    unchanged.add(position)
            yield after
            if last:
                progress("merge", done, len(touched))

    after = work.spill("rewritten", rows())
    row_bytes = read["bytes"] / read["rows"] if read["rows"] else 0.0
    return VersionPart(shards, touched, after, frozenset(unchanged), row_bytes)


def _position(before: pl.DataFrame, run: pl.DataFrame) -> int:
    """How many of ``before``'s rows (sorted by ``paper_id``) have an id at most the last of ``run``'s."""
    return int(before.get_column("paper_id").search_sorted(_last_id(run), side="right"))


def in_shard_ranges(
    ranges: Iterable[pl.DataFrame], shards: list[Shard], touched: list[int]
) -> Iterator[tuple[int, pl.DataFrame, bool]]:
    """The rows of ``ranges`` (frames sorted by ``paper_id``, one after another in key order) cut at the key
    ranges of the ``touched`` shards: for each touched shard in key order, its position and its rows, in one
    piece per range they come from, the last piece flagged (``True``). A range is read when a shard reaches it,
    so one range is held at a time.

    Every row must fall in a touched shard (the run's ids chose them): a row left over, or below its shard's
    range, is a broken run (:class:`RuntimeError`), not a row to drop.
    """
    pending = (frame for frame in ranges if frame.height)
    buffer = next(pending, None)
    for position in touched:
        if buffer is None:
            raise RuntimeError(f"no rows of the run for {shards[position].path.name}, which it touched")
        low, high = key_range(shards, position)
        while buffer is not None:
            stop = buffer.height if high is None else int(buffer.get_column("paper_id").search_sorted(high))
            piece, rest = buffer.slice(0, stop), buffer.slice(stop)
            if low is not None and piece.height and piece.get_column("paper_id")[0] < low:
                raise RuntimeError(f"rows of the run below the key range of {shards[position].path.name}")
            following = rest if rest.height else next(pending, None)
            last = following is None or (high is not None and following.get_column("paper_id")[0] >= high)
            if piece.height or last:
                yield position, piece, last
            buffer = following
            if last:
                break
    left = (buffer.height if buffer is not None else 0) + sum(frame.height for frame in pending)
    if left:
        raise RuntimeError(f"{left} rows of the run outside the key ranges of the shards it touched")


def check_in_range(rows: pl.DataFrame, shards: list[Shard], position: int) -> None:
    """Every one of ``rows`` (a rewritten shard's) lies in shard ``position``'s key range; a row that did not
    would be in no part the table suite reads and in no file written, so it stops the run."""
    if rows.height == 0:
        return
    low, high = key_range(shards, position)
    ids = rows.get_column("paper_id")
    first, last = ids.min(), ids.max()
    assert isinstance(first, str) and isinstance(last, str)
    if (low is not None and first < low) or (high is not None and last >= high):
        raise RuntimeError(
            f"rewritten rows {first}..{last} outside the key range of {shards[position].path.name}"
        )


def _last_id(frame: pl.DataFrame) -> str:
    """The greatest ``paper_id`` of a frame sorted by it ("" when it is empty)."""
    return str(frame.get_column("paper_id")[-1]) if frame.height else ""
