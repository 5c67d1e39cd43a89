"""MinHash signatures and LSH band keys of word shingles: the candidate step of near-duplicate detection.

Signatures come from one compiled pass over each chunk's word hashes
(:func:`transforms.dedup.kernels.shingle_minima`); the numpy :func:`_shingles` and :func:`_minima` are the
definition it is tested against (and :func:`_shingles` gives the exact Jaccard of verification).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import polars as pl

from transforms.dedup.identity import word_series

__all__ = [
    "DedupParams",
    "Signatures",
    "band_columns",
    "band_frame",
    "band_keys",
    "minhash_signatures",
    "shared_band_frame",
    "token_hashes",
]

_U64 = np.uint64
_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class DedupParams:
    """Parameters of near-duplicate detection, tuned for ~1,000-character (~150-word) abstracts.

    * ``shingle_size=3`` word 3-grams: a 150-word abstract has ~150 shingles; one changed word changes at most
      3, so a reworded sentence or two leaves Jaccard ~0.8-0.9, while two abstracts on the same topic share
      only stock phrases (Jaccard < 0.15 on the bundled page and the evaluation sets).
    * ``num_perm=64``, ``bands=32`` x ``rows=4``: every permutation sits in two bands, the first 16 bands
      taking the minima in order and the next 16 a seeded shuffle of them (:func:`band_columns`). Bands of 4
      rows keep the candidate threshold near 0.5 (a pair at Jaccard 0.2 becomes a candidate with probability
      ~0.05, 0.1 with ~0.003), and twice the bands lift it at the verification threshold 0.6 from 0.89 (16
      disjoint bands) to ~0.976, at 0.7 to ~0.999 (simulated): the planted near-duplicates that 16 bands missed
      had Jaccard 0.64-0.76 and shared no band (bench/experiments/dedup-band-layouts.md). 64 permutations keep
      1M signatures at 256 MB; the band keys and their sharing test are one compiled pass per band, so the extra
      bands cost little.
    * ``abstract_threshold=0.6`` with ``title_threshold=0.3``: a candidate is merged when its abstracts share
      60% of their shingles and its titles share 30% of their words (a retitled preprint, a revised abstract).
    * ``abstract_alone_threshold=0.85``: abstracts this close are the same paper whatever the titles say (a
      journal extension or conference version under a new title).
    * ``max_changed_words=4`` and ``max_changed_share=0.05``: a candidate whose abstracts share at least 60% of
      their shingles and differ by at most 4 words (matched as bags of words), and by at most 5% of the longer
      one's words, is the same text with a few words changed (a journal version, a re-listing), whatever the
      titles say. 2-4 changed words of a 150-word abstract change up to 12 shingles (shingle Jaccard down to
      0.66 in a shorter one); a follow-up paper that recycles its predecessor's abstract changes more words
      ("rope" to "ribbon" throughout), and a 34-word template 2 of them (6%). See
      bench/experiments/dedup-word-edits.md. Pairs whose known arXiv ids differ are never linked.
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
    bands: int = 32
    rows: int = 4
    abstract_threshold: float = 0.6
    title_threshold: float = 0.3
    abstract_alone_threshold: float = 0.85
    max_changed_words: int = 4
    max_changed_share: float = 0.05
    min_title_words: int = 3
    title_abstract_floor: float = 0.1
    max_bucket: int = 64
    seed: int = 20240527
    chunk_docs: int = 20_000

    def __post_init__(self) -> None:
        if self.bands * self.rows % self.num_perm:
            raise ValueError("bands * rows must be a multiple of num_perm")
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
    hashes, starts = _word_hashes(texts)
    return np.repeat(np.arange(len(starts) - 1, dtype=np.uint32), np.diff(starts)), hashes


def _word_hashes(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """The :func:`token_hashes` of all words back to back, and the ``n + 1`` offsets of each text's first."""
    words, starts = word_series(texts)
    return words.hash(seed=_TOKEN_SEED).to_numpy(), starts


def _shingles(texts: pl.Series, shingle_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(document index, shingle hash) for every word ``shingle_size``-gram, grouped by document in order.

    Texts shorter than the shingle size give one shingle of all their words; empty texts give none. A shingle's
    hash combines its words' :func:`token_hashes` (``h = h * MIX + next``, 0 past the end of the text).
    """
    return _rolling_shingles(*token_hashes(texts), shingle_size)


def _rolling_shingles(
    doc: np.ndarray, token_hash: np.ndarray, shingle_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_shingles` of given ``(document index, word hash)`` arrays."""
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

    Each permutation is a multiply-shift hash ``(a*x + b) >> 32`` of the 64-bit shingle hash. The shingles
    and their minima per document come from one compiled pass over the word hashes
    (:func:`transforms.dedup.kernels.shingle_minima`), equal to :func:`_shingles` then :func:`_minima`. Documents are
    processed ``chunk_docs`` at a time so memory stays bounded.
    """
    from transforms.dedup.kernels import shingle_minima

    multipliers, increments, _ = _hash_family(params)
    n = len(texts)
    empty = Signatures.empty(params, n)
    signatures, has_shingles = empty.values, empty.has_shingles
    for start in range(0, n, params.chunk_docs):
        hashes, starts = _word_hashes(texts.slice(start, params.chunk_docs))
        stop = start + len(starts) - 1
        shingle_minima(
            hashes,
            starts,
            params.shingle_size,
            _MIX,
            multipliers,
            increments,
            signatures[start:stop],
            has_shingles[start:stop],
        )
    return signatures, has_shingles


_BLOCK_SHINGLES = 1 << 15
"""Shingles per block of whole documents in :func:`_minima` (256 KB of uint64: stays in the CPU cache across
the ``num_perm`` passes)."""


def _minima(
    shingle: np.ndarray, starts: np.ndarray, multipliers: np.ndarray, increments: np.ndarray
) -> np.ndarray:
    """The numpy definition of the signatures (the reference of :func:`transforms.dedup.kernels.shingle_minima`).

    ``(documents, num_perm)`` uint32: per document (shingles ``starts[i]:starts[i+1]``) and permutation
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


def band_columns(params: DedupParams) -> np.ndarray:
    """``(bands, rows)`` signature columns of each band: the first ``num_perm / rows`` bands take the columns in
    order, each further group of as many bands a seeded shuffle of them (every permutation in the same number
    of bands)."""
    rng = np.random.default_rng([params.seed, 1])
    passes = params.bands * params.rows // params.num_perm
    order = [np.arange(params.num_perm)] + [rng.permutation(params.num_perm) for _ in range(passes - 1)]
    return np.concatenate(order).reshape(params.bands, params.rows)


def band_keys(signatures: np.ndarray, params: DedupParams = DedupParams()) -> np.ndarray:
    """One 64-bit key per (document, band): a random-coefficient combination of the band's ``rows`` minima."""
    _, _, band_mix = _hash_family(params)
    columns = band_columns(params)
    keys = np.zeros((len(signatures), params.bands), dtype=_U64)
    for row in range(params.rows):
        keys = keys * _MIX + signatures[:, columns[:, row]].astype(_U64) * band_mix[row]
    return keys


@dataclass(frozen=True)
class Signatures:
    """The MinHash signatures of texts (row ``i`` the text of row ``i``): what the bands and keys of those texts
    are computed from, at 256 bytes a text instead of the text itself (a run signs its abstracts chunk by chunk,
    then clusters and keys its papers without holding the abstracts)."""

    values: np.ndarray
    """``(texts, num_perm)`` uint32 (:func:`minhash_signatures`)."""
    has_shingles: np.ndarray
    """``(texts,)`` bool: the texts that have shingles (the others have no band)."""

    @staticmethod
    def of(texts: pl.Series, params: DedupParams) -> Signatures:
        return Signatures(*minhash_signatures(texts, params))

    @staticmethod
    def empty(params: DedupParams, rows: int = 0) -> Signatures:
        """``rows`` texts without shingles, to be filled with :meth:`put`."""
        values = np.full((rows, params.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
        return Signatures(values, np.zeros(rows, dtype=bool))

    def __len__(self) -> int:
        return len(self.has_shingles)

    def put(self, rows: np.ndarray, part: Signatures) -> None:
        """Write ``part``'s signatures at ``rows`` (positions of this one, in ``part``'s order)."""
        self.values[rows] = part.values
        self.has_shingles[rows] = part.has_shingles

    def take(self, rows: np.ndarray) -> Signatures:
        """The signatures of ``rows``, in that order."""
        return Signatures(self.values[rows], self.has_shingles[rows])

    def band_frame(self, params: DedupParams) -> pl.DataFrame:
        """Long frame ``doc, band, key`` for the texts that have shingles."""
        keys = band_keys(self.values, params)
        docs = np.flatnonzero(self.has_shingles)
        return pl.DataFrame(
            {
                "doc": np.repeat(docs, params.bands).astype(np.uint32),
                "band": np.tile(np.arange(params.bands, dtype=np.int16), len(docs)),
                "key": keys[docs].reshape(-1),
            }
        )

    def shared_band_frame(self, params: DedupParams) -> pl.DataFrame:
        """Like :meth:`band_frame`, but only the (doc, band, key) rows whose key another doc shares in that
        band (:func:`shared_band_frame`)."""
        from transforms.dedup.kernels import shared_band_keys

        _, _, band_mix = _hash_family(params)
        docs = np.flatnonzero(self.has_shingles).astype(np.uint32)
        doc, band, key = shared_band_keys(self.values, docs, band_columns(params), band_mix, _MIX)
        return pl.DataFrame({"doc": doc, "band": band, "key": key})


def band_frame(texts: pl.Series, params: DedupParams) -> pl.DataFrame:
    """Long frame ``doc, band, key`` for the texts that have shingles."""
    return Signatures.of(texts, params).band_frame(params)


def shared_band_frame(texts: pl.Series, params: DedupParams) -> pl.DataFrame:
    """Like :func:`band_frame`, but only the (doc, band, key) rows whose key another doc shares in that band.

    Nearly every band key is unique, so dropping those first leaves a frame of a few rows per candidate pair
    instead of ``bands`` rows per document: the bucket grouping then costs nothing. The keys and the sharing
    test are one compiled pass per band (:func:`transforms.dedup.kernels.shared_band_keys`), equal to
    :func:`band_keys` then a per-band ``is_duplicated`` (:func:`_shared_band_reference`).
    """
    return Signatures.of(texts, params).shared_band_frame(params)


def _shared_band_reference(texts: pl.Series, params: DedupParams) -> pl.DataFrame:
    """The numpy and polars definition of :func:`shared_band_frame` (its test reference)."""
    signatures, has_shingles = minhash_signatures(texts, params)
    keys = band_keys(signatures, params)
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
