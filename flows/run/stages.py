"""The stages before the gate: ingest, clean, language, dedup, retract, derive (each one Prefect task).

Each stage is a pure transform of ``transforms/`` around the run's frames; ingest is the only one that reads
(inputs, ``latest``'s manifest, the retraction list).
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from flows.run.config import RunConfig
from flows.run.frames import (
    clean_counts,
    clean_frame,
    derive_counts,
    derive_frame,
    language_counts,
    language_frame,
)
from flows.run.results import Deduplicated, Ingested
from flows.run.stage import pending_count, stage
from flows.sources.inputs import read_inputs
from flows.store.catalog import Catalog
from flows.store.layout import new_version_id, raw_root
from flows.store.previous import PreviousVersion, open_latest
from flows.store.publish import remove_stale_staging
from flows.store.retractions import read_retractions
from transforms.dedup.clusters import find_clusters
from transforms.dedup.collapse import collapse_clusters
from transforms.dedup.index import build_index, keys_by_id, positional_keys
from transforms.dedup.matching import match_previous
from transforms.history.retraction import withhold_retracted
from transforms.report.accounting import with_paper_decisions
from transforms.schema import PAPER_SCHEMA, empty


@stage("ingest", counts=lambda result: (len(result.inputs), result.records.height))
def ingest(config: RunConfig) -> Ingested:
    """Read every input and parse it to records; open the previous version for incremental runs."""
    remove_stale_staging(config.out_dir)
    previous = open_latest(config.out_dir, config.dedup.fingerprint) if config.incremental else None
    version = new_version_id(datetime.now(UTC), Catalog(config.out_dir).latest())
    read = read_inputs(
        config.inputs, config.sources, raw_root(config.out_dir), run=version, limits=config.limits
    )
    return Ingested(
        version,
        read.records,
        read.inputs,
        read.source_failures,
        previous,
        retractions=read_retractions(config.out_dir),
        every_source_failed=read.every_source_failed,
    )


@stage("clean", counts=clean_counts)
def clean(records: pl.DataFrame, config: RunConfig) -> pl.DataFrame:
    """Clean titles and abstracts; tag unparseable records, and low-quality ones among the parsed."""
    return clean_frame(records, config.quality)


@stage("language", counts=language_counts)
def language(records: pl.DataFrame, previous: PreviousVersion | None, config: RunConfig) -> pl.DataFrame:
    """Detect the abstract's language (reusing the previous version's results), tag disallowed ones and
    abstracts that mix two scripts (``language:mixed``)."""
    return language_frame(
        records, known_languages(previous), config.allowed_languages, config.language_workers
    )


@stage("dedup", counts=lambda records, result: (pending_count(records), result.papers.height))
def dedup(
    records: pl.DataFrame,
    previous: PreviousVersion | None,
    config: RunConfig,
    bands: pl.DataFrame | None = None,
) -> Deduplicated:
    """Cluster this run's records, keep one per cluster, and match clusters to the previous version's papers.

    ``bands``: the band keys of the pending records computed per partition (None: computed here).
    """
    pending = pl.col("reasons").list.len() == 0
    clustered = find_clusters(records.filter(pending), config.dedup, bands=bands)
    papers = collapse_clusters(clustered)
    probe = positional_keys(papers, config.dedup)
    matched = match_previous(
        papers, previous_papers(previous), config.dedup, index=previous_index(previous, config), probe=probe
    )
    every_record = pl.concat([clustered, records.filter(~pending)], how="diagonal_relaxed")
    return Deduplicated(
        records=with_paper_decisions(every_record, matched), papers=matched, keys=keys_by_id(probe, matched)
    )


@stage("retract", counts=lambda deduplicated, result: (deduplicated.papers.height, result.papers.height))
def withhold(deduplicated: Deduplicated, retractions: pl.DataFrame) -> Deduplicated:
    """Papers on the retraction list stay out: their records go to quarantine as ``retracted``."""
    records, papers = withhold_retracted(deduplicated.records, deduplicated.papers, retractions)
    return Deduplicated(records=records, papers=papers, keys=deduplicated.keys)


@stage("derive", counts=derive_counts)
def derive(papers: pl.DataFrame) -> pl.DataFrame:
    """Topic, venue hints and code links for this run's papers."""
    return derive_frame(papers)


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
