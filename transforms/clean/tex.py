"""TeX flattened into text: markup, accents, math and commands a page renderer left in titles and abstracts.

The rules here turn ``\\mathcal{O}(n)``, ``\\'{e}``, ``$\\alpha$-divergence`` and their backslash-less renderings
(``mathcal{O}``, ``alpha-divergence`` after a formula) into readable Unicode, while leaving ordinary English alone
(``three times faster``, ``the ell of``, ``theta waves``): a TeX word is only rewritten where it cannot be English
or where its context is mathematical. ``transforms/clean/rules.py`` orders them among the other cleaning rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from transforms.clean.urls import URL_PLACEHOLDER


def chain(expr: pl.Expr, replacements: Sequence[tuple[str, str]]) -> pl.Expr:
    """Apply regex replacements in order (``$1``-style groups allowed in the replacement)."""
    for pattern, replacement in replacements:
        expr = expr.str.replace_all(pattern, replacement)
    return expr


def literal_chain(expr: pl.Expr, replacements: Sequence[tuple[str, str]]) -> pl.Expr:
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

# A URL or domain-like token: kept intact by rules that would otherwise touch digits or letters inside it.
_URL = r"(?:https?://|www\.)[^\s<>\"]*|[A-Za-z0-9][A-Za-z0-9.-]*\.(?:com|org|net|io|ai|ms|be|edu|dev|co|page)\b[^\s]*"


def tex_quotes(text: pl.Expr) -> pl.Expr:
    text = text.str.replace_all(r"``", "“")
    # '' after a space or an opening bracket opens a quote (''What If'').
    text = text.str.replace_all(r"(^|[\s(\[])''", "${1}“")
    text = text.str.replace_all(r"''|’’", "”")
    # An opening TeX quote closed by a straight double quote (``AdaLoss").
    text = text.str.replace_all(r"“([^“”\"]*)\"", "“${1}”")
    # A lone `single' quote pair.
    return text.str.replace_all(r"(^|[\s(])`([^`'\s][^`']*)'", "${1}‘${2}’")


def tex_accents(text: pl.Expr) -> pl.Expr:
    accented = tex_accent_marks(text)
    # Compose the combining marks it added (only where it changed something, so NFC stays its own rule).
    return pl.when(accented != text).then(accented.str.normalize("NFC")).otherwise(text)


def tex_accent_marks(text: pl.Expr) -> pl.Expr:
    # "query\'s" is an escaped apostrophe, not an acute s.
    text = text.str.replace_all(r"(\p{L})\\'s\b", "${1}'s")
    text = chain(text, [(r"\\i\b", "i"), (r"\{\\ss\}|\\ss\{\}", "ß")])
    for accent, mark in _TEXT_ACCENTS.items():
        escaped = "\\" + accent if accent in "^" else accent
        text = text.str.replace_all(
            r"\{?\\" + escaped + r"\{?([A-Za-z])\}?\}?",
            "${1}" + mark,
        )
    # \c{c} (cedilla) only with braces or a space: "\cC" is a macro (calligraphic C), not "Ç".
    return text.str.replace_all(r"\\c(?:\{([cCsStT])\}| ([cC])\b)", "${1}${2}\u0327")


def tex_markup(text: pl.Expr) -> pl.Expr:
    # Structure first, so that the math rules after it see the final neighbours of every word.
    text = chain(
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


def accent_commands(text: pl.Expr) -> pl.Expr:
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


def tex_math(text: pl.Expr) -> pl.Expr:
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
    text = chain(
        text,
        [
            (r"\b(?:le|leq)(\s*[\p{Greek}])", "≤${1}"),
            (r"\b(?:ge|geq)(\s*[\p{Greek}])", "≥${1}"),
            (r"([\p{Greek}]) (?:le|leq)\b", "${1} ≤"),
            (r"([\p{Greek}]) (?:ge|geq)\b", "${1} ≥"),
        ],
    )
    # Accents need the Greek letters in place ("widetilde Theta" -> "Θ̃").
    text = accent_commands(text)
    text = text.str.replace_all(r"\{sim\}", "∼")
    # "sim" is only read as ∼ in front of a number ("(sim 1% of"); "sim card" stays.
    text = text.str.replace_all(r"(^|[\s(\[])sim\s*(\d)", "${1}∼${2}")
    # "times" glued to a number or one symbol ("6.5times", "36times 64", "mtimes n"); "three times" stays.
    text = text.str.replace_all(r"(\d)times\b", "${1}×")
    text = text.str.replace_all(r"(^|[\s{(^_])([A-Za-z])times\s*([A-Za-z0-9])\b", "${1}${2}×${3}")
    # ℓ-norms: ell_2, ell^p; "the ell of" stays.
    text = text.str.replace_all(r"(^|[^\\\p{L}])ell([_^])", "${1}ℓ${2}")
    return text.str.replace_all(r"\{ℓ\}", "ℓ")


TEX_MATH_TRIGGER = (
    r"[\\{^]|\p{Greek}"
    + r"|(?:" + _GREEK_NAMES + r")[(_^{]|[/)=<>|](?:" + _GREEK_NAMES + r")"
    + r"|(?:" + _GLUE_SAFE_GREEK + r")(?:le|ge)|(?:le|ge)q?(?:" + _GLUE_SAFE_GREEK + r")"
    + r"|" + _BARE_SYMBOL_NAMES
    + r"|widetilde|widehat|overline|sim\s*\d|\dtimes|[A-Za-z]times|ell[_^]"
)  # fmt: skip
"""What every pass of :func:`tex_math` needs in its input: a backslash, brace or caret, a Greek letter, a Greek
name in math context or glued to a relation, a bare symbol name, a wide accent, ``sim`` before a number,
``times`` glued to a number or letter, ``ell_``/``ell^``. A text without any is left as it is (~89 % of
abstracts)."""


# author+year+title-word keys (nichani2023provable, Belkin2018ReconcilingMM); URLs and domains are kept.
_CITATION_KEY = r"[\p{Lu}]?[\p{Ll}]+(?:19|20)\d\d[A-Za-z]{4,}"


def citation_keys(text: pl.Expr) -> pl.Expr:
    text = text.str.replace_all(r"[\s~]*\\(?:cite[tp]?|citep|citet|ref|eqref|label)\*?\{[^{}]*\}", "")
    # Branch 1 keeps URL-like tokens untouched; branch 2 drops a key together with its leading space or tie.
    text = text.str.replace_all(
        r"(^|[\s(\[])(" + _URL + r")|(?:\s*~|\s+|^)" + _CITATION_KEY + r"\b",
        "${1}${2}",
    )
    # "(key)" or "[key]" leftovers after a space become empty brackets: drop them ("tanh()" stays).
    return text.str.replace_all(r"\s+(?:\(\s*\)|\[\s*\])", "")


def tex_ties(text: pl.Expr) -> pl.Expr:
    # A ~ after a word or punctuation is a TeX non-breaking space; "1~4" (a range) and "/~user" keep theirs.
    return text.str.replace_all(r"([\p{L},.;:)\]}])~+", "${1} ")


def tex_commands(text: pl.Expr) -> pl.Expr:
    text = chain(
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
