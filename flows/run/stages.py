"""The stages before the gate: ingest, clean, language, dedup, retract, derive.

Each stage is a pure transform of ``transforms/`` around the run's frames; ingest is the only one that reads
(inputs, ``latest``'s manifest, the retraction list). Ingest reads the inputs a chunk of records at a time
(``RunConfig.chunk_records``) and spills each chunk to the run's work folder; clean and language read, transform
and spill them one chunk at a time (each chunk as Prefect tasks, one per partition: ``flows/run/partitions.py``).
Dedup sees the run's records as one frame of the columns it reads (``DEDUP_READS``: no texts but the titles), in
the order one frame of the whole run would have had, with the MinHash signatures of their abstracts (signed a
chunk at a time: ``flows/run/flow.py``); its papers are then collapsed again from their members' every column
and spilled by ``paper_id`` range, and derive reads, derives and spills one range at a time
(``flows/run/version.py``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import UTC, datetime

import numpy as np
import polars as pl
from prefect.task_runners import TaskRunner

from flows.run.config import RunConfig
from flows.run.frames import LANGUAGE_BLOCK, clean_block
from flows.run.partitions import (
    clean_partition,
    derive_partition,
    language_partition,
    per_chunk,
)
from flows.run.results import Deduplicated, Ingested
from flows.run.stage import stage
from flows.run.volume import ListingTally, refetch_days, utc_now, volume_before
from flows.runtime.progress import progress
from flows.sources.inputs import InputReading
from flows.sources.mapping import load_mapping
from flows.store.catalog import Catalog
from flows.store.layout import new_version_id, raw_root
from flows.store.maintenance import reconcile_journal
from flows.store.previous import PreviousVersion, open_latest
from flows.store.publish import remove_stale_staging
from flows.store.retractions import read_retractions
from flows.store.spill import Spilled, WorkFolder
from transforms.dedup.clusters import ABSTRACT_CHARS, abstract_chars, abstracts_in, find_clusters
from transforms.dedup.collapse import collapse_clusters
from transforms.dedup.index import build_index, positional_keys
from transforms.dedup.matching import match_previous
from transforms.dedup.minhash import Signatures
from transforms.dedup.pair_scores import AbstractsOf
from transforms.history.retraction import withhold_retracted
from transforms.report.accounting import ACCOUNTED_COLUMNS, accounted, with_paper_decisions
from transforms.routing import pending_count, split
from transforms.schema import PAPER_SCHEMA, empty

RUN_ORDER = "__run_order"
"""A record's position among every record the run read (the order one frame of the whole run would have)."""
CLEAN_BLOCK = "__clean_block"
LANGUAGE_BLOCK_COLUMN = "__language_block"
"""The output block clean and language put a record in (those routed aside after the others)."""
ORDER_COLUMNS = (LANGUAGE_BLOCK_COLUMN, CLEAN_BLOCK, RUN_ORDER)
"""What the stages before dedup add to a record to put the run's records in order, and nothing after reads."""

DEDUP_READS = (*ACCOUNTED_COLUMNS, "title", "arxiv_id", ABSTRACT_CHARS)
"""The columns of a run's records that dedup reads (the ``abstract`` as its length): what its rules, the kept
order and the match read, and the ledger's ``ACCOUNTED_COLUMNS``. Its papers carry no others:
each paper range is collapsed again from its members' every column as it is spilled (``flows/run/version.py``)."""


@stage("ingest", counts=lambda result: (len(result.inputs), result.records.rows))
def ingest(config: RunConfig, work: WorkFolder) -> Ingested:
    """Read every input and parse it to records, spilled a chunk at a time; open the previous version for
    incremental runs."""
    mapping = load_mapping(config.mapping) if config.mapping is not None else None  # refused before any write
    remove_stale_staging(config.out_dir)
    previous = open_latest(config.out_dir, config.dedup.fingerprint) if config.incremental else None
    reconcile_journal(config.out_dir)  # after the schema check: a refused run writes nothing
    version = new_version_id(datetime.now(UTC), Catalog(config.out_dir).latest())
    before, now = volume_before(previous), utc_now()
    sources = config.sources
    if sources.hf_daily:  # a run fetching Daily Papers fetches the provisional days again
        sources = sources.model_copy(update={"refetch": refetch_days(before, config.volume, now)})
    reading = InputReading(
        config.inputs,
        sources,
        raw_root(config.out_dir),
        run=version,
        limits=config.limits,
        mapping=mapping,
    )

    tally = ListingTally()

    def numbered() -> Iterator[pl.DataFrame]:
        read = 0
        for chunk in reading.chunks(config.chunk_records):
            tally.add(chunk)
            yield chunk.with_columns((pl.int_range(pl.len(), dtype=pl.UInt64) + read).alias(RUN_ORDER))
            read += chunk.height
            progress("ingest", read, None)

    records = work.spill("ingest", numbered())
    return Ingested(
        version,
        records,
        reading.inputs,
        reading.source_failures,
        previous,
        retractions=read_retractions(config.out_dir),
        every_source_failed=reading.every_source_failed,
        listing=tally.result(sources, reading.source_failures, before, now),
    )


def clean(records: Spilled, config: RunConfig, work: WorkFolder, runner: TaskRunner | None) -> Spilled:
    """Clean titles and abstracts; tag unparseable records, and low-quality ones among the parsed."""
    return per_chunk(
        runner, "clean", clean_partition, records, work, lambda given, out: (given.rows, out.pending),
        config.partitions, block=(CLEAN_BLOCK, clean_block), quality=config.quality,
    )  # fmt: skip


def language(
    records: Spilled,
    previous: PreviousVersion | None,
    config: RunConfig,
    work: WorkFolder,
    runner: TaskRunner | None,
) -> Spilled:
    """Detect the abstract's language (reusing the previous version's results), tag disallowed ones and
    abstracts that mix two scripts (``language:mixed``)."""
    return per_chunk(
        runner, "language", language_partition, records, work, lambda given, out: (given.pending, out.pending),
        config.partitions, block=(LANGUAGE_BLOCK_COLUMN, lambda _: LANGUAGE_BLOCK),
        known=known_languages(previous), allowed_languages=config.allowed_languages,
        workers=1 if config.partitioned else config.language_workers,
    )  # fmt: skip


def in_run_order(
    records: Spilled, consume: bool = True, columns: Collection[str] | None = None
) -> pl.DataFrame:
    """The chunks of ``records`` as one frame, in the order one frame of the whole run would have had
    (``consume``: their files are removed as they are read; ``columns``: the only columns read, those of them the
    chunks have, and ``ABSTRACT_CHARS`` among them the length of the ``abstract``, which each chunk reads,
    measures and drops).

    That order is by output block (language's, then clean's: the records they routed aside after the others),
    then by ``RUN_ORDER``. Each chunk is ordered (and cut into its blocks) on its own, and the pieces are laid end
    to end, block after block, in chunk order: sorting the whole run's rows held a second copy of them.
    """
    lengths = columns is not None and ABSTRACT_CHARS in columns
    read = None
    if columns is not None:
        wanted = {*columns, *ORDER_COLUMNS, *(["abstract"] if lengths else [])}
        read = [name for name in records.columns if name in wanted]
    blocks: dict[tuple[bool, bool], list[pl.DataFrame]] = {}
    first = None
    for frame in records.frames(consume=consume, columns=read):
        if lengths:
            frame = frame.with_columns(abstract_chars().alias(ABSTRACT_CHARS)).drop("abstract")
        ordered = frame.sort(LANGUAGE_BLOCK_COLUMN, CLEAN_BLOCK, RUN_ORDER)
        first = ordered.clear() if first is None else first
        pieces = ordered.partition_by(LANGUAGE_BLOCK_COLUMN, CLEAN_BLOCK, as_dict=True, maintain_order=True)
        for (language_routed, clean_routed), piece in pieces.items():
            blocks.setdefault((bool(language_routed), bool(clean_routed)), []).append(piece)
    if first is None:
        raise ValueError("no chunk of records to read")
    pieces_in_order = [piece for block in sorted(blocks) for piece in blocks[block]] or [first]
    whole = pl.concat(pieces_in_order, how="diagonal_relaxed", rechunk=False)
    return whole.drop(*ORDER_COLUMNS)


@stage("dedup", counts=lambda records, result: (pending_count(records), result.papers.height))
def dedup(
    records: pl.DataFrame,
    previous: PreviousVersion | None,
    config: RunConfig,
    signatures: Signatures | None = None,
    captured: Spilled | None = None,
    bands: pl.DataFrame | None = None,
) -> Deduplicated:
    """Cluster this run's records, keep one per cluster, and match clusters to the previous version's papers.

    ``bands``: the LSH band keys the pending records share (:meth:`Signatures.shared_band_frame`; None: banded
    here from ``signatures``). ``signatures``: those of the pending records' abstracts, a row a record (None:
    computed here from their ``abstract`` when ``bands`` are not given); records without their abstract need them
    only to be keyed against a previous version. ``captured``: ``records`` as spilled to the work folder; the
    records then carry on only their ``ACCOUNTED_COLUMNS`` (quarantine reads the rest back from ``captured``).
    Records may come with only ``DEDUP_READS`` (``ABSTRACT_CHARS`` for their ``abstract``, with ``bands`` and
    ``captured``): the abstracts of the pairs scored and of the ids hashed are read back from ``captured``, and
    the papers leave with the same few columns (they are collapsed again range by range, from their members'
    every column: ``flows/run/version.py``).
    """
    pending, rejected = split(records)
    if bands is None:
        if signatures is None:
            signatures = Signatures.of(pending.get_column("abstract"), config.dedup)
        bands = signatures.shared_band_frame(config.dedup)
    if "abstract" in pending.columns:
        abstracts = abstracts_in(pending)
    elif captured is not None:
        abstracts = abstracts_read(captured)
    else:
        raise ValueError("records without their abstracts need the spilled records to read them from")
    clustered = find_clusters(pending, config.dedup, bands=bands, abstracts=abstracts)
    del bands
    papers = collapse_clusters(clustered)  # without the abstract when the records came without it
    matched = matched_to(previous, papers, pending, signatures, abstracts, config)
    parts = [clustered, rejected] if captured is None else [accounted(clustered), accounted(rejected)]
    every_record = pl.concat(parts, how="diagonal_relaxed")
    return Deduplicated(
        records=with_paper_decisions(every_record, matched), papers=matched, captured=captured
    )


def matched_to(
    previous: PreviousVersion | None,
    papers: pl.DataFrame,
    pending: pl.DataFrame,
    signatures: Signatures | None,
    abstracts: AbstractsOf,
    config: RunConfig,
) -> pl.DataFrame:
    """``papers`` (clusters of ``pending``) with their ids, matched to the previous version's papers by probing
    its index with their keys (banded from their kept records' ``signatures`` when they carry no abstract).

    A first version has nothing to match: its papers get new ids and no key is made (the keys of a million
    papers are ~500 MiB of rows; each range's are hashed where the index is written, ``flows/run/version.py``).
    """
    if previous is None:
        return match_previous(papers, None, config.dedup, abstracts=abstracts)
    if "abstract" in papers.columns:
        kept = None
    elif signatures is None:
        raise ValueError("papers without their abstracts need their records' signatures to probe a version")
    else:
        kept = signatures.take(kept_rows(pending, papers))
    probe = positional_keys(papers, config.dedup, kept)
    del kept
    return match_previous(
        papers,
        previous_papers(previous),
        config.dedup,
        index=previous_index(previous, config),
        probe=probe,
        abstracts=abstracts,
    )


def abstracts_read(captured: Spilled) -> AbstractsOf:
    """:data:`~transforms.dedup.clusters.AbstractsOf` reading the spilled records' abstracts (a pass over the
    chunks' ``record_id`` and ``abstract`` a call: dedup asks for the abstracts of a step's pairs at once)."""

    def lookup(record_ids: pl.Series) -> pl.Series:
        found = captured.rows_of(record_ids, columns=("abstract",))
        if found.height != record_ids.n_unique():
            raise RuntimeError(f"{found.height} abstracts found for {record_ids.n_unique()} records")
        return abstracts_in(found)(record_ids)

    return lookup


def kept_rows(pending: pl.DataFrame, papers: pl.DataFrame) -> np.ndarray:
    """The positions in ``pending`` of the papers' kept records, in paper order."""
    positions = pending.select("record_id").with_row_index("row")
    kept = papers.select("record_id").join(positions, on="record_id", how="left", maintain_order="left")
    return kept.get_column("row").to_numpy()


@stage("retract", counts=lambda deduplicated, result: (deduplicated.papers.height, result.papers.height))
def withhold(deduplicated: Deduplicated, retractions: pl.DataFrame) -> Deduplicated:
    """Papers on the retraction list stay out: their records go to quarantine as ``retracted``."""
    records, papers = withhold_retracted(deduplicated.records, deduplicated.papers, retractions)
    return Deduplicated(records=records, papers=papers, captured=deduplicated.captured)


def derive(papers: Spilled, config: RunConfig, work: WorkFolder, runner: TaskRunner | None) -> Spilled:
    """Topic, venue hints and code links for this run's papers, range by range (``flows/run/version.py``)."""
    return per_chunk(
        runner, "derive", derive_partition, papers, work, lambda given, out: (given.rows, out.rows),
        config.partitions,
    )  # fmt: skip


def previous_papers(previous: PreviousVersion | None) -> pl.DataFrame | pl.LazyFrame:
    """The previous version's papers: scanned lazily when it is merged into shard by shard, else read whole."""
    if previous is None:
        return empty(PAPER_SCHEMA)
    return previous.scan_papers() if previous.incremental else previous.papers


def known_languages(previous: PreviousVersion | None) -> pl.DataFrame | pl.LazyFrame | None:
    """The previous version's detected languages, reused instead of detecting the same abstract again (of a
    lazy scan, only the rows of the run's abstracts are read)."""
    if previous is None:
        return None
    return previous_papers(previous).select("abstract", "language", "language_score")


def previous_index(previous: PreviousVersion | None, config: RunConfig) -> pl.DataFrame | pl.LazyFrame:
    """The previous version's dedup keys (scanned lazily when merged into shard by shard: its fingerprint is
    this run's); rebuilt from its papers when missing or built with other parameters."""
    if previous is None:
        return build_index(empty(PAPER_SCHEMA), config.dedup)
    if previous.incremental:
        return previous.scan_index()
    index = previous.dedup_index
    if index is None or index.get_column("fingerprint").unique().to_list() not in (
        [],
        [config.dedup.fingerprint],
    ):
        return build_index(previous.papers, config.dedup)
    return index
