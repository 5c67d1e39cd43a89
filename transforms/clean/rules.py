"""Text cleaning for titles and abstracts: the rules, their order, and the flags they leave.

Scraped titles and abstracts arrive damaged: page chrome glued to titles, hard wraps, TeX markup flattened
by a page renderer (with or without backslashes), leaked citation keys, HTML entities, broken hyphenation.
Each repair is a named :class:`Rule` built from polars expressions only (no per-row Python), applied in a
fixed order. Every rule that changes a field is recorded in ``cleaning_flags`` as ``<field>:<rule>`` so
auditors can see exactly what changed, while ``title_raw``/``abstract_raw`` keep the captured text.

The rules are written to leave ordinary English alone (``three times faster``, ``circuit``, ``the ell of``,
``theta waves``, URLs, ``C++``, ``UIEC^2-Net``): TeX words are only rewritten where they cannot be English
(``rightarrow``, ``mathcal{``) or where their context is mathematical (``Theta(``, ``6.5times``, ``ell_2``).

Polars uses the Rust regex engine (no look-around, no back-references), so "do not touch X" is written as an
alternation whose first branch matches X and puts it back unchanged.

The TeX rules live in ``transforms/clean/tex.py``, URL protection in ``transforms/clean/urls.py``, and the quality tags
(records that are not a title or an abstract) in ``transforms/clean/quality.py``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from transforms.clean.tex import (
    TEX_MATH_TRIGGER,
    chain,
    citation_keys,
    literal_chain,
    tex_accents,
    tex_commands,
    tex_markup,
    tex_math,
    tex_quotes,
    tex_ties,
)
from transforms.clean.triggered import on_triggered
from transforms.clean.urls import FLATTENED_HREF, mask_urls, protected_urls, unmask_urls

CLEANED_FIELDS = ("title", "abstract")


# ----------------------------------------------------------------------------------------------------
# Rules
# ----------------------------------------------------------------------------------------------------


def _control_chars(text: pl.Expr) -> pl.Expr:
    # Keep \t, \n, \r (handled by the whitespace rules); drop other C0/C1 controls, zero-width and
    # private-use characters, soft hyphens and BOMs.
    return text.str.replace_all(
        r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u00AD\u200B-\u200D\u2060\uFEFF\uE000-\uF8FF]", ""
    )


_ENTITIES = (
    ("&lt;", "<"),
    ("&gt;", ">"),
    ("&quot;", '"'),
    ("&apos;", "'"),
    ("&#39;", "'"),
    ("&#039;", "'"),
    ("&#x27;", "'"),
    ("&nbsp;", " "),
    ("&#160;", " "),
    ("&ndash;", "–"),
    ("&#8211;", "–"),
    ("&#x2013;", "–"),
    ("&mdash;", "—"),
    ("&#8212;", "—"),
    ("&#x2014;", "—"),
    ("&hellip;", "…"),
    ("&rsquo;", "’"),
    ("&lsquo;", "‘"),
    ("&rdquo;", "”"),
    ("&ldquo;", "“"),
    ("&times;", "×"),
    ("&#215;", "×"),
    ("&le;", "≤"),
    ("&ge;", "≥"),
)


def _html(text: pl.Expr) -> pl.Expr:
    # Collapse any nesting of &amp; first so decoding is one pass (and therefore idempotent).
    text = text.str.replace_all(r"&(?:amp;)+", "&")
    text = literal_chain(text, _ENTITIES)
    # Entities that lost their "&#" and ";" on the way ("jailbreaksx2013methods").
    text = chain(
        text, [(r"([A-Za-z])x2013([A-Za-z])", "${1}–${2}"), (r"([A-Za-z])x2014([A-Za-z])", "${1}—${2}")]
    )
    text = text.str.replace_all(r"(?i)<br\s*/?>|</?p(?:\s[^<>]*)?>", " ")
    return text.str.replace_all(
        r"(?i)</?(?:a|b|i|u|em|strong|span|div|sub|sup|code|tt|small|font|abbr|cite|mark|s)(?:\s[^<>]*)?/?>",
        "",
    )


# Page text that lands glued to a title or abstract when a listing is flattened to text.
_CHROME_PREFIX = r"^\s*(?:Subscribe|Sign up|Sign in|Log in|Login)\s*(\p{Lu}\p{Ll}|\p{Lu}{2}|\d)"
_CHROME_SUFFIX = r"(?i)\s*(?:…|\.\.\.)?\s*(?:read more|show more|see more|view more|\(?more\)?)\s*$"


def _page_chrome(text: pl.Expr) -> pl.Expr:
    # Runs after the TeX rules: a chrome word can only be recognised once backslashes and braces are gone.
    text = text.str.replace(_CHROME_PREFIX, "${1}")
    # A trailing "Read more" only when it follows truncated text (ellipsis) or ends a long line.
    return text.str.replace(r"(…|\.\.\.)\s*(?i:read more|show more|see more)\s*$", "${1}")


def _hard_wraps(text: pl.Expr) -> pl.Expr:
    # A hyphen at a line end is the author's hyphen (arXiv wraps at ~80 columns): keep it, join the word.
    text = text.str.replace_all(r"(\p{L})-[ \t]*\r?\n\s*(\p{L})", "${1}-${2}")
    return text.str.replace_all(r"[ \t]*(?:\r\n|\r|\n)\s*", " ")


def _sentence_space(text: pl.Expr) -> pl.Expr:
    # "networks.Given" -> "networks. Given"; tokens with / @ : (URLs, paths, e-mails) and "e.g.The" stay.
    return text.str.replace_all(r"(^|[\s(])([^\s/@:.]*\p{Ll}{2}[.!?])(\p{Lu}\p{Ll}+)", "${1}${2} ${3}")


_SUSPENDED = r"and|or|nor|to|vs|versus|but|as|than|via|through|from|with|into|also"


def _hyphenation(text: pl.Expr) -> pl.Expr:
    # "hand- written" -> "handwritten"; "single- and multi-answer" keeps its suspended hyphen.
    return text.str.replace_all(
        r"(\p{L}{2,}-)( )(" + _SUSPENDED + r")\b|(\p{Ll}{2,})- (\p{Ll}{2,})",
        "${1}${2}${3}${4}${5}",
    )


def _whitespace(text: pl.Expr) -> pl.Expr:
    text = text.str.replace_all(r"\s+", " ")
    return text.str.strip_chars()


def _unicode_nfc(text: pl.Expr) -> pl.Expr:
    return text.str.normalize("NFC")


@dataclass(frozen=True)
class Rule:
    """A named cleaning step: what it fixes, an example, and the polars expression that applies it."""

    name: str
    fixes: str
    example_before: str
    example_after: str
    apply: Callable[[pl.Expr], pl.Expr]
    fields: tuple[str, ...] = CLEANED_FIELDS
    trigger: str | None = None
    """A cheap regex no text the rule changes can miss: the rule runs only on the texts it matches (most
    abstracts have no entity, no ``- `` and no citation key). ``tests/transforms/test_clean.py`` checks that
    the rule leaves every text without a match unchanged."""

    def clean(self, text: str) -> str:
        """Apply only this rule to one string (for documentation and tests)."""
        return pl.select(self.apply(pl.lit(text, dtype=pl.String))).item()

    def apply_where_triggered(self, text: pl.Expr) -> pl.Expr:
        """:attr:`apply` on the texts the trigger matches, the others as they are (same result as ``apply``)."""
        if self.trigger is None:
            return self.apply(text)
        return on_triggered(text, self.trigger, self.apply, pl.String)


RULES: tuple[Rule, ...] = (
    Rule(
        "control_chars",
        "control, zero-width and soft-hyphen characters",
        "deep\u00adlearning",
        "deeplearning",
        _control_chars,
    ),
    Rule(
        "html",
        "HTML entities and tags, entities that lost their & and ;",
        "Q&amp;A <i>at</i> scale",
        "Q&A at scale",
        _html,
        trigger=r"[&<]|x201[34]",
    ),
    Rule(
        "hard_wraps",
        "line breaks inside a paragraph (API summaries wrap at ~80 columns)",
        "multi-\nlayer nets\nwork",
        "multi-layer nets work",
        _hard_wraps,
    ),
    Rule(
        "tex_quotes",
        "TeX quotes to typographic quotes",
        "the ``XOR'' function",
        "the “XOR” function",
        tex_quotes,
    ),
    Rule(
        "tex_markup",
        "emphasis and formatting commands, $…$ delimiters, flattened \\href, escapes like \\%",
        "{\\em dynamical stability} at 85\\%",
        "dynamical stability at 85%",
        tex_markup,
    ),
    Rule(
        "tex_accents",
        "TeX accent commands to accented letters",
        "Erdos-R\\'enyi",
        "Erdos-Rényi",
        tex_accents,
    ),
    Rule(
        "tex_math",
        "TeX math remnants to Unicode (Greek, arrows, ×, ∘, ℓ, accents)",
        "widetilde Theta(d^{kq})",
        "Θ̃(d^{kq})",
        tex_math,
        trigger=TEX_MATH_TRIGGER,
    ),
    Rule(
        "citation_keys",
        "leaked BibTeX keys and \\cite commands removed",
        "prior work~nichani2023provable requiring",
        "prior work requiring",
        citation_keys,
        trigger=r"\\|(?:19|20)\d\d[A-Za-z]{4}|\(\s*\)|\[\s*\]",
    ),
    Rule(
        "tex_ties",
        "TeX ~ ties to spaces (ranges like 1~4 and URLs kept)",
        "Task~Arithmetic",
        "Task Arithmetic",
        tex_ties,
    ),
    Rule(
        "tex_commands",
        "leftover backslash macros (the name is kept), \\ie and \\eg",
        "we call it \\ours",
        "we call it ours",
        tex_commands,
    ),
    Rule(
        "sentence_space",
        "missing space after a sentence end",
        "networks.Given a model",
        "networks. Given a model",
        _sentence_space,
        trigger=r"[.!?]\p{Lu}",
    ),
    Rule(
        "hyphenation",
        "words split by a hyphen and a space",
        "hand- written digits",
        "handwritten digits",
        _hyphenation,
        trigger="- ",
    ),
    Rule(
        "page_chrome",
        "page text glued to a title (button labels, 'Read more')",
        "SubscribeLearning X",
        "Learning X",
        _page_chrome,
    ),
    Rule(
        "whitespace",
        "runs of whitespace (tabs, no-break spaces), leading and trailing space",
        " a \t b\u00a0c ",
        "a b c",
        _whitespace,
        trigger=r"[^\S ]|  |^\s|\s$",
    ),
    Rule("unicode_nfc", "Unicode NFC normalisation", "e\u0301", "é", _unicode_nfc, trigger=r"[^\x00-\x7F]"),
)
"""The cleaning rules in the order they run (the README's rule table is generated from this)."""


def clean_text(text: pl.Expr, rules: Sequence[Rule] = RULES) -> pl.Expr:
    """All rules applied to one text expression (no flags), URLs protected; null becomes ""."""
    text = text.fill_null("")
    urls = protected_urls(text)
    masked = mask_urls(text)
    for rule in rules:
        masked = rule.apply(masked)
    return unmask_urls(masked, urls)


NEXT = "__next_text"


def clean_records(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add cleaned ``title``/``abstract`` and ``cleaning_flags`` from ``title_raw``/``abstract_raw``.

    Each rule runs as its own column step so that a rule is flagged exactly when it changed its input. A step
    only sets its bit in a per-field mask and replaces the text column, so one intermediate text column is
    alive at a time (holding every step's output until the flags were built kept ~15 copies of the abstracts
    in memory). URLs are masked before the first rule and restored after the last (see
    :data:`URL_PLACEHOLDER`); a flattened ``\\href`` pair collapsed on the way is flagged as ``tex_markup``.
    """
    flags: list[pl.Expr] = []
    masks: list[str] = []
    for field in CLEANED_FIELDS:
        text, urls, mask = f"__{field}_text", f"__{field}_urls", f"__{field}_changed"
        raw = pl.col(f"{field}_raw").cast(pl.String).fill_null("")
        frame = frame.with_columns(
            mask_urls(raw).alias(text), protected_urls(raw).alias(urls), pl.lit(0, pl.UInt32).alias(mask)
        )
        flags.append(
            pl.when(raw.str.contains(FLATTENED_HREF))
            .then(pl.lit(f"{field}:tex_markup"))
            .otherwise(pl.lit(None, dtype=pl.String))
        )
        rules = [rule for rule in RULES if field in rule.fields]
        for bit, rule in enumerate(rules):
            # The rule's output first, then compared: in one context polars would evaluate a triggered rule
            # (a Python batch function, not a common subexpression it can share) twice.
            frame = frame.with_columns(rule.apply_where_triggered(pl.col(text)).alias(NEXT)).with_columns(
                pl.col(NEXT).alias(text),
                (pl.col(mask) | (pl.col(NEXT) != pl.col(text)).cast(pl.UInt32) * (1 << bit)).alias(mask),
            )
            flags.append(
                pl.when(pl.col(mask) & (1 << bit) != 0)
                .then(pl.lit(f"{field}:{rule.name}"))
                .otherwise(pl.lit(None, dtype=pl.String))
            )
        frame = frame.with_columns(unmask_urls(pl.col(text), pl.col(urls)).alias(field)).drop(text, urls)
        masks.append(mask)
    return frame.with_columns(
        pl.concat_list(flags).list.drop_nulls().list.unique().list.sort().alias("cleaning_flags")
    ).drop(*masks, NEXT)


def rules_table() -> str:
    """The README's markdown table of cleaning rules, generated from :data:`RULES`."""

    def visible(char: str, hidden: set[str]) -> str:
        if char == "\n":
            return "⏎"
        if char == " " or unicodedata.category(char) not in hidden:
            return char
        return f"\\u{ord(char):04x}"

    def cell(text: str) -> str:
        # Combining marks are shown as escapes only where NFC would compose them (the NFC example).
        hidden = {"Cc", "Cf", "Zs"} | ({"Mn"} if unicodedata.normalize("NFC", text) != text else set())
        shown = "".join(visible(char, hidden) for char in text)
        return "`" + shown.replace("|", "\\|").replace("`", "ˋ") + "`"

    lines = ["| Rule (flag) | Fixes | Example | Result |", "|---|---|---|---|"]
    lines += [
        f"| `{rule.name}` | {rule.fixes} | {cell(rule.example_before)} | {cell(rule.example_after)} |"
        for rule in RULES
    ]
    return "\n".join(lines)
