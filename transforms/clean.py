"""Text cleaning and quality tagging for titles and abstracts.

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
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from transforms.routing import tag

CLEANED_FIELDS = ("title", "abstract")

# ----------------------------------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------------------------------


def _chain(expr: pl.Expr, replacements: Sequence[tuple[str, str]]) -> pl.Expr:
    """Apply regex replacements in order (``$1``-style groups allowed in the replacement)."""
    for pattern, replacement in replacements:
        expr = expr.str.replace_all(pattern, replacement)
    return expr


def _literal_chain(expr: pl.Expr, replacements: Sequence[tuple[str, str]]) -> pl.Expr:
    """Apply literal (non-regex) replacements in order."""
    for needle, replacement in replacements:
        expr = expr.str.replace_all(needle, replacement, literal=True)
    return expr


GREEK: dict[str, str] = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "ϑ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Upsilon": "Υ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}
"""TeX Greek letter names and their Unicode letters."""


_NAMED_SYMBOLS: dict[str, str] = {
    # Names that are not English words: rewritten with or without a backslash.
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "Leftarrow": "⇐",
    "leftrightarrow": "↔",
    "Leftrightarrow": "⇔",
    "longrightarrow": "⟶",
    "Longrightarrow": "⟹",
    "mapsto": "↦",
    "infty": "∞",
    "leq": "≤",
    "geq": "≥",
    "neq": "≠",
    "cdot": "·",
    "cdots": "⋯",
    "ldots": "…",
    "lceil": "⌈",
    "rceil": "⌉",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "nabla": "∇",
    "forall": "∀",
    "propto": "∝",
    "odot": "⊙",
    "oplus": "⊕",
    "otimes": "⊗",
    "circ": "∘",
    "varnothing": "∅",
    "emptyset": "∅",
    "subseteq": "⊆",
    "supseteq": "⊇",
    "notin": "∉",
    "approx": "≈",
}
"""Math symbol names that are not English words (``approx`` is an abbreviation: only with a backslash)."""

_BACKSLASH_ONLY_SYMBOLS: dict[str, str] = {
    # English words or abbreviations: rewritten only as TeX commands (``\\times``, ``\\in``).
    "times": "×",
    "le": "≤",
    "ge": "≥",
    "ne": "≠",
    "to": "→",
    "in": "∈",
    "sim": "∼",
    "pm": "±",
    "mp": "∓",
    "partial": "∂",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "sqrt": "√",
    "exists": "∃",
    "subset": "⊂",
    "supset": "⊃",
    "cup": "∪",
    "cap": "∩",
    "wedge": "∧",
    "vee": "∨",
    "neg": "¬",
    "ell": "ℓ",
    "dots": "…",
    "deg": "°",
    "star": "⋆",
    "top": "⊤",
    "perp": "⊥",
}


def _alternation(names: list[str] | dict[str, str]) -> str:
    """A regex alternation of literal names, longest first."""
    return "|".join(sorted(names, key=lambda name: (-len(name), name)))


_END = "\ue001"
"""Marks the end of a canonical command while it is mapped to Unicode (private use: never in cleaned text)."""
_GREEK_NAMES = _alternation(GREEK)
# Glued relations ("tauge 0", "|x|letau") are only undone for names that cannot form English words with le/ge
# ("pile", "mule", "Chile", "etale" are words).
_GLUE_SAFE_GREEK = _alternation([name for name in GREEK if len(name) >= 3 and name not in {"chi", "eta"}])
_BARE_SYMBOL_NAMES = _alternation([name for name in _NAMED_SYMBOLS if name != "approx"])
_COMMAND_NAMES = _alternation({**GREEK, **_NAMED_SYMBOLS, **_BACKSLASH_ONLY_SYMBOLS})
_COMMAND_SYMBOLS = {
    "\\" + name + _END: symbol
    for name, symbol in {**GREEK, **_NAMED_SYMBOLS, **_BACKSLASH_ONLY_SYMBOLS}.items()
}


_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"}

_COMBINING_ACCENTS = {
    "widetilde": "\u0303",
    "tilde": "\u0303",
    "widehat": "\u0302",
    "hat": "\u0302",
    "bar": "\u0304",
    "overline": "\u0305",
    "vec": "\u20d7",
    "dot": "\u0307",
    "ddot": "\u0308",
}
"""Accent commands and their combining marks (NFC composes them where a precomposed letter exists)."""

_TEXT_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304"}

_FORMAT_COMMANDS = (
    "textbf|textit|textsc|texttt|textrm|textsf|textsl|textup|textnormal|emph|underline|uline|mbox|hbox|text"
    "|mathrm|mathbf|mathit|mathsf|mathtt|mathnormal|boldsymbol|bm|operatorname|url|nolinkurl"
)
_GLUED_FORMAT_COMMANDS = (
    "textbf|textit|textsc|texttt|textrm|textsf|emph|underline|mathrm|mathbf|mathit|mathsf|mathtt|mathcal"
    "|mathbb|boldsymbol|operatorname"
)
_COLOR_NAMES = "red|blue|green|teal|orange|purple|magenta|cyan|gray|grey|violet|brown|olive|pink|black"
_SWITCH_COMMANDS = "em|it|bf|sl|sc|tt|rm|sf|bfseries|itshape|scshape|ttfamily|small|large|Large|footnotesize"

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
_PROTECTED_HREF = r"(?:" + PROTECTED_URL + r")(?:" + _HREF_TEXT + r")?"
_FLATTENED_HREF = r"(?:" + PROTECTED_URL + r")" + _HREF_TEXT
"""Only a closed pair is collapsed (and flagged): ``https://x.io/mathcal{`` is a URL followed by a brace."""

# A URL or domain-like token: kept intact by rules that would otherwise touch digits or letters inside it.
_URL = r"(?:https?://|www\.)[^\s<>\"]*|[A-Za-z0-9][A-Za-z0-9.-]*\.(?:com|org|net|io|ai|ms|be|edu|dev|co|page)\b[^\s]*"

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
    text = _literal_chain(text, _ENTITIES)
    # Entities that lost their "&#" and ";" on the way ("jailbreaksx2013methods").
    text = _chain(
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


def _tex_quotes(text: pl.Expr) -> pl.Expr:
    text = text.str.replace_all(r"``", "“")
    # '' after a space or an opening bracket opens a quote (''What If'').
    text = text.str.replace_all(r"(^|[\s(\[])''", "${1}“")
    text = text.str.replace_all(r"''|’’", "”")
    # An opening TeX quote closed by a straight double quote (``AdaLoss").
    text = text.str.replace_all(r"“([^“”\"]*)\"", "“${1}”")
    # A lone `single' quote pair.
    return text.str.replace_all(r"(^|[\s(])`([^`'\s][^`']*)'", "${1}‘${2}’")


def _tex_accents(text: pl.Expr) -> pl.Expr:
    accented = _tex_accent_marks(text)
    # Compose the combining marks it added (only where it changed something, so NFC stays its own rule).
    return pl.when(accented != text).then(accented.str.normalize("NFC")).otherwise(text)


def _tex_accent_marks(text: pl.Expr) -> pl.Expr:
    # "query\'s" is an escaped apostrophe, not an acute s.
    text = text.str.replace_all(r"(\p{L})\\'s\b", "${1}'s")
    text = _chain(text, [(r"\\i\b", "i"), (r"\{\\ss\}|\\ss\{\}", "ß")])
    for accent, mark in _TEXT_ACCENTS.items():
        escaped = "\\" + accent if accent in "^" else accent
        text = text.str.replace_all(
            r"\{?\\" + escaped + r"\{?([A-Za-z])\}?\}?",
            "${1}" + mark,
        )
    # \c{c} (cedilla) only with braces or a space: "\cC" is a macro (calligraphic C), not "Ç".
    return text.str.replace_all(r"\\c(?:\{([cCsStT])\}| ([cC])\b)", "${1}${2}\u0327")


def _tex_markup(text: pl.Expr) -> pl.Expr:
    # Structure first, so that the math rules after it see the final neighbours of every word.
    text = _chain(
        text,
        [
            # A TeX line break (two backslashes) is a space; list environments flattened into the text go.
            (r"\\\\", " "),
            (r"\\(?:begin|end)\s*\{?(?:enumerate|itemize|description)\}?", ""),
            (r"\\item\b\s*", ""),
            (r"\\([%&#_{}])", "${1}"),
        ],
    )
    # \href{url}{text} flattened to "url{url}" or "url{this https URL}": keep the URL once.
    text = text.str.replace_all(
        r"((?:https?://|www\.)[^\s{}]+)\{(?:(?:https?://|www\.)?[^\s{}]*|[^{}]*\bURL|blue\{[^{}]*\})\}",
        "${1}",
    )
    text = text.str.replace_all(
        r"((?:https?://|www\.)[^\s{}]+|" + URL_PLACEHOLDER + r")\{([^{}]*)\}", "${1} (${2})"
    )
    text = text.str.replace_all(r"\\href\{([^{}]*)\}\{([^{}]*)\}", "${2} (${1})")
    text = text.str.replace_all(r"\\?textcolor\{[A-Za-z]+\}\{([^{}]*)\}", "${1}")
    # {\em text}, {\bf text}: drop the switch and its group.
    text = text.str.replace_all(r"\{\\(?:" + _SWITCH_COMMANDS + r")\b\s*([^{}]*)\}", "${1}")
    # \textbf{x}, textbf{x}, \emph{x}, teal{x}: keep the argument (innermost first, twice for nesting).
    pattern = (
        r"(?:\\(?:"
        + _FORMAT_COMMANDS
        + r")|\b(?:"
        + _FORMAT_COMMANDS
        + "|"
        + _COLOR_NAMES
        + r"))\{([^{}]*)\}"
    )
    for _ in range(3):
        text = text.str.replace_all(pattern, "${1}")
    text = text.str.replace_all(r"\{((?:https?://|www\.)[^\s{}]+)\}", "${1}")
    # Braces lost by the renderer: "\emphPPAD", "\textbf minimum" (only after a backslash: surely a command).
    text = text.str.replace_all(r"\\(?:" + _GLUED_FORMAT_COMMANDS + r")\s*([\p{L}\p{N}])", "${1}")
    # Inline math delimiters: $…$, $$…$$, \( \), \[ \]. Escaped \$ is money, and so is a $ next to a digit
    # or closing punctuation ("$25 and $15", "2000$)"): the content may not start with either.
    text = text.str.replace_all(r"\\\$", "$$").str.replace_all(r"\${2,}", "$$")
    text = text.str.replace_all(r"\$([^$\d\s),.;:!?][^$]*)\$([^\d$]|$)", "${1}${2}")
    # A number in math mode ("$1$", "$2^k$"): no space inside, so never a "$25 ... $15" money pair.
    text = text.str.replace_all(r"\$(\d[^$\s]*)\$([^\d$]|$)", "${1}${2}")
    return text.str.replace_all(r"\\[()\[\]]", "")


def _accent_commands(text: pl.Expr) -> pl.Expr:
    for command, mark in _COMBINING_ACCENTS.items():
        # Wide accents are never English words: also rewritten without backslash ("widetilde Theta").
        prefix = r"(?:\\|\b)" if command.startswith(("wide", "over")) else r"\\"
        glued = r"\s*" if command.startswith(("wide", "over")) else r"\s+"
        text = text.str.replace_all(
            prefix + command + r"(?:\{(\p{L})\}|" + glued + r"(\p{L}))", "${1}${2}" + mark
        )
        if not command.startswith(("wide", "over")):
            text = text.str.replace_all(r"\b" + command + r"\{(\p{L})\}", "${1}" + mark)
    return text


def _tex_math(text: pl.Expr) -> pl.Expr:
    # Calligraphic/script/fraktur letters read as the plain letter (the O(d^k)); blackboard bold as ℝ.
    text = text.str.replace_all(r"(?:\\|\b)(?:mathcal|mathscr|mathfrak|cal)\s*\{\s*([A-Za-z])\s*\}", "${1}")
    text = text.str.replace_all(r"\\(?:mathcal|mathscr|mathfrak)\s+([A-Za-z])\b", "${1}")
    for letter, symbol in _BLACKBOARD.items():
        text = text.str.replace_all(r"(?:\\|\b)mathbb\s*\{\s*" + letter + r"\s*\}", symbol)
    text = text.str.replace_all(r"(?:\\|\b)mathbb\s*\{\s*([A-Za-z])\s*\}", "${1}")
    text = text.str.replace_all(r"(?:\\|\b)d?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", "${1}/${2}")
    text = text.str.replace_all(r"\\(?:left|right|big|Big|bigg|Bigg)\b", "")
    # Degrees before ∘: 90^\circ, 360{\deg}.
    text = text.str.replace_all(r"\^\s*\{?\\?circ\}?", "°")
    text = text.str.replace_all(r"\{\\deg\}", "°")
    # Everything below is first rewritten to its canonical TeX command ("\\Theta"), then all commands are
    # mapped to Unicode in one pass (a sentinel marks where each command ends, so "\\in" never eats "\\int").
    #
    # Greek letters: always inside braces; bare names only in math context (followed by ( _ ^ {, preceded by
    # "2/", ^, = < > | or a closing parenthesis, or after a wide accent). Slashes, dots, hyphens and
    # underscores before a name are not math context: that is how names appear in URLs (".../lambda.html").
    text = text.str.replace_all(r"\{\\?(" + _GREEK_NAMES + r")\}", "\\${1}" + _END)
    # A match consumes the "(" after its name, which is the context of the next one ("theta(theta("): the
    # first pass converts every other name of such a chain, the second the rest (the regex has no lookaround).
    in_math_context = r"(^|[\s(\[{,;=<>|+*^$]|widetilde|widehat|overline)(" + _GREEK_NAMES + r")([(_^{])"
    for _ in range(2):
        text = text.str.replace_all(in_math_context, r"${1}\${2}${3}")
    text = text.str.replace_all(r"(\d/|[\^)=<>|])(" + _GREEK_NAMES + r")\b", r"${1}\${2}")
    # Relations glued to a Greek letter by the renderer ("tauge 0", "|x|letau").
    text = text.str.replace_all(r"\b(" + _GLUE_SAFE_GREEK + r")(le|ge|leq|geq)\b", r"\${1} ${2}")
    text = text.str.replace_all(r"\b(le|ge|leq|geq)(" + _GLUE_SAFE_GREEK + r")\b", r"${1} \${2}")
    # Symbol names that are never English words, without their backslash.
    text = text.str.replace_all(r"(^|[^\\\p{L}\p{N}_])(" + _BARE_SYMBOL_NAMES + r")\b", r"${1}\${2}")
    text = text.str.replace_all(r"\\(" + _COMMAND_NAMES + r")(?:" + _END + r"|\b)", "\\${1}" + _END)
    # A command ends at any non-letter, also at _ ^ or a digit ("\\ell_p", "\\sum_i", "\\alpha2").
    text = text.str.replace_all(r"\\(" + _COMMAND_NAMES + r")([_^0-9])", "\\${1}" + _END + "${2}")
    text = text.str.replace_many(_COMMAND_SYMBOLS, leftmost=True)
    text = text.str.replace_all(r"\\sqrt\s*", "√")
    # Relations left as words next to a Greek letter ("τ ge 0", "le τ").
    text = _chain(
        text,
        [
            (r"\b(?:le|leq)(\s*[\p{Greek}])", "≤${1}"),
            (r"\b(?:ge|geq)(\s*[\p{Greek}])", "≥${1}"),
            (r"([\p{Greek}]) (?:le|leq)\b", "${1} ≤"),
            (r"([\p{Greek}]) (?:ge|geq)\b", "${1} ≥"),
        ],
    )
    # Accents need the Greek letters in place ("widetilde Theta" -> "Θ̃").
    text = _accent_commands(text)
    text = text.str.replace_all(r"\{sim\}", "∼")
    # "sim" is only read as ∼ in front of a number ("(sim 1% of"); "sim card" stays.
    text = text.str.replace_all(r"(^|[\s(\[])sim\s*(\d)", "${1}∼${2}")
    # "times" glued to a number or one symbol ("6.5times", "36times 64", "mtimes n"); "three times" stays.
    text = text.str.replace_all(r"(\d)times\b", "${1}×")
    text = text.str.replace_all(r"(^|[\s{(^_])([A-Za-z])times\s*([A-Za-z0-9])\b", "${1}${2}×${3}")
    # ℓ-norms: ell_2, ell^p; "the ell of" stays.
    text = text.str.replace_all(r"(^|[^\\\p{L}])ell([_^])", "${1}ℓ${2}")
    return text.str.replace_all(r"\{ℓ\}", "ℓ")


# author+year+title-word keys (nichani2023provable, Belkin2018ReconcilingMM); URLs and domains are kept.
_CITATION_KEY = r"[\p{Lu}]?[\p{Ll}]+(?:19|20)\d\d[A-Za-z]{4,}"


def _citation_keys(text: pl.Expr) -> pl.Expr:
    text = text.str.replace_all(r"[\s~]*\\(?:cite[tp]?|citep|citet|ref|eqref|label)\*?\{[^{}]*\}", "")
    # Branch 1 keeps URL-like tokens untouched; branch 2 drops a key together with its leading space or tie.
    text = text.str.replace_all(
        r"(^|[\s(\[])(" + _URL + r")|(?:\s*~|\s+|^)" + _CITATION_KEY + r"\b",
        "${1}${2}",
    )
    # "(key)" or "[key]" leftovers after a space become empty brackets: drop them ("tanh()" stays).
    return text.str.replace_all(r"\s+(?:\(\s*\)|\[\s*\])", "")


def _tex_ties(text: pl.Expr) -> pl.Expr:
    # A ~ after a word or punctuation is a TeX non-breaking space; "1~4" (a range) and "/~user" keep theirs.
    return text.str.replace_all(r"([\p{L},.;:)\]}])~+", "${1} ")


def _tex_commands(text: pl.Expr) -> pl.Expr:
    text = _chain(
        text,
        [
            (r"\\(?:ie)\b\.?", "i.e."),
            (r"\\(?:eg)\b\.?", "e.g."),
            (r"\\(?:etc)\b\.?", "etc."),
            (r"\\(?:etal)\b\.?", "et al."),
            # Remaining macros (\ours, \framework, \LaTeX): keep the name, drop backslash and empty {}.
            (r"\{\\([A-Za-z]+)\}", "${1}"),
            # A macro glued to the word before it ("n\log(n)") gets a space so the words stay apart.
            (r"([\p{L}\p{N}])\\([A-Za-z]+)", "${1} \\${2}"),
            (r"\\([A-Za-z]+)(?:\{\})?", "${1}"),
        ],
    )
    return text.str.replace_all(r"\\(\s)", "${1}")


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

    def clean(self, text: str) -> str:
        """Apply only this rule to one string (for documentation and tests)."""
        return pl.select(self.apply(pl.lit(text, dtype=pl.String))).item()


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
        _tex_quotes,
    ),
    Rule(
        "tex_markup",
        "emphasis and formatting commands, $…$ delimiters, flattened \\href, escapes like \\%",
        "{\\em dynamical stability} at 85\\%",
        "dynamical stability at 85%",
        _tex_markup,
    ),
    Rule(
        "tex_accents",
        "TeX accent commands to accented letters",
        "Erdos-R\\'enyi",
        "Erdos-Rényi",
        _tex_accents,
    ),
    Rule(
        "tex_math",
        "TeX math remnants to Unicode (Greek, arrows, ×, ∘, ℓ, accents)",
        "widetilde Theta(d^{kq})",
        "Θ̃(d^{kq})",
        _tex_math,
    ),
    Rule(
        "citation_keys",
        "leaked BibTeX keys and \\cite commands removed",
        "prior work~nichani2023provable requiring",
        "prior work requiring",
        _citation_keys,
    ),
    Rule(
        "tex_ties",
        "TeX ~ ties to spaces (ranges like 1~4 and URLs kept)",
        "Task~Arithmetic",
        "Task Arithmetic",
        _tex_ties,
    ),
    Rule(
        "tex_commands",
        "leftover backslash macros (the name is kept), \\ie and \\eg",
        "we call it \\ours",
        "we call it ours",
        _tex_commands,
    ),
    Rule(
        "sentence_space",
        "missing space after a sentence end",
        "networks.Given a model",
        "networks. Given a model",
        _sentence_space,
    ),
    Rule(
        "hyphenation",
        "words split by a hyphen and a space",
        "hand- written digits",
        "handwritten digits",
        _hyphenation,
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
    ),
    Rule("unicode_nfc", "Unicode NFC normalisation", "e\u0301", "é", _unicode_nfc),
)
"""The cleaning rules in the order they run (the README's rule table is generated from this)."""


def protected_urls(text: pl.Expr) -> pl.Expr:
    """The URLs of ``text`` as captured, in reading order (a flattened ``\\href`` pair counts once)."""
    return (
        text.fill_null("")
        .str.replace_all(URL_PLACEHOLDER, "", literal=True)
        .str.extract_all(_PROTECTED_HREF)
        .list.eval(pl.element().str.replace(r"\{.*$", ""))
    )


def mask_urls(text: pl.Expr) -> pl.Expr:
    """``text`` with every protected URL replaced by :data:`URL_PLACEHOLDER`."""
    return (
        text.fill_null("")
        .str.replace_all(URL_PLACEHOLDER, "", literal=True)
        .str.replace_all(_PROTECTED_HREF, URL_PLACEHOLDER)
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


def clean_text(text: pl.Expr, rules: Sequence[Rule] = RULES) -> pl.Expr:
    """All rules applied to one text expression (no flags), URLs protected; null becomes ""."""
    text = text.fill_null("")
    urls = protected_urls(text)
    masked = mask_urls(text)
    for rule in rules:
        masked = rule.apply(masked)
    return unmask_urls(masked, urls)


def clean_records(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add cleaned ``title``/``abstract`` and ``cleaning_flags`` from ``title_raw``/``abstract_raw``.

    Each rule runs as its own column step so that a rule is flagged exactly when it changed its input; the
    intermediate columns are dropped at the end. URLs are masked before the first rule and restored after the
    last (see :data:`URL_PLACEHOLDER`); a flattened ``\\href`` pair collapsed on the way is flagged as
    ``tex_markup``.
    """
    steps: list[str] = []
    flags: list[pl.Expr] = []
    for field in CLEANED_FIELDS:
        current, urls = f"__{field}_0", f"__{field}_urls"
        raw = pl.col(f"{field}_raw").cast(pl.String).fill_null("")
        frame = frame.with_columns(mask_urls(raw).alias(current), protected_urls(raw).alias(urls))
        flags.append(
            pl.when(raw.str.contains(_FLATTENED_HREF))
            .then(pl.lit(f"{field}:tex_markup"))
            .otherwise(pl.lit(None, dtype=pl.String))
        )
        steps += [current, urls]
        for index, rule in enumerate(RULES, start=1):
            if field not in rule.fields:
                continue
            following = f"__{field}_{index}"
            frame = frame.with_columns(rule.apply(pl.col(current)).alias(following))
            flags.append(
                pl.when(pl.col(following) != pl.col(current))
                .then(pl.lit(f"{field}:{rule.name}"))
                .otherwise(pl.lit(None, dtype=pl.String))
            )
            steps.append(following)
            current = following
        frame = frame.with_columns(unmask_urls(pl.col(current), pl.col(urls)).alias(field))
    return frame.with_columns(
        pl.concat_list(flags).list.drop_nulls().list.unique().list.sort().alias("cleaning_flags")
    ).drop(steps)


# ----------------------------------------------------------------------------------------------------
# Quality
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualitySettings:
    """Thresholds for the quality reasons; defaults come from real captures (see README).

    Real abstracts are mostly 500-2,000 characters; the shortest genuine one among ~13,000 conference
    abstracts (a one-sentence "open problem") has 98 characters and 16 words, while placeholders
    ("Preface to COLT 2015", "withdrawn") stay under 40 characters.
    """

    min_abstract_chars: int = 80
    """Below this (cleaned) length an abstract is ``abstract:too-short``."""
    min_abstract_words: int = 10
    """Fewer words than this is ``abstract:too-short`` as well (catches long single tokens, URLs)."""
    min_abstract_letter_share: float = 0.5
    """Share of letters among non-space characters below which the text is ``abstract:not-an-abstract``."""
    min_title_chars: int = 3
    """Below this (cleaned) length a title is ``title:too-short``."""
    max_title_chars: int = 400
    """Above this a title is ``title:too-long`` (an abstract or page text captured as title)."""


_NOT_AN_ABSTRACT = (
    r"(?i)\bthis is an automated message\b|\blibrarian bot\b|\bi found the following papers similar\b"
    r"|\bthe following papers were recommended by\b|\bget trending papers in your email\b"
    r"|\b(?:sign up|log in|sign in) (?:to|for) (?:comment|continue|upvote)\b|\bjoin the community\b"
    r"|\b(?:models|datasets|spaces) citing this paper\b|\bcollections including this paper\b"
    r"|^\s*(?:\(?no abstract(?: available)?\)?|abstract(?: not available)?|n/?a|none|null|tbd|coming soon"
    r"|placeholder|(?:paper (?:was |has been )?)?withdrawn(?: paper)?|withdraw|preface(?: to .{0,40})?"
    r"|\[deleted\]|\[removed\]|loading\.*|page not found|404)\s*[.!]?\s*$"
    r"|\benable javascript\b|\baccept (?:all )?cookies\b"
)
"""Bot comments, placeholder values and page navigation captured in place of an abstract."""

_TITLE_CHROME = (
    r"(?i)^\s*(?:subscribe|sign (?:in|up)|log ?in|get trending papers.*|trending papers|daily papers|papers"
    r"|read more|show more|see more|load more|loading\.*|home|menu|search|next|previous|prev|more|upvote\d*"
    r"|page \d+|papers with code|hugging ?face)\s*[.!:]?\s*$"
)
"""Navigation and button labels captured as a title."""

_TITLE_PLACEHOLDER = (
    r"(?i)^\s*(?:title|untitled|no title|placeholder|withdrawn|withdraw|tbd|null|none|n/?a|\[deleted\])"
    r"\s*[.!]?\s*$"
)
"""Values that stand in for a missing title."""


def tag_quality(frame: pl.LazyFrame, settings: QualitySettings = QualitySettings()) -> pl.LazyFrame:
    """Append quality reasons to ``reasons``, judged on the cleaned ``title``/``abstract``.

    Reasons: ``abstract:empty``, ``abstract:too-short``, ``abstract:not-an-abstract``, ``title:empty``,
    ``title:too-short``, ``title:too-long``, ``title:page-chrome``, ``title:placeholder``.
    """
    abstract = pl.col("abstract").fill_null("")
    title = pl.col("title").fill_null("")
    abstract_len = abstract.str.len_chars()
    non_space = abstract.str.replace_all(r"\s", "").str.len_chars()
    letters = abstract.str.count_matches(r"\p{L}")
    words = abstract.str.count_matches(r"\S+")
    return tag(
        frame,
        {
            "abstract:empty": abstract_len == 0,
            "abstract:too-short": (abstract_len > 0)
            & ((abstract_len < settings.min_abstract_chars) | (words < settings.min_abstract_words)),
            "abstract:not-an-abstract": (abstract_len > 0)
            & (
                abstract.str.contains(_NOT_AN_ABSTRACT)
                | (letters < non_space * settings.min_abstract_letter_share)
            ),
            "title:empty": title.str.len_chars() == 0,
            "title:too-short": (title.str.len_chars() > 0)
            & (title.str.len_chars() < settings.min_title_chars),
            "title:too-long": title.str.len_chars() > settings.max_title_chars,
            "title:page-chrome": title.str.contains(_TITLE_CHROME),
            "title:placeholder": title.str.contains(_TITLE_PLACEHOLDER),
        },
    )


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
