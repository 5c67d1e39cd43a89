"""Shared helpers for parser tests: captures from fixture files or literal bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from transforms.parse import Capture

DATA = Path(__file__).resolve().parent.parent / "data"
CAPTURED_AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def capture(content: bytes | str, source: str = "auto", location: str = "test") -> Capture:
    """A capture of literal content (str is UTF-8 encoded)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return Capture(source, location, data, CAPTURED_AT, captured_at_evidence="file-mtime")


def fixture(relative: str, source: str = "auto") -> Capture:
    """A capture of a file under ``tests/data``."""
    return capture((DATA / relative).read_bytes(), source=source, location=relative)
