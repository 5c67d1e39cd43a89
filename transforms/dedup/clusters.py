"""Deduplication within a run: exact and near-duplicate clusters, and one row per cluster.

Identify first, remove second:

1. :func:`find_clusters` links records by three rules and takes connected components of the links:
   ``arxiv_id`` (same known arXiv id), ``title`` (same normalised title of at least three words, unless both
   abstracts exist and are unrelated) and ``near_duplicate`` (MinHash + LSH banding over word shingles of the
   abstract proposes candidates; a candidate is merged only when the exact Jaccard similarity of the two
   abstracts, with the words changed between them or the Jaccard of the two titles, passes :class:`DedupParams`'
   thresholds). Records whose known arXiv ids differ are never linked directly, and a component that still
   holds two known ids through records without one is cut into one cluster per id
   (:func:`split_arxiv_conflicts`). Each cluster keeps one record, chosen by :func:`kept_order` (independent
   of input order).
2. :func:`~transforms.dedup.collapse.collapse_clusters` turns each cluster into one row carrying its members'
   provenance.

Matching against earlier versions lives in :mod:`transforms.dedup.matching`, and merging a run into the version
history in :mod:`transforms.history.merge`. Signatures and LSH band keys live in :mod:`transforms.dedup.minhash`,
the arXiv-id conflict split in :mod:`transforms.dedup.arxiv_conflicts`, the scores of a candidate pair and the
merge rule in :mod:`transforms.dedup.pair_scores`. No pair of records is compared unless an
exact key or an LSH band puts them in the same bucket.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from transforms.dedup.arxiv_conflicts import SPLIT_ARXIV_CONFLICT, split_arxiv_conflicts
from transforms.dedup.identity import known_arxiv_id, normalise_title
from transforms.dedup.minhash import DedupParams, shared_band_frame
from transforms.dedup.pair_scores import AbstractsOf, score_pairs, verified

MATCH_RULES = ("kept", "arxiv_id", "title", "near_duplicate")
"""Values of ``match_rule``: for a merged record, the strongest rule that linked it (see find_clusters)."""

_RULE_PRIORITY = {"arxiv_id": 0, "title": 1, "near_duplicate": 2}

CLUSTER_COLUMNS = ("cluster_id", "similarity", "match_rule", "decisions")
"""What :func:`find_clusters` adds to each record."""

ABSTRACT_CHARS = "abstract_chars"
"""The length of a record's cleaned abstract, carried instead of the abstract where only its length decides."""


def abstract_chars(columns: Collection[str] = ("abstract",)) -> pl.Expr:
    """The cleaned abstract's length in characters (0 when missing): :data:`ABSTRACT_CHARS` of a frame that
    carries it instead of ``abstract`` (``columns``: the frame's)."""
    if ABSTRACT_CHARS in columns and "abstract" not in columns:
        return pl.col(ABSTRACT_CHARS)
    return pl.col("abstract").fill_null("").str.len_chars().cast(pl.Int64)


def abstracts_in(records: pl.DataFrame) -> AbstractsOf:
    """:data:`AbstractsOf` over the ``record_id`` and ``abstract`` columns of ``records`` (ids unique)."""
    texts = records.select("record_id", "abstract")

    def lookup(record_ids: pl.Series) -> pl.Series:
        found = (
            record_ids.alias("record_id")
            .to_frame()
            .join(texts, on="record_id", how="left", maintain_order="left")
        )
        if found.height != record_ids.len():
            raise ValueError("a record_id is on several records: their abstracts cannot be told apart")
        return found.get_column("abstract")

    return lookup


def abstracts_at(frame: pl.DataFrame, rows: pl.Series, abstracts: AbstractsOf | None) -> pl.Series:
    """``frame``'s ``abstract`` column, or, for a frame without one, the abstracts of its ``rows`` (positions)
    read through ``abstracts`` by the rows' ``record_id`` (null elsewhere: only those rows are read)."""
    if "abstract" in frame.columns:
        return frame.get_column("abstract")
    if abstracts is None:
        raise ValueError("rows without an abstract column need the abstracts to read theirs from")
    wanted = rows.unique().sort().cast(pl.UInt32)
    texts = pl.Series("abstract", [None] * frame.height, dtype=pl.String)
    if wanted.len():
        texts = texts.scatter(wanted, abstracts(frame.get_column("record_id").gather(wanted)))
    return texts


def _bucket_pairs(buckets: pl.DataFrame, key_columns: list[str], max_bucket: int) -> pl.DataFrame:
    """Candidate pairs ``a < b`` of ``doc`` sharing ``key_columns``: all pairs in small buckets, star+chain in
    big. ``buckets`` holds a doc once per key (a doc's title key, each of its band keys).

    Nearly every shared key is shared by two docs (a near-duplicate pair shares most of its bands): such a bucket
    is its pair, taken by one grouping; only buckets of three or more are joined with themselves.
    """
    sized = buckets.with_columns(pl.len().over(key_columns).alias("size")).filter(pl.col("size") > 1)
    twos = (
        sized.filter((pl.col("size") == 2) & (pl.col("size") <= max_bucket))
        .group_by(key_columns)
        .agg(pl.col("doc").min().alias("a"), pl.col("doc").max().alias("b"))
        .select("a", "b")
    )
    small = sized.filter((pl.col("size") > 2) & (pl.col("size") <= max_bucket)).select("doc", *key_columns)
    all_pairs = (
        small.join(small, on=key_columns, suffix="_b")
        .filter(pl.col("doc") < pl.col("doc_b"))
        .select(pl.col("doc").alias("a"), pl.col("doc_b").alias("b"))
    )
    big = (
        sized.filter(pl.col("size") > max_bucket)
        .with_columns(
            pl.col("doc").rank("ordinal").over(key_columns).alias("pos"),
            pl.col("doc").min().over(key_columns).alias("first"),
        )
        .sort([*key_columns, "pos"])
    )
    star = big.filter(pl.col("doc") != pl.col("first")).select(
        pl.col("first").alias("a"), pl.col("doc").alias("b")
    )
    chain = (
        big.with_columns(pl.col("doc").shift(1).over(key_columns).alias("prev"))
        .drop_nulls("prev")
        .select(pl.col("prev").alias("a"), pl.col("doc").alias("b"))
    )
    return pl.concat([twos, all_pairs, star, chain]).unique()


# ----- Within a run -----


def kept_order(columns: Collection[str] = ("abstract",)) -> list[pl.Expr]:
    """Sort keys choosing a cluster's kept record, best first.

    Has an arXiv id (the strongest identity), then the earliest ``listed_on``, then the earliest
    ``captured_at`` (unknown last), then the longest cleaned abstract, then the smallest ``record_id``. Every key
    is a property of the record, so the choice never depends on input order. The earliest listing and capture
    come before abstract length so that one run over many days keeps the same record (and so derives the same
    ``paper_id``) as day-by-day runs, where the first record listed defines the paper (whatever order the local
    files' modification times say); among records listed and captured together the most complete abstract wins.
    ``columns``: those of the frame sorted (its :data:`ABSTRACT_CHARS` stands for a missing ``abstract``).
    """
    return [
        known_arxiv_id(pl.col("arxiv_id")).is_null(),
        pl.col("listed_on").is_null(),
        pl.col("listed_on"),
        pl.col("captured_at").is_null(),
        pl.col("captured_at"),
        -abstract_chars(columns),
        pl.col("record_id"),
    ]


def _exact_pairs(docs: pl.DataFrame, key: str) -> pl.DataFrame:
    """Star pairs (smallest doc, other doc) for every group of docs sharing a non-empty ``key``."""
    keyed = docs.select("doc", key).filter(pl.col(key).is_not_null() & (pl.col(key) != ""))
    return (
        keyed.with_columns(pl.col("doc").min().over(key).alias("first"))
        .filter(pl.col("doc") != pl.col("first"))
        .select(pl.col("first").alias("a"), pl.col("doc").alias("b"))
    )


def arxiv_compatible() -> pl.Expr:
    """True unless both ends of a pair have known, different arXiv ids (different papers by definition)."""
    return (
        pl.col("arxiv_a").is_null() | pl.col("arxiv_b").is_null() | (pl.col("arxiv_a") == pl.col("arxiv_b"))
    )


def with_arxiv(pairs: pl.DataFrame, docs: pl.DataFrame) -> pl.DataFrame:
    arxiv = docs.select("doc", "arxiv_key")
    return pairs.join(
        arxiv.rename({"doc": "a", "arxiv_key": "arxiv_a"}), on="a", how="left", maintain_order="left"
    ).join(arxiv.rename({"doc": "b", "arxiv_key": "arxiv_b"}), on="b", how="left", maintain_order="left")


def title_key(title: pl.Expr, params: DedupParams) -> pl.Expr:
    """The normalised title when it is long enough for the exact-title rule, else null."""
    normalised = normalise_title(title)
    words = normalised.str.count_matches(" ") + 1
    return pl.when((normalised != "") & (words >= params.min_title_words)).then(normalised).otherwise(None)


def title_not_contradicted(params: DedupParams) -> pl.Expr:
    """A same-title pair stands unless both abstracts exist and are unrelated."""
    return pl.col("abstract_sim").is_null() | (pl.col("abstract_sim") >= params.title_abstract_floor)


def prepare_docs(records: pl.DataFrame, params: DedupParams) -> pl.DataFrame:
    """Row index plus the keys every rule needs."""
    return records.with_row_index("doc").with_columns(
        known_arxiv_id(pl.col("arxiv_id")).alias("arxiv_key"),
        title_key(pl.col("title"), params).alias("title_key"),
    )


def _near_pairs(docs: pl.DataFrame, params: DedupParams, bands: pl.DataFrame | None) -> pl.DataFrame:
    if bands is None:
        if "abstract" not in docs.columns:
            raise ValueError("records without an abstract column need their band keys given")
        bands = shared_band_frame(docs["abstract"], params)
    return _bucket_pairs(bands, ["band", "key"], params.max_bucket)


def find_clusters(
    records: pl.DataFrame,
    params: DedupParams = DedupParams(),
    bands: pl.DataFrame | None = None,
    abstracts: AbstractsOf | None = None,
) -> pl.DataFrame:
    """Add ``cluster_id`` (record_id of the kept record), ``similarity``, ``match_rule`` and ``decisions``.

    Needs ``record_id``, ``title``, ``abstract``, ``arxiv_id``, ``listed_on`` and ``captured_at``. Rows keep their input
    order. ``similarity`` is measured against the kept record (abstract shingle Jaccard, or title-word Jaccard
    when an abstract is empty), 1.0 for the kept record. ``match_rule`` is ``kept`` for the kept record, else
    the strongest rule among the record's links, preferring a direct link to the kept record. ``decisions``
    is ``[SPLIT_ARXIV_CONFLICT]`` for the records of a component that was split, else empty.

    ``bands`` (``doc, band, key`` of the abstracts, ``doc`` a row position in ``records``) are LSH band keys
    computed elsewhere (:meth:`~transforms.dedup.minhash.Signatures.shared_band_frame` of signatures made chunk
    by chunk); None computes them here. Records may carry :data:`ABSTRACT_CHARS` instead of ``abstract``
    (``bands`` then given): the abstracts of the pairs scored are read through ``abstracts``.
    """
    if records.height == 0:
        return records.with_columns(
            pl.lit(None, dtype=pl.String).alias("cluster_id"),
            pl.lit(None, dtype=pl.Float64).alias("similarity"),
            pl.lit(None, dtype=pl.String).alias("match_rule"),
            pl.lit([], dtype=pl.List(pl.String)).alias("decisions"),
        )
    docs = prepare_docs(records, params)
    same_title = _bucket_pairs(
        docs.select("doc", "title_key").drop_nulls("title_key"), ["title_key"], params.max_bucket
    )
    title_pairs = (
        score_pairs(docs, same_title, params, abstracts)
        .filter(title_not_contradicted(params))
        .select("a", "b", pl.lit("title").alias("rule"), "abstract_sim", "title_sim")
    )
    arxiv_pairs = _exact_pairs(docs, "arxiv_key").with_columns(
        pl.lit("arxiv_id").alias("rule"),
        pl.lit(None, dtype=pl.Float64).alias("abstract_sim"),
        pl.lit(None, dtype=pl.Float64).alias("title_sim"),
    )
    candidates = _near_pairs(docs, params, bands)
    scored = score_pairs(docs, candidates, params, abstracts)
    near = scored.filter(verified(params)).select(
        "a", "b", pl.lit("near_duplicate").alias("rule"), "abstract_sim", "title_sim"
    )
    edges = (
        with_arxiv(pl.concat([arxiv_pairs, title_pairs, near]), docs)
        .filter(arxiv_compatible())
        .select("a", "b", "rule", "abstract_sim", "title_sim")
    )

    n = docs.height
    graph = coo_matrix(
        (np.ones(edges.height, dtype=np.int8), (edges["a"].to_numpy(), edges["b"].to_numpy())), shape=(n, n)
    )
    _, component = connected_components(graph, directed=False)
    component, split = split_arxiv_conflicts(docs, edges, component.astype(np.int64))
    # A split cluster keeps only the links between its own members.
    edges = edges.filter(
        pl.Series(component[edges["a"].to_numpy()] == component[edges["b"].to_numpy()], dtype=pl.Boolean)
    )
    with_component = docs.with_columns(pl.Series("component", component, dtype=pl.Int64))
    # Ordered on the keys, then only the columns read are gathered: sorting the rows copied every column.
    order = with_component.select(pl.arg_sort_by(["component", *kept_order(docs.columns)])).to_series()
    ranked = with_component.select("component", "doc", "record_id").gather(order)
    kept = ranked.group_by("component", maintain_order=True).agg(
        pl.col("doc").first().alias("kept_doc"), pl.col("record_id").first().alias("cluster_id")
    )
    members = docs.select("doc").with_columns(pl.Series("component", component, dtype=pl.Int64))
    members = members.join(kept, on="component", how="left", maintain_order="left")

    to_kept = members.filter(pl.col("doc") != pl.col("kept_doc")).select(
        pl.col("kept_doc").alias("a"), pl.col("doc").alias("b")
    )
    similarity = score_pairs(docs, to_kept, params, abstracts).select(pl.col("b").alias("doc"), "similarity")

    both_ways = pl.concat(
        [
            edges.select(pl.col("a").alias("doc"), pl.col("b").alias("other"), "rule"),
            edges.select(pl.col("b").alias("doc"), pl.col("a").alias("other"), "rule"),
        ]
    )
    rule = (
        both_ways.join(members.select("doc", "kept_doc"), on="doc")
        .filter(pl.col("doc") != pl.col("kept_doc"))
        .with_columns(pl.col("rule").replace_strict(_RULE_PRIORITY, return_dtype=pl.Int8).alias("priority"))
        .sort("doc", pl.col("other") != pl.col("kept_doc"), "priority", "other")
        .group_by("doc", maintain_order=True)
        .agg(pl.col("rule").first().alias("match_rule"))
    )
    annotated = (
        members.join(similarity, on="doc", how="left")
        .join(rule, on="doc", how="left")
        .with_columns(
            pl.when(pl.col("doc") == pl.col("kept_doc"))
            .then(pl.lit(1.0))
            .otherwise(pl.col("similarity"))
            .alias("similarity"),
            pl.when(pl.col("doc") == pl.col("kept_doc"))
            .then(pl.lit("kept"))
            .otherwise(pl.col("match_rule"))
            .alias("match_rule"),
        )
        .sort("doc")
    )
    decisions = pl.Series("decisions", [[SPLIT_ARXIV_CONFLICT], []], dtype=pl.List(pl.String)).gather(
        np.where(split, 0, 1)
    )
    return records.with_columns(
        annotated["cluster_id"], annotated["similarity"].cast(pl.Float64), annotated["match_rule"], decisions
    )
