"""Paper identity: normalised titles, text tokens and the stable ``paper_id``.

Kept apart from :mod:`transforms.dedup.clusters` because other stages (derive, publish) need ``paper_id`` without the
near-duplicate machinery. Everything here is a polars expression (and :func:`text_words`, its fast word split
with a compiled loop from :mod:`transforms.dedup.kernels`);
hashing uses sha256/blake2b so that ids and persisted arXiv/title keys stay the same across polars versions
(``Expr.hash`` makes no such promise; the LSH band keys do use it, see ``DedupParams.fingerprint``).
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl
import pyarrow as pa

_NON_ALNUM = r"[^\p{L}\p{N}]+"


def normalise_text(expr: pl.Expr) -> pl.Expr:
    """Lowercase NFKC text with every run of non-alphanumerics turned into one space.

    This makes hard-wrapped, re-punctuated or differently spaced captures of one text identical
    ("networks.Given" and "networks. Given" both become "networks given").
    """
    return (
        expr.fill_null("")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(_NON_ALNUM, " ")
        .str.strip_chars()
    )


def _ascii_fold_table() -> np.ndarray:
    """Byte map of :func:`normalise_text` on ASCII: letters lowercased, digits kept, every other ASCII byte a space.

    Bytes >= 0x80 map to themselves, so a mapped UTF-8 text stays valid UTF-8 (its non-ASCII texts are
    normalised by the expression instead).
    """
    table = np.arange(256, dtype=np.uint8)
    ascii_bytes = table[:128]
    is_lower = (ascii_bytes >= ord("a")) & (ascii_bytes <= ord("z"))
    is_upper = (ascii_bytes >= ord("A")) & (ascii_bytes <= ord("Z"))
    is_digit = (ascii_bytes >= ord("0")) & (ascii_bytes <= ord("9"))
    table[:128] = np.where(is_upper, ascii_bytes + 32, np.where(is_lower | is_digit, ascii_bytes, ord(" ")))
    return table


_ASCII_FOLD = _ascii_fold_table()


def _utf8_buffers(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of all texts back to back (uint8, null as empty) and the ``n + 1`` int64 offsets."""
    arrow = texts.cast(pl.String).fill_null("").rechunk().to_arrow()
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    arrow = arrow.cast(pa.large_string())
    _, offsets_buffer, data_buffer = arrow.buffers()
    assert offsets_buffer is not None, "a large_string array has offsets"
    # Buffers go through memoryview: numpy's stubs declare the buffer protocol only from Python 3.12 on.
    offsets = np.frombuffer(memoryview(offsets_buffer), dtype=np.int64)[
        arrow.offset : arrow.offset + len(arrow) + 1
    ]
    if data_buffer is None or len(arrow) == 0:
        return np.empty(0, dtype=np.uint8), np.zeros(len(arrow) + 1, dtype=np.int64)
    data = np.frombuffer(memoryview(data_buffer), dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data, offsets - offsets[0]


_NON_ASCII_NON_ALNUM = r"[^\p{L}\p{N}\x00-\x7F]+"
_VIEW_BUFFER_LIMIT = 1 << 31
"""Texts with more bytes are split in halves first: a ``string_view`` array addresses its data by int32."""


def _non_ascii_rows(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Rows (int64) of the texts holding a byte >= 0x80."""
    non_empty = np.flatnonzero(offsets[:-1] < offsets[1:])
    if len(non_empty) == 0:
        return non_empty
    return non_empty[np.logical_or.reduceat(data >= 0x80, offsets[non_empty])]


def text_words(texts: pl.Series) -> pl.DataFrame:
    """Frame ``doc`` (UInt32 row of ``texts``), ``word``: the words of :func:`normalise_text` of every text, in
    order (no rows for an empty or null text).

    The same words as splitting ``normalise_text`` on spaces, for a fraction of its cost (see
    :func:`word_series`).
    """
    words, starts = word_series(texts)
    doc = np.repeat(np.arange(len(starts) - 1, dtype=np.uint32), np.diff(starts))
    return pl.DataFrame({"doc": pl.Series("doc", doc, dtype=pl.UInt32), "word": words})


def word_series(texts: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """The words of :func:`normalise_text` of all texts back to back (String), and the ``n + 1`` int64 offsets
    of each text's first word in it.

    No regex runs over ASCII text. A text with a non-ASCII byte is first given the expression's NFKC and
    lowercasing and its non-ASCII non-alphanumerics become spaces (a regex that only matches outside ASCII);
    then one compiled pass over the Arrow buffer of all texts (:func:`transforms.dedup.kernels.fold_words`)
    lowercases ASCII letters, treats every other ASCII non-alphanumeric as a space and cuts the words at the
    spaces. Same operations in the same order as ``normalise_text``, so the same words.
    """
    texts = texts.cast(pl.String).fill_null("")
    data, offsets = _utf8_buffers(texts)
    rows = _non_ascii_rows(data, offsets)
    if len(rows):
        row_ids = pl.Series(rows, dtype=pl.UInt32)
        unicode = pl.DataFrame({"text": texts.gather(row_ids)}).select(
            pl.col("text").str.normalize("NFKC").str.to_lowercase().str.replace_all(_NON_ASCII_NON_ALNUM, " ")
        )
        texts = texts.clone().scatter(row_ids, unicode["text"])
        data, offsets = _utf8_buffers(texts)
    if len(data) >= _VIEW_BUFFER_LIMIT and len(texts) > 1:
        half = len(texts) // 2
        head, head_starts = word_series(texts.head(half))
        tail, tail_starts = word_series(texts.slice(half))
        return pl.concat([head, tail]), np.r_[head_starts, tail_starts[1:] + head_starts[-1]]
    from transforms.dedup.kernels import fold_words

    views, word_bytes, starts = fold_words(data, offsets, _ASCII_FOLD)
    # ``.data``: the arrays' memoryviews (numpy's stubs declare the buffer protocol only from Python 3.12 on).
    arrow = pa.Array.from_buffers(
        pa.string_view(), len(views) // 2, [None, pa.py_buffer(views.data), pa.py_buffer(word_bytes.data)]
    )
    words = pl.Series("word", arrow, dtype=pl.String)
    return words, starts


def normalise_title(expr: pl.Expr) -> pl.Expr:
    """The title as compared by the exact-title rule: :func:`normalise_text` of it ("" for null)."""
    return normalise_text(expr)


def text_tokens(expr: pl.Expr) -> pl.Expr:
    """Word tokens of :func:`normalise_text` (an empty list for empty text)."""
    return normalise_text(expr).str.split(" ").list.eval(pl.element().filter(pl.element() != ""))


def sha256_hex16(expr: pl.Expr) -> pl.Expr:
    """First 16 hex digits of sha256 of the UTF-8 string (null stays null)."""
    return expr.map_batches(_sha256_hex16_batch, return_dtype=pl.String)


def _sha256_hex16_batch(values: pl.Series) -> pl.Series:
    return pl.Series(
        [None if v is None else hashlib.sha256(v.encode()).hexdigest()[:16] for v in values.to_list()],
        dtype=pl.String,
    )


def stable_hash64(expr: pl.Expr) -> pl.Expr:
    """A 64-bit blake2b hash of the string, identical across runs, machines and library versions.

    Applied to distinct values only by callers that care about speed (vocabularies are far smaller than
    texts).
    """
    return expr.map_batches(_blake2b64_batch, return_dtype=pl.UInt64)


def _blake2b64_batch(values: pl.Series) -> pl.Series:
    return pl.Series(
        [
            None
            if v is None
            else int.from_bytes(hashlib.blake2b(v.encode(), digest_size=8).digest(), "little")
            for v in values.to_list()
        ],
        dtype=pl.UInt64,
    )


def known_arxiv_id(expr: pl.Expr) -> pl.Expr:
    """The arXiv id when it is a non-blank string, else null."""
    stripped = expr.str.strip_chars()
    return pl.when(stripped != "").then(stripped).otherwise(None)


def paper_id_expr(arxiv_id: str = "arxiv_id", title: str = "title") -> pl.Expr:
    """``arxiv:<arxiv_id>`` when the arXiv id is known, else ``title:<sha256(normalised title)[:16]>``.

    The title form makes a paper without an arXiv id get the same id from any source that spells the title
    with different case, punctuation or spacing. Once assigned, an id is never recomputed (see ``upsert``).
    """
    arxiv = known_arxiv_id(pl.col(arxiv_id))
    return (
        pl.when(arxiv.is_not_null())
        .then(pl.concat_str([pl.lit("arxiv:"), arxiv]))
        .otherwise(
            # hashed only where there is no arXiv id: when/then/otherwise evaluates every branch on every row
            pl.concat_str(
                [
                    pl.lit("title:"),
                    sha256_hex16(pl.when(arxiv.is_null()).then(normalise_title(pl.col(title)))),
                ]
            )
        )
        .alias("paper_id")
    )
