"""``papers inspect FILE``: how a run would read a file (its format, the generic reader's field mapping, a sample
record), without running anything or writing anywhere."""

from __future__ import annotations

import argparse
from typing import Any

import polars as pl

from flows.cli.exits import ExitCode
from flows.cli.output import Reply
from flows.errors import UsageError
from flows.render.text import inspect_text
from flows.sources.local import read_local_captures
from flows.sources.mapping import load_mapping
from transforms.parse import parse_capture_as
from transforms.parse.generic import describe

SAMPLE_SKIPPED = ("record_id", "source", "input_path", "raw_sha256", "raw_index", "captured_at_evidence")


def inspect_file(args: argparse.Namespace, reply: Reply) -> int:
    mapping = load_mapping(args.mapping) if args.mapping is not None else None
    captures, reports = read_local_captures([args.file])
    if not captures:
        why = next((report.skipped for report in reports if report.skipped), "not read")
        raise UsageError(f"{args.file}: not read ({why})")
    capture = captures[0]
    parsed = parse_capture_as(capture, mapping=mapping)
    records = parsed.records
    whole = records.height == 1 and records.item(0, "raw_index") == -1
    failed = records.filter(pl.col("parse_error").is_not_null())
    shape = describe(capture.content, capture.location)
    document: dict[str, Any] = {
        "file": str(args.file),
        "format": parsed.format,
        "records": 0 if whole else records.height,
        "item_failures": dict(sorted(failed.get_column("parse_error").value_counts().iter_rows()))
        if not whole
        else {},
        "reason": records.item(0, "parse_error") if whole else None,
        "mapping": parsed.mapping,
        "columns": shape["columns"] if shape is not None else None,
        "sample": _sample(records) if not whole else None,
    }
    code = ExitCode.DONE if parsed.format is not None and not whole else ExitCode.NOTHING_PUBLISHED
    return reply.done(code, document, inspect_text(document))


def _sample(records: pl.DataFrame) -> dict[str, Any] | None:
    """The first record read without a failure: its fields that have a value."""
    good = records.filter(pl.col("parse_error").is_null()).drop(SAMPLE_SKIPPED, strict=False)
    if good.height == 0:
        return None
    return {name: value for name, value in good.row(0, named=True).items() if value not in (None, [])}
