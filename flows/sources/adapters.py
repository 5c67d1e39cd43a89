"""Source adapters: fetch the Hugging Face daily-papers API, Hugging Face pages and the arXiv API.

Every response is kept in the raw zone before anything else happens. The network work lives in plain functions
(``fetch_*_captures``) so it can be tested without Prefect; the Prefect tasks (``fetch_hf_daily``,
``fetch_hf_page``, ``fetch_arxiv``) wrap them and are the only tasks with Prefect retries
(``flows/sources/gather.py`` runs them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State

from flows.net.causes import with_attempts
from flows.net.client import FetchError, PoliteClient
from flows.sources.settings import ARXIV, HF_DAILY, HF_PAGE, SourceSettings
from flows.store.raw_zone import RawZone
from transforms.parse import Capture
from transforms.parse.hf_daily import daily_items
from transforms.parse.listing import RAW_ZONE
from transforms.parse.values import load_json


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
    return fetch_hf_daily_captures(settings, day, client, zone, utc_now)


@task(**NETWORK_TASK, task_run_name="hf-page {label}")
def fetch_hf_page(
    settings: SourceSettings, url: str, client: PoliteClient, zone: RawZone, label: str = ""
) -> list[Capture]:
    """Prefect task: one Hugging Face page (``label``: its URL without credentials, for the run's name)."""
    return fetch_hf_page_captures(settings, url, client, zone, utc_now)


@task(**NETWORK_TASK, task_run_name="arxiv batch")
def fetch_arxiv(
    settings: SourceSettings, arxiv_ids: list[str], client: PoliteClient, zone: RawZone
) -> list[Capture]:
    """Prefect task: one arXiv ``id_list`` batch."""
    return fetch_arxiv_captures(settings, arxiv_ids, client, zone, utc_now)


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
        attempts = client.attempts_of(str(response.request.url))
        raise FetchError(
            str(response.request.url),
            f"http-status:{response.status_code}",
            response.status_code,
            retryable=False,
            cause=with_attempts(f"http {response.status_code}", attempts),
            attempts=attempts,
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


def utc_now() -> datetime:
    return datetime.now(UTC)
