"""One polite HTTP client for every source: timeouts, retries with backoff, robots.txt, per-host pacing.

* Explicit ``httpx.Timeout`` (connect/read/write/pool).
* Retries on connection errors, timeouts, truncated bodies, 429 and 5xx: exponential backoff with jitter
  (``base * 2**attempt``, capped, then scaled by a random factor in [0.5, 1]); a ``Retry-After`` header
  (seconds or HTTP date) is honoured instead when present. A ``Retry-After`` beyond ``max_wait`` gives up
  rather than hammering.
* robots.txt is fetched once per host and obeyed (RFC 9309: 4xx means allow all; 5xx or unreachable means
  disallow). A ``Crawl-delay`` raises the host's interval.
* A per-host minimum interval between the starts of consecutive requests (arXiv asks for 3 s).
* A descriptive User-Agent with a contact.

Clock, sleep and randomness are injected so tests can check every wait without sleeping.
"""

from __future__ import annotations

import email.utils
import random
import time
import urllib.robotparser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from flows.secrets import redact_url

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Statuses worth another try; 501 and other 5xx that signal a permanent condition are not retried."""

ResponseHook = Callable[[httpx.Response, str], None]
"""Called with each response the caller does not get back, and why: ``attempt`` (retried) or ``robots``."""


class FetchError(Exception):
    """A request that failed for good (retries exhausted, refused by robots.txt, or not retryable)."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        url = redact_url(url)  # the message reaches logs and the manifest: no credentials in it
        super().__init__(f"{reason}: {url}" + (f" (HTTP {status})" if status is not None else ""))
        self.url = url
        self.reason = reason
        self.status = status


class RobotsDisallowed(FetchError):
    """robots.txt forbids the URL for our user agent (or could not be read, which counts as forbidding)."""


@dataclass
class HttpConfig:
    """How the client behaves; every number is in seconds except ``max_retries``."""

    user_agent: str = "trending-papers/0.1 (curated ML papers dataset; batch job)"
    contact: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_retries: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_wait: float = 300.0
    min_interval: float = 1.0
    host_intervals: Mapping[str, float] = field(default_factory=dict)
    respect_robots: bool = True

    @property
    def user_agent_header(self) -> str:
        """The User-Agent sent: the product string plus the contact, when one is configured."""
        return f"{self.user_agent} contact: {self.contact}" if self.contact else self.user_agent

    @property
    def robots_token(self) -> str:
        """The product token robots.txt rules are matched against (``trending-papers``)."""
        return self.user_agent.split("/", 1)[0].split()[0]


@dataclass
class PoliteClient:
    """The single HTTP client of a run. Use as a context manager or call :meth:`close`."""

    config: HttpConfig = field(default_factory=HttpConfig)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = random.random
    transport: httpx.BaseTransport | None = None
    waits: list[tuple[str, float]] = field(default_factory=list)
    """Every wait taken, as (why, seconds): ``interval``, ``backoff`` or ``retry-after`` (logs, tests)."""

    def __post_init__(self) -> None:
        self._http = httpx.Client(
            timeout=httpx.Timeout(
                connect=self.config.connect_timeout,
                read=self.config.read_timeout,
                write=self.config.read_timeout,
                pool=self.config.connect_timeout,
            ),
            headers={"User-Agent": self.config.user_agent_header},
            follow_redirects=True,
            transport=self.transport,
        )
        self._last_start: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._crawl_delay: dict[str, float] = {}

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        on_response: ResponseHook | None = None,
    ) -> httpx.Response:
        """GET with robots.txt check, pacing and retries; returns the first non-retryable response.

        Raises :class:`RobotsDisallowed` when robots.txt forbids the URL and :class:`FetchError` when retries
        are exhausted. 4xx other than 429 are returned, not raised: the caller decides what they mean.
        """
        full_url = str(httpx.URL(url, params=params) if params else httpx.URL(url))
        if self.config.respect_robots:
            self._check_robots(full_url, on_response)
        return self._get_with_retries(full_url, on_response)

    def _get_with_retries(self, url: str, on_response: ResponseHook | None) -> httpx.Response:
        attempt = 0
        while True:
            self._pace(url)
            try:
                response = self._http.get(url)
                response.read()
            except httpx.TransportError as error:
                reason, retry_after = f"network:{type(error).__name__}", None
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                if on_response:
                    on_response(response, "attempt")
                reason = f"http:{response.status_code}"
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if attempt >= self.config.max_retries:
                status = None if reason.startswith("network:") else int(reason.split(":")[1])
                raise FetchError(url, f"retries-exhausted:{reason}", status)
            if retry_after is not None and retry_after > self.config.max_wait:
                raise FetchError(url, f"retry-after-too-long:{retry_after:.0f}s", 429)
            if retry_after is not None:
                self._wait("retry-after", retry_after)
            else:
                self._wait("backoff", self.backoff_delay(attempt))
            attempt += 1

    def backoff_delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: ``min(max, base * 2**attempt)`` scaled into [50 %, 100 %]."""
        ceiling = min(self.config.backoff_max, self.config.backoff_base * 2**attempt)
        return ceiling * (0.5 + 0.5 * self.jitter())

    def interval_for(self, host: str) -> float:
        """The minimum seconds between request starts to ``host``: configured, raised by ``Crawl-delay``."""
        configured = self.config.host_intervals.get(host, self.config.min_interval)
        return max(configured, self._crawl_delay.get(host, 0.0))

    def _pace(self, url: str) -> None:
        host = urlsplit(url).netloc
        last = self._last_start.get(host)
        if last is not None:
            remaining = self.interval_for(host) - (self.clock() - last)
            if remaining > 0:
                self._wait("interval", remaining)
        self._last_start[host] = self.clock()

    def _wait(self, why: str, seconds: float) -> None:
        self.waits.append((why, seconds))
        self.sleep(seconds)

    def _check_robots(self, url: str, on_response: ResponseHook | None) -> None:
        parts = urlsplit(url)
        host = parts.netloc
        if host not in self._robots:
            self._robots[host] = self._load_robots(f"{parts.scheme}://{host}/robots.txt", host, on_response)
        rules = self._robots[host]
        if rules is None:
            raise RobotsDisallowed(url, "robots-unreachable")
        if not rules.can_fetch(self.config.robots_token, url):
            raise RobotsDisallowed(url, "robots-disallowed")

    def _load_robots(
        self, robots_url: str, host: str, on_response: ResponseHook | None
    ) -> urllib.robotparser.RobotFileParser | None:
        rules = urllib.robotparser.RobotFileParser(robots_url)
        try:
            response = self._get_with_retries(robots_url, on_response)
        except FetchError:
            return None
        if on_response:
            on_response(response, "robots")
        if response.status_code >= 500:
            return None
        if response.status_code >= 400:
            rules.parse([])
            return rules
        rules.parse(response.text.splitlines())
        delay = rules.crawl_delay(self.config.robots_token)
        if delay is not None:
            self._crawl_delay[host] = float(delay)
        return rules


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date); None when absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
