"""Parsers: raw captures (bytes) to ``RECORD_SCHEMA`` frames. The format is recognised from the content."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from transforms.parse.arxiv import looks_like_arxiv_feed, parse_arxiv_feed
from transforms.parse.common import Capture, parse_failure, records_frame
from transforms.parse.hf_daily import looks_like_hf_daily, parse_hf_daily
from transforms.parse.hf_page import looks_like_html, parse_hf_page
from transforms.parse.hf_scraped import looks_like_hf_scraped, parse_hf_scraped
from transforms.parse.pwc import looks_like_pwc, parse_pwc
from transforms.parse.text import looks_like_text_page, parse_text_page

Recogniser = Callable[[bytes], bool]
Parser = Callable[[Capture], pl.DataFrame]

FORMATS: dict[str, tuple[Recogniser, Parser]] = {
    "hf-daily": (looks_like_hf_daily, parse_hf_daily),
    "pwc": (looks_like_pwc, parse_pwc),
    "hf-scraped": (looks_like_hf_scraped, parse_hf_scraped),
    "arxiv": (looks_like_arxiv_feed, parse_arxiv_feed),
    "hf-page": (looks_like_html, parse_hf_page),
    "text": (looks_like_text_page, parse_text_page),
}
"""Known formats, tried in order; the first whose recogniser accepts the content parses it.

The recognisers are mutually exclusive: JSON lists/``{data}`` wrappers of daily items (``hf-daily``), JSON
objects shaped as Papers with Code pages or papers (``pwc``), ``{papers: [...]}`` page dumps
(``hf-scraped``), Atom XML (``arxiv``), HTML (``hf-page``), and plain text that is none of these (``text``).
"""


def detect_format(content: bytes) -> str | None:
    """The name of the first format that recognises ``content``, or None."""
    return next((name for name, (recognise, _) in FORMATS.items() if recognise(content)), None)


def parse_capture(capture: Capture) -> pl.DataFrame:
    """Parse one capture into records; an unrecognised or broken input becomes one ``parse_error`` record."""
    name = capture.source if capture.source in FORMATS else detect_format(capture.content)
    if name is None:
        return parse_failure(capture, capture.source, "parse:unrecognised-format")
    try:
        return FORMATS[name][1](capture)
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, SyntaxError, RecursionError) as error:
        return parse_failure(capture, name, f"parse:{type(error).__name__}")


__all__ = ["FORMATS", "Capture", "detect_format", "parse_capture", "parse_failure", "records_frame"]
