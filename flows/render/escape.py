"""Text from the data, made safe to print: in markdown (the card, the changelog, the run's artifacts) and on a
terminal (``papers show``, ``diff``, ``dedup-report``).

Titles, folder names, ``PROVENANCE.txt`` lines, URLs and changed values come from inputs nobody here wrote. Put
into markdown as they are, a ``|`` breaks a table, a ``[x](javascript:…)`` or ``<img>`` becomes a link or markup in
the Hub's card; printed as they are, an ``ESC [`` sequence recolours, moves or clears the reader's terminal, and a
bidirectional override reorders what the reader sees. Every helper keeps the text on one line and cuts it to a
length.
"""

from __future__ import annotations

import re

UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Control characters (C0 but tab and newline, DEL, C1: ``ESC``, ``CSI``...) and bidirectional controls."""
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~{}])")


def one_line(text: object, limit: int = 300) -> str:
    """``text`` on one line (runs of whitespace as one space), without control characters, cut to ``limit``."""
    value = " ".join(UNPRINTABLE.sub("", "" if text is None else str(text)).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def markdown_text(text: object, limit: int = 300) -> str:
    """``text`` as literal markdown text (also inside a table cell): every character markdown or HTML would
    read as syntax is backslash-escaped."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text, limit))


def code_span(text: object, limit: int = 120) -> str:
    """``text`` as a markdown code span (backticks in it become ``'``; ``|`` is escaped for table cells)."""
    return "`" + one_line(text, limit).replace("`", "'").replace("|", "\\|") + "`"


def terminal_text(text: object, limit: int = 300) -> str:
    """``text`` as a terminal shows it literally: each control character written as its escape (``\\x1b``),
    never sent to the terminal."""
    value = "" if text is None else str(text)
    value = UNPRINTABLE.sub(lambda match: match.group(0).encode("unicode_escape").decode("ascii"), value)
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"
