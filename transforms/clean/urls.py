"""URLs in titles and abstracts, kept exactly as captured through every cleaning rule.

Cleaning rules rewrite TeX words (``Psi`` -> ``Ψ``, ``alpha`` -> ``α``), ties (``~``) and spacing; inside a URL
any of them would change the address (``.../Psi-RAG`` published as ``.../Ψ-RAG``). So URLs are taken out of the
text before the first rule (:func:`mask_urls`), and put back after the last (:func:`unmask_urls`).
"""

from __future__ import annotations

import polars as pl

# URLs as captured are taken out of the text before the first rule and put back after the last one, so no rule
# can rewrite them (``.../Psi-RAG`` must not become ``.../Ψ-RAG``). The placeholder is a Unicode noncharacter:
# no rule matches it and no captured text contains it (any stray one is dropped first).
URL_PLACEHOLDER = "\ufdd0"
_URL_CHARS = r"[^\s<>\"'{}|\\^`\[\]\ufdd0]"
PROTECTED_URL = (
    r"(?:(?i:https?)://|(?i:www)\.)" + _URL_CHARS + "+"
    r"|(?-u:\b)(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+(?:com|org|net|io|ai|co|edu|dev|page)/" + _URL_CHARS + "*"
)
# A flattened \href: "url{url}" or "url{this https URL}" is one protected URL, put back once.
_HREF_TEXT = r"\{(?:(?:(?i:https?)://|www\.)?[^\s{}]*|[^{}]*\bURL|blue\{[^{}]*\})\}"
PROTECTED_HREF = r"(?:" + PROTECTED_URL + r")(?:" + _HREF_TEXT + r")?"
FLATTENED_HREF = r"(?:" + PROTECTED_URL + r")" + _HREF_TEXT
"""Only a closed pair is collapsed (and flagged): ``https://x.io/mathcal{`` is a URL followed by a brace."""


def protected_urls(text: pl.Expr) -> pl.Expr:
    """The URLs of ``text`` as captured, in reading order (a flattened ``\\href`` pair counts once)."""
    return (
        text.fill_null("")
        .str.replace_all(URL_PLACEHOLDER, "", literal=True)
        .str.extract_all(PROTECTED_HREF)
        .list.eval(pl.element().str.replace(r"\{.*$", ""))
    )


def mask_urls(text: pl.Expr) -> pl.Expr:
    """``text`` with every protected URL replaced by :data:`URL_PLACEHOLDER`."""
    return (
        text.fill_null("")
        .str.replace_all(URL_PLACEHOLDER, "", literal=True)
        .str.replace_all(PROTECTED_HREF, URL_PLACEHOLDER)
    )


def unmask_urls(text: pl.Expr, urls: pl.Expr) -> pl.Expr:
    """Put ``urls`` back into the placeholders of ``text``, in order (vectorised: split and interleave).

    If a rule ever lost a placeholder the counts differ; the text then keeps its URLs out rather than
    misplacing them (no rule does, which a test checks).
    """
    pieces = text.str.split(URL_PLACEHOLDER)
    count = urls.list.len()
    order = pl.int_ranges(0, 2 * count + 1)
    interleaved = pl.concat_list(pieces, urls).list.gather(order // 2 + (order % 2) * (count + 1))
    return (
        pl.when(pieces.list.len() == count + 1)
        .then(interleaved.list.join(""))
        .otherwise(text.str.replace_all(URL_PLACEHOLDER, "", literal=True))
    )
