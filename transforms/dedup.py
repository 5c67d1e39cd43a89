"""Deduplication within a run: exact and near-duplicate clusters, and one row per cluster.

Identify first, remove second:

1. :func:`find_clusters` links records by three rules and takes connected components of the links:
   ``arxiv_id`` (same known arXiv id), ``title`` (same normalised title of at least three words, unless both
   abstracts exist and are unrelated) and ``near_duplicate`` (MinHash + LSH banding over word shingles of the
   abstract proposes candidates; a candidate is merged only when the exact Jaccard similarity of the two
   abstracts, and of the two titles, passes :class:`DedupParams`' thresholds). Records whose known arXiv ids
   differ are never linked directly, and a component that still holds two known ids through records without
   one is cut into one cluster per id (:func:`split_arxiv_conflicts`). Each cluster keeps one record, chosen
   by :func:`kept_order` (independent of input order).
2. :func:`collapse_clusters` turns each cluster into one row carrying its members' provenance.

Matching against earlier versions lives in :mod:`transforms.matching`, and merging a run into the version history
in :mod:`transforms.history`.

Signatures are computed with numpy over all shingles at once (chunked by documents to bound memory); no pair
of records is compared unless an exact key or an LSH band puts them in the same bucket.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from transforms.identity import (
    known_arxiv_id,
    normalise_title,
    paper_id_expr,
    text_tokens,
    text_words,
)
from transforms.schema import DUPLICATE_REF, SOURCE_REF

__all__ = [
    "MATCH_RULES",
    "SPLIT_ARXIV_CONFLICT",
    "DedupParams",
    "band_keys",
    "collapse_clusters",
    "find_clusters",
    "kept_order",
    "minhash_signatures",
    "most_similar",
    "normalise_title",
    "paper_id_expr",
    "split_arxiv_conflicts",
]

MATCH_RULES = ("kept", "arxiv_id", "title", "near_duplicate")
"""Values of ``match_rule``: for a merged record, the strongest rule that linked it (see find_clusters)."""

_RULE_PRIORITY = {"arxiv_id": 0, "title": 1, "near_duplicate": 2}
_U64 = np.uint64
_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class DedupParams:
    """Parameters of near-duplicate detection, tuned for ~1,000-character (~150-word) abstracts.

    * ``shingle_size=3`` word 3-grams: a 150-word abstract has ~150 shingles; one changed word changes at most
      3, so a reworded sentence or two leaves Jaccard ~0.8-0.9, while two abstracts on the same topic share
      only stock phrases (Jaccard < 0.15 on the bundled page and the evaluation sets).
    * ``num_perm=64``, ``bands=16`` x ``rows=4``: candidate threshold ~(1/16)^(1/4) = 0.5. A pair with Jaccard
      0.7 becomes a candidate with probability 1-(1-0.7^4)^16 = 0.988, at 0.8 with 0.9998; a pair at 0.2 only
      with 0.025 (and is then rejected by verification). 64 permutations keep 1M signatures at 256 MB.
    * ``abstract_threshold=0.6`` with ``title_threshold=0.3``: a candidate is merged when its abstracts share
      60% of their shingles and its titles share 30% of their words (a retitled preprint, a revised abstract).
    * ``abstract_alone_threshold=0.85``: abstracts this close are the same paper whatever the titles say (a
      journal extension or conference version under a new title).
    * ``min_title_words=3`` and ``title_abstract_floor=0.1``: the exact-title rule applies only to titles of
      at least three words (placeholders such as "Preface" or "Withdrawn" never merge papers by title) and
      is overruled when both records have abstracts sharing under 10% of their shingles (unrelated texts
      score < 0.06 on the bundled page; a paper and its video abstract under one title score ~0.14).
    * ``max_bucket=64``: LSH buckets larger than this (boilerplate abstracts) are linked as a star and a chain
      instead of all pairs, so a bucket costs linear, not quadratic, work.
    * ``seed`` fixes the hash family; changing any of
      ``shingle_size``/``num_perm``/``bands``/``rows``/``seed`` invalidates a persisted index (see
      :func:`build_index`).
    """

    shingle_size: int = 3
    num_perm: int = 64
    bands: int = 16
    rows: int = 4
    abstract_threshold: float = 0.6
    title_threshold: float = 0.3
    abstract_alone_threshold: float = 0.85
    min_title_words: int = 3
    title_abstract_floor: float = 0.1
    max_bucket: int = 64
    seed: int = 20240527
    chunk_docs: int = 20_000

    def __post_init__(self) -> None:
        if self.bands * self.rows != self.num_perm:
            raise ValueError("bands * rows must equal num_perm")
        if self.shingle_size < 1:
            raise ValueError("shingle_size must be >= 1")

    @property
    def fingerprint(self) -> str:
        """Identifies the hash family; an index built with another fingerprint must be rebuilt."""
        return (
            f"w{self.shingle_size}-p{self.num_perm}-b{self.bands}x{self.rows}-s{self.seed}"
            f"-t{self.min_title_words}-plhash-polars{pl.__version__}"
        )


# ----- Shingles and signatures (numpy, vectorised over a chunk of documents) -----


_TOKEN_SEED = 0x5EED_70CE


def token_hashes(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(document index, 64-bit word hash) of every word of :func:`text_words` of the texts, in text order.

    Words are hashed by polars' native ``Series.hash`` with a fixed seed: the same values in every run and
    process with one polars version, but polars does not promise them across versions, so the polars version
    is part of :attr:`DedupParams.fingerprint` (an index built under another version is rebuilt).
    """
    words = text_words(texts)
    doc = words["doc"].to_numpy()
    return doc, words["word"].hash(seed=_TOKEN_SEED).to_numpy()


def _shingles(texts: pl.Series, shingle_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(document index, shingle hash) for every word ``shingle_size``-gram, grouped by document in order.

    Texts shorter than the shingle size give one shingle of all their words; empty texts give none. A shingle's
    hash combines its words' :func:`token_hashes` (``h = h * MIX + next``, 0 past the end of the text).
    """
    doc, token_hash = token_hashes(texts)
    count = len(doc)
    if count == 0:
        return doc, token_hash
    shingle = token_hash.copy()
    for offset in range(1, shingle_size):
        following = np.zeros(count, dtype=_U64)
        same_doc = doc[offset:] == doc[:-offset]
        following[:-offset] = np.where(same_doc, token_hash[offset:], _U64(0))
        shingle *= _MIX
        shingle += following
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    lengths = np.diff(np.r_[starts, count])
    position = np.arange(count) - np.repeat(starts, lengths)
    last_start = np.repeat(np.maximum(lengths - shingle_size, 0), lengths)
    keep = position <= last_start
    return doc[keep], shingle[keep]


def _hash_family(params: DedupParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(params.seed)
    multipliers = rng.integers(1, 2**63, size=params.num_perm, dtype=np.uint64) * _U64(2) + _U64(1)
    increments = rng.integers(0, 2**63, size=params.num_perm, dtype=np.uint64)
    band_mix = rng.integers(1, 2**63, size=params.rows, dtype=np.uint64) * _U64(2) + _U64(1)
    return multipliers, increments, band_mix


def minhash_signatures(
    texts: pl.Series, params: DedupParams = DedupParams()
) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures ``(n, num_perm)`` uint32 of the texts' word shingles, and a mask of texts with
    shingles.

    Each permutation is a multiply-shift hash ``(a*x + b) >> 32`` of the 64-bit shingle hash; minima per
    document come from ``np.minimum.reduceat``. Documents are processed ``chunk_docs`` at a time so memory
    stays bounded.
    """
    multipliers, increments, _ = _hash_family(params)
    n = len(texts)
    signatures = np.full((n, params.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    has_shingles = np.zeros(n, dtype=bool)
    for start in range(0, n, params.chunk_docs):
        doc, shingle = _shingles(texts.slice(start, params.chunk_docs), params.shingle_size)
        if len(doc) == 0:
            continue
        starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
        rows = doc[starts].astype(np.int64) + start
        has_shingles[rows] = True
        signatures[rows] = _minima(shingle, starts, multipliers, increments)
    return signatures, has_shingles


_BLOCK_SHINGLES = 1 << 15
"""Shingles per block of whole documents in :func:`_minima` (256 KB of uint64: stays in the CPU cache across
the ``num_perm`` passes)."""


def _minima(
    shingle: np.ndarray, starts: np.ndarray, multipliers: np.ndarray, increments: np.ndarray
) -> np.ndarray:
    """``(documents, num_perm)`` uint32: per document (shingles ``starts[i]:starts[i+1]``) and permutation
    ``p``, ``min((multipliers[p] * shingle + increments[p]) mod 2^64) >> 32``.

    min(h >> 32) == min(h) >> 32, so the shift is applied to the per-document minima only. The permutations run
    over blocks of whole documents of about ``_BLOCK_SHINGLES`` shingles, so each pass reads from the cache
    instead of memory.
    """
    documents = len(starts)
    bounds = np.r_[starts, len(shingle)]
    cuts = np.unique(np.r_[np.searchsorted(bounds, np.arange(0, len(shingle), _BLOCK_SHINGLES)), documents])
    out = np.empty((documents, len(multipliers)), dtype=np.uint32)
    buffer = np.empty(min(len(shingle), int(np.diff(bounds[cuts]).max())), dtype=_U64)
    for first, last in itertools.pairwise(cuts):
        low, high = bounds[first], bounds[last]
        block = shingle[low:high]
        permuted = buffer[: high - low]
        block_starts = starts[first:last] - low
        for perm in range(len(multipliers)):
            np.multiply(block, multipliers[perm], out=permuted)
            np.add(permuted, increments[perm], out=permuted)
            out[first:last, perm] = np.minimum.reduceat(permuted, block_starts) >> _U64(32)
    return out


def band_keys(signatures: np.ndarray, params: DedupParams = DedupParams()) -> np.ndarray:
    """One 64-bit key per (document, band): a random-coefficient combination of the band's ``rows`` minima."""
    _, _, band_mix = _hash_family(params)
    shaped = signatures.reshape(len(signatures), params.bands, params.rows).astype(_U64)
    keys = np.zeros((len(signatures), params.bands), dtype=_U64)
    for row in range(params.rows):
        keys = keys * _MIX + shaped[:, :, row] * band_mix[row]
    return keys


def band_frame(texts: pl.Series, params: DedupParams) -> pl.DataFrame:
    """Long frame ``doc, band, key`` for the texts that have shingles."""
    signatures, has_shingles = minhash_signatures(texts, params)
    keys = band_keys(signatures, params)
    docs = np.flatnonzero(has_shingles)
    return pl.DataFrame(
        {
            "doc": np.repeat(docs, params.bands).astype(np.uint32),
            "band": np.tile(np.arange(params.bands, dtype=np.int16), len(docs)),
            "key": keys[docs].reshape(-1),
        }
    )


def _bucket_pairs(buckets: pl.DataFrame, key_columns: list[str], max_bucket: int) -> pl.DataFrame:
    """Candidate pairs ``a < b`` of ``doc`` sharing ``key_columns``: all pairs in small buckets, star+chain in
    big."""
    ranked = buckets.unique(["doc", *key_columns]).with_columns(
        pl.len().over(key_columns).alias("size"),
        pl.col("doc").rank("ordinal").over(key_columns).alias("pos"),
        pl.col("doc").min().over(key_columns).alias("first"),
    )
    ranked = ranked.filter(pl.col("size") > 1)
    small = ranked.filter(pl.col("size") <= max_bucket).select("doc", *key_columns)
    all_pairs = (
        small.join(small, on=key_columns, suffix="_b")
        .filter(pl.col("doc") < pl.col("doc_b"))
        .select(pl.col("doc").alias("a"), pl.col("doc_b").alias("b"))
    )
    big = ranked.filter(pl.col("size") > max_bucket).sort([*key_columns, "pos"])
    star = big.filter(pl.col("doc") != pl.col("first")).select(
        pl.col("first").alias("a"), pl.col("doc").alias("b")
    )
    chain = (
        big.with_columns(pl.col("doc").shift(1).over(key_columns).alias("prev"))
        .drop_nulls("prev")
        .select(pl.col("prev").alias("a"), pl.col("doc").alias("b"))
    )
    return pl.concat([all_pairs, star, chain]).unique()


# ----- Similarity of given pairs -----


def _abstract_jaccard(texts: pl.Series, pairs: pl.DataFrame, params: DedupParams) -> pl.Series:
    """Exact Jaccard of the word-shingle sets of ``texts[a]`` and ``texts[b]`` for each pair (null if one is
    empty)."""
    if pairs.height == 0:
        return pl.Series("abstract_sim", [], dtype=pl.Float64)
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


def _set_jaccard(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    """Jaccard of two list-of-string columns as sets (null when both are empty)."""
    union = left.list.set_union(right).list.len()
    return pl.when(union > 0).then(left.list.set_intersection(right).list.len() / union).otherwise(None)


def score_pairs(docs: pl.DataFrame, pairs: pl.DataFrame, params: DedupParams) -> pl.DataFrame:
    """Add ``abstract_sim``, ``title_sim`` and ``similarity`` to pairs of row indices into ``docs``.

    ``docs`` needs ``abstract`` and ``title_tokens``. ``similarity`` is the abstract Jaccard when both
    abstracts have words, else the title-word Jaccard (so exact-title matches of abstract-less records still
    score).
    """
    abstract_sim = _abstract_jaccard(docs["abstract"], pairs, params)
    tokens = docs.select("title_tokens").with_row_index("doc")
    return (
        pairs.with_columns(abstract_sim.alias("abstract_sim"))
        .join(
            tokens.rename({"doc": "a", "title_tokens": "tokens_a"}), on="a", how="left", maintain_order="left"
        )
        .join(
            tokens.rename({"doc": "b", "title_tokens": "tokens_b"}), on="b", how="left", maintain_order="left"
        )
        .with_columns(_set_jaccard(pl.col("tokens_a"), pl.col("tokens_b")).alias("title_sim"))
        .with_columns(pl.coalesce("abstract_sim", "title_sim", pl.lit(0.0)).alias("similarity"))
        .drop("tokens_a", "tokens_b")
    )


def verified(params: DedupParams) -> pl.Expr:
    """The near-duplicate merge rule applied to scored candidate pairs."""
    abstract_sim = pl.col("abstract_sim").fill_null(0.0)
    title_sim = pl.col("title_sim").fill_null(0.0)
    return (abstract_sim >= params.abstract_alone_threshold) | (
        (abstract_sim >= params.abstract_threshold) & (title_sim >= params.title_threshold)
    )


# ----- Within a run -----


def kept_order() -> list[pl.Expr]:
    """Sort keys choosing a cluster's kept record, best first.

    Has an arXiv id (the strongest identity), then the earliest ``listed_on``, then the earliest
    ``captured_at`` (unknown last), then the longest cleaned abstract, then the smallest ``record_id``. Every key
    is a property of the record, so the choice never depends on input order. The earliest listing and capture
    come before abstract length so that one run over many days keeps the same record (and so derives the same
    ``paper_id``) as day-by-day runs, where the first record listed defines the paper (whatever order the local
    files' modification times say); among records listed and captured together the most complete abstract wins.
    """
    return [
        known_arxiv_id(pl.col("arxiv_id")).is_null(),
        pl.col("listed_on").is_null(),
        pl.col("listed_on"),
        pl.col("captured_at").is_null(),
        pl.col("captured_at"),
        -pl.col("abstract").fill_null("").str.len_chars().cast(pl.Int64),
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


def title_words(title: pl.Expr) -> pl.Expr:
    """Distinct title words with a plural "s" dropped, so "Network Channels" and "network channel" agree."""
    return text_tokens(title).list.eval(pl.element().str.replace(r"^(\w{3,}[^s])s$", "$1")).list.unique()


def prepare_docs(records: pl.DataFrame, params: DedupParams) -> pl.DataFrame:
    """Row index plus the keys every rule needs."""
    return records.with_row_index("doc").with_columns(
        known_arxiv_id(pl.col("arxiv_id")).alias("arxiv_key"),
        title_key(pl.col("title"), params).alias("title_key"),
        title_words(pl.col("title")).alias("title_tokens"),
    )


def shared_band_frame(texts: pl.Series, params: DedupParams) -> pl.DataFrame:
    """Like :func:`band_frame`, but only the (doc, band, key) rows whose key another doc shares in that band.

    Nearly every band key is unique, so dropping those first (one hash pass per band) leaves a frame of a few
    rows per candidate pair instead of ``bands`` rows per document: the bucket grouping then costs nothing.
    """
    signatures, has_shingles = minhash_signatures(texts, params)
    keys = band_keys(signatures, params)
    del signatures
    docs = np.flatnonzero(has_shingles).astype(np.uint32)
    parts = []
    for band in range(params.bands):
        column = pl.Series("key", keys[docs, band])
        shared = column.is_duplicated().to_numpy()
        parts.append(
            pl.DataFrame(
                {
                    "doc": docs[shared],
                    "band": np.full(int(shared.sum()), band, dtype=np.int16),
                    "key": column.filter(shared),
                }
            )
        )
    return pl.concat(parts)


def _near_pairs(docs: pl.DataFrame, params: DedupParams) -> pl.DataFrame:
    bands = shared_band_frame(docs["abstract"], params)
    return _bucket_pairs(bands, ["band", "key"], params.max_bucket)


SPLIT_ARXIV_CONFLICT = "dedup:split_arxiv_conflict"
"""``decisions`` tag of every record of a component that held two known arXiv ids and was split (see
:func:`split_arxiv_conflicts`)."""


def most_similar(frame: pl.DataFrame, group: str, choice: str, alias: str) -> pl.DataFrame:
    """Per ``group``, the ``choice`` of its row closest by ``abstract_sim``, then ``title_sim`` (missing scores
    last), then the smaller ``choice``: how an arXiv-id conflict is settled, in a run and against history."""
    return (
        frame.sort(
            group, "abstract_sim", "title_sim", choice, descending=[False, True, True, False], nulls_last=True
        )
        .group_by(group, maintain_order=True)
        .agg(pl.col(choice).first().alias(alias))
    )


def split_arxiv_conflicts(
    docs: pl.DataFrame, edges: pl.DataFrame, component: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Components relabelled so that none holds two known arXiv ids, and a mask of the records that were split.

    Records with different known ids are never linked, but records without an id can still join them into one
    component. Each such component is cut into one cluster per id (its anchor):

    * a record with an id belongs to that id's anchor;
    * records without an id that are linked to one another form blobs; a blob linked to records of one id only
      joins that id's anchor;
    * the rest (bridges: blobs linked to two ids or more) are assigned outward from the anchors, round by round:
      an unassigned record joins the anchor of the assigned record it is linked to most closely, by the
      link's abstract Jaccard, then its title Jaccard (missing scores last), then the smaller arXiv id.

    Every key is a property of the records, so the result does not depend on input order. Only the conflicting
    components are looked at; ``edges`` needs ``a``, ``b``, ``abstract_sim`` and ``title_sim``.
    """
    arxiv = docs["arxiv_key"]
    per_component = (
        pl.DataFrame({"component": component, "arxiv": arxiv})
        .drop_nulls("arxiv")
        .group_by("component")
        .agg(pl.col("arxiv").n_unique().alias("ids"))
        .filter(pl.col("ids") > 1)
    )
    split = np.isin(component, per_component["component"].to_numpy())
    if not split.any():
        return component, split
    members = np.flatnonzero(split)
    local = np.full(len(component), -1, dtype=np.int64)
    local[members] = np.arange(len(members))
    a_all, b_all = edges["a"].to_numpy(), edges["b"].to_numpy()
    inside = split[a_all]  # both ends of an edge are in one component
    a, b = local[a_all[inside]], local[b_all[inside]]
    scores = edges.filter(pl.Series(inside, dtype=pl.Boolean)).select("abstract_sim", "title_sim")
    key = arxiv.gather(members)
    has_id = key.is_not_null().to_numpy()

    idless = ~has_id[a] & ~has_id[b]
    m = len(members)
    blob_graph = coo_matrix((np.ones(int(idless.sum()), dtype=np.int8), (a[idless], b[idless])), shape=(m, m))
    _, blob = connected_components(blob_graph, directed=False)
    touching = pl.concat(
        [
            pl.DataFrame(
                {"blob": blob[a[~has_id[a] & has_id[b]]], "anchor": key.gather(b[~has_id[a] & has_id[b]])}
            ),
            pl.DataFrame(
                {"blob": blob[b[~has_id[b] & has_id[a]]], "anchor": key.gather(a[~has_id[b] & has_id[a]])}
            ),
        ]
    )
    single = (
        touching.group_by("blob")
        .agg(pl.col("anchor").unique().alias("anchors"))
        .filter(pl.col("anchors").list.len() == 1)
        .select("blob", pl.col("anchors").list.first().alias("anchor"))
    )
    anchors = (
        pl.DataFrame({"doc": np.arange(m), "blob": blob, "key": key})
        .join(single, on="blob", how="left", maintain_order="left")
        .select("doc", pl.coalesce("key", "anchor").alias("anchor"))
    )
    links = pl.concat(
        [
            pl.DataFrame({"src": a, "dst": b}).with_columns(scores),
            pl.DataFrame({"src": b, "dst": a}).with_columns(scores),
        ]
    )
    while anchors["anchor"].null_count():
        assigned = anchors.drop_nulls("anchor").rename({"doc": "dst"})
        open_docs = anchors.filter(pl.col("anchor").is_null()).select(pl.col("doc").alias("src"))
        best = most_similar(links.join(open_docs, on="src").join(assigned, on="dst"), "src", "anchor", "best")
        if best.height == 0:  # every record of a component is linked to it, so this cannot happen
            raise RuntimeError("split_arxiv_conflicts: a record is linked to no anchor")
        anchors = anchors.join(
            best.rename({"src": "doc"}), on="doc", how="left", maintain_order="left"
        ).select("doc", pl.coalesce("anchor", "best").alias("anchor"))
    labels = (
        pl.DataFrame({"component": component[members], "anchor": anchors["anchor"]})
        .select(pl.struct("component", "anchor").rank("dense").cast(pl.Int64).alias("label"))["label"]
        .to_numpy()
    )
    relabelled = component.copy()
    relabelled[members] = component.max() + labels
    return relabelled, split


def find_clusters(records: pl.DataFrame, params: DedupParams = DedupParams()) -> pl.DataFrame:
    """Add ``cluster_id`` (record_id of the kept record), ``similarity``, ``match_rule`` and ``decisions``.

    Needs ``record_id``, ``title``, ``abstract``, ``arxiv_id``, ``listed_on`` and ``captured_at``. Rows keep their input
    order. ``similarity`` is measured against the kept record (abstract shingle Jaccard, or title-word Jaccard
    when an abstract is empty), 1.0 for the kept record. ``match_rule`` is ``kept`` for the kept record, else
    the strongest rule among the record's links, preferring a direct link to the kept record. ``decisions``
    is ``[SPLIT_ARXIV_CONFLICT]`` for the records of a component that was split, else empty.
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
        score_pairs(docs, same_title, params)
        .filter(title_not_contradicted(params))
        .select("a", "b", pl.lit("title").alias("rule"), "abstract_sim", "title_sim")
    )
    arxiv_pairs = _exact_pairs(docs, "arxiv_key").with_columns(
        pl.lit("arxiv_id").alias("rule"),
        pl.lit(None, dtype=pl.Float64).alias("abstract_sim"),
        pl.lit(None, dtype=pl.Float64).alias("title_sim"),
    )
    candidates = _near_pairs(docs, params)
    scored = score_pairs(docs, candidates, params)
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
    ranked = docs.with_columns(pl.Series("component", component, dtype=pl.Int64)).sort(
        ["component", *kept_order()]
    )
    kept = ranked.group_by("component", maintain_order=True).agg(
        pl.col("doc").first().alias("kept_doc"), pl.col("record_id").first().alias("cluster_id")
    )
    members = docs.select("doc").with_columns(pl.Series("component", component, dtype=pl.Int64))
    members = members.join(kept, on="component", how="left", maintain_order="left")

    to_kept = members.filter(pl.col("doc") != pl.col("kept_doc")).select(
        pl.col("kept_doc").alias("a"), pl.col("doc").alias("b")
    )
    similarity = score_pairs(docs, to_kept, params).select(pl.col("b").alias("doc"), "similarity")

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


_MAX_COLUMNS = ("upvotes", "num_comments")
_KEPT_COLUMNS = (
    "record_id",
    "source",
    "input_path",
    "raw_sha256",
    "raw_index",
    "captured_at",
    "title",
    "abstract",
    "title_raw",
    "abstract_raw",
    "language",
    "language_score",
    "cleaning_flags",
    "reasons",
    "cluster_id",
    "similarity",
    "match_rule",
)
_UNION_COLUMNS = ("cleaning_flags", "decisions")


def collapse_clusters(clustered: pl.DataFrame) -> pl.DataFrame:
    """One row per cluster: the kept record, its members' provenance and merged fields.

    Merges: record-level columns (ids, source, title, abstract, raw text, language) are the kept record's;
    ``upvotes``/``num_comments`` are the maximum over members; every other column (arxiv_id, arxiv_version,
    url, authors, keywords, published_at, categories, journal_ref, doi...) is the kept record's value if
    present and non-empty, else the first non-empty value in kept order; ``cleaning_flags`` is the union. Adds
    ``aliases`` (distinct other titles, by normalised form, sorted), ``duplicates`` (DUPLICATE_REF per merged
    record, sorted by similarity descending then source, raw_sha256), ``sources`` (SOURCE_REF for all members,
    distinct, sorted by captured_at, source, raw_sha256) and ``member_record_ids`` (sorted).
    """
    columns = [c for c in clustered.columns if c not in ("doc",)]
    ranked = clustered.sort(["cluster_id", pl.col("record_id") != pl.col("cluster_id"), *kept_order()])
    schema = ranked.schema
    aggregations: list[pl.Expr] = []
    for name in columns:
        if name == "cluster_id":
            continue
        dtype = schema[name]
        if name in _MAX_COLUMNS:
            aggregations.append(pl.col(name).max())
        elif name in _UNION_COLUMNS and isinstance(dtype, pl.List):
            aggregations.append(
                pl.col(name).list.explode(keep_nulls=False, empty_as_null=False).unique().sort().alias(name)
            )
        elif name in _KEPT_COLUMNS:
            aggregations.append(pl.col(name).first())
        elif isinstance(dtype, pl.List):
            non_empty = pl.col(name).filter(pl.col(name).list.len() > 0)
            aggregations.append(
                pl.when(non_empty.len() > 0)
                .then(non_empty.first())
                .otherwise(pl.col(name).first())
                .alias(name)
            )
        elif dtype == pl.String:
            present = pl.col(name).filter(pl.col(name).str.strip_chars() != "")
            aggregations.append(
                pl.when(present.len() > 0).then(present.first()).otherwise(pl.col(name).first()).alias(name)
            )
        else:
            aggregations.append(pl.col(name).drop_nulls().first().alias(name))

    title_key = normalise_title(pl.col("title"))
    is_other = pl.col("record_id") != pl.col("cluster_id")
    kept_title_key = title_key.first()
    alias_titles = (
        pl.col("title")
        .filter(is_other & (title_key != kept_title_key) & (title_key != ""))
        .sort_by(
            title_key.filter(is_other & (title_key != kept_title_key) & (title_key != "")),
            maintain_order=True,
        )
    )
    duplicate_struct = pl.struct(
        pl.col("title"), pl.col("source"), pl.col("raw_sha256"), pl.col("similarity").cast(pl.Float64)
    )
    source_struct = pl.struct(pl.col("source"), pl.col("captured_at"), pl.col("raw_sha256"))
    aggregations += [
        alias_titles.alias("_alias_candidates"),
        duplicate_struct.filter(is_other)
        .sort_by(
            [
                (-pl.col("similarity")).filter(is_other),
                pl.col("source").filter(is_other),
                pl.col("raw_sha256").filter(is_other),
                pl.col("record_id").filter(is_other),
            ]
        )
        .alias("duplicates"),
        source_struct.unique().alias("_sources_unsorted"),
        pl.col("record_id").sort().alias("member_record_ids"),
    ]
    collapsed = ranked.group_by("cluster_id", maintain_order=True).agg(aggregations)
    collapsed = collapsed.with_columns(
        clean_aliases(collapsed),
        pl.col("_sources_unsorted")
        .list.eval(
            pl.element().sort_by(
                pl.element().struct.field("captured_at"),
                pl.element().struct.field("source"),
                pl.element().struct.field("raw_sha256"),
                nulls_last=True,
            )
        )
        .alias("sources"),
    ).drop("_alias_candidates", "_sources_unsorted")
    collapsed = collapsed.with_columns(
        pl.col("duplicates").cast(_polars_dtype(DUPLICATE_REF, "duplicates")),
        pl.col("sources").cast(_polars_dtype(SOURCE_REF, "sources")),
    )
    return collapsed.select(*columns, "aliases", "duplicates", "sources", "member_record_ids").sort(
        "cluster_id"
    )


def _polars_dtype(struct: object, name: str) -> pl.DataType:
    import pyarrow as pa

    return pl.from_arrow(pa.schema([pa.field(name, pa.list_(struct))]).empty_table()).schema[name]


def clean_aliases(frame: pl.DataFrame) -> pl.Series:
    """Distinct (by normalised form) ``_alias_candidates`` other than the row's own title, first kept."""
    long = (
        frame.select(
            pl.col("_alias_candidates").alias("alias"), normalise_title(pl.col("title")).alias("own")
        )
        .with_row_index("row")
        .explode("alias")
        .drop_nulls("alias")
        .with_columns(normalise_title(pl.col("alias")).alias("key"))
        .filter((pl.col("key") != "") & (pl.col("key") != pl.col("own")))
        .unique(["row", "key"], keep="first", maintain_order=True)
        .group_by("row")
        .agg("alias")
    )
    rows = pl.DataFrame({"row": pl.int_range(frame.height, dtype=pl.UInt32, eager=True)})
    joined = rows.join(long, on="row", how="left", maintain_order="left")
    return joined["alias"].fill_null(pl.lit([], dtype=pl.List(pl.String))).alias("aliases")
