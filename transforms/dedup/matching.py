"""Matching a run's papers against earlier versions: ``paper_id`` carried across versions.

:func:`match_previous` carries ``paper_id`` across versions with the same rules as
:func:`transforms.dedup.clusters.find_clusters`, probing the previous version's lookup index
(:mod:`transforms.dedup.index`).
"""

from __future__ import annotations

import polars as pl

from transforms.dedup.arxiv_conflicts import most_similar
from transforms.dedup.clusters import (
    abstract_chars,
    abstracts_at,
    arxiv_compatible,
    prepare_docs,
    title_not_contradicted,
    with_arxiv,
)
from transforms.dedup.identity import (
    normalise_text,
    normalise_title,
    paper_id_expr,
    sha256_hex16,
)
from transforms.dedup.index import KIND, build_index, positional_keys
from transforms.dedup.minhash import DedupParams
from transforms.dedup.pair_scores import AbstractsOf, score_pairs, verified

MATCH_SPLIT_ARXIV_CONFLICT = "match:split_arxiv_conflict"
"""``decisions`` tag of a run's paper that, with another paper of the run carrying a different arXiv id,
matched one previous paper without an id (only the more similar one keeps it; see match_previous)."""


def match_previous(
    new_papers: pl.DataFrame,
    previous: pl.DataFrame | pl.LazyFrame | None,
    params: DedupParams = DedupParams(),
    index: pl.DataFrame | pl.LazyFrame | None = None,
    probe: pl.DataFrame | None = None,
    abstracts: AbstractsOf | None = None,
) -> pl.DataFrame:
    """Add ``paper_id`` (the matching previous paper's, else :func:`paper_id_expr`) and ``is_new``.

    ``probe``: :func:`positional_keys` of ``new_papers`` when the caller has them (computed here otherwise).
    ``abstracts``: where the abstracts of ``new_papers`` are read by ``record_id`` when they carry
    :data:`~transforms.dedup.clusters.ABSTRACT_CHARS` instead of ``abstract`` (their ``probe`` then given):
    only those of the papers a previous one is a candidate for, or whose id needs their text, are read.

    Uses the same rules as :func:`find_clusters`: same arXiv id, same normalised title (titles and aliases on
    both sides), or an LSH candidate whose abstract and title similarities pass the thresholds. With ``index``
    (from :func:`build_index`/:func:`update_index`) only the candidate rows of ``previous`` are read, so a
    LazyFrame over the previous version's parquet costs in proportion to the new papers; a LazyFrame ``index``
    (the index shards of a version, its fingerprint checked by the caller) is read for the probe's keys only.
    When several previous
    papers match, the strongest rule wins, then the highest similarity, then the smallest ``paper_id`` (a new
    paper without an arXiv id between previous papers with two known ids takes the most similar, see
    :func:`_best_matches`). No previous paper takes two new papers with different known arXiv ids (see
    :func:`_resolve_arxiv_conflicts`); the papers of such a contest get :data:`MATCH_SPLIT_ARXIV_CONFLICT` in
    ``decisions`` (added, empty, when absent).
    """
    if previous is None:
        unmatched = new_papers.with_columns(pl.lit(None, dtype=pl.String).alias("_matched"))
        return _assign_ids(_with_decisions(unmatched, pl.lit(False)), None, abstracts)
    previous_lazy = previous.lazy()
    if index is None:
        index = build_index(previous_lazy.collect(), params)
    elif (
        isinstance(index, pl.DataFrame)
        and index.height
        and index["fingerprint"].unique().to_list() != [params.fingerprint]
    ):
        raise ValueError("index was built with other parameters; rebuild it with build_index")

    new = new_papers.drop("paper_id", "is_new", strict=False)
    probe = positional_keys(new, params) if probe is None else probe
    stored = index
    if isinstance(index, pl.LazyFrame):
        index = (
            index.select("paper_id", "kind", "band", "key")
            .filter(pl.col("key").is_in(probe.get_column("key").unique().implode()))
            .collect()
        )
    hits = (
        probe.rename({"paper_id": "new_doc"})
        .join(index.select("paper_id", pl.col("kind").cast(KIND), "band", "key"), on=["kind", "band", "key"])
        .with_columns(pl.col("new_doc").cast(pl.Int64))
        .group_by("new_doc", "paper_id")
        .agg(pl.col("kind").cast(pl.String).unique().alias("kinds"))
    )
    hits = _drop_arxiv_conflicts(hits, probe, stored)
    if hits.height == 0:
        unmatched = new.with_columns(pl.lit(None, dtype=pl.String).alias("_matched"))
        return _assign_ids(_with_decisions(unmatched, pl.lit(False)), previous_lazy, abstracts)
    candidate_ids = hits["paper_id"].unique()
    old = (
        previous_lazy.filter(pl.col("paper_id").is_in(candidate_ids.implode()))
        .select("paper_id", "title", "abstract", "arxiv_id")
        .collect()
    )
    # Score each (new, old) hit with the within-run rules: new papers first, then old ones.
    new_texts = new.select("title", abstracts_at(new, hits.get_column("new_doc"), abstracts), "arxiv_id")
    combined = pl.concat(
        [
            new_texts.cast({"arxiv_id": pl.String}),
            old.select("title", "abstract", "arxiv_id").cast({"arxiv_id": pl.String}),
        ]
    )
    docs = prepare_docs(combined.with_columns(pl.lit("").alias("record_id")), params)
    old_doc = (
        old.select("paper_id")
        .with_row_index("old_doc")
        .with_columns((pl.col("old_doc") + new.height).cast(pl.Int64))
    )
    pairs = hits.join(old_doc, on="paper_id").select(
        pl.col("new_doc").cast(pl.UInt32).alias("a"),
        pl.col("old_doc").cast(pl.UInt32).alias("b"),
        "paper_id",
        "kinds",
    )
    scored = with_arxiv(score_pairs(docs, pairs.select("a", "b"), params), docs)
    scored = scored.with_columns(pairs["paper_id"], pairs["kinds"])
    rule = (
        pl.when(pl.col("kinds").list.contains("arxiv"))
        .then(0)
        .when(pl.col("kinds").list.contains("title") & title_not_contradicted(params))
        .then(1)
        .when(verified(params))
        .then(2)
        .otherwise(None)
    )
    candidates = scored.with_columns(rule.alias("priority")).filter(
        pl.col("priority").is_not_null() & arxiv_compatible()
    )
    best, contested = _resolve_arxiv_conflicts(candidates)
    matched = new.with_row_index("_doc").join(
        best.with_columns(pl.col("a").cast(pl.UInt32)),
        left_on="_doc",
        right_on="a",
        how="left",
        maintain_order="left",
    )
    matched = _with_decisions(matched, pl.col("_doc").is_in(contested.cast(pl.UInt32).implode()))
    return _assign_ids(matched.drop("_doc"), previous_lazy, abstracts)


def _drop_arxiv_conflicts(
    hits: pl.DataFrame, probe: pl.DataFrame, index: pl.DataFrame | pl.LazyFrame
) -> pl.DataFrame:
    """``hits`` without the pairs whose new and previous papers both carry a known arXiv id, and different ones.

    Such a pair fails :func:`~transforms.dedup.clusters.arxiv_compatible` whatever its texts, so it is dropped
    before the previous papers' texts are read and scored (by the ids' keys in the index: different keys,
    different ids).
    A history where many papers share near-identical abstracts but not ids would otherwise read them all.
    """
    new_keys = probe.filter(pl.col("kind") == "arxiv").select(
        pl.col("paper_id").cast(pl.Int64).alias("new_doc"), pl.col("key").alias("_new_key")
    )
    if new_keys.height == 0 or hits.height == 0:
        return hits
    candidates = hits.get_column("paper_id").unique().implode()
    old_keys = (
        index.lazy()
        .filter((pl.col("kind") == "arxiv") & pl.col("paper_id").is_in(candidates))
        .group_by("paper_id")
        .agg(pl.col("key").alias("_old_keys"))
        .collect()
    )
    keyed = hits.join(new_keys, on="new_doc", how="left").join(old_keys, on="paper_id", how="left")
    conflict = (
        pl.col("_new_key").is_not_null()
        & (pl.col("_old_keys").list.len() > 0)
        & ~pl.col("_old_keys").list.contains(pl.col("_new_key"))
    )
    return keyed.filter(~conflict.fill_null(False)).drop("_new_key", "_old_keys")


def _best_matches(candidates: pl.DataFrame) -> pl.DataFrame:
    """One previous paper per new paper ``a``: the strongest rule, then the highest similarity, then the
    smallest ``paper_id``; a new paper without an arXiv id whose candidates carry two known ids or more takes
    the most similar one instead (abstract Jaccard, then title Jaccard, then the smaller arXiv id), as
    :func:`transforms.dedup.clusters.split_arxiv_conflicts` does within a run."""
    by_similarity = pl.col("arxiv_a").is_null() & (pl.col("arxiv_b").drop_nulls().n_unique().over("a") > 1)
    return (
        candidates.with_columns(by_similarity.alias("_by_similarity"))
        .sort(
            "a",
            pl.when("_by_similarity").then(0).otherwise("priority"),
            pl.when("_by_similarity").then("abstract_sim").otherwise("similarity"),
            pl.when("_by_similarity").then("title_sim"),
            pl.when("_by_similarity").then("arxiv_b"),
            "paper_id",
            descending=[False, False, True, True, False, False],
            nulls_last=True,
        )
        .group_by("a", maintain_order=True)
        .agg(
            pl.col("paper_id").first().alias("_matched"),
            pl.col("arxiv_a").first(),
            pl.col("abstract_sim").first(),
            pl.col("title_sim").first(),
        )
    )


def _resolve_arxiv_conflicts(candidates: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """Best matches (``a``, ``_matched``) such that no previous paper takes new papers with two known arXiv ids.

    A previous paper without an arXiv id can be the best match of several new papers whose ids differ (it would
    merge them in :func:`transforms.history.merge.upsert`). The new paper most similar to it (abstract Jaccard, then
    title Jaccard, then the smaller arXiv id) keeps the match; the others lose that candidate and take their
    next best, until no previous paper is contested. Also returns the new papers that took part in a contest.
    """
    contested: list[pl.Series] = [pl.Series("a", [], dtype=candidates.schema["a"])]
    while True:
        best = _best_matches(candidates)
        conflicts = (
            best.drop_nulls("arxiv_a")
            .group_by("_matched")
            .agg(pl.col("arxiv_a").n_unique().alias("ids"))
            .filter(pl.col("ids") > 1)
            .select("_matched")
        )
        if conflicts.height == 0:
            return best.select("a", "_matched"), pl.concat(contested).unique()
        involved = best.join(conflicts, on="_matched")
        winners = most_similar(involved.drop_nulls("arxiv_a"), "_matched", "arxiv_a", "winner")
        losers = (
            involved.join(winners, on="_matched")
            .filter(pl.col("arxiv_a").is_not_null() & (pl.col("arxiv_a") != pl.col("winner")))
            .select("a", pl.col("_matched").alias("paper_id"))
        )
        contested.append(involved["a"])
        candidates = candidates.join(losers, on=["a", "paper_id"], how="anti")


def _with_decisions(frame: pl.DataFrame, contested: pl.Expr) -> pl.DataFrame:
    """``decisions`` (kept from the run, empty when absent) plus :data:`MATCH_SPLIT_ARXIV_CONFLICT` where
    ``contested``."""
    empty = pl.lit([], dtype=pl.List(pl.String))
    existing = pl.col("decisions").fill_null(empty) if "decisions" in frame.columns else empty
    return frame.with_columns(
        pl.when(contested)
        .then(existing.list.concat(pl.lit([MATCH_SPLIT_ARXIV_CONFLICT])).list.unique().list.sort())
        .otherwise(existing)
        .alias("decisions")
    )


def _first_capture() -> pl.Expr:
    return pl.col("sources").list.eval(pl.element().struct.field("captured_at")).list.min()


def _assign_ids(
    frame: pl.DataFrame, previous: pl.LazyFrame | None, abstracts: AbstractsOf | None = None
) -> pl.DataFrame:
    """``paper_id``/``is_new`` from ``_matched``; unmatched papers get :func:`paper_id_expr`, made unique.

    Two papers can share a normalised title without being one paper (short or placeholder titles, unrelated
    abstracts). The earliest-captured of them (then the longest abstract) gets the plain id unless an older
    paper holds it; the others get ``title:`` + sha256 of the normalised title and abstract, so every id is
    unique and none depends on input order. The ids are decided on a frame of the columns that decide them and
    added to ``frame`` in its order: sorting the papers themselves copied every column twice. Papers without an
    ``abstract`` column read theirs through ``abstracts``, only where the long id is needed.
    """
    frame = frame.drop("paper_id", "is_new", strict=False)
    capture = _first_capture() if "sources" in frame.columns else pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    unmatched = pl.col("_matched").is_null()
    # The long id is hashed only where it can be needed, among unmatched papers sharing a plain id (it breaks
    # their ties) or whose plain id an older paper holds: hashing every abstract cost more than the rest.
    contested = unmatched & (pl.len().over(unmatched, "_plain") > 1)
    with_plain = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
        "_matched",
        "title",
        abstract_chars(frame.columns).alias("_chars"),
        paper_id_expr().alias("_plain"),
        capture.alias("_capture"),
    )
    fresh_plain = with_plain.filter(unmatched)["_plain"].unique()
    taken = (
        pl.Series("paper_id", [], dtype=pl.String)
        if previous is None
        else previous.select("paper_id")
        .filter(pl.col("paper_id").is_in(fresh_plain.implode()))
        .collect()["paper_id"]
    )
    needs_long = contested | (unmatched & pl.col("_plain").is_in(taken.implode()))
    long_rows = with_plain.select(pl.col("_row").filter(needs_long)).to_series()
    with_plain = with_plain.with_columns(abstracts_at(frame, long_rows, abstracts))
    long_id = pl.concat_str(
        [
            pl.lit("title:"),
            sha256_hex16(
                pl.when(needs_long).then(
                    pl.concat_str(
                        [normalise_title(pl.col("title")), normalise_text(pl.col("abstract"))], separator="\n"
                    )
                )
            ),
        ]
    )
    ranked = (
        with_plain.with_columns(long_id.alias("_long"))
        .sort(
            pl.col("_matched").is_not_null(),
            pl.col("_capture").is_null(),
            "_capture",
            -pl.col("_chars"),
            "_long",
        )
        .with_columns(pl.int_range(pl.len()).over("_plain").alias("_rank"))
    )
    plain_free = (pl.col("_rank") == 0) & ~pl.col("_plain").is_in(taken.implode())
    ids = ranked.select(
        "_row",
        pl.when(pl.col("_matched").is_not_null())
        .then(pl.col("_matched"))
        .when(plain_free)
        .then(pl.col("_plain"))
        .otherwise(pl.col("_long"))
        .alias("paper_id"),
        pl.col("_matched").is_null().alias("is_new"),
    ).sort("_row")
    return frame.drop("_matched").with_columns(ids.get_column("paper_id"), ids.get_column("is_new"))
