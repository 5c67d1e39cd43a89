"""Sources end to end against a local server: paging, partial failure, arXiv pacing, raw zone, replay."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from prefect.states import Failed
from pydantic import ValidationError

from flows.net.client import FetchError, PoliteClient, RobotsDisallowed
from flows.sources.adapters import fetch_arxiv, fetch_hf_daily, fetch_hf_page, worth_retrying
from flows.sources.dates import parse_days
from flows.sources.gather import SourceFailure, every_listing_source_failed, gather
from flows.sources.local import read_local_captures
from flows.sources.replay import read_raw_zone
from flows.sources.settings import SourceSettings
from flows.store.raw_zone import RawZone, read_entries
from tests.support.capture_server import CaptureServer, FakeClock, Reply, serving
from transforms.parse import Capture, parse_capture

DATA = Path(__file__).resolve().parent.parent / "data"


def data(relative: str) -> bytes:
    return (DATA / relative).read_bytes()


def ticking(start: datetime = datetime(2025, 7, 3, 12, tzinfo=UTC)) -> Callable[[], datetime]:
    """A capture clock that moves one second per reading (deterministic captured_at values)."""
    counter = itertools.count()
    return lambda: start + timedelta(seconds=next(counter))


@pytest.fixture
def server() -> Iterator[CaptureServer]:
    with serving() as running:
        yield running


def settings_for(server: CaptureServer, **overrides: object) -> SourceSettings:
    values: dict[str, object] = {
        "hf_base_url": server.base_url,
        "arxiv_base_url": server.base_url.replace("127.0.0.1", "localhost"),
        "contact": "mailto:data@example.org",
        "read_timeout": 2.0,
        "max_retries": 1,
        "min_interval": 1.0,
        "arxiv_min_interval": 3.0,
        "hf_page_size": 2,
    }
    values.update(overrides)
    return SourceSettings(**values)  # type: ignore[arg-type]


def client_for(settings: SourceSettings, clock: FakeClock) -> PoliteClient:
    return PoliteClient(settings.http_config(), sleep=clock.sleep, clock=clock, jitter=lambda: 0.0)


def test_parse_days_and_settings_validation() -> None:
    assert parse_days("2025-01-10") == [date(2025, 1, 10)]
    assert parse_days("2024-12-30..2025-01-02") == [date(2024, 12, 30) + timedelta(days=n) for n in range(4)]
    for bad in ["2025-1-10", "2025-01-10..2025-01-01", "2020-01-01..2025-01-01", "tomorrow", "-7d.."]:
        with pytest.raises(ValueError):
            parse_days(bad)
    with pytest.raises(ValidationError):
        SourceSettings(hf_daily="2025-13-01")
    with pytest.raises(ValidationError):
        SourceSettings(min_interval=-1)
    assert SourceSettings().days == []
    config = SourceSettings(contact="ops@example.org").http_config()
    assert config.host_intervals == {"export.arxiv.org": 3.0}
    assert config.user_agent_header.endswith("contact: ops@example.org")


def test_prefect_retries_live_on_the_fetch_tasks_only() -> None:
    for fetch in (fetch_hf_daily, fetch_hf_page, fetch_arxiv):
        assert fetch.retries == 2
        assert callable(fetch.fn)


def test_prefect_retries_skip_failures_that_cannot_change() -> None:
    assert not worth_retrying(None, None, Failed(data=RobotsDisallowed("u", "robots-disallowed")))
    assert not worth_retrying(None, None, Failed(data=FetchError("u", "http-status:404", 404)))
    assert worth_retrying(None, None, Failed(data=FetchError("u", "retries-exhausted:http:503", 503)))
    assert worth_retrying(None, None, Failed(data=OSError("disk")))


def _serve_sources(server: CaptureServer) -> None:
    server.route(
        "/api/daily_papers", Reply(200, data("hf-daily/2025-07-03-excerpt.json")), date="2025-07-03", p="0"
    )
    server.route("/api/daily_papers", Reply(200, b"[]"), date="2025-07-03", p="1")
    server.route("/api/daily_papers", Reply(500, b"oops"), date="2025-07-04")
    server.route(
        "/api/daily_papers",
        Reply(429, b"", {"Retry-After": "11"}),
        Reply(200, data("hf-daily/2025-01-10-wrapped-excerpt.json")),
        date="2025-07-05",
    )
    server.route("/papers", Reply(200, data("hf-page/listing-embedded.html"), {"Content-Type": "text/html"}))
    server.route("/papers/trending", Reply(200, b"x", truncate_to=0), Reply(404, b"gone"))
    server.route(
        "/api/query",
        Reply(200, data("arxiv/recorded-2026-2104.12255v1.xml")),
        id_list="2501.05453,2506.22868,2507.01949",
    )
    server.route("/api/query", Reply(200, data("arxiv/classic-2016-id_list-1111.2011v2.xml")))


def test_gather_keeps_what_succeeded_and_reports_failures(server: CaptureServer, tmp_path: Path) -> None:
    _serve_sources(server)
    settings = settings_for(
        server,
        hf_daily="2025-07-03..2025-07-05",
        hf_pages=[f"{server.base_url}/papers", f"{server.base_url}/papers/trending"],
        arxiv_enrich=True,
        arxiv_batch_size=3,
    )
    clock = FakeClock()
    with client_for(settings, clock) as client:
        captures, failures = gather(settings, tmp_path / "raw", client=client, run="run-1", now=ticking())
        waits = list(client.waits)

    assert not every_listing_source_failed(settings, captures, failures)
    assert failures == [
        SourceFailure("hf-daily", "2025-07-04", "retries-exhausted:http:500", "http 500 after 2 attempts"),
        SourceFailure(  # a truncated body (retried), then 404 (final)
            "hf-page", f"{server.base_url}/papers/trending", "http-status:404", "http 404 after 2 attempts"
        ),
    ]
    by_source = {
        source: [c for c in captures if c.source == source] for source in ("hf-daily", "hf-page", "arxiv")
    }
    assert len(by_source["hf-daily"]) == 3, "2025-07-03 page 0 (full), page 1 (empty), 2025-07-05"
    assert len(by_source["hf-page"]) == 1
    assert len(by_source["arxiv"]) == 2, "6 ids in batches of 3"
    arxiv_requests = [seen.query for seen in server.requests if seen.path == "/api/query"]
    assert [q["id_list"] for q in arxiv_requests] == [
        "2501.00001,2501.00002,2501.05441",
        "2501.05453,2506.22868,2507.01949",
    ]
    assert all(seen.headers["User-Agent"].endswith("mailto:data@example.org") for seen in server.requests)
    assert ("retry-after", 11.0) in waits
    assert ("interval", 3.0) in waits, "arXiv requests are 3 s apart"
    assert all(seconds <= 3.0 for why, seconds in waits if why == "interval")
    kinds = sorted({(e.source, e.kind, e.status) for e in read_entries(tmp_path / "raw")})
    assert kinds == [
        ("arxiv", "capture", 200),
        ("hf-daily", "attempt", 429),
        ("hf-daily", "attempt", 500),
        ("hf-daily", "capture", 200),
        ("hf-page", "capture", 200),
        ("hf-page", "rejected", 404),
        ("robots", "robots", 404),
    ]


def test_replay_from_raw_zone_gives_identical_records(server: CaptureServer, tmp_path: Path) -> None:
    _serve_sources(server)
    settings = settings_for(
        server, hf_daily="2025-07-03..2025-07-05", hf_pages=[f"{server.base_url}/papers"], arxiv_enrich=True
    )
    with client_for(settings, FakeClock()) as client:
        live, _ = gather(settings, tmp_path / "raw", client=client, now=ticking())
    server.stop()

    replayed = read_raw_zone(tmp_path / "raw").captures
    via_ingest, reports = read_local_captures([tmp_path / "raw"])
    assert [(c.source, c.location, c.sha256, c.captured_at) for c in replayed] == [
        (c.source, c.location, c.sha256, c.captured_at) for c in live
    ]
    live_records = pl.concat([parse_capture(c) for c in live])
    assert live_records.height == 2 + 2 + 2 + 1
    assert_frame_equal(pl.concat([parse_capture(c) for c in replayed]), live_records)
    assert_frame_equal(pl.concat([parse_capture(c) for c in via_ingest]), live_records)
    assert len([r for r in reports if r.skipped is None]) == len(live)
    assert {r.skipped for r in reports if r.skipped} <= {"raw-zone-log", "raw-zone-not-a-capture"}


def test_every_source_failing_returns_no_captures(server: CaptureServer, tmp_path: Path) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /api/\n"))
    server.route("/papers", Reply(503))
    settings = settings_for(
        server, hf_daily="2025-07-03", hf_pages=[f"{server.base_url}/papers"], max_retries=0
    )
    with client_for(settings, FakeClock()) as client:
        captures, failures = gather(settings, tmp_path / "raw", client=client, now=ticking())
    assert captures == []
    assert every_listing_source_failed(settings, captures, failures)
    assert [(f.source, f.reason) for f in failures] == [
        ("hf-daily", "robots-disallowed"),
        ("hf-page", "retries-exhausted:http:503"),
    ]
    assert "/api/daily_papers" not in server.paths()


def test_unwritable_raw_zone_is_reported_per_target(server: CaptureServer, tmp_path: Path) -> None:
    server.route("/papers", Reply(200, data("hf-page/paper-page.html")))
    blocked = tmp_path / "raw"
    blocked.write_text("a file where the raw zone should be")
    settings = settings_for(server, hf_pages=[f"{server.base_url}/papers", f"{server.base_url}/papers"])
    with client_for(settings, FakeClock()) as client:
        captures, failures = gather(settings, blocked, client=client, now=ticking())
    assert captures == []
    assert [f.reason.split(":")[0] for f in failures] == ["io", "io"]


def test_page_urls_must_be_absolute_http() -> None:
    with pytest.raises(ValidationError):
        SourceSettings(hf_pages=["not a url"])
    with pytest.raises(ValidationError):
        SourceSettings(hf_pages=["ftp://huggingface.co/papers"])
    assert SourceSettings(hf_pages=["https://huggingface.co/papers/trending"]).hf_pages


def test_paging_stops_at_max_pages_and_on_a_repeated_page(server: CaptureServer, tmp_path: Path) -> None:
    full = data("hf-daily/2025-07-03-excerpt.json")
    server.route("/api/daily_papers", Reply(200, full))
    settings = settings_for(server, hf_daily="2025-07-03", hf_max_pages=5)
    with client_for(settings, FakeClock()) as client:
        captures, failures = gather(settings, tmp_path / "raw", client=client, now=ticking())
    assert failures == []
    assert len(captures) == 1
    assert [seen.query["p"] for seen in server.requests if seen.path.startswith("/api")] == ["0", "1"]


def test_arxiv_ids_of_local_inputs_are_enriched_too(server: CaptureServer, tmp_path: Path) -> None:
    server.route("/api/query", Reply(200, data("arxiv/classic-2016-id_list-1111.2011v2.xml")))
    local = Capture(
        "auto",
        "page.json",
        data("hf-daily/2025-01-10-wrapped-excerpt.json"),
        datetime(2025, 1, 10, tzinfo=UTC),
        "file-mtime",
    )
    settings = settings_for(server, arxiv_enrich=True)
    with client_for(settings, FakeClock()) as client:
        captures, failures = gather(
            settings, tmp_path / "raw", client=client, local_captures=[local], now=ticking()
        )
    assert failures == []
    assert [c.source for c in captures] == ["arxiv"], "local inputs are not returned again"
    assert [seen.query["id_list"] for seen in server.requests if seen.path == "/api/query"] == [
        "2501.05441,2501.05453"
    ]


def test_task_bodies_run_without_prefect(server: CaptureServer, tmp_path: Path) -> None:
    server.route("/papers", Reply(200, data("hf-page/paper-page.html")))
    settings = settings_for(server)
    zone = RawZone(tmp_path)
    with client_for(settings, FakeClock()) as client:
        captures = fetch_hf_page.fn(settings, f"{server.base_url}/papers", client, zone)
    assert [c.source for c in captures] == ["hf-page"]
    assert [(e.source, e.kind) for e in read_entries(tmp_path) if e.source == "hf-page"] == [
        ("hf-page", "capture")
    ]
