"""Reading local inputs: files or folders become captures (bytes kept verbatim, sha256-identified)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from transforms.parse import Capture

BUNDLED_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "trending-papers-page.txt"
"""The default input: a text copy of the trending-papers page this product was specified from."""

IGNORED_NAMES = {"PROVENANCE.txt", "README.md", "LICENSE"}
"""Documentation that sits beside captures in data folders: never an input."""


@dataclass(frozen=True)
class InputReport:
    """One local input file as the manifest lists it."""

    path: str
    sha256: str
    bytes: int
    duplicate_of: str | None = None


def expand_inputs(paths: list[Path]) -> list[Path]:
    """Files as given; folders walked recursively in sorted order; hidden files and docs skipped."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.name not in IGNORED_NAMES
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"input not found: {path}")
    return files


def read_local_captures(paths: list[Path]) -> tuple[list[Capture], list[InputReport]]:
    """Captures for local files; a file whose bytes were already read is reported but parsed once."""
    captures: list[Capture] = []
    reports: list[InputReport] = []
    seen: dict[str, str] = {}
    for path in expand_inputs(paths):
        content = path.read_bytes()
        mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        capture = Capture(source="auto", location=str(path), content=content, captured_at=mtime)
        reports.append(InputReport(str(path), capture.sha256, len(content), seen.get(capture.sha256)))
        if capture.sha256 not in seen:
            seen[capture.sha256] = str(path)
            captures.append(capture)
    return captures, reports
