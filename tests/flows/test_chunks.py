"""A run read, cleaned and language-tagged chunk by chunk publishes what a run in one chunk publishes, and its
work folder never outlives it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from flows.run.config import RunConfig
from flows.sources.inputs import InputReading, read_inputs
from flows.sources.settings import SourceSettings
from flows.store.layout import dataset_root
from flows.store.publish import remove_stale_staging
from flows.store.spill import work_folder
from tests.support.golden_runs import EXPECTED, SHARED_DATA, differences, run_scenarios

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_harness")
def test_a_run_in_chunks_of_one_file_publishes_the_one_chunk_version(tmp_path: Path) -> None:
    """The golden scenarios (real captures: two weeks of the daily-papers API, malformed days merged into
    them, another scraper's dumps) with every input file a chunk of its own: every digest of every version
    (papers, index, quarantine, ledger, manifest) equals the recorded one-chunk digest, but the configuration
    the manifest records."""
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    shared = (SHARED_DATA / "hf-daily-api").is_dir()
    if not shared:
        expected = {"sample": expected["sample"]}
    actual = run_scenarios(tmp_path / "chunked", include_shared=shared, chunk_records=1)
    found = differences(expected, actual)
    assert [difference for difference in found if ".manifest.config:" not in difference] == []
    assert len(found) == len(expected), "the manifest records chunk_records"


def test_chunks_hold_whole_files_and_every_record_once(tmp_path: Path) -> None:
    for day in range(4):
        items = [_item(f"2501.{day:01d}{n:04d}", f"Paper {day}-{n}") for n in range(3)]
        (tmp_path / f"day-{day}.json").write_text(json.dumps(items), encoding="utf-8")
    reading = InputReading([tmp_path], SourceSettings(), tmp_path / "raw", run="test")
    chunks = list(reading.chunks(rows=5))
    assert [chunk.height for chunk in chunks] == [6, 6]  # whole files: 3 + 3 reach 5
    whole = read_inputs([tmp_path], SourceSettings(), tmp_path / "raw", run="test").records
    assert pl.concat(chunks).equals(whole)
    assert [report.path for report in reading.inputs] == [str(tmp_path / f"day-{d}.json") for d in range(4)]


def test_nothing_read_is_one_empty_chunk(tmp_path: Path) -> None:
    reading = InputReading([tmp_path], SourceSettings(), tmp_path / "raw", run="test")
    (chunk,) = reading.chunks(rows=10)
    assert chunk.height == 0
    assert "listed_on" in chunk.columns


def test_the_work_folder_is_removed_when_the_run_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), work_folder(tmp_path) as work:
        spilled = work.spill("ingest", [pl.DataFrame({"reasons": [[], ["x"]]})])
        assert (spilled.rows, spilled.pending) == (2, 1)
        raise RuntimeError("a stage failed")
    assert list(dataset_root(tmp_path).iterdir()) == []


def test_a_chunk_read_to_be_consumed_leaves_the_work_folder(tmp_path: Path) -> None:
    with work_folder(tmp_path) as work:
        spilled = work.spill("ingest", [pl.DataFrame({"a": [1, 2]}), pl.DataFrame({"a": [3]})])
        kept = [frame.height for frame in spilled.frames()]
        assert kept == [2, 1] and all(path.exists() for path in spilled.paths)
        read = iter(spilled.frames(consume=True))
        assert next(read).height == 2
        assert [path.exists() for path in spilled.paths] == [False, True]
        assert next(read).height == 1
        assert work.bytes_used() == 0


def test_a_killed_runs_work_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    """A process that dies holding its work folder leaves it; the next run's ingest removes it as stale."""
    script = (
        "import os, sys, pathlib, polars as pl\n"
        "from flows.store.spill import work_folder\n"
        "with work_folder(pathlib.Path(sys.argv[1])) as work:\n"
        "    work.spill('ingest', [pl.DataFrame({'a': [1]})])\n"
        "    print(work.path, flush=True)\n"
        "    os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL
    left = Path(done.stdout.strip())
    assert left.is_dir() and os.listdir(left)
    assert remove_stale_staging(tmp_path) == [left]
    assert list(dataset_root(tmp_path).iterdir()) == []


def test_chunk_records_has_a_default_the_command_line_states() -> None:
    from flows.cli.parser import build_parser

    assert f"{RunConfig().chunk_records:,}" in build_parser().format_help() + _run_help()


def _run_help() -> str:
    from flows.cli.parser import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    return commands.choices["run"].format_help()  # type: ignore[union-attr]


def _item(arxiv_id: str, title: str) -> dict[str, object]:
    return {
        "paper": {
            "id": arxiv_id,
            "title": title,
            "summary": f"An abstract about {title.lower()} long enough to be kept by the quality rules.",
            "authors": [{"name": "A. Author"}],
            "publishedAt": "2025-01-02T00:00:00.000Z",
        },
        "title": title,
        "publishedAt": "2025-01-02T00:00:00.000Z",
    }
