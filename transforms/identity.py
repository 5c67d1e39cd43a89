"""Paper identity: normalised titles, text tokens and the stable ``paper_id``.

Kept apart from :mod:`transforms.dedup` because other stages (derive, publish) need ``paper_id`` without the
near-duplicate machinery. Everything here is a polars expression; hashing uses sha256/blake2b so that ids and
persisted keys stay the same across polars versions (``Expr.hash`` makes no such promise).
"""

from __future__ import annotations

import hashlib

import polars as pl

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


def normalise_text_series(texts: pl.Series) -> pl.Series:
    """:func:`normalise_text` of a Series, skipping Unicode normalisation where a text is pure ASCII.

    NFKC is most of the cost and leaves ASCII unchanged, so only the texts with a non-ASCII character
    (about one abstract in eight) go through it; the result equals ``normalise_text`` on every text.
    """
    frame = pl.DataFrame({"text": texts.cast(pl.String)})
    non_ascii = frame.select(pl.col("text").str.contains(r"[^\x00-\x7F]").fill_null(False))["text"]
    plain = frame.select(
        pl.col("text").fill_null("").str.to_lowercase().str.replace_all(_NON_ALNUM, " ").str.strip_chars()
    )["text"]
    if not non_ascii.any():
        return plain
    rows = non_ascii.arg_true()
    unicode = frame.select(normalise_text(pl.col("text").gather(rows)))["text"]
    return plain.scatter(rows, unicode)


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
        .otherwise(pl.concat_str([pl.lit("title:"), sha256_hex16(normalise_title(pl.col(title)))]))
        .alias("paper_id")
    )
