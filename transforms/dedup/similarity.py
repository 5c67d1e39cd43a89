"""Words changed between two abstracts, for the near-duplicate rule's few-changed-words clause (issue 30).

The rule's other measures (shingle and title Jaccard) are in :mod:`transforms.dedup.clusters`; this one matches
the two abstracts' normalised words as bags, so a word replaced everywhere ("rope" to "ribbon" four times) counts
every time, which a Jaccard of word sets does not (``bench/experiments/dedup-word-edits.md``).
"""

from __future__ import annotations

import polars as pl

from transforms.dedup.minhash import DedupParams, _shingles


def count_changed_words(
    texts: pl.Series, pairs: pl.DataFrame, abstract_sim: pl.Series, params: DedupParams
) -> pl.Series:
    """Words changed between the pairs' abstracts: the longer one's words left unmatched when the two bags of
    words are matched word for word (a replaced word counts once, an inserted one once), computed only where it
    can decide a merge: a pair between ``abstract_threshold`` and ``abstract_alone_threshold`` (null elsewhere,
    and where more than ``max_changed_share`` of the longer abstract's words changed)."""
    undecided = (
        (abstract_sim >= params.abstract_threshold) & (abstract_sim < params.abstract_alone_threshold)
    ).fill_null(False)
    rows = undecided.arg_true()
    result = pl.Series("changed_words", [None] * pairs.height, dtype=pl.Int64)
    if rows.is_empty():
        return result
    chosen = pairs[rows].with_row_index("pair")
    involved = pl.concat([chosen["a"], chosen["b"]]).unique().sort()
    doc, word = _shingles(texts.gather(involved), 1)
    bags = (
        pl.DataFrame({"doc": involved.gather(doc), "word": word})
        .group_by("doc", "word")
        .agg(pl.len().alias("n"))
    )
    sizes = bags.group_by("doc").agg(pl.col("n").sum().alias("words"))
    common = (
        chosen.join(bags, left_on="a", right_on="doc")
        .join(bags, left_on=["b", "word"], right_on=["doc", "word"])
        .group_by("pair")
        .agg(pl.min_horizontal("n", "n_right").sum().alias("common"))
    )
    changed = (
        chosen.join(common, on="pair", how="left")
        .join(sizes.rename({"doc": "a", "words": "words_a"}), on="a", how="left")
        .join(sizes.rename({"doc": "b", "words": "words_b"}), on="b", how="left")
        .sort("pair")
        .with_columns(longer=pl.max_horizontal("words_a", "words_b"))
        .select(
            pl.when(
                pl.col("longer") - pl.col("common").fill_null(0)
                <= params.max_changed_share * pl.col("longer")
            ).then(pl.col("longer") - pl.col("common").fill_null(0))
        )
        .to_series()
        .cast(pl.Int64)
    )
    return result.scatter(rows, changed)
