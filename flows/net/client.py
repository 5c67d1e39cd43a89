"""One polite HTTP client for every source: timeouts, retries with backoff, robots.txt, per-host pacing.

* Explicit ``httpx.Timeout`` (connect/read/write/pool).
* Retries on connection errors, timeouts, truncated bodies, 429 and 5xx, as the project's one retry policy
  says (``flows/net/retry.py``: exponential backoff with jitter, or the server's ``Retry-After``).
* robots.txt is fetched once per host and obeyed (``flows/net/robots.py``).
* A per-host minimum interval between the starts of consecutive requests (arXiv asks for 3 s).
* A descriptive User-Agent with a contact.
* Bounded work: an overall deadline per request (``request_deadline``, body included, so a server that drips
  one byte a second cannot hold a request open) and per target (``target_deadline``, retries and waits
  included); a response size cap, both as transferred (``max_response_bytes``) and decoded
  (``max_decoded_bytes``, so a gzip bomb stops early); at most ``max_redirects`` redirects, each checked
  against the scheme allow-list and robots.txt, paced, and reported to the caller (``redirect``) so the raw
  zone logs every hop. Errors that a retry cannot fix carry ``retryable=False`` and are not retried by the
  Prefect task either.

Clock, sleep and randomness are injected so tests can check every wait without sleeping.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from flows.net.causes import cause_of, with_attempts
from flows.net.retry import RETRY_STATUSES, RetryPolicy, gave_up_on, parse_retry_after, with_retries
from flows.net.robots import Robots
from flows.net.scrub import redact_url

ResponseHook = Callable[[httpx.Response, str], None]
"""Called with each response the caller does not get back, and why: ``attempt`` (retried) or ``robots``."""


REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class FetchError(Exception):
    """A request that failed for good (retries exhausted, refused by robots.txt, or not retryable).

    ``retryable`` says whether trying the whole target again later could help (a Prefect task retry).
    ``reason`` is a code programs match on; ``cause`` says in words what happened underneath and how many
    attempts were made (``refused: [Errno 111] Connection refused after 5 attempts``, ``flows/net/causes.py``).
    """

    def __init__(
        self,
        url: str,
        reason: str,
        status: int | None = None,
        *,
        retryable: bool | None = None,
        cause: str = "",
        attempts: int = 0,
    ) -> None:
        url = redact_url(url)  # the message reaches logs and the manifest: no credentials in it
        super().__init__(f"{reason}: {url}" + (f" (HTTP {status})" if status is not None else ""))
        self.url = url
        self.reason = reason
        self.status = status
        self.retryable = not reason.startswith("http-status:") if retryable is None else retryable
        """Whether trying the whole target again later could help (a final HTTP status never does)."""
        self.cause = cause or reason
        self.attempts = attempts
        """Requests made for this URL in its target, Prefect task retries included (0: none was sent)."""


class RobotsDisallowed(FetchError):
    """robots.txt forbids the URL for our user agent (or could not be read, which counts as forbidding)."""

    def __init__(self, url: str, reason: str, status: int | None = None, cause: str = "") -> None:
        super().__init__(url, reason, status, retryable=False, cause=cause)


class _Oversized(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


@dataclass
class HttpConfig:
    """How the client behaves; every number is in seconds except the sizes and counts."""

    user_agent: str = "trending-papers/0.1 (curated ML papers dataset; batch job)"
    contact: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    min_interval: float = 1.0
    host_intervals: Mapping[str, float] = field(default_factory=dict)
    respect_robots: bool = True
    request_deadline: float = 120.0
    """Seconds one request may take from connect to the last body byte."""
    target_deadline: float = 900.0
    """Seconds one target (a day, a page, an arXiv batch) may take, retries and waits included."""
    max_response_bytes: int = 64 * 1024 * 1024
    """Bytes one response may transfer (compressed)."""
    max_decoded_bytes: int = 256 * 1024 * 1024
    """Bytes one response body may decode to."""
    max_redirects: int = 5
    allowed_schemes: tuple[str, ...] = ("http", "https")
    credentials: Mapping[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    """Host -> (user, password), sent as HTTP basic auth to that host: read from a Prefect Secret block at run
    time (``SourceSettings.credentials_block``), never from a URL, a parameter or a file; never printed."""

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
            follow_redirects=False,  # followed by get(), hop by hop: robots, pacing, scheme and logging
            transport=self.transport,
        )
        self._target_started: tuple[float, float] | None = None
        self._attempts: dict[str, int] = {}
        self._robots_failures: dict[str, FetchError] = {}
        self._last_start: dict[str, float] = {}
        self._robots = Robots(self.config.robots_token)

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @contextlib.contextmanager
    def target(self) -> Iterator[None]:
        """Requests inside the block share one ``target_deadline`` (real time and waits both count)."""
        outer = self._target_started
        self._target_started = (time.monotonic(), self.clock())
        if outer is None:
            self._attempts = {}
        try:
            yield
        finally:
            self._target_started = outer

    def _check_target_deadline(self, url: str, upcoming_wait: float = 0.0) -> None:
        if self._target_left() - upcoming_wait < 0:
            raise self._target_deadline_error(url)

    def _target_left(self) -> float:
        """Seconds left of the current target's deadline (infinite outside a target)."""
        if self._target_started is None:
            return float("inf")
        real, clocked = self._target_started
        return self.config.target_deadline - max(time.monotonic() - real, self.clock() - clocked)

    def attempts_of(self, url: str) -> int:
        """Requests sent for ``url`` in the current target (all of the client's life outside one)."""
        return self._attempts.get(redact_url(url), 0)

    def _target_deadline_error(self, url: str) -> FetchError:
        return FetchError(url, f"target-deadline:{self.config.target_deadline:g}s", retryable=False)

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
        current = str(httpx.URL(url, params=params) if params else httpx.URL(url))
        visited: set[str] = set()
        for _ in range(self.config.max_redirects + 1):
            scheme = urlsplit(current).scheme.lower()
            if scheme not in self.config.allowed_schemes:
                raise FetchError(current, f"scheme-not-allowed:{scheme or 'none'}", retryable=False)
            if current in visited:
                raise FetchError(current, "redirect-loop", retryable=False)
            visited.add(current)
            if self.config.respect_robots:
                self._check_robots(current, on_response)
            response = self._get_with_retries(current, on_response)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return response
            if on_response:
                on_response(response, "redirect")
            try:
                current = str(response.request.url.join(location))
            except (httpx.InvalidURL, ValueError):
                raise FetchError(current, "bad-redirect", response.status_code, retryable=False) from None
        raise FetchError(current, f"too-many-redirects:{self.config.max_redirects}", retryable=False)

    def _fetch_once(self, url: str) -> httpx.Response:
        """One GET, body read under the request deadline, the target's deadline (whichever ends first: a body
        dripping in cannot outlast its target) and the size caps."""
        target_left = self._target_left()
        deadline = time.monotonic() + min(self.config.request_deadline, target_left)
        login = self.config.credentials.get(urlsplit(url).netloc)
        auth: httpx.Auth | httpx._client.UseClientDefault = (
            httpx.BasicAuth(*login) if login else httpx.USE_CLIENT_DEFAULT
        )
        with self._http.stream("GET", url, auth=auth) as response:
            chunks: list[bytes] = []
            decoded = 0
            for chunk in response.iter_bytes():
                decoded += len(chunk)
                if response.num_bytes_downloaded > self.config.max_response_bytes:
                    raise _Oversized(f"response-too-large:{self.config.max_response_bytes}")
                if decoded > self.config.max_decoded_bytes:
                    raise _Oversized(f"decoded-too-large:{self.config.max_decoded_bytes}")
                if time.monotonic() > deadline:
                    if target_left < self.config.request_deadline:
                        raise self._target_deadline_error(url)
                    raise httpx.ReadTimeout(f"request deadline of {self.config.request_deadline:g}s")
                chunks.append(chunk)
            response._content = b"".join(chunks)  # what .read() would have stored; read here chunk by chunk
        return response

    def _get_with_retries(self, url: str, on_response: ResponseHook | None) -> httpx.Response:
        """GET ``url`` under the one retry policy (``flows/net/retry.py``): 429/5xx and dropped connections
        retried, each wait checked against the target's deadline first."""
        policy = self.config.retry

        def attempt() -> httpx.Response:
            self._check_target_deadline(url)
            self._pace(url)
            self._attempts[redact_url(url)] = self.attempts_of(url) + 1
            try:
                response = self._fetch_once(url)
            except _Oversized as oversized:
                raise FetchError(url, oversized.reason, retryable=False) from None
            except httpx.UnsupportedProtocol:
                raise FetchError(url, "scheme-not-allowed", retryable=False) from None
            if response.status_code in RETRY_STATUSES:
                if on_response:
                    on_response(response, "attempt")
                raise _RetryableStatus(response)
            return response

        def before_wait(error: BaseException, retry: int, seconds: float) -> None:
            self._check_target_deadline(url, upcoming_wait=seconds)
            self.waits.append(("retry-after" if _transient(error)[1] is not None else "backoff", seconds))

        try:
            return with_retries(attempt, policy, _transient, self.sleep, self.jitter, before_wait)
        except (httpx.TransportError, _RetryableStatus) as error:
            status = error.response.status_code if isinstance(error, _RetryableStatus) else None
            reason = f"http:{status}" if status is not None else f"network:{type(error).__name__}"
            cause = with_attempts(cause_of(error), self.attempts_of(url))
            if gave_up_on(error, policy, _transient) == "retry-after-too-long":
                retry_after = _transient(error)[1] or 0.0
                raise FetchError(
                    url,
                    f"retry-after-too-long:{retry_after:.0f}s",
                    429,
                    retryable=False,
                    cause=f"{cause}, Retry-After {retry_after:.0f} s",
                    attempts=self.attempts_of(url),
                ) from None
            raise FetchError(
                url, f"retries-exhausted:{reason}", status, cause=cause, attempts=self.attempts_of(url)
            ) from None

    def interval_for(self, host: str) -> float:
        """The minimum seconds between request starts to ``host``: configured, raised by ``Crawl-delay``."""
        configured = self.config.host_intervals.get(host, self.config.min_interval)
        return max(configured, self._robots.crawl_delays.get(host, 0.0))

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
        host = urlsplit(url).netloc

        def fetch(robots_url: str) -> httpx.Response | None:
            try:
                response = self._get_with_retries(robots_url, on_response)
            except FetchError as error:
                self._robots_failures[host] = error
                return None
            if on_response:
                on_response(response, "robots")
            if response.status_code >= 500:
                cause = with_attempts(f"http {response.status_code}", self.attempts_of(robots_url))
                self._robots_failures[host] = FetchError(robots_url, "robots-unreachable", cause=cause)
            return response

        refusal = self._robots.verdict(url, fetch)
        if refusal == "robots-unreachable":
            failed = self._robots_failures.get(host)
            why = failed.cause if failed is not None else "not fetched"
            raise RobotsDisallowed(url, refusal, cause=f"robots.txt of {host} unreachable: {why}")
        if refusal is not None:
            raise RobotsDisallowed(
                url, refusal, cause=f"robots.txt of {host} disallows it for {self.config.robots_token}"
            )


class _RetryableStatus(Exception):
    """A response whose status is worth another try (429, 5xx), raised so the retry loop sees it fail."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _transient(error: BaseException) -> tuple[bool, float | None]:
    """The sources' client's failures worth a retry: a retryable status (with its ``Retry-After``), a dropped
    connection or timeout; nothing else (robots refusals, caps, deadlines are :class:`FetchError`)."""
    if isinstance(error, _RetryableStatus):
        return True, parse_retry_after(error.response.headers.get("Retry-After"))
    return isinstance(error, httpx.TransportError), None
