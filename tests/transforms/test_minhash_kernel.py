"""The compiled word split and MinHash (transforms/dedup/kernels.py) give exactly the numpy path's words and signatures.

Stored dedup indexes hold band keys of published versions, so the kernel must reproduce the numpy definition
bit for bit: the reference here is the word split of ``normalise_text`` (a Python string per word), polars'
seeded hash of those words, then ``minhash._rolling_shingles`` and ``minhash._minima``.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import transforms.dedup.identity as identity
import transforms.dedup.minhash as minhash
from transforms.dedup.identity import normalise_text, word_series
from transforms.dedup.minhash import DedupParams, minhash_signatures

TEXTS = [
    "Structured pruning of convolutional networks.Given a trained model, we remove whole filters.",
    "",
    None,
    "tiny",
    "two words",
    "exactly three words",
    "ﬁne Ünïcödé — ＦＵＬＬ width text, İstanbul ½ x²",
    "twelvebytes! thirteenbytes abcdefghijkl abcdefghijklm a-very-long-hyphenated-word-of-many-bytes",
    "   leading and trailing spaces   ",
    "a\x00b\tc\nd",
    "über-lange Wörter: Donaudampfschifffahrtsgesellschaftskapitän und ﬁ",
]


def _expression_token_hashes(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    normalised = pl.DataFrame({"t": texts}).select(normalise_text(pl.col("t")))["t"].to_list()
    pairs = [(doc, word) for doc, text in enumerate(normalised) for word in text.split(" ") if word]
    doc = np.array([doc for doc, _ in pairs], dtype=np.uint32)
    words = pl.Series("word", [word for _, word in pairs], dtype=pl.String)
    return doc, words.hash(seed=minhash._TOKEN_SEED).to_numpy()


def _reference_signatures(texts: pl.Series, params: DedupParams) -> tuple[np.ndarray, np.ndarray]:
    multipliers, increments, _ = minhash._hash_family(params)
    signatures = np.full((len(texts), params.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    has_shingles = np.zeros(len(texts), dtype=bool)
    doc, shingle = minhash._rolling_shingles(*_expression_token_hashes(texts), params.shingle_size)
    if len(doc):
        starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
        signatures[doc[starts]] = minhash._minima(shingle, starts, multipliers, increments)
        has_shingles[doc[starts]] = True
    return signatures, has_shingles


def _assert_same_as_reference(texts: pl.Series, params: DedupParams) -> None:
    signatures, has_shingles = minhash_signatures(texts, params)
    expected, expected_has = _reference_signatures(texts, params)
    np.testing.assert_array_equal(has_shingles, expected_has)
    np.testing.assert_array_equal(signatures, expected)


@pytest.mark.parametrize("shingle_size", [1, 2, 3, 5])
def test_kernel_signatures_equal_the_numpy_definition(shingle_size: int) -> None:
    texts = pl.Series("t", TEXTS, dtype=pl.String)
    _assert_same_as_reference(texts, DedupParams(shingle_size=shingle_size))
    _assert_same_as_reference(texts, DedupParams(shingle_size=shingle_size, chunk_docs=4))


def test_word_hashes_equal_polars_hash_of_the_split_words() -> None:
    texts = pl.Series("t", TEXTS, dtype=pl.String)
    doc, hashes = minhash.token_hashes(texts)
    expected_doc, expected = _expression_token_hashes(texts)
    np.testing.assert_array_equal(doc, expected_doc)
    np.testing.assert_array_equal(hashes, expected)


def test_texts_past_the_view_buffer_limit_are_split_with_the_same_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = pl.Series("t", TEXTS, dtype=pl.String)
    words, starts = word_series(texts)
    monkeypatch.setattr(identity, "_VIEW_BUFFER_LIMIT", 16)
    split_words, split_starts = word_series(texts)
    assert split_words.to_list() == words.to_list()
    np.testing.assert_array_equal(split_starts, starts)


_WORDS = st.text(alphabet="ab cdefghijklmnoé.,-ﬁ ", max_size=60)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), _WORDS, st.text(max_size=30)), max_size=12), st.sampled_from([1, 3]))
def test_kernel_signatures_equal_the_numpy_definition_on_any_texts(
    texts: list[str | None], shingle_size: int
) -> None:
    _assert_same_as_reference(pl.Series("t", texts, dtype=pl.String), DedupParams(shingle_size=shingle_size))


def _assert_shared_bands_equal_the_reference(texts: pl.Series, params: DedupParams) -> None:
    assert_frame_equal(
        minhash.shared_band_frame(texts, params), minhash._shared_band_reference(texts, params)
    )


ABSTRACTS = [
    "we prune whole filters of a trained convolutional network and keep its accuracy on imagenet",
    "we prune whole filters of a trained convolutional network and keep its accuracy on cifar",
    "a benchmark of translation for west african languages with forty thousand sentence pairs",
    "",
    None,
    "a benchmark of translation for west african languages with twelve thousand sentence pairs",
    "we prune whole filters of a trained convolutional network and keep its accuracy on imagenet",
    "grokking",
]


@pytest.mark.parametrize("bands", [16, 32, 48])
def test_kernel_band_keys_and_sharing_equal_the_numpy_definition(bands: int) -> None:
    texts = pl.Series("t", ABSTRACTS, dtype=pl.String)
    params = DedupParams(bands=bands)
    shared = minhash.shared_band_frame(texts, params)
    assert shared.filter(pl.col("doc") == 0)["band"].to_list() == list(range(bands))  # 0 and 6 are equal
    _assert_shared_bands_equal_the_reference(texts, params)
    _assert_shared_bands_equal_the_reference(texts, DedupParams(bands=bands, shingle_size=1))


def test_bands_reuse_every_permutation_the_first_pass_in_order() -> None:
    params = DedupParams(bands=48)
    columns = minhash.band_columns(params)
    assert columns.shape == (48, 4)
    np.testing.assert_array_equal(columns[:16].reshape(-1), np.arange(64))
    np.testing.assert_array_equal(np.bincount(columns.reshape(-1), minlength=64), np.full(64, 3))
    with pytest.raises(ValueError, match="multiple"):
        DedupParams(bands=24)


def test_more_bands_keep_the_keys_of_the_first_sixteen() -> None:
    texts = pl.Series("t", ABSTRACTS, dtype=pl.String)
    signatures, _ = minhash_signatures(texts, DedupParams())
    wide = minhash.band_keys(signatures, DedupParams(bands=32))
    np.testing.assert_array_equal(wide[:, :16], minhash.band_keys(signatures, DedupParams(bands=16)))
    assert DedupParams(bands=32).fingerprint != DedupParams(bands=16).fingerprint


_SENTENCES = st.lists(st.sampled_from(["a b c d", "e f g", "h i j k l", "m n", "a b c d e"]), max_size=5)


@settings(max_examples=60, deadline=None)
@given(st.lists(_SENTENCES.map(" ".join), max_size=14), st.sampled_from([16, 32]))
def test_kernel_band_sharing_equals_the_numpy_definition_on_any_texts(texts: list[str], bands: int) -> None:
    _assert_shared_bands_equal_the_reference(
        pl.Series("t", texts, dtype=pl.String), DedupParams(bands=bands, shingle_size=2)
    )
