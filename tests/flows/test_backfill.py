"""``papers backfill`` against the loopback capture server: day by day, resumable, published per chunk."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console
from rich.progress import Progress

from flows.cli import ExitCode, main
from flows.cli.run import _progress
from flows.run.backfill import backfill, consecutive_chunks
from flows.run.config import RunConfig
from flows.sources.dates import past_days
from flows.sources.replay import RawIndex
from flows.sources.settings import SourceSettings
from flows.store.layout import dataset_root
from flows.store.maintenance import rollback
from tests.support.capture_server import CaptureServer, Reply, serving
from tests.support.daily_listings import daily_requests, serve_days

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]

FIRST = date(2025, 1, 6)


def config_for(server: CaptureServer, out: Path) -> RunConfig:
    sources = SourceSettings(
        hf_base_url=server.base_url, min_interval=0, max_retries=0, task_retries=0, read_timeout=5
    )
    return RunConfig(inputs=[], sources=sources, out_dir=out)


def latest_manifest(out: Path) -> dict:
    return json.loads((dataset_root(out) / "latest" / "manifest.json").read_text())


def test_resumed_backfill_makes_no_request_for_days_already_in_the_raw_zone(tmp_path: Path) -> None:
    with serving() as server:
        days = serve_days(server, FIRST, 5)
        first = backfill(days[:3], config_for(server, tmp_path), chunk_days=2)
        assert daily_requests(server) == [d.isoformat() for d in days[:3]]
        assert first.fetched == days[:3] and first.in_raw_zone == [] and first.complete
        assert len(first.versions) == 2, "3 days in chunks of 2: two versions"
        assert latest_manifest(tmp_path)["listing_days"] == [d.isoformat() for d in days[:3]]

        server.requests.clear()
        resumed = backfill(days, config_for(server, tmp_path), chunk_days=2)
        assert daily_requests(server) == [d.isoformat() for d in days[3:]], "days 1-3 are not fetched again"
        assert resumed.in_raw_zone == days[:3] and resumed.fetched == days[3:]
        assert resumed.already_published == days[:3]
        assert [chunk["days"] for chunk in resumed.chunks] == [f"{days[3]}..{days[4]}"]

        server.requests.clear()
        again = backfill(days, config_for(server, tmp_path), chunk_days=2)
        assert daily_requests(server) == [] and again.versions == [] and again.complete

    manifest = latest_manifest(tmp_path)
    assert manifest["listing_days"] == [d.isoformat() for d in days]
    assert manifest["config"]["sources"]["reuse_raw"] is True
    papers = pl.read_parquet(dataset_root(tmp_path) / "latest" / "data" / "*.parquet")
    assert papers.height == 15, "3 papers a day; each day also re-lists one paper of the day before"
    assert papers.get_column("paper_id").is_unique().all()


def test_a_failed_day_is_reported_and_the_next_backfill_fetches_only_it(tmp_path: Path) -> None:
    with serving() as server:
        days = serve_days(server, FIRST, 4, failing={date(2025, 1, 8)})
        result = backfill(days, config_for(server, tmp_path), chunk_days=0)
        assert [(f.target, f.reason) for f in result.failures] == [
            ("2025-01-08", "retries-exhausted:http:500")
        ]
        assert not result.complete
        assert [chunk["days"] for chunk in result.chunks] == [
            "2025-01-06..2025-01-07",
            "2025-01-09..2025-01-09",
        ]

    with serving() as server:  # the site is back
        serve_days(server, FIRST, 4)
        resumed = backfill(days, config_for(server, tmp_path), chunk_days=0)
        assert daily_requests(server) == ["2025-01-08"]
        assert resumed.complete and [chunk["days"] for chunk in resumed.chunks] == ["2025-01-08..2025-01-08"]
    assert latest_manifest(tmp_path)["listing_days"] == [d.isoformat() for d in days]


class InterruptAfter:
    """A progress stand-in that raises KeyboardInterrupt (as Ctrl-C would) after ``n`` fetched days."""

    def __init__(self, n: int) -> None:
        self.left = n

    def add_task(self, *_: object, **__: object) -> int:
        return 0

    def advance(self, *_: object) -> None:
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt


def test_an_interrupted_backfill_resumes_where_it_stopped(tmp_path: Path) -> None:
    with serving() as server:
        days = serve_days(server, FIRST, 4)
        with pytest.raises(KeyboardInterrupt):
            backfill(days, config_for(server, tmp_path), progress=InterruptAfter(2))
        assert not (dataset_root(tmp_path) / "latest").exists(), (
            "interrupted while fetching: nothing published"
        )
        assert RawIndex.load(tmp_path / "raw").complete_days(days, 20) == set(days[:2])

        server.requests.clear()
        resumed = backfill(days, config_for(server, tmp_path))
        assert daily_requests(server) == [d.isoformat() for d in days[2:]]
        assert resumed.complete and len(resumed.versions) == 1


def test_a_day_cut_short_is_fetched_again_from_its_first_page(tmp_path: Path) -> None:
    full_page = json.dumps([json.loads(serve_listing_item())] * 2).encode()
    with serving() as server:
        server.route("/api/daily_papers", Reply(200, full_page), date="2025-01-06", p="0")
        server.route("/api/daily_papers", Reply(503, b"busy"), date="2025-01-06", p="1")
        settings = config_for(server, tmp_path).sources.model_copy(update={"hf_page_size": 2})
        config = RunConfig(inputs=[], sources=settings, out_dir=tmp_path)
        result = backfill([FIRST], config)
        assert [f.target for f in result.failures] == ["2025-01-06"]
        assert RawIndex.load(tmp_path / "raw").complete_days([FIRST], 20) == set()


def serve_listing_item() -> str:
    from tests.support.daily_listings import day_listing

    return json.dumps(json.loads(day_listing(FIRST, FIRST))[0])


def test_backfill_after_a_rollback_publishes_the_rolled_back_days_again(tmp_path: Path) -> None:
    with serving() as server:
        days = serve_days(server, FIRST, 2)
        done = backfill(days, config_for(server, tmp_path), chunk_days=1)
        rollback(tmp_path, done.versions[0])
        server.requests.clear()
        again = backfill(days, config_for(server, tmp_path), chunk_days=0)
        assert daily_requests(server) == [], "the bytes are in the raw zone"
        assert again.already_published == days[:1]
        assert [chunk["days"] for chunk in again.chunks] == [f"{days[1]}..{days[1]}"]
    manifest = latest_manifest(tmp_path)
    assert manifest["previous_version"] == done.versions[0]
    assert manifest["listing_days"] == [d.isoformat() for d in days]


def test_date_pages_are_fetched_once_with_the_days(tmp_path: Path) -> None:
    page = (
        Path(__file__).resolve().parent.parent / "data" / "hf-page" / "listing-embedded.html"
    ).read_bytes()
    with serving() as server:
        days = serve_days(server, FIRST, 2)
        for day in days:
            server.route(f"/papers/date/{day}", Reply(200, page, {"Content-Type": "text/html"}))
        first = backfill(days, config_for(server, tmp_path), pages=True)
        assert first.complete
        assert sorted(p for p in server.paths() if p.startswith("/papers/date/")) == [
            f"/papers/date/{d}" for d in days
        ]
        server.requests.clear()
        backfill(days, config_for(server, tmp_path), pages=True)
        assert [p for p in server.paths() if p != "/robots.txt"] == []
    inputs = latest_manifest(tmp_path)["inputs"]
    assert {i["source"] for i in inputs} == {"hf-daily", "hf-page"}


def test_progress_bar_on_a_terminal_and_none_otherwise() -> None:
    screen = io.StringIO()
    progress = Progress(console=Console(file=screen, force_terminal=True, width=80))
    with progress:
        task = progress.add_task("fetch", total=3)
        progress.advance(task, 3)
    assert "fetch" in screen.getvalue()
    with _progress(quiet=False) as shown:
        assert shown.disable, "pytest's stderr is not a terminal"
    with _progress(quiet=True) as hidden:
        assert hidden.disable


def test_consecutive_chunks_split_at_gaps_and_size() -> None:
    days = [date(2025, 1, d) for d in (1, 2, 3, 4, 6, 7, 9)]
    assert [[d.day for d in c] for c in consecutive_chunks(days, 3)] == [[1, 2, 3], [4], [6, 7], [9]]
    assert [[d.day for d in c] for c in consecutive_chunks(days, 0)] == [[1, 2, 3, 4], [6, 7], [9]]
    assert consecutive_chunks([], 7) == []


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2025-13-01", "2025-01-02", "not a calendar date"),
        ("2025-01-05", "2025-01-02", "ends before it starts"),
        ("2020-01-01", "2025-01-02", "longer than 366 days"),
        (str(date.today() - timedelta(days=2)), str(date.today() + timedelta(days=2)), "after today"),
        ("yesterday-ish", "2025-01-02", "expected YYYY-MM-DD"),
    ],
)
def test_bad_date_ranges_are_usage_errors(first: str, last: str, message: str, capsys, tmp_path) -> None:
    with pytest.raises(ValueError, match=message):
        past_days(first, last)
    assert main(["backfill", first, last, "--out", str(tmp_path)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
