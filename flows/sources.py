"""Source adapters: fetch the Hugging Face daily-papers API, Hugging Face pages and the arXiv API.

Every response is kept in the raw zone before anything else happens. The network work lives in plain functions
(``fetch_*_captures``) so it can be tested without Prefect; the Prefect tasks (``fetch_hf_daily``,
``fetch_hf_page``, ``fetch_arxiv``) wrap them and are the only place with Prefect retries. :func:`gather` runs
all configured sources, one target at a time, so a failing target is reported and the rest is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
import polars as pl
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext, TaskRunContext
from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from flows.dates import parse_days
from flows.http import FetchError, HttpConfig, PoliteClient
from flows.progress import progress
from flows.raw_index import RawIndex
from flows.raw_zone import RawZone, unique_captures
from flows.secrets import redact_url
from transforms.listing import RAW_ZONE
from transforms.parse import Capture, parse_capture
from transforms.parse.common import load_json
from transforms.parse.hf_daily import daily_items

HF_DAILY = "hf-daily"
HF_PAGE = "hf-page"
ARXIV = "arxiv"

Seconds = Annotated[float, Field(ge=0)]


class SourceSettings(BaseModel):
    """Which sources a run fetches and how politely. Base URLs are settings so tests can use 127.0.0.1."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hf_daily: str | None = None
    """A day or an inclusive range ``FROM..TO`` (the day a paper entered Daily Papers): ``2025-01-10``,
    ``yesterday``, ``-7d..yesterday`` (``flows/dates.py``); relative days resolve when the run starts (UTC)."""
    hf_pages: list[str] = Field(default_factory=list)
    """Hugging Face papers page URLs (``/papers``, ``/papers/date/…``, ``/papers/trending``, a paper page)."""
    arxiv_enrich: bool = False
    """Fetch arXiv metadata for every arXiv id the other sources returned."""

    hf_base_url: str = "https://huggingface.co"
    arxiv_base_url: str = "https://export.arxiv.org"
    user_agent: str = "trending-papers/0.1 (curated ML papers dataset; batch job)"
    contact: str = ""
    """A URL or e-mail address appended to the User-Agent so site operators can reach us."""
    connect_timeout: Seconds = 10.0
    read_timeout: Seconds = 30.0
    max_retries: Annotated[int, Field(ge=0)] = 4
    backoff_base: Seconds = 1.0
    backoff_max: Seconds = 60.0
    max_wait: Seconds = 300.0
    min_interval: Seconds = 1.0
    """Minimum seconds between requests to the same host."""
    arxiv_min_interval: Seconds = 3.0
    """arXiv asks for no more than one request every 3 seconds."""
    respect_robots: bool = True
    request_deadline: Seconds = 120.0
    """Seconds one request may take, body included."""
    target_deadline: Seconds = 900.0
    """Seconds one target (a day, a page, an arXiv batch) may take, retries and waits included."""
    max_response_bytes: Annotated[int, Field(ge=1)] = 64 * 1024 * 1024
    max_decoded_bytes: Annotated[int, Field(ge=1)] = 256 * 1024 * 1024
    max_redirects: Annotated[int, Field(ge=0)] = 5
    hf_page_size: Annotated[int, Field(ge=1, le=100)] = 100
    hf_max_pages: Annotated[int, Field(ge=1)] = 20
    arxiv_batch_size: Annotated[int, Field(ge=1, le=500)] = 100
    task_retries: Annotated[int, Field(ge=0)] = 2
    """Prefect-level retries of a whole fetch task (on top of the client's per-request retries)."""
    task_retry_delay: Seconds = 30.0
    reuse_raw: bool = False
    """Replay a Daily Papers day already complete in the raw zone, and a page already captured there, instead
    of fetching it again (how ``papers backfill`` resumes; daily runs fetch fresh listings)."""

    @field_validator("hf_daily")
    @classmethod
    def _valid_days(cls, value: str | None) -> str | None:
        if value is not None:
            parse_days(value)
        return value

    @field_validator("hf_pages")
    @classmethod
    def _absolute_http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                raise ValueError(f"expected an absolute http(s) URL, got {url!r}")
        return urls

    @field_serializer("hf_pages", when_used="json")
    def _pages_without_secrets(self, urls: list[str]) -> list[str]:
        """Serialised (manifest, Prefect parameters) without credentials; the object keeps them for fetching."""
        return [redact_url(url) for url in urls]

    @field_serializer("hf_base_url", "arxiv_base_url", when_used="json")
    def _base_without_secrets(self, url: str) -> str:
        return redact_url(url)

    @property
    def days(self) -> list[date]:
        """The Daily Papers days to fetch, oldest first."""
        return parse_days(self.hf_daily) if self.hf_daily else []

    @property
    def any_network_source(self) -> bool:
        """Whether a listing source (Daily Papers days or pages) is configured."""
        return bool(self.hf_daily or self.hf_pages)

    @property
    def fetches_anything(self) -> bool:
        """Whether :func:`gather` has anything to do (listing sources or arXiv enrichment)."""
        return self.any_network_source or self.arxiv_enrich

    def http_config(self) -> HttpConfig:
        """The client configuration these settings imply (arXiv's interval keyed by its host)."""
        arxiv_host = _host(self.arxiv_base_url)
        return HttpConfig(
            user_agent=self.user_agent,
            contact=self.contact,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_retries=self.max_retries,
            backoff_base=self.backoff_base,
            backoff_max=self.backoff_max,
            max_wait=self.max_wait,
            min_interval=self.min_interval,
            host_intervals={arxiv_host: max(self.arxiv_min_interval, self.min_interval)},
            respect_robots=self.respect_robots,
            request_deadline=self.request_deadline,
            target_deadline=self.target_deadline,
            max_response_bytes=self.max_response_bytes,
            max_decoded_bytes=self.max_decoded_bytes,
            max_redirects=self.max_redirects,
        )


@dataclass(frozen=True)
class SourceFailure:
    """A fetch target that returned nothing usable, and why (for the run summary and the manifest)."""

    source: str
    target: str
    reason: str


def worth_retrying(task: object, task_run: object, state: State) -> bool:
    """Prefect retry condition: robots.txt refusals and non-retryable statuses will not change on retry."""
    try:
        state.result()
    except FetchError as error:  # robots refusals, statuses, deadlines, caps, redirects: retryable=False
        return error.retryable
    except Exception:  # any other failure may be transient
        return True
    return True


def fetch_hf_daily_captures(
    settings: SourceSettings, day: date, client: PoliteClient, zone: RawZone, now: Callable[[], datetime]
) -> list[Capture]:
    """All pages of one Daily Papers day (``p=0,1,…`` until a short or repeated page, at most
    ``hf_max_pages``). Raises :class:`FetchError` when a page is not HTTP 200."""
    url = f"{settings.hf_base_url.rstrip('/')}/api/daily_papers"
    captures: list[Capture] = []
    seen: set[str] = set()
    for page in range(settings.hf_max_pages):
        params = {"date": day.isoformat(), "limit": settings.hf_page_size, "p": page}
        capture, count = _fetch_one(HF_DAILY, url, params, client, zone, now, accept={200})
        if capture.sha256 in seen:
            break
        seen.add(capture.sha256)
        captures.append(capture)
        if count < settings.hf_page_size:
            break
    return captures


def fetch_hf_page_captures(
    settings: SourceSettings, url: str, client: PoliteClient, zone: RawZone, now: Callable[[], datetime]
) -> list[Capture]:
    """One Hugging Face page. Raises :class:`FetchError` when it is not HTTP 200."""
    capture, _ = _fetch_one(HF_PAGE, url, None, client, zone, now, accept={200})
    return [capture]


def fetch_arxiv_captures(
    settings: SourceSettings,
    arxiv_ids: list[str],
    client: PoliteClient,
    zone: RawZone,
    now: Callable[[], datetime],
) -> list[Capture]:
    """One ``id_list`` query for a batch of ids. HTTP 400 is kept: arXiv explains the error in the feed."""
    url = f"{settings.arxiv_base_url.rstrip('/')}/api/query"
    params = {"id_list": ",".join(arxiv_ids), "start": 0, "max_results": len(arxiv_ids)}
    capture, _ = _fetch_one(ARXIV, url, params, client, zone, now, accept={200, 400})
    return [capture]


NETWORK_TASK: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": 30,
    "retry_condition_fn": worth_retrying,
    "cache_policy": NO_CACHE,
}
"""Prefect options of the fetch tasks, the only tasks that retry (``SourceSettings`` can override the counts)."""


@task(**NETWORK_TASK, task_run_name="hf-daily {day}")
def fetch_hf_daily(settings: SourceSettings, day: date, client: PoliteClient, zone: RawZone) -> list[Capture]:
    """Prefect task: one Daily Papers day."""
    return fetch_hf_daily_captures(settings, day, client, zone, _utc_now)


@task(**NETWORK_TASK, task_run_name="hf-page {label}")
def fetch_hf_page(
    settings: SourceSettings, url: str, client: PoliteClient, zone: RawZone, label: str = ""
) -> list[Capture]:
    """Prefect task: one Hugging Face page (``label``: its URL without credentials, for the run's name)."""
    return fetch_hf_page_captures(settings, url, client, zone, _utc_now)


@task(**NETWORK_TASK, task_run_name="arxiv batch")
def fetch_arxiv(
    settings: SourceSettings, arxiv_ids: list[str], client: PoliteClient, zone: RawZone
) -> list[Capture]:
    """Prefect task: one arXiv ``id_list`` batch."""
    return fetch_arxiv_captures(settings, arxiv_ids, client, zone, _utc_now)


def gather(
    settings: SourceSettings,
    raw_dir: Path,
    *,
    client: PoliteClient | None = None,
    run: str | None = None,
    local_captures: Sequence[Capture] = (),
    now: Callable[[], datetime] | None = None,
) -> tuple[list[Capture], list[SourceFailure]]:
    """Fetch every configured source; returns all captures (canonical order) and the failed targets.

    Each target (a day, a page URL, an arXiv batch) is fetched on its own: a failure is recorded and the
    others go on. arXiv batches are built from the arXiv ids parsed out of this run's other captures. Inside a
    Prefect run the Prefect tasks are used (with their retries); elsewhere the plain functions are called.
    ``local_captures`` (e.g. files given on the command line) are not fetched or returned, but their arXiv ids
    are enriched too. ``client`` and ``now`` are injectable for tests; ``run`` tags the raw-zone log lines.
    """
    zone = RawZone(raw_dir, run=run)
    clock = now or _utc_now
    owned = client is None
    http = client or PoliteClient(settings.http_config())
    in_prefect = FlowRunContext.get() is not None or TaskRunContext.get() is not None
    task_options = {"retries": settings.task_retries, "retry_delay_seconds": settings.task_retry_delay}
    captures: list[Capture] = []
    failures: list[SourceFailure] = []
    targets = {"done": 0, "total": len(settings.days) + len(settings.hf_pages)}

    def attempt(source: str, target: str, fetch: Callable[[], list[Capture]]) -> None:
        try:
            with http.target():
                captures.extend(fetch())
        except Exception as error:  # one broken target must not lose the others
            failures.append(SourceFailure(source, target, _reason(error)))
        targets["done"] += 1
        progress("fetch", targets["done"], targets["total"])

    index = RawIndex.load(raw_dir) if settings.reuse_raw else None
    try:
        for day in settings.days:
            replayed = index.day_captures(day, settings.hf_max_pages) if index else None
            if replayed is not None:
                captures.extend(replayed)
                continue
            attempt(
                HF_DAILY,
                day.isoformat(),
                (lambda d=day: fetch_hf_daily.with_options(**task_options)(settings, d, http, zone))
                if in_prefect
                else (lambda d=day: fetch_hf_daily_captures(settings, d, http, zone, clock)),
            )
        for url in settings.hf_pages:
            page = index.page_capture(url) if index else None
            if page is not None:
                captures.append(page)
                continue
            attempt(
                HF_PAGE,
                redact_url(url),
                (
                    lambda u=url: fetch_hf_page.with_options(**task_options)(
                        settings, u, http, zone, label=redact_url(u)
                    )
                )
                if in_prefect
                else (lambda u=url: fetch_hf_page_captures(settings, u, http, zone, clock)),
            )
        if settings.arxiv_enrich:
            wanted = arxiv_ids_of([*local_captures, *captures])
            targets["total"] += len(_batches(wanted, settings.arxiv_batch_size))
            for batch in _batches(wanted, settings.arxiv_batch_size):
                attempt(
                    ARXIV,
                    ",".join(batch),
                    (lambda b=batch: fetch_arxiv.with_options(**task_options)(settings, b, http, zone))
                    if in_prefect
                    else (lambda b=batch: fetch_arxiv_captures(settings, b, http, zone, clock)),
                )
    finally:
        if owned:
            http.close()
    return unique_captures(captures), failures


def every_listing_source_failed(
    settings: SourceSettings, captures: Sequence[Capture], failures: Sequence[SourceFailure]
) -> bool:
    """True when listing sources were configured and not one of their targets returned a capture.

    An empty day (``[]``) is a capture, not a failure. arXiv captures do not count: they only enrich.
    """
    return (
        settings.any_network_source
        and bool(failures)
        and not any(capture.source in {HF_DAILY, HF_PAGE} for capture in captures)
    )


def arxiv_ids_of(captures: Iterable[Capture]) -> list[str]:
    """The distinct arXiv ids (sorted) parsed from ``captures``, arXiv captures themselves excepted."""
    frames = [parse_capture(capture) for capture in captures if capture.source != ARXIV]
    if not frames:
        return []
    ids = pl.concat(frames).get_column("arxiv_id").drop_nulls().unique().sort()
    return ids.to_list()


def _fetch_one(
    source: str,
    url: str,
    params: dict[str, object] | None,
    client: PoliteClient,
    zone: RawZone,
    now: Callable[[], datetime],
    accept: set[int],
) -> tuple[Capture, int]:
    """GET, keep every response in the raw zone, return the accepted one as a capture with its item count
    (for paging). A final status outside ``accept`` is kept as ``rejected`` and raised as a FetchError."""

    def keep(response: httpx.Response, kind: str) -> None:
        zone.store_response(source if kind != "robots" else "robots", response, now(), kind=kind)

    response = client.get(url, params=params, on_response=keep)
    captured_at = now()
    if response.status_code not in accept:
        zone.store_response(source, response, captured_at, kind="rejected")
        raise FetchError(
            str(response.request.url),
            f"http-status:{response.status_code}",
            response.status_code,
            retryable=False,
        )
    entry = zone.store_response(source, response, captured_at)
    capture = Capture(source, entry.url, response.content, captured_at, captured_at_evidence=RAW_ZONE)
    return capture, _item_count(response.content)


def _item_count(content: bytes) -> int:
    """How many items a JSON list page holds (0 for anything else); only paging uses it."""
    try:
        return len(daily_items(load_json(content)))
    except ValueError:
        return 0


def _batches(values: list[str], size: int) -> list[list[str]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


def _reason(error: Exception) -> str:
    if isinstance(error, FetchError):
        return error.reason
    if isinstance(error, OSError):
        return f"io:{type(error).__name__}"
    return f"error:{type(error).__name__}"


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _utc_now() -> datetime:
    return datetime.now(UTC)
