"""Parsers: raw captures (bytes) to ``RECORD_SCHEMA`` frames. The format is recognised from the content."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import polars as pl

from transforms.parse.arxiv import looks_like_arxiv_feed, parse_arxiv_feed
from transforms.parse.common import (
    DEFAULT_LIMITS,
    Capture,
    InputLimits,
    ItemRejected,
    error_reason,
    input_limits,
    parse_failure,
    records_frame,
)
from transforms.parse.generic import (
    describe,
    field_mapping,
    looks_like_generic,
    parse_generic,
    read,
    unmapped_reason,
)
from transforms.parse.hf_daily import looks_like_hf_daily, parse_hf_daily
from transforms.parse.hf_page import looks_like_html, parse_hf_page
from transforms.parse.hf_scraped import looks_like_hf_scraped, parse_hf_scraped
from transforms.parse.listing import is_listing_format, not_a_listing
from transforms.parse.pwc import looks_like_pwc, parse_pwc
from transforms.parse.text import looks_like_text_page, parse_text_page, text_shape_problem
from transforms.parse.values import NOT_JSON, is_json_document, json_document, load_json

Recogniser = Callable[[bytes], bool]
Parser = Callable[[Capture], pl.DataFrame]

FORMATS: dict[str, tuple[Recogniser, Parser]] = {
    "hf-daily": (looks_like_hf_daily, parse_hf_daily),
    "pwc": (looks_like_pwc, parse_pwc),
    "hf-scraped": (looks_like_hf_scraped, parse_hf_scraped),
    "arxiv": (looks_like_arxiv_feed, parse_arxiv_feed),
    "hf-page": (looks_like_html, parse_hf_page),
    "text": (looks_like_text_page, parse_text_page),
    "generic": (looks_like_generic, parse_generic),
}
"""Known formats, tried in order; the first whose recogniser accepts the content parses it.

The recognisers are mutually exclusive: JSON lists/``{data}`` wrappers of daily items (``hf-daily``), JSON
objects shaped as Papers with Code pages or papers (``pwc``), ``{papers: [...]}`` page dumps
(``hf-scraped``), Atom XML (``arxiv``), HTML (``hf-page``), and plain text that is none of these (``text``).
``generic`` is last: records of any other shape (JSON, JSON Lines, CSV, TSV) whose fields the table of
``transforms/parse/fields.py`` (or a mapping file) finds.
"""


def detect_format(content: bytes) -> str | None:
    """The name of the first format that recognises ``content``, or None."""
    return next((name for name, (recognise, _) in FORMATS.items() if recognise(content)), None)


def parse_capture(
    capture: Capture,
    limits: InputLimits = DEFAULT_LIMITS,
    mapping: Mapping[str, Sequence[str]] | None = None,
) -> pl.DataFrame:
    """Parse one capture into records; never raises.

    An item that breaks is one ``parse:<format>:<reason>`` record (its siblings are parsed); an unrecognised,
    oversized or broken input is one such record for the whole input. ``limits`` bound the work; ``mapping``
    (field -> column names, from a user's mapping file) is used by the generic reader.
    """
    return parse_capture_as(capture, limits, mapping).records


class Parsed(NamedTuple):
    records: pl.DataFrame
    format: str | None
    """The format that parsed the capture (None when none did)."""
    mapping: dict[str, Any] | None
    """How the generic reader mapped the capture's fields (:func:`transforms.parse.generic.describe`, without
    its column list); None for the other formats."""


def parse_capture_as(
    capture: Capture,
    limits: InputLimits = DEFAULT_LIMITS,
    mapping: Mapping[str, Sequence[str]] | None = None,
) -> Parsed:
    """:func:`parse_capture`, the name of the format that parsed it and, for the generic reader, its mapping."""
    with input_limits(limits), field_mapping(mapping):
        records, name = _parse(capture, limits)
        described = describe(capture.content, capture.location) if name == "generic" else None
    if described is not None:
        described.pop("columns", None)
    return Parsed(records, name, described)


def _parse(capture: Capture, limits: InputLimits) -> tuple[pl.DataFrame, str | None]:
    try:
        problem = _input_problem(capture, limits)
        if problem is not None:
            return parse_failure(capture, capture.source, problem), None
        name = capture.source if capture.source in FORMATS else detect_format(capture.content)
        if name is None:
            return parse_failure(capture, capture.source, unrecognised_reason(capture.content)), None
    except Exception as error:  # a recogniser that breaks must not break the run
        return parse_failure(capture, capture.source, f"parse:detect:{error_reason(error)}"), None
    try:
        records = FORMATS[name][1](capture)
    except Exception as error:  # the last line of isolation: one record for the whole input
        records = parse_failure(capture, name, f"parse:{name}:{error_reason(error)}")
    return (records if is_listing_format(name) else not_a_listing(records)), name


def _input_problem(capture: Capture, limits: InputLimits) -> str | None:
    """A reason when the whole input is beyond the limits (size; JSON depth, checked before any recogniser)."""
    if len(capture.content) > limits.max_file_bytes:
        return "parse:input:too-large"
    if is_json_document(capture.content):
        try:
            load_json(capture.content)
        except ItemRejected as rejected:
            return f"parse:json:{rejected.reason}"
        except ValueError:  # not JSON after all: the recognisers decide
            return None
    return None


def unrecognised_reason(content: bytes) -> str:
    """Why no format took the content: ``parse:json:broken-structure`` for JSON whose structure breaks (cut
    short, an unbalanced bracket or quote: the document is lost from the break, here whole), ``parse:text:<shape>``
    for text that is not a listing (markdown, csv, code, log, no-title-abstract-pairs),
    ``parse:generic:unmapped:<shape>:<columns>`` for records (JSON, JSON Lines, CSV, TSV) whose title and abstract the
    generic reader did not find (the columns a mapping file can name), else ``parse:unrecognised-format``."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "parse:unrecognised-format"
    records = read(content)
    if records is not None and records.rows:
        return unmapped_reason(records)
    if is_json_document(content):
        return (
            "parse:unrecognised-format"
            if json_document(content) is not NOT_JSON
            else "parse:json:broken-structure"
        )
    if text.lstrip()[:1] == "<":
        return "parse:unrecognised-format"
    problem = text_shape_problem(text)
    return f"parse:text:{problem}" if problem else "parse:unrecognised-format"


__all__ = [
    "DEFAULT_LIMITS",
    "FORMATS",
    "Capture",
    "InputLimits",
    "Parsed",
    "detect_format",
    "parse_capture",
    "parse_capture_as",
    "parse_failure",
    "records_frame",
]
