"""Bounded network work against the real loopback server: deadlines, size caps, redirects, Retry-After.

Each case used to hang for minutes, download without limit, or retry what cannot succeed.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import pytest
from prefect.client.schemas.objects import State

from flows.net.client import FetchError, HttpConfig, PoliteClient, RobotsDisallowed
from flows.net.retry import RetryPolicy
from flows.sources.adapters import worth_retrying
from tests.support.capture_server import CaptureServer, FakeClock, Reply, serving


@pytest.fixture
def server() -> Iterator[CaptureServer]:
    with serving() as running:
        yield running


def client(clock: FakeClock, **overrides: object) -> PoliteClient:
    settings: dict[str, object] = {
        "min_interval": 0.0,
        "read_timeout": 0.3,
        "connect_timeout": 1.0,
    }
    settings.update(overrides)
    retry = RetryPolicy(
        retries=int(settings.pop("max_retries", 2)),  # type: ignore[call-overload]
        base_wait=float(settings.pop("backoff_base", 1.0)),  # type: ignore[arg-type]
        max_wait=float(settings.pop("backoff_max", 60.0)),  # type: ignore[arg-type]
        max_retry_after=float(settings.pop("max_wait", 300.0)),  # type: ignore[arg-type]
    )
    config = HttpConfig(retry=retry, **settings)  # type: ignore[arg-type]
    return PoliteClient(config, sleep=clock.sleep, clock=clock, jitter=lambda: 0.0)


def retried_by_prefect(error: Exception) -> bool:
    return worth_retrying(None, None, State(type="FAILED", data=error))


def test_a_server_dripping_one_byte_at_a_time_hits_the_request_deadline(server: CaptureServer) -> None:
    server.route("/drip", Reply(200, b"x" * 200, drip=0.02))
    started = time.monotonic()
    with (
        client(FakeClock(), request_deadline=0.4, max_retries=0) as http,
        pytest.raises(FetchError) as raised,
    ):
        http.get(f"{server.base_url}/drip")
    assert time.monotonic() - started < 2.5  # the whole body would take 4 s
    assert raised.value.reason == "retries-exhausted:network:ReadTimeout"


def test_a_server_that_never_answers_costs_one_target_deadline_not_minutes(server: CaptureServer) -> None:
    server.route("/never", Reply(200, b"late", delay=5.0))
    started = time.monotonic()
    http = client(FakeClock(), read_timeout=0.2, max_retries=50, target_deadline=1.0)
    with http, http.target(), pytest.raises(FetchError) as raised:
        http.get(f"{server.base_url}/never")
    assert time.monotonic() - started < 3.0
    assert raised.value.reason.startswith("target-deadline") and not retried_by_prefect(raised.value)


def test_a_body_dripping_past_the_target_deadline_ends_at_it_not_after_a_whole_request(
    server: CaptureServer,
) -> None:
    """The target's deadline bounds the request in flight too: a trickle costs one target deadline in all."""
    server.route("/drip", Reply(200, b"x" * 400, drip=0.02))  # 8 s for the whole body: the GET would succeed
    http = client(FakeClock(), request_deadline=100.0, target_deadline=1.0)
    with http, http.target(), pytest.raises(FetchError) as raised:
        http.get(f"{server.base_url}/drip")
    assert raised.value.reason == "target-deadline:1s" and not retried_by_prefect(raised.value)
    assert server.paths().count("/drip") == 1


def test_waits_count_towards_the_target_deadline(server: CaptureServer) -> None:
    server.route("/busy", Reply(503, b"busy"))
    clock = FakeClock()
    http = client(clock, max_retries=10, backoff_base=10.0, target_deadline=25.0)
    with http, http.target(), pytest.raises(FetchError, match="target-deadline"):
        http.get(f"{server.base_url}/busy")
    assert sum(clock.sleeps) <= 25.0


def test_a_gzip_bomb_stops_at_the_decoded_cap_and_is_not_retried(server: CaptureServer) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    server.route("/bomb", Reply(200, bomb, {"Content-Encoding": "gzip", "Content-Type": "application/json"}))
    with client(FakeClock(), max_decoded_bytes=1_000_000) as http, pytest.raises(FetchError) as raised:
        http.get(f"{server.base_url}/bomb")
    assert raised.value.reason == "decoded-too-large:1000000"
    assert server.paths().count("/bomb") == 1 and not retried_by_prefect(raised.value)


def test_a_response_beyond_the_transfer_cap_is_refused(server: CaptureServer) -> None:
    server.route("/big", Reply(200, b"y" * 3_000_000))
    with client(FakeClock(), max_response_bytes=1_000_000) as http, pytest.raises(FetchError) as raised:
        http.get(f"{server.base_url}/big")
    assert raised.value.reason == "response-too-large:1000000"


def test_a_redirect_loop_stops_and_every_hop_is_paced_and_reported(server: CaptureServer) -> None:
    server.route("/a", Reply(302, headers={"Location": "/b"}))
    server.route("/b", Reply(302, headers={"Location": "/a"}))
    clock = FakeClock()
    hops: list[tuple[int, str, str]] = []
    with client(clock, min_interval=1.0) as http, pytest.raises(FetchError) as raised:
        http.get(
            f"{server.base_url}/a", on_response=lambda r, kind: hops.append((r.status_code, kind, r.url.path))
        )
    assert raised.value.reason == "redirect-loop" and not retried_by_prefect(raised.value)
    assert server.paths() == ["/robots.txt", "/a", "/b"]
    assert hops == [(404, "robots", "/robots.txt"), (302, "redirect", "/a"), (302, "redirect", "/b")]
    assert [why for why, _ in http.waits] == ["interval", "interval"]


def test_redirects_are_limited_in_number(server: CaptureServer) -> None:
    for n in range(10):
        server.route(f"/r{n}", Reply(301, headers={"Location": f"/r{n + 1}"}))
    with (
        client(FakeClock(), max_redirects=3) as http,
        pytest.raises(FetchError, match="too-many-redirects:3"),
    ):
        http.get(f"{server.base_url}/r0")
    assert server.paths().count("/robots.txt") == 1 and len(server.paths()) == 1 + 4


def test_a_redirect_to_another_host_checks_that_hosts_robots(server: CaptureServer) -> None:
    other = server.base_url.replace("127.0.0.1", "localhost")
    server.route("/robots.txt", Reply(404), Reply(200, b"User-agent: *\nDisallow: /\n"))
    server.route("/start", Reply(302, headers={"Location": f"{other}/elsewhere"}))
    with client(FakeClock()) as http, pytest.raises(RobotsDisallowed):
        http.get(f"{server.base_url}/start")
    assert server.paths() == ["/robots.txt", "/start", "/robots.txt"]


def test_a_file_redirect_is_refused_once_and_never_retried(server: CaptureServer) -> None:
    server.route("/f", Reply(302, headers={"Location": "file:///etc/passwd"}))
    with client(FakeClock(), max_retries=5) as http, pytest.raises(FetchError) as raised:
        http.get(f"{server.base_url}/f")
    assert raised.value.reason == "scheme-not-allowed:file" and not retried_by_prefect(raised.value)
    assert server.paths().count("/f") == 1


def test_retry_after_beyond_the_limit_gives_up_for_the_task_retry_too(server: CaptureServer) -> None:
    server.route("/api", Reply(429, headers={"Retry-After": "100000"}))
    clock = FakeClock()
    with client(clock, max_wait=300.0) as http, pytest.raises(FetchError) as raised:
        http.get(f"{server.base_url}/api")
    assert clock.sleeps == [] and server.paths().count("/api") == 1
    assert not retried_by_prefect(raised.value)


def test_a_transient_failure_is_still_retried_by_the_task() -> None:
    assert retried_by_prefect(FetchError("http://h/x", "retries-exhausted:http:503", 503))
