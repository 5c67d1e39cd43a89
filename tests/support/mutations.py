"""A seeded mutator over real captures of every format, shared by the suite and ``bench/fuzz_parsers.py``.

Mutations are the kinds hostile or broken inputs take: bytes flipped, cut or repeated; numbers beyond every
integer type; lone surrogates; nesting thousands of levels deep; dates at the calendar's edges; XML
declarations naming unknown encodings; values of the wrong type; very long strings. The same seed gives the
same cases, so a failure is reproduced by its seed and case number.
"""

from __future__ import annotations

import json
import random
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from transforms.parse import DEFAULT_LIMITS, Capture, InputLimits, detect_format, parse_capture
from transforms.parse.hf_daily import daily_items
from transforms.parse.values import salvaged_list
from transforms.schema import RECORD_SCHEMA, polars_schema, to_arrow

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
REASON = re.compile(
    r"^parse:[a-z0-9-]+(?::[a-z0-9-]+)*$|^parse:generic:unmapped:[a-z-]+(?::[\w.-]+)?:[\w.,-]*$"
)
"""A countable code; the generic reader's ``unmapped`` reason also names the columns it saw (for a mapping file)."""
CAPTURED_AT = datetime(2025, 1, 2, tzinfo=UTC)


def seed_samples(shared: bool = True) -> dict[str, bytes]:
    """Real captures of every format (small ones, so that thousands of cases stay fast); ``shared`` adds one
    from ``../shared`` when it is there (the suite leaves it out, so its seeded cases are the same everywhere)."""
    samples = {
        str(path.relative_to(REPO)): path.read_bytes()
        for path in sorted((REPO / "tests" / "data").glob("*/*"))
        if path.suffix in {".json", ".xml", ".html"}
    }
    page = (REPO / "data" / "sample" / "trending-papers-page.txt").read_text(encoding="utf-8")
    samples["data/sample (first 6 papers)"] = "\n".join(page.splitlines()[:15]).encode()
    scraped = SHARED / "hf-scraped-2024" / "2024-05-27.json"
    if shared and scraped.exists():
        document = json.loads(scraped.read_bytes())
        document["papers"] = document["papers"][:4]
        samples["shared hf-scraped (first 4 papers)"] = json.dumps(document).encode()
    return samples


def _flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _delete_span(rng: random.Random, data: bytes) -> bytes:
    start = rng.randrange(len(data) + 1)
    return data[:start] + data[start + rng.randint(1, 200) :]


def _repeat_span(rng: random.Random, data: bytes) -> bytes:
    start = rng.randrange(len(data) + 1)
    span = data[start : start + rng.randint(1, 400)]
    return data[:start] + span * rng.randint(2, 4) + data[start:]


def _junk(rng: random.Random, data: bytes) -> bytes:
    junk = rng.choice(
        [b"\x00", b"\xff\xfe", b"\xed\xa0\x80", b"\xc3", b"\r", b"\x1b[0m", bytes(rng.randbytes(8))]
    )
    at = rng.randrange(len(data) + 1)
    return data[:at] + junk + data[at:]


def _huge_number(rng: random.Random, data: bytes) -> bytes:
    numbers = list(re.finditer(rb"(?<![\w.])\d+(?![\w.])", data))
    if not numbers:
        return data
    match = rng.choice(numbers)
    value = rng.choice([b"9" * 30, b"-" + b"9" * 25, b"9223372036854775808", b"2147483648", b"1e999", b"-0"])
    return data[: match.start()] + value + data[match.end() :]


def _surrogate(rng: random.Random, data: bytes) -> bytes:
    strings = list(re.finditer(rb'"[^"\\]{2,}"', data))
    if not strings:
        return data
    match = rng.choice(strings)
    escape = rng.choice([b"\\ud800", b"\\udfff", b"\\ud83d", b"\\u0000"])
    return data[: match.start() + 2] + escape + data[match.start() + 2 :]


def _deep(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice([70, 500, 1_100, 5_000])
    opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
    nested = opener * depth + (b"1" if opener != b"[" else b"") + closer * depth
    at = rng.choice([m.end() for m in re.finditer(rb"[\[:,]", data)] or [0])
    return data[:at] + nested + (b"," if at else b"") + data[at:]


def _edge_date(rng: random.Random, data: bytes) -> bytes:
    dates = list(re.finditer(rb"\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2})?)?", data))
    if not dates:
        return data
    match = rng.choice(dates)
    edge = rng.choice(
        [b"0001-01-01T00:00:00+01:00", b"9999-12-31T23:59:59-01:00", b"0000-00-00", b"2024-02-30T25:61:00Z"]
    )
    return data[: match.start()] + edge + data[match.end() :]


def _encoding(rng: random.Random, data: bytes) -> bytes:
    name = rng.choice([b"no-such-codec", b"utf-16", b"shift_jis", b"ebcdic", b"utf-32-le"])
    declaration = b'<?xml version="1.0" encoding="' + name + b'"?>'
    if data.startswith(b"<?xml"):
        return re.sub(rb"^<\?xml[^>]*\?>", declaration, data, count=1)
    return declaration + data


def _wrong_type(rng: random.Random, data: bytes) -> bytes:
    values = list(re.finditer(rb':\s*("[^"\\]*"|\d+|true|false|null|\[\]|\{\})', data))
    if not values:
        return data
    match = rng.choice(values)
    replacement = rng.choice([b'{"x": 1}', b"[1, [2]]", b"null", b"true", b'"text"', b"-1", b"[]", b"1.5"])
    return data[: match.start(1)] + replacement + data[match.end(1) :]


def _long_string(rng: random.Random, data: bytes) -> bytes:
    strings = list(re.finditer(rb'"[^"\\]{2,}"', data)) or list(re.finditer(rb">[^<]{2,}<", data))
    if not strings:
        return data + b"\n" + b"word " * 50_000
    match = rng.choice(strings)
    return data[: match.start() + 1] + b"x" * rng.choice([1_000, 300_000]) + data[match.start() + 1 :]


MUTATIONS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "flip": _flip,
    "truncate": _truncate,
    "delete-span": _delete_span,
    "repeat-span": _repeat_span,
    "junk": _junk,
    "huge-number": _huge_number,
    "surrogate": _surrogate,
    "deep": _deep,
    "edge-date": _edge_date,
    "encoding": _encoding,
    "wrong-type": _wrong_type,
    "long-string": _long_string,
}


@dataclass
class FuzzResult:
    cases: int = 0
    crashes: list[str] = field(default_factory=list)
    """One line per case that raised or broke an invariant (seed, case, sample, mutations, error)."""
    records: int = 0
    quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def fuzz(cases: int, seed: int = 0, limits: InputLimits | None = None, shared: bool = True) -> FuzzResult:
    """Run ``cases`` mutated captures through :func:`parse_capture` and check its invariants on each:

    no exception; the frame has ``RECORD_SCHEMA`` and converts to Arrow (so it can be written); record ids and
    raw indexes are unique; every record is parsed or carries a ``parse:<format>:<reason>``; a recognised
    daily-papers list yields one record per item (none lost, none invented).
    """
    rng = random.Random(seed)
    samples = seed_samples(shared)
    names = sorted(samples)
    result = FuzzResult()
    schema = polars_schema(RECORD_SCHEMA)
    for case in range(cases):
        name = rng.choice(names)
        data = samples[name]
        applied = rng.sample(sorted(MUTATIONS), rng.randint(1, 3))
        for mutation in applied:
            data = MUTATIONS[mutation](rng, data)
        result.cases += 1
        try:
            frame = parse_capture(
                Capture("auto", f"fuzz/{case}", data, CAPTURED_AT, "file-mtime"), limits or DEFAULT_LIMITS
            )
            problem = _invariant_problem(frame, data, schema)
        except Exception as error:
            problem = f"raised {type(error).__name__}: {error!s:.120}\n{traceback.format_exc(limit=-3)}"
        if problem:
            result.crashes.append(f"seed={seed} case={case} sample={name} mutations={applied}: {problem}")
            continue
        result.records += frame.height
        for reason in frame.get_column("parse_error").drop_nulls().to_list():
            result.quarantined += 1
            result.reasons[reason] = result.reasons.get(reason, 0) + 1
    return result


def _invariant_problem(frame, data: bytes, schema) -> str | None:
    if frame.schema != schema:
        return "schema differs from RECORD_SCHEMA"
    to_arrow(frame, RECORD_SCHEMA)
    if frame.get_column("record_id").n_unique() != frame.height:
        return "duplicate record ids"
    if frame.get_column("raw_index").n_unique() != frame.height:
        return "duplicate raw indexes"
    bad = [r for r in frame.get_column("parse_error").drop_nulls().to_list() if not REASON.match(r)]
    if bad:
        return f"reasons not of the form parse:<format>:<reason>: {bad[:3]}"
    if frame.height and frame.item(0, "raw_index") != -1 and detect_format(data) == "hf-daily":
        try:
            document = json.loads(data.decode("utf-8-sig", errors="surrogateescape"), parse_float=str)
        except (ValueError, RecursionError):  # cut short: the items before the break, and one for the rest
            salvaged = salvaged_list(data)
            expected = len(salvaged[0]) + 1 if salvaged else 1
        else:
            expected = len(daily_items(document))
        if expected != frame.height:
            return f"{expected} items gave {frame.height} records"
    return None
