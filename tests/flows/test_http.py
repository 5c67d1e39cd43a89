"""The polite client against a real local server: retries, waits, robots.txt, pacing, timeouts, truncation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from flows.net.client import FetchError, HttpConfig, PoliteClient, RobotsDisallowed
from flows.net.retry import RetryPolicy, parse_retry_after
from tests.support.capture_server import CaptureServer, FakeClock, Reply, serving


@pytest.fixture
def server() -> Iterator[CaptureServer]:
    with serving() as running:
        yield running


def make_client(clock: FakeClock, **overrides: object) -> PoliteClient:
    settings: dict[str, object] = {
        "min_interval": 0.0,
        "read_timeout": 0.3,
        "connect_timeout": 1.0,
        "contact": "mailto:data@example.org",
    }
    settings.update(overrides)
    retry = RetryPolicy(
        retries=int(settings.pop("max_retries", 3)),  # type: ignore[call-overload]
        base_wait=float(settings.pop("backoff_base", 1.0)),  # type: ignore[arg-type]
        max_wait=float(settings.pop("backoff_max", 60.0)),  # type: ignore[arg-type]
        max_retry_after=float(settings.pop("max_wait", 300.0)),  # type: ignore[arg-type]
    )
    config = HttpConfig(retry=retry, **settings)  # type: ignore[arg-type]
    return PoliteClient(config, sleep=clock.sleep, clock=clock, jitter=lambda: 0.0)


def test_429_retry_after_is_honoured(server: CaptureServer) -> None:
    server.route("/api", Reply(429, b"slow down", {"Retry-After": "7"}), Reply(200, b"[]"))
    clock = FakeClock()
    seen: list[tuple[int, str]] = []
    with make_client(clock) as client:
        response = client.get(
            f"{server.base_url}/api", on_response=lambda r, kind: seen.append((r.status_code, kind))
        )
        assert response.status_code == 200
        assert client.waits == [("retry-after", 7.0)]
    assert clock.sleeps == [7.0]
    assert server.paths() == ["/robots.txt", "/api", "/api"]
    assert seen == [(404, "robots"), (429, "attempt")]


def test_5xx_exponential_backoff_with_jitter(server: CaptureServer) -> None:
    server.route("/api", Reply(500), Reply(503), Reply(502), Reply(200, b"ok"))
    clock = FakeClock()
    with make_client(clock, backoff_base=2.0) as client:
        assert client.get(f"{server.base_url}/api").content == b"ok"
        assert client.waits == [("backoff", 1.0), ("backoff", 2.0), ("backoff", 4.0)]
    policy = RetryPolicy(base_wait=2.0, max_wait=5.0)
    assert [policy.backoff(n, jitter=1.0) for n in range(4)] == [2.0, 4.0, 5.0, 5.0]
    assert [policy.backoff(n, jitter=0.0) for n in range(4)] == [1.0, 2.0, 2.5, 2.5]


def test_retries_exhausted_is_a_fetch_error(server: CaptureServer) -> None:
    server.route("/down", Reply(500))
    clock = FakeClock()
    with make_client(clock, max_retries=2) as client, pytest.raises(FetchError) as raised:
        client.get(f"{server.base_url}/down")
    assert raised.value.reason == "retries-exhausted:http:500"
    assert server.paths().count("/down") == 3


def test_client_errors_are_returned_not_retried(server: CaptureServer) -> None:
    server.route("/bad", Reply(400, b"<feed/>"))
    with make_client(FakeClock()) as client:
        assert client.get(f"{server.base_url}/bad").status_code == 400
    assert server.paths().count("/bad") == 1


def test_retry_after_beyond_max_wait_gives_up(server: CaptureServer) -> None:
    server.route("/api", Reply(429, headers={"Retry-After": "3600"}))
    clock = FakeClock()
    with make_client(clock, max_wait=60.0) as client, pytest.raises(FetchError, match="retry-after-too-long"):
        client.get(f"{server.base_url}/api")
    assert clock.sleeps == []


def test_read_timeout_is_retried(server: CaptureServer) -> None:
    server.route("/slow", Reply(200, b"late", delay=0.8), Reply(200, b"fast"))
    with make_client(FakeClock(), read_timeout=0.2) as client:
        assert client.get(f"{server.base_url}/slow").content == b"fast"
        assert [why for why, _ in client.waits] == ["backoff"]


def test_truncated_body_is_retried(server: CaptureServer) -> None:
    body = b'[{"paper": {"id": "2501.00001"}}]' * 20
    server.route("/page", Reply(200, body, truncate_to=25), Reply(200, body))
    with make_client(FakeClock()) as client:
        assert client.get(f"{server.base_url}/page").content == body
    assert server.paths().count("/page") == 2


def test_connection_refused_exhausts_retries() -> None:
    with serving() as gone:
        url = f"{gone.base_url}/x"
    clock = FakeClock()
    with (
        make_client(clock, max_retries=1, respect_robots=False) as client,
        pytest.raises(FetchError) as raised,
    ):
        client.get(url)
    assert raised.value.reason == "retries-exhausted:network:ConnectError"
    assert clock.sleeps == [0.5]


def test_robots_disallow_is_obeyed_and_crawl_delay_applied(server: CaptureServer) -> None:
    robots = (
        b"User-agent: trending-papers\nDisallow: /private\nCrawl-delay: 5\n\nUser-agent: *\nDisallow: /\n"
    )
    server.route("/robots.txt", Reply(200, robots))
    server.route("/public", Reply(200, b"fine"))
    clock = FakeClock()
    with make_client(clock, min_interval=1.0) as client:
        with pytest.raises(RobotsDisallowed):
            client.get(f"{server.base_url}/private/page")
        assert client.get(f"{server.base_url}/public").content == b"fine"
        assert client.get(f"{server.base_url}/public").content == b"fine"
        assert client.interval_for(server.host) == 5.0
        assert client.waits == [("interval", 5.0), ("interval", 5.0)]
    assert server.paths() == ["/robots.txt", "/public", "/public"], "robots.txt fetched once, /private never"


def test_robots_wildcards_and_the_longest_match_decide_as_rfc_9309_says(server: CaptureServer) -> None:
    """``*`` and ``$`` in paths, and the longest matching rule wins (``Allow`` over a shorter ``Disallow``):
    what urllib.robotparser gets wrong (it reads neither, and takes the first rule that matches)."""
    robots = (
        b"User-agent: *\n"
        b"Disallow: /papers/*/edit\n"
        b"Disallow: /*.pdf$\n"
        b"Disallow: /api/\n"
        b"Allow: /api/daily_papers\n"
    )
    server.route("/robots.txt", Reply(200, robots))
    for path in ("/papers/2501.00001", "/papers/x.pdf.html", "/api/daily_papers"):
        server.route(path, Reply(200, b"ok"))
    with make_client(FakeClock()) as client:
        for allowed in ("/papers/2501.00001", "/papers/x.pdf.html", "/api/daily_papers?date=2025-01-06"):
            assert client.get(f"{server.base_url}{allowed}").content == b"ok", allowed
        for refused in ("/papers/2501.00001/edit", "/files/paper.pdf", "/api/models"):
            with pytest.raises(RobotsDisallowed):
                client.get(f"{server.base_url}{refused}")


def test_robots_for_other_agents_only_does_not_block(server: CaptureServer) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: OtherBot\nDisallow: /\n"))
    server.route("/x", Reply(200, b"x"))
    with make_client(FakeClock()) as client:
        assert client.get(f"{server.base_url}/x").content == b"x"


def test_unreachable_robots_means_disallow(server: CaptureServer) -> None:
    server.route("/robots.txt", Reply(503))
    with (
        make_client(FakeClock(), max_retries=0) as client,
        pytest.raises(RobotsDisallowed, match="unreachable"),
    ):
        client.get(f"{server.base_url}/x")
    assert "/x" not in server.paths()


def test_per_host_minimum_interval(server: CaptureServer) -> None:
    server.route("/a", Reply(200, b"a"))
    clock = FakeClock()
    with make_client(clock, host_intervals={server.host: 3.0}, min_interval=1.0) as client:
        client.get(f"{server.base_url}/a")
        clock.now += 1.0
        client.get(f"{server.base_url}/a")
        clock.now += 10.0
        client.get(f"{server.base_url}/a")
        assert client.waits == [("interval", 3.0), ("interval", 2.0)], "robots.txt -> /a waits, then 3-1 s"
        assert client.interval_for("elsewhere.example") == 1.0


def test_user_agent_carries_contact(server: CaptureServer) -> None:
    server.route("/ua", Reply(200))
    with make_client(FakeClock()) as client:
        client.get(f"{server.base_url}/ua")
    agent = server.requests[-1].headers["User-Agent"]
    assert agent.startswith("trending-papers/") and "mailto:data@example.org" in agent


def test_parse_retry_after() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_a_refused_connection_names_its_cause_and_attempts() -> None:
    with serving() as gone:
        url = f"{gone.base_url}/x"
    with (
        make_client(FakeClock(), max_retries=2, respect_robots=False) as client,
        pytest.raises(FetchError) as raised,
    ):
        client.get(url)
    assert raised.value.reason == "retries-exhausted:network:ConnectError"
    assert raised.value.cause.startswith("refused: ") and raised.value.cause.endswith(" after 3 attempts")
    assert raised.value.attempts == 3


def test_a_name_that_does_not_resolve_is_a_dns_cause() -> None:
    """``.invalid`` never resolves (RFC 6761): the resolver answers at once, online or not."""
    with (
        make_client(FakeClock(), max_retries=0, respect_robots=False) as client,
        pytest.raises(FetchError) as raised,
    ):
        client.get("http://papers.invalid/api")
    assert raised.value.cause.startswith("dns: "), raised.value.cause
    assert raised.value.cause.endswith(" after 1 attempt")


def test_a_read_timeout_and_a_status_name_their_cause(server: CaptureServer) -> None:
    server.route("/slow", Reply(200, b"late", delay=1.0))
    server.route("/down", Reply(503, b"down"))
    with make_client(FakeClock(), max_retries=1, respect_robots=False) as client:
        with pytest.raises(FetchError) as slow:
            client.get(f"{server.base_url}/slow")
        with pytest.raises(FetchError) as down:
            client.get(f"{server.base_url}/down")
    assert slow.value.cause.startswith("timeout: read"), slow.value.cause
    assert slow.value.cause.endswith(" after 2 attempts")
    assert (down.value.reason, down.value.cause) == (
        "retries-exhausted:http:503",
        "http 503 after 2 attempts",
    )


def test_an_unreachable_robots_txt_names_what_happened_to_it() -> None:
    """The failure that used to read only ``robots-unreachable``: the refused connection behind it is named."""
    with serving() as gone:
        url = f"{gone.base_url}/api"
    with make_client(FakeClock(), max_retries=1) as client, pytest.raises(RobotsDisallowed) as raised:
        client.get(url)
    host = url.split("/")[2]
    assert raised.value.reason == "robots-unreachable"
    assert raised.value.cause.startswith(f"robots.txt of {host} unreachable: refused: ")
    assert raised.value.cause.endswith(" after 2 attempts")


def test_a_5xx_robots_txt_and_a_disallow_name_their_cause(server: CaptureServer) -> None:
    server.route("/robots.txt", Reply(501, b"no"))
    with make_client(FakeClock(), max_retries=0) as client, pytest.raises(RobotsDisallowed) as unreachable:
        client.get(f"{server.base_url}/api")
    assert unreachable.value.cause.endswith("unreachable: http 501 after 1 attempt")
    with serving() as other:
        other.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private\n"))
        with make_client(FakeClock(), max_retries=0) as client, pytest.raises(RobotsDisallowed) as disallowed:
            client.get(f"{other.base_url}/private")
    assert disallowed.value.cause.endswith("disallows it for trending-papers")
