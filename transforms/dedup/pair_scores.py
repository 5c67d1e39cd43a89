"""How similar two given records are: the scores of candidate pairs and the near-duplicate merge rule.

Dedup proposes pairs (an exact key or an LSH band shared: :mod:`transforms.dedup.clusters`, against earlier
versions :mod:`transforms.dedup.matching`); this module scores each pair from the two records' texts alone: exact
Jaccard of the abstracts' word shingles, the words changed between them, Jaccard of the title words. Only the
texts of the pairs' rows are read, in bounded batches.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from transforms.dedup.identity import text_tokens
from transforms.dedup.minhash import DedupParams, _shingles
from transforms.dedup.similarity import count_changed_words

AbstractsOf = Callable[[pl.Series], pl.Series]
"""The cleaned abstracts of the given ``record_id``s, in their order: how dedup reads the abstracts of records
and papers that do not carry them (a run's records reach dedup without them, and dedup reads back only those of
the pairs it scores and the ids it hashes; its papers get theirs back range by range: ``flows/run/version.py``)."""


JACCARD_BATCH_PAIRS = 2_000
"""Pairs scored at a time: a batch holds a row per shingle of each abstract it involves (~150 a text) and their
joins, so the batch, not the run's candidate pairs, bounds that memory (each pair's score is its own)."""


def _abstract_jaccard(texts: pl.Series, pairs: pl.DataFrame, params: DedupParams) -> pl.Series:
    """Exact Jaccard of the word-shingle sets of ``texts[a]`` and ``texts[b]`` for each pair (null if one is
    empty), :data:`JACCARD_BATCH_PAIRS` pairs at a time."""
    if pairs.height == 0:
        return pl.Series("abstract_sim", [], dtype=pl.Float64)
    if pairs.height > JACCARD_BATCH_PAIRS:
        return pl.concat(
            [_abstract_jaccard(texts, batch, params) for batch in pairs.iter_slices(JACCARD_BATCH_PAIRS)]
        )
    involved = pl.concat([pairs["a"], pairs["b"]]).unique().sort()
    doc, shingle = _shingles(texts.gather(involved), params.shingle_size)
    sets = pl.DataFrame({"doc": involved.gather(doc), "shingle": shingle}).unique()
    sizes = sets.group_by("doc").agg(pl.len().alias("n"))
    pair_ids = pairs.select("a", "b").with_row_index("pair")
    common = (
        pair_ids.join(sets, left_on="a", right_on="doc")
        .join(sets, left_on=["b", "shingle"], right_on=["doc", "shingle"])
        .group_by("pair")
        .agg(pl.len().alias("common"))
    )
    scored = (
        pair_ids.join(common, on="pair", how="left")
        .join(sizes.rename({"doc": "a", "n": "n_a"}), on="a", how="left")
        .join(sizes.rename({"doc": "b", "n": "n_b"}), on="b", how="left")
        .sort("pair")
        .select(
            (
                pl.col("common").fill_null(0)
                / (pl.col("n_a") + pl.col("n_b") - pl.col("common").fill_null(0)).cast(pl.Float64)
            ).alias("abstract_sim")
        )
    )
    return scored["abstract_sim"]


SCORED_PAIRS = 100_000
"""Pairs scored at a time by :func:`score_pairs`: their rows' texts are held while they are scored (a run's 660k
candidate pairs at 1M records involve 333k abstracts, ~300 MiB, and their title words twice over), and each slice
reads its abstracts back in one pass over a run's spilled records (~2 s at 1M), so slices of ~200k texts bound
that memory for a few passes."""


def _set_jaccard(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    """Jaccard of two list-of-string columns as sets (null when both are empty)."""
    union = left.list.set_union(right).list.len()
    return pl.when(union > 0).then(left.list.set_intersection(right).list.len() / union).otherwise(None)


def score_pairs(
    docs: pl.DataFrame, pairs: pl.DataFrame, params: DedupParams, abstracts: AbstractsOf | None = None
) -> pl.DataFrame:
    """Add ``abstract_sim``, ``changed_words``, ``title_sim`` and ``similarity`` to pairs of row indices into
    ``docs`` (``changed_words``: :func:`~transforms.dedup.similarity.count_changed_words`).

    ``docs`` needs ``title`` and ``abstract`` (or ``record_id`` and ``abstracts``: only the pairs' are read).
    ``similarity`` is the abstract Jaccard when both abstracts have words, else the title-word Jaccard (so
    exact-title matches of abstract-less records still score). Only the texts of the pairs' rows are read and
    split into words, so scoring a few pairs of a large frame costs a few pairs; many pairs are scored
    :data:`SCORED_PAIRS` at a time (each pair's scores are its own).
    """
    if pairs.height > SCORED_PAIRS:
        return pl.concat(
            [score_pairs(docs, part, params, abstracts) for part in pairs.iter_slices(SCORED_PAIRS)]
        )
    involved = pl.concat([pairs.get_column("a"), pairs.get_column("b")]).unique().sort()
    local = pl.DataFrame(  # the pairs as positions among the involved rows
        {
            "a": involved.search_sorted(pairs.get_column("a")),
            "b": involved.search_sorted(pairs.get_column("b")),
        }
    )
    if "abstract" in docs.columns:
        texts = docs.get_column("abstract").gather(involved)
    elif abstracts is not None:
        texts = abstracts(docs.get_column("record_id").gather(involved))
    else:
        raise ValueError("rows without an abstract column need the abstracts to read theirs from")
    abstract_sim = _abstract_jaccard(texts, local, params)
    changed_words = count_changed_words(texts, local, abstract_sim, params)
    titles = docs.get_column("title").gather(involved).to_frame("title")
    tokens = titles.select(title_words(pl.col("title"))).to_series()
    title_sim = pl.DataFrame({"a": tokens.gather(local["a"]), "b": tokens.gather(local["b"])}).select(
        _set_jaccard(pl.col("a"), pl.col("b")).alias("title_sim")
    )
    return pairs.with_columns(
        abstract_sim.alias("abstract_sim"), changed_words.alias("changed_words"), title_sim.to_series()
    ).with_columns(pl.coalesce("abstract_sim", "title_sim", pl.lit(0.0)).alias("similarity"))


def verified(params: DedupParams) -> pl.Expr:
    """The near-duplicate merge rule applied to scored candidate pairs."""
    abstract_sim = pl.col("abstract_sim").fill_null(0.0)
    title_sim = pl.col("title_sim").fill_null(0.0)
    few_changed = pl.col("changed_words") <= params.max_changed_words
    return (
        (abstract_sim >= params.abstract_alone_threshold)
        | ((abstract_sim >= params.abstract_threshold) & few_changed.fill_null(False))
        | ((abstract_sim >= params.abstract_threshold) & (title_sim >= params.title_threshold))
    )


def title_words(title: pl.Expr) -> pl.Expr:
    """Distinct title words with a plural "s" dropped, so "Network Channels" and "network channel" agree."""
    return text_tokens(title).list.eval(pl.element().str.replace(r"^(\w{3,}[^s])s$", "$1")).list.unique()
