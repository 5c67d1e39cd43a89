"""The per-version dedup lookup index: every paper's keys (arXiv id, titles, LSH bands of its abstract).

:func:`build_index` and :func:`update_index` maintain the key table (``index/dedup-keys-*.parquet``) that
keeps matching a run against the history (:mod:`transforms.dedup.matching`) proportional to the new records,
not to the history.
"""

from __future__ import annotations

import polars as pl

from transforms.dedup.clusters import title_key
from transforms.dedup.identity import (
    known_arxiv_id,
    stable_hash64,
)
from transforms.dedup.minhash import DedupParams, Signatures, band_frame
from transforms.schema import DEDUP_INDEX_SCHEMA, polars_schema

INDEX_ORDER = ["paper_id", "kind", "band", "key"]
"""Rows of one paper together, in paper-id order: the index is range-sharded by ``paper_id`` like the papers, so
a run that touches a few papers changes a few index shards (``flows/store/shards.py``)."""


INDEX_SCHEMA = polars_schema(DEDUP_INDEX_SCHEMA)
"""Persisted per version as ``index/dedup-keys-*.parquet``: one row per (paper, lookup key).

``kind`` is ``arxiv`` (key = hash of the arXiv id), ``title`` (hash of a normalised title or alias) or
``band`` (an LSH band key of an abstract, ``band`` its number). ``fingerprint`` is
:attr:`DedupParams.fingerprint`.
"""


def _key_hash(expr: pl.Expr) -> pl.Expr:
    return stable_hash64(expr)


def build_index(papers: pl.DataFrame, params: DedupParams = DedupParams()) -> pl.DataFrame:
    """Lookup keys of papers (needs ``paper_id``, ``title``, ``abstract``, ``arxiv_id``; ``aliases`` if any).

    Built once from a full version (or when the fingerprint changed), then grown with :func:`update_index`
    from each run's papers only. In ``INDEX_ORDER``.
    """
    return _in_index_order(_index_form(_ranked_keys(papers, params), params))


def lookup_keys(papers: pl.DataFrame, params: DedupParams = DedupParams()) -> pl.DataFrame:
    """The rows of :func:`build_index` in no particular order: what a probe joins on, without the sort."""
    return _index_form(_ranked_keys(papers, params), params).drop(_RANK).cast(INDEX_SCHEMA)


def positional_keys(
    papers: pl.DataFrame, params: DedupParams = DedupParams(), signatures: Signatures | None = None
) -> pl.DataFrame:
    """:func:`lookup_keys` of papers that have no ids yet, in :data:`PROBE_SCHEMA` (``paper_id`` their row
    position): what :func:`match_previous` probes the index with.

    Held on numbers (~18 bytes a row, ~34 rows a paper), not as index rows (text ids, kinds and fingerprints:
    three to four times that). Papers without an ``abstract`` column are banded from ``signatures``, a row a
    paper.
    """
    if papers.height == 0:
        return pl.DataFrame(schema=PROBE_SCHEMA)
    numbered = papers.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("paper_id"))
    bands = _band_rows(numbered, params, signatures)
    band_rows = bands.select(  # a row position is the paper's number: its band rows are the bands as they are
        pl.col("doc").cast(pl.UInt32).alias("paper_id"),
        pl.lit("band", dtype=KIND).alias("kind"),
        "band",
        "key",
    )
    # Laid end to end, not copied into one block: the band rows are ~32 a paper.
    return pl.concat(
        [_exact_rows(numbered, params).cast(PROBE_SCHEMA), band_rows.cast(PROBE_SCHEMA)], rechunk=False
    )


_RANK = "_paper_rank"
_KIND_ORDER = {"arxiv": 0, "band": 1, "title": 2}
"""``kind`` sorts as these codes (its values in byte order), so the index is sorted on numbers, not strings."""

KIND = pl.Enum(list(_KIND_ORDER))
"""``kind`` on numbers (its codes are :data:`_KIND_ORDER`'s)."""

PROBE_SCHEMA = pl.Schema(
    [("paper_id", pl.UInt32()), ("kind", KIND), ("band", pl.Int16()), ("key", pl.UInt64())]
)
""":func:`positional_keys`: ``paper_id`` a row position."""


def _index_form(ranked: pl.DataFrame, params: DedupParams) -> pl.DataFrame:
    """:func:`_ranked_keys` rows with ``kind`` as text and the ``fingerprint``, as the index holds them."""
    return ranked.with_columns(
        pl.col("kind").cast(pl.String), pl.lit(params.fingerprint).alias("fingerprint")
    )


def _band_rows(papers: pl.DataFrame, params: DedupParams, signatures: Signatures | None) -> pl.DataFrame:
    """:func:`band_frame` of the papers' abstracts (``doc`` a row position in ``papers``): of their ``abstract``
    column, else of ``signatures`` (row ``i`` paper ``i``'s)."""
    if "abstract" in papers.columns:
        return band_frame(papers.get_column("abstract"), params)
    if signatures is None or len(signatures) != papers.height:
        raise ValueError("papers without an abstract column need their abstracts' signatures, a row a paper")
    return signatures.band_frame(params)


def _ranked_keys(
    papers: pl.DataFrame, params: DedupParams, signatures: Signatures | None = None
) -> pl.DataFrame:
    """Distinct key rows of the papers with ``_paper_rank``, the dense rank of ``paper_id`` among them.

    The ~32 band rows of a paper are distinct when its ``paper_id`` is (one row per band), so only the few
    title and arXiv rows, or band rows of repeated ids, go through ``unique``; the rank is computed on the
    papers, not on the 30-odd times longer key rows.
    """
    if papers.height == 0:
        schema = {name: dtype for name, dtype in INDEX_SCHEMA.items() if name != "fingerprint"}
        return pl.DataFrame(
            schema={**schema, "paper_id": papers.schema["paper_id"], "kind": KIND, _RANK: pl.UInt32}
        )
    ranked = papers.with_columns(pl.col("paper_id").rank("dense").cast(pl.UInt32).alias(_RANK))
    bands = _band_rows(ranked, params, signatures)
    doc = bands["doc"]
    band_rows = pl.DataFrame(
        {
            "paper_id": ranked["paper_id"].gather(doc),
            "kind": pl.Series("kind", ["band"], dtype=KIND).new_from_index(0, len(doc)),
            "band": bands["band"],
            "key": bands["key"],
            _RANK: ranked[_RANK].gather(doc),
        }
    )
    if not ranked["paper_id"].is_unique().all():
        band_rows = band_rows.unique()
    return pl.concat([_exact_rows(ranked, params, (_RANK,)), band_rows])


def _exact_rows(papers: pl.DataFrame, params: DedupParams, carried: tuple[str, ...] = ()) -> pl.DataFrame:
    """The distinct ``arxiv`` and ``title`` key rows of the papers (``paper_id``, ``kind``, ``band``, ``key``,
    then the ``carried`` columns): a known arXiv id, the normalised title and each alias (``aliases``)."""
    titles = papers.select("paper_id", *carried, pl.col("title").alias("t"))
    if "aliases" in papers.columns:
        aliases = (
            papers.select("paper_id", *carried, pl.col("aliases").alias("t")).explode("t").drop_nulls("t")
        )
        titles = pl.concat([titles, aliases])
    rows = []
    for kind, keyed in (
        ("arxiv", papers.select("paper_id", *carried, known_arxiv_id(pl.col("arxiv_id")).alias("t"))),
        ("title", titles.with_columns(title_key(pl.col("t"), params).alias("t"))),
    ):
        rows.append(
            keyed.drop_nulls("t")
            .unique()
            .select(
                "paper_id",
                pl.lit(kind, dtype=KIND).alias("kind"),
                pl.lit(-1, dtype=pl.Int16).alias("band"),
                _key_hash(pl.col("t")).alias("key"),
                *carried,
            )
        )
    return pl.concat(rows)


def _in_index_order(ranked: pl.DataFrame) -> pl.DataFrame:
    """Rows with ``_paper_rank`` sorted as ``INDEX_ORDER`` would sort them, on numbers only; rows already in that
    order are checked, not sorted (a sort copies every key row: ~34 a paper)."""
    kind = pl.col("kind").replace_strict(_KIND_ORDER, return_dtype=pl.UInt8)
    order = [pl.col(_RANK), kind, pl.col("band"), pl.col("key")]
    if not _ordered(ranked, order):
        ranked = ranked.sort(order)
    return ranked.drop(_RANK).cast(INDEX_SCHEMA)


def _ordered(frame: pl.DataFrame, keys: list[pl.Expr]) -> bool:
    """Whether every row is at most the next one, comparing ``keys`` in turn (none of them null)."""
    if frame.height < 2:
        return True
    at_most_next: pl.Expr = pl.lit(True)
    for key in reversed(keys):
        following = key.shift(-1)
        at_most_next = (key < following) | ((key == following) & at_most_next)
    return bool(frame.select(at_most_next.head(frame.height - 1).all()).item())


def update_index(
    index: pl.DataFrame,
    papers: pl.DataFrame,
    params: DedupParams = DedupParams(),
) -> pl.DataFrame:
    """The index plus the keys of this run's papers (those are the only papers whose keys can have changed).

    A paper seen again keeps its old keys too, so a later record can match any version of its text. The result
    is in ``INDEX_ORDER``; an index already in that order (as versions store it) is merged with the run's rows
    in one pass instead of sorted again, and the rows of papers not in this run keep their order.
    """
    if index.height and index["fingerprint"].unique().to_list() != [params.fingerprint]:
        raise ValueError("index was built with other parameters; rebuild it with build_index")
    added = _index_form(_ranked_keys(papers, params), params)
    if index.height == 0:  # a first version: the run's rows are the index
        return _in_index_order(added)
    if not index.get_column("paper_id").is_sorted():
        return pl.concat([index, added.drop(_RANK).cast(INDEX_SCHEMA)]).unique().sort(INDEX_ORDER)
    ranks = added.select("paper_id", _RANK).unique()
    in_run = pl.col("paper_id").is_in(ranks.get_column("paper_id").implode())
    touched, kept = index.filter(in_run), index.filter(~in_run)
    # The touched papers' old rows are few and distinct, the run's rows distinct: their union without the rows
    # both hold, then sorted by the run's ranks of the ids.
    old = touched.join(ranks, on="paper_id")
    fresh = added.join(old, on=list(INDEX_SCHEMA), how="anti")
    grown = _in_index_order(pl.concat([old.select(fresh.columns), fresh]))
    return kept.merge_sorted(grown, key="paper_id")
