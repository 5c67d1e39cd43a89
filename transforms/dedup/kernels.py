"""Compiled (numba) loops of the dedup candidate step: the word split of folded bytes and a fused MinHash.

Numpy can only do these as many whole-array passes (a split/explode of every word; 64 multiply, add and
``minimum.reduceat`` passes over every shingle); here each is one pass over the bytes or shingles. The results
are bit-identical to the numpy definitions they replace (``tests/transforms/test_minhash_kernel.py`` compares
them with the numpy reference). Compiled on first call and cached next to this file (``cache=True``), so a new
process pays the compile only once per machine and numba version.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_SPACE = np.uint8(ord(" "))


@njit(cache=True, nogil=True)
def fold_words(
    data: np.ndarray, offsets: np.ndarray, table: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Words of the texts ``data[offsets[i]:offsets[i + 1]]`` once every byte is mapped through ``table``,
    split on single spaces with the empty words dropped (what ``str.split(" ")`` and a filter give).

    Returns the words as the two buffers of an Arrow ``string_view`` array (which polars takes without a
    copy): the 16-byte views (two uint64 each: length | first 4 bytes << 32, then bytes 4..11 when the word
    has at most 12 bytes, else buffer 0 | offset << 32) and the data buffer, which is the mapped bytes
    themselves (a view may point anywhere in it, so the spaces need not be cut out); and the ``texts + 1``
    int64 offsets of each text's first word. Only the ASCII space splits, so a word never ends inside a
    multi-byte UTF-8 character and stays valid UTF-8. ``data`` must stay under 2 GiB (int32 view offsets).
    """
    texts = len(offsets) - 1
    mapped = np.empty(len(data), dtype=np.uint8)
    for i in range(len(data)):
        mapped[i] = table[data[i]]
    text_words = np.empty(texts + 1, dtype=np.int64)
    words = 0
    for text in range(texts):
        text_words[text] = words
        space = True
        for i in range(offsets[text], offsets[text + 1]):
            solid = mapped[i] != _SPACE
            words += space & solid
            space = not solid
    text_words[texts] = words
    views = np.empty(2 * words, dtype=np.uint64)
    word = 0
    for text in range(texts):
        stop = offsets[text + 1]
        i = offsets[text]
        while i < stop:
            if mapped[i] == _SPACE:
                i += 1
                continue
            first = i
            while i < stop and mapped[i] != _SPACE:
                i += 1
            length = i - first
            low = np.uint64(length)
            for k in range(min(length, 4)):
                low |= np.uint64(mapped[first + k]) << np.uint64(32 + 8 * k)
            if length <= 12:
                high = np.uint64(0)
                for k in range(4, length):
                    high |= np.uint64(mapped[first + k]) << np.uint64(8 * (k - 4))
            else:
                high = np.uint64(first) << np.uint64(32)
            views[2 * word] = low
            views[2 * word + 1] = high
            word += 1
    return views, mapped, text_words


@njit(cache=True, nogil=True)
def shingle_minima(
    token_hash: np.ndarray,
    text_words: np.ndarray,
    shingle_size: int,
    mix: np.uint64,
    multipliers: np.ndarray,
    increments: np.ndarray,
    signatures: np.ndarray,
    has_shingles: np.ndarray,
) -> None:
    """MinHash of the word shingles of every text, in one pass over its word hashes.

    Text ``t`` has the words ``token_hash[text_words[t]:text_words[t + 1]]``. Its shingles are the same as
    ``transforms.dedup.minhash._shingles``: at each start ``i <= max(words - shingle_size, 0)``,
    ``h = hash[i]`` then ``h = h * mix + hash[i + k]`` for ``k = 1 .. shingle_size - 1`` (0 past the end of
    the text). Row ``t`` of ``signatures`` (uint32, ``(texts, num_perm)``) becomes, for each permutation ``p``,
    ``min((multipliers[p] * h + increments[p]) mod 2^64) >> 32`` over the shingles, and ``has_shingles[t]``
    is set; texts without words are left as they are.
    """
    perms = len(multipliers)
    minima = np.empty(perms, dtype=np.uint64)
    top = np.uint64(0xFFFFFFFFFFFFFFFF)
    shift = np.uint64(32)
    zero = np.uint64(0)
    for text in range(len(text_words) - 1):
        first = text_words[text]
        last = text_words[text + 1]
        if last == first:
            continue
        for p in range(perms):
            minima[p] = top
        final = max(last - shingle_size, first)
        for i in range(first, final + 1):
            h = token_hash[i]
            for k in range(1, shingle_size):
                h = h * mix + (token_hash[i + k] if i + k < last else zero)
            for p in range(perms):
                value = h * multipliers[p] + increments[p]
                if value < minima[p]:
                    minima[p] = value
        for p in range(perms):
            signatures[text, p] = np.uint32(minima[p] >> shift)
        has_shingles[text] = True


_FIBONACCI = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, nogil=True)
def shared_band_keys(
    signatures: np.ndarray, docs: np.ndarray, columns: np.ndarray, band_mix: np.ndarray, mix: np.uint64
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (doc, band, key) rows of the ``docs`` whose band key another of them shares in that band.

    Band ``b``'s key of a document is ``transforms.dedup.minhash.band_keys``': ``k = k * mix + sig[columns[b, r]] *
    band_mix[r]`` over its rows ``r``. Per band, one open-addressing table of the keys (sized to twice the
    documents, slot = the key's top bits after a Fibonacci multiply) counts each key, then a second pass keeps
    the documents whose key was counted twice or more. Rows come band by band, documents in ``docs`` order
    within a band, as ``transforms.dedup.minhash.shared_band_frame``'s numpy and polars definition gives them. Linear
    work per band, so more bands cost only their share of one pass over the signatures.
    """
    n = len(docs)
    bands, rows = columns.shape
    bits = 1
    while (1 << bits) < 2 * n:
        bits += 1
    size = 1 << bits
    mask = size - 1
    shift = np.uint64(64 - bits)
    table_keys = np.empty(size, dtype=np.uint64)
    table_counts = np.zeros(size, dtype=np.int32)
    keys = np.empty(n, dtype=np.uint64)
    slots = np.empty(n, dtype=np.int64)
    chunks_doc = []
    chunks_band = []
    chunks_key = []
    for band in range(bands):
        table_counts[:] = 0
        shared = 0
        for i in range(n):
            key = np.uint64(0)
            for r in range(rows):
                key = key * mix + np.uint64(signatures[docs[i], columns[band, r]]) * band_mix[r]
            keys[i] = key
            slot = np.int64((key * _FIBONACCI) >> shift)
            while table_counts[slot] != 0 and table_keys[slot] != key:
                slot = (slot + 1) & mask
            if table_counts[slot] == 0:
                table_keys[slot] = key
            table_counts[slot] += 1
            if table_counts[slot] == 2:
                shared += 2
            elif table_counts[slot] > 2:
                shared += 1
            slots[i] = slot
        band_doc = np.empty(shared, dtype=np.uint32)
        band_key = np.empty(shared, dtype=np.uint64)
        k = 0
        for i in range(n):
            if table_counts[slots[i]] > 1:
                band_doc[k] = docs[i]
                band_key[k] = keys[i]
                k += 1
        chunks_doc.append(band_doc)
        chunks_key.append(band_key)
        chunks_band.append(np.full(shared, band, dtype=np.int16))
    total = 0
    for chunk in chunks_doc:
        total += len(chunk)
    out_doc = np.empty(total, dtype=np.uint32)
    out_band = np.empty(total, dtype=np.int16)
    out_key = np.empty(total, dtype=np.uint64)
    at = 0
    for band in range(bands):
        m = len(chunks_doc[band])
        out_doc[at : at + m] = chunks_doc[band]
        out_band[at : at + m] = chunks_band[band]
        out_key[at : at + m] = chunks_key[band]
        at += m
    return out_doc, out_band, out_key
