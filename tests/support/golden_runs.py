"""Golden runs: the published outputs of fixed inputs, reduced to digests that a refactoring must keep equal.

Three curation runs on copies of real inputs whose file times are pinned (a local file's capture time is its
modification time), each in a folder of its own, read and written through relative paths so that no temporary
path reaches an output:

* ``sample``: the bundled sample page, once.
* ``hf-daily-weeks``: two weeks of ``../shared/data/hf-daily-api`` (2024-06-03..2024-06-14), a first version.
* ``hf-daily-malformed``: on top of it, the span 2024-12-11..2025-01-10 whose files are lists of Python-repr
  strings and, on the last day, a wrapped object (an incremental run on the lazily opened ``latest``).
* ``hf-scraped-messy``: another scraper's December 2025 dumps (its own shape, empty abstracts, social posts,
  counts as strings), read by the generic reader: 274 papers published, 325 records quarantined (the junk
  abstracts among them).

Of each published version, the papers, ledger, quarantine and dedup-index frames, the manifest and the digest's
feed entries are reduced to a digest per column (per top-level key for the manifest), so a failure names what
changed. What differs from run to run by design is left out: version ids (also in range shards' names), timings,
creation times, the code version and the file hashes and sizes (every Parquet file carries its version id in its
metadata), and the polars version the dedup index's fingerprint names (a clean install may get a newer one).

``python -m tests.support.golden_runs`` rewrites ``tests/golden/expected.json`` (only when an output is meant to
change).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
SHARED_DATA = Path(os.environ.get("PAPERS_SHARED", REPO.parent / "shared")) / "data"
EXPECTED = TESTS / "golden" / "expected.json"
SAMPLE = REPO / "data" / "sample"

WEEKS = ("2024-06-03", "2024-06-14")
MALFORMED = ("2024-12-11", "2025-01-10")

MANIFEST_VOLATILE = ("version", "previous_version", "created_at", "code_version", "stages")
FILE_KEYS = ("path", "rows", "first_key", "last_key")


def frame_digest(frame: pl.DataFrame) -> dict[str, Any]:
    """Rows, column names and types, and a sha256 per column of its values (as JSON text, in row order)."""
    columns = {}
    for name in frame.columns:
        values = json.dumps(frame.get_column(name).to_list(), default=str, ensure_ascii=False)
        columns[name] = hashlib.sha256(values.encode()).hexdigest()[:16]
    return {
        "rows": frame.height,
        "schema": {name: str(dtype) for name, dtype in frame.schema.items()},
        "columns": columns,
    }


def manifest_digest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without what differs between identical runs, a digest per top-level key."""
    kept = {key: value for key, value in manifest.items() if key not in MANIFEST_VOLATILE}
    version = manifest.get("version") or "<no version>"
    kept["files"] = [  # a range shard's name ends with its version id
        {
            key: f[key].replace(version, "<version>") if key == "path" else f[key]
            for key in FILE_KEYS
            if key in f
        }
        for f in manifest.get("files", [])
    ]
    storage = manifest.get("storage", {})
    kept["storage"] = {"linked_files": storage.get("linked_files")}
    if "changes" in kept:
        kept["changes"] = {**kept["changes"], "since": kept["changes"].get("since") is not None}
    return {
        key: hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]
        for key, value in sorted(kept.items())
    }


def version_digest(folder: Path) -> dict[str, Any]:
    """Digests of a version folder, or of a failed-run folder (a run that published nothing: no papers or
    index, its quarantine in one file)."""

    def frame(*patterns: str) -> dict[str, Any] | None:
        files = sorted(path for pattern in patterns for path in folder.glob(pattern))
        return frame_digest(pl.read_parquet(files)) if files else None

    def index() -> dict[str, Any] | None:
        """The dedup index, its fingerprint without the polars version it names (the fingerprint changes with
        it by design, ``DedupParams.fingerprint``; the keys are compared as they are)."""
        files = sorted(folder.glob("index/*.parquet"))
        if not files:
            return None
        keys = pl.read_parquet(files)
        return frame_digest(
            keys.with_columns(pl.col("fingerprint").str.replace(r"-polars[^-]+$", "-polars<version>"))
        )

    return {
        "papers": frame("data/*.parquet"),
        "ledger": frame("ledger.parquet"),
        "quarantine": frame("quarantine/*.parquet", "quarantine.parquet"),
        "index": index(),
        "manifest": manifest_digest(json.loads((folder / "manifest.json").read_text("utf-8"))),
        "digest": feed_digest(folder / "digest" / "feed.xml"),
    }


ATOM, FIELDS = "{http://www.w3.org/2005/Atom}", "{tag:trending-papers,2026:digest-fields}"


def feed_digest(path: Path) -> dict[str, Any] | None:
    """The digest's feed as a frame of its entries (id, day, position, title, links, authors, summary, categories,
    the feed's own fields), the version id it names left out; None without a feed (a failed run)."""
    if not path.is_file():
        return None
    import xml.etree.ElementTree as ET

    rows = []
    for entry in ET.parse(path).getroot().iter(f"{ATOM}entry"):
        rows.append(
            {
                "id": entry.findtext(f"{ATOM}id"),
                "title": entry.findtext(f"{ATOM}title"),
                "links": [f"{link.get('rel')} {link.get('href')}" for link in entry.iter(f"{ATOM}link")],
                "authors": [author.findtext(f"{ATOM}name") for author in entry.iter(f"{ATOM}author")],
                "summary": entry.findtext(f"{ATOM}summary"),
                "categories": [category.get("term") for category in entry.iter(f"{ATOM}category")],
                **{
                    child.tag.removeprefix(FIELDS): child.text
                    for child in entry
                    if child.tag.startswith(FIELDS)
                },
            }
        )
    return frame_digest(pl.DataFrame(rows, infer_schema_length=None))


def copy_pinned(files: list[Path], folder: Path, stamp: datetime | None = None) -> Path:
    """Copy ``files`` (and the PROVENANCE.txt beside them) into ``folder``; each file's time is ``stamp`` or,
    for a file named after a day, that day at 23:00 UTC (as a daily capture job would have written it)."""
    folder.mkdir(parents=True, exist_ok=True)
    provenance = files[0].parent / "PROVENANCE.txt"
    for source in [*files, *([provenance] if provenance.is_file() else [])]:
        target = folder / source.name
        shutil.copyfile(source, target)
        when = stamp or _day_stamp(source.stem)
        os.utime(target, (when.timestamp(), when.timestamp()))
    return folder


def _day_stamp(name: str) -> datetime:
    try:
        day = date.fromisoformat(name)
    except ValueError:
        return datetime(2025, 1, 15, 8, 0, tzinfo=UTC)
    return datetime(day.year, day.month, day.day, 23, 0, tzinfo=UTC)


def _span(first: str, last: str) -> list[Path]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [path for day in days if (path := SHARED_DATA / "hf-daily-api" / f"{day}.json").is_file()]


@contextmanager
def _inside(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def run_scenarios(work: Path, include_shared: bool = True, **settings: Any) -> dict[str, Any]:
    """Run the golden scenarios in ``work`` (an empty folder) and return their digests by name; ``settings``
    are given to every run's ``RunConfig`` (e.g. ``chunk_records``)."""
    from flows.run.config import RunConfig
    from flows.run.flow import run_curation

    digests: dict[str, Any] = {}
    work.mkdir(parents=True, exist_ok=True)
    with _inside(work):
        sample = copy_pinned(
            [SAMPLE / "trending-papers-page.txt"], Path("sample/inputs"), datetime(2025, 1, 15, 8, tzinfo=UTC)
        )
        summary = run_curation(
            RunConfig(inputs=[sample], out_dir=Path("sample/out"), language_workers=1, **settings)
        )
        digests["sample"] = version_digest(Path(summary.path))
        if include_shared:
            for name, span in (("hf-daily-weeks", WEEKS), ("hf-daily-malformed", MALFORMED)):
                inputs = copy_pinned(_span(*span), Path("hf-daily/inputs") / name)
                summary = run_curation(
                    RunConfig(inputs=[inputs], out_dir=Path("hf-daily/out"), language_workers=1, **settings)
                )
                digests[name] = version_digest(Path(summary.path))
            messy = copy_pinned(
                sorted((SHARED_DATA / "hf-scraped-messy").glob("*.json")), Path("messy/inputs")
            )
            summary = run_curation(
                RunConfig(inputs=[messy], out_dir=Path("messy/out"), language_workers=1, **settings)
            )
            digests["hf-scraped-messy"] = version_digest(Path(summary.path))
    return digests


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Every path at which two digests differ (``sample.papers.columns.title: a != b``)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) | set(actual)):
            here = f"{where}.{key}" if where else str(key)
            if key not in expected or key not in actual:
                found.append(f"{here}: only in {'actual' if key in actual else 'expected'}")
            else:
                found += differences(expected[key], actual[key], here)
        return found
    return [] if expected == actual else [f"{where}: {expected} != {actual}"]


def main() -> int:
    import tempfile

    from flows.runtime.prefect import configure_prefect

    if not (SHARED_DATA / "hf-daily-api").is_dir():
        print(f"the golden runs need the shared captures at {SHARED_DATA}", file=sys.stderr)
        return 2
    configure_prefect(Path(tempfile.mkdtemp(prefix="prefect-home-")))
    from prefect.testing.utilities import prefect_test_harness

    with tempfile.TemporaryDirectory() as work, prefect_test_harness(server_startup_timeout=120):
        digests = run_scenarios(Path(work) / "golden")
    EXPECTED.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {EXPECTED}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
