"""The raw zone: every fetched byte kept verbatim, content-addressed, with a log line per response.

Layout under ``OUT/raw/``::

    <source>/<YYYY-MM-DD>/<sha256>.<ext>    the body exactly as received (same bytes, same file: stored once)
    <source>/<YYYY-MM-DD>/responses.jsonl   one JSON line per response received that day from that source

A log line holds ``url``, ``status``, ``time`` (seconds the request took), ``size``, ``sha256``,
``captured_at``, ``source``, ``kind``, ``file`` and ``run``. ``kind`` says what the response was used for:
``capture`` (parsed by the run), ``attempt`` (a 429/5xx that was retried), ``robots`` (robots.txt),
``rejected`` (a final response the source refused, e.g. HTTP 404), ``redirect`` (a 3xx hop followed to the
next URL). Replaying reads only ``capture`` lines,
so a replay parses exactly what the run parsed, with the original source and ``captured_at``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import httpx

from flows.net.scrub import redact_url
from flows.store.files import write_bytes_atomically

LOG_NAME = "responses.jsonl"
CAPTURE = "capture"
KINDS = ("capture", "attempt", "robots", "rejected", "redirect")

_EXTENSIONS = {
    "application/json": "json",
    "application/atom+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/html": "html",
    "text/plain": "txt",
}


@dataclass(frozen=True)
class RawEntry:
    """One log line of the raw zone."""

    source: str
    url: str
    status: int
    kind: str
    captured_at: str
    time: float | None
    size: int
    sha256: str
    file: str
    """Path of the stored body, relative to the raw zone root."""
    run: str | None = None


class RawZone:
    """Writes bodies and log lines under ``root`` (``OUT/raw``); safe to share between sources of one run."""

    def __init__(self, root: Path, run: str | None = None) -> None:
        self.root = root
        self.run = run

    def store(
        self,
        source: str,
        url: str,
        status: int,
        content: bytes,
        captured_at: datetime,
        *,
        kind: str = CAPTURE,
        content_type: str | None = None,
        elapsed: float | None = None,
    ) -> RawEntry:
        """Keep ``content`` (once per sha256 and folder) and append its log line; returns the line."""
        if kind not in KINDS:
            raise ValueError(f"unknown raw-zone kind {kind!r}")
        sha256 = hashlib.sha256(content).hexdigest()
        folder = self.root / source / captured_at.date().isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        body = folder / f"{sha256}.{extension_for(content_type, content)}"
        if not body.exists():
            write_bytes_atomically(body, content)
        entry = RawEntry(
            source=source,
            url=redact_url(url),
            status=status,
            kind=kind,
            captured_at=captured_at.isoformat(),
            time=None if elapsed is None else round(elapsed, 6),
            size=len(content),
            sha256=sha256,
            file=body.relative_to(self.root).as_posix(),
            run=self.run,
        )
        with (folder / LOG_NAME).open("a", encoding="utf-8") as log:
            log.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
        return entry

    def store_response(
        self, source: str, response: httpx.Response, captured_at: datetime, kind: str = CAPTURE
    ) -> RawEntry:
        """Keep an httpx response (body as received, after transfer decoding)."""
        return self.store(
            source,
            str(response.request.url),
            response.status_code,
            response.content,
            captured_at,
            kind=kind,
            content_type=response.headers.get("Content-Type"),
            elapsed=_elapsed(response),
        )


def extension_for(content_type: str | None, content: bytes) -> str:
    """File extension from the Content-Type, else sniffed from the first byte."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in _EXTENSIONS:
        return _EXTENSIONS[media]
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if head[:1] in {b"{", b"["}:
        return "json"
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    if head.startswith(b"<"):
        return "xml"
    return "bin"


def is_raw_zone(path: Path) -> bool:
    """True when ``path`` is a folder holding real raw-zone logs (a whole zone, a source or a day).

    A file merely named ``responses.jsonl`` does not make a raw zone: its lines must be raw-zone log lines.
    """
    return path.is_dir() and any(raw_log_kinds(log) is not None for log in path.rglob(LOG_NAME))


def raw_log_kinds(log: Path) -> dict[str, str] | None:
    """``{body file name: kind}`` of a raw-zone day log (``capture`` wins for bodies used twice), or None when
    ``log`` is missing, empty or not a raw-zone log (fewer valid log lines than lines that are not: a few bad
    lines in a real log are left out of its replay one by one, :func:`read_log`)."""
    try:
        if not log.is_file():
            return None
        entries, problems = _log_entries(log)
    except OSError:
        return None
    if not entries or len(problems) > len(entries):
        return None
    kinds: dict[str, str] = {}
    for entry in entries:
        name = Path(entry.file).name
        kinds[name] = CAPTURE if CAPTURE in (entry.kind, kinds.get(name)) else entry.kind
    return kinds


@dataclass(frozen=True)
class LogProblem:
    """A raw-zone log line that is not a log line, or a capture whose body is missing or changed: that line or
    capture alone is left out of a replay, with its reason."""

    location: str
    """``<log>:<line number>``, or the body file's path."""
    reason: str
    """``raw-zone-bad-line:<why>``, ``raw-zone-body-missing`` or ``raw-zone-body-changed``."""


def read_entries(root: Path) -> list[RawEntry]:
    """Every valid log line under ``root``, in file then line order (lines that are not log lines are left out:
    :func:`read_log` says which and why)."""
    return read_log(root)[0]


def read_log(root: Path) -> tuple[list[RawEntry], list[LogProblem]]:
    """Every log line under ``root``, in file then line order, checked one at a time: the valid entries, and a
    :class:`LogProblem` for each line that is not one (the others are still read).

    A last line without its newline that does not parse is a write torn by a kill: it is ignored (its body,
    if any, was stored first and is simply not replayed).
    """
    entries: list[RawEntry] = []
    problems: list[LogProblem] = []
    for log in sorted(root.rglob(LOG_NAME)):
        found, bad = _log_entries(log)
        entries.extend(found)
        problems.extend(bad)
    return entries, problems


def _log_entries(log: Path) -> tuple[list[RawEntry], list[LogProblem]]:
    text = log.read_bytes().decode("utf-8", errors="replace")
    lines = text.split("\n")
    torn = lines.pop() if lines else ""
    entries: list[RawEntry] = []
    problems: list[LogProblem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entries.append(_entry(line))
        except BadLine as bad:
            problems.append(LogProblem(f"{log}:{number}", f"raw-zone-bad-line:{bad.reason}"))
    if torn.strip():
        with contextlib.suppress(BadLine):
            entries.append(_entry(torn))
    return entries, problems


class BadLine(ValueError):
    """A log line that is not a raw-zone log line; ``reason`` says what is wrong with it (a slug)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "source": (str,),
    "url": (str,),
    "status": (int,),
    "kind": (str,),
    "captured_at": (str,),
    "time": (int, float, type(None)),
    "size": (int,),
    "sha256": (str,),
    "file": (str,),
    "run": (str, type(None)),
}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_BODY_NAME = re.compile(r"^[0-9a-f]{64}\.[a-z]{2,5}$")


def _entry(line: str) -> RawEntry:
    """The log line as an entry, every field checked (a body path can only name a file of its day folder)."""
    try:
        value = json.loads(line)
    except ValueError:
        raise BadLine("not-json") from None
    if not isinstance(value, dict):
        raise BadLine("not-an-object")
    missing = [name for name in _FIELD_TYPES if name != "run" and name not in value]
    if missing or set(value) - set(_FIELD_TYPES):
        raise BadLine("missing-fields" if missing else "unknown-fields")
    for name, types in _FIELD_TYPES.items():
        item = value.get(name)
        if not isinstance(item, types) or (isinstance(item, bool) and bool not in types):
            raise BadLine(f"wrong-type-{name}")
    if value["kind"] not in KINDS:
        raise BadLine("unknown-kind")
    if not _SHA256.match(value["sha256"]):
        raise BadLine("bad-sha256")
    parts = value["file"].split("/")
    if (
        len(parts) != 3
        or not _BODY_NAME.match(parts[2])
        or not parts[2].startswith(value["sha256"])
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise BadLine("bad-file-path")
    try:
        captured_at = datetime.fromisoformat(value["captured_at"])
    except ValueError:
        raise BadLine("bad-captured-at") from None
    if captured_at.tzinfo is None:  # the zone writes UTC times; a naive one cannot be ordered among them
        raise BadLine("bad-captured-at")
    return RawEntry(**value)


def _elapsed(response: httpx.Response) -> float | None:
    try:
        return response.elapsed.total_seconds()
    except RuntimeError:
        return None
