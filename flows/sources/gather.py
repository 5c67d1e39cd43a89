"""Gathering a run's network captures: every configured source, one target at a time.

A target is a Daily Papers day, a page URL or a batch of arXiv ids. Each is fetched on its own: a failure is
recorded (:class:`SourceFailure`) and the others go on. Inside a Prefect run the adapters' tasks are used (with
their retries); elsewhere the plain functions. A backfill's replays come from the raw zone
(``SourceSettings.reuse_raw``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TypedDict

from prefect.context import FlowRunContext, TaskRunContext

from flows.errors import UsageError
from flows.net.client import FetchError, PoliteClient
from flows.net.scrub import redact_url
from flows.runtime.progress import progress
from flows.sources.adapters import (
    fetch_arxiv,
    fetch_arxiv_captures,
    fetch_hf_daily,
    fetch_hf_daily_captures,
    fetch_hf_page,
    fetch_hf_page_captures,
    utc_now,
)
from flows.sources.replay import RawIndex, unique_captures
from flows.sources.settings import ARXIV, HF_DAILY, HF_PAGE, SourceSettings
from flows.store.raw_zone import RawZone
from transforms.parse import Capture, parse_capture


class _TaskOptions(TypedDict):
    """The Prefect task options of every fetch (``Task.with_options`` keywords)."""

    retries: int
    retry_delay_seconds: float


@dataclass(frozen=True)
class SourceFailure:
    """A fetch target that returned nothing usable, and why (for the run summary and the manifest)."""

    source: str
    target: str
    reason: str
    """A code programs match on (``retries-exhausted:network:ConnectError``, ``robots-unreachable``)."""
    cause: str = ""
    """What happened underneath, and how many attempts were made (``refused: ... after 5 attempts``,
    ``flows/net/causes.py``): what the summary, its artifact, the logs and the alerts show."""


def gather(
    settings: SourceSettings,
    raw_dir: Path,
    *,
    client: PoliteClient | None = None,
    run: str | None = None,
    local_captures: Iterable[Capture] = (),
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
    clock = now or utc_now
    owned = client is None
    http = client or PoliteClient(settings.http_config(load_credentials(settings.credentials_block)))
    in_prefect = FlowRunContext.get() is not None or TaskRunContext.get() is not None
    task_options: _TaskOptions = {
        "retries": settings.task_retries,
        "retry_delay_seconds": settings.task_retry_delay,
    }
    captures: list[Capture] = []
    failures: list[SourceFailure] = []
    targets = {"done": 0, "total": len(settings.days) + len(settings.hf_pages)}

    def attempt(source: str, target: str, fetch: Callable[[], list[Capture]]) -> None:
        try:
            with http.target():
                captures.extend(fetch())
        except Exception as error:  # one broken target must not lose the others
            failure = SourceFailure(source, target, failure_reason(error), failure_cause(error))
            failures.append(failure)
            _log_failure(failure)
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
                partial(fetch_hf_daily.with_options(**task_options), settings, day, http, zone)
                if in_prefect
                else partial(fetch_hf_daily_captures, settings, day, http, zone, clock),
            )
        for url in settings.hf_pages:
            page = index.page_capture(url) if index else None
            if page is not None:
                captures.append(page)
                continue
            attempt(
                HF_PAGE,
                redact_url(url),
                partial(
                    fetch_hf_page.with_options(**task_options),
                    settings,
                    url,
                    http,
                    zone,
                    label=redact_url(url),
                )
                if in_prefect
                else partial(fetch_hf_page_captures, settings, url, http, zone, clock),
            )
        if settings.arxiv_enrich:
            wanted = arxiv_ids_of(chain(local_captures, captures))
            targets["total"] += len(_batches(wanted, settings.arxiv_batch_size))
            for batch in _batches(wanted, settings.arxiv_batch_size):
                attempt(
                    ARXIV,
                    ",".join(batch),
                    partial(fetch_arxiv.with_options(**task_options), settings, batch, http, zone)
                    if in_prefect
                    else partial(fetch_arxiv_captures, settings, batch, http, zone, clock),
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
    """The distinct arXiv ids (sorted) parsed from ``captures``, arXiv captures themselves excepted (one capture
    parsed at a time: only the ids are kept)."""
    ids: set[str] = set()
    for capture in captures:
        if capture.source != ARXIV:
            ids.update(parse_capture(capture).get_column("arxiv_id").drop_nulls().to_list())
    return sorted(ids)


def _batches(values: list[str], size: int) -> list[list[str]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


def failure_cause(error: Exception) -> str:
    """The root cause of a failed target in words, with its attempts (a FetchError's ``cause``)."""
    if isinstance(error, FetchError):
        return error.cause
    return f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"


def _log_failure(failure: SourceFailure) -> None:
    """One warning line per failed target in the run's log (Prefect's, when inside a run)."""
    from prefect.exceptions import MissingContextError
    from prefect.logging import get_run_logger

    try:
        logger: logging.Logger | logging.LoggerAdapter[logging.Logger] = get_run_logger()
    except MissingContextError:
        logger = logging.getLogger(__name__)
    logger.warning(
        "source failed: %s %s: %s (%s)", failure.source, failure.target, failure.reason, failure.cause
    )


def failure_reason(error: Exception) -> str:
    if isinstance(error, FetchError):
        return error.reason
    if isinstance(error, OSError):
        return f"io:{type(error).__name__}"
    return f"error:{type(error).__name__}"


def load_credentials(block: str | None) -> dict[str, tuple[str, str]]:
    """Host -> (user, password) from the Prefect Secret block named ``block`` (none: no credentials).

    :class:`~flows.errors.UsageError` when the block does not exist or does not hold ``{"<host>":
    "<user>:<password>"}`` (its value is never put in the message)."""
    if not block:
        return {}
    from prefect.blocks.system import Secret

    try:
        secret = Secret.load(block)
    except (ValueError, LookupError) as error:
        raise UsageError(f"no Prefect Secret block named {block!r} ({type(error).__name__})") from None
    if not isinstance(secret, Secret):  # called from async code, load returns a coroutine
        raise TypeError("load_credentials is called from synchronous code")
    value: object = secret.get()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, dict) or not all(
        isinstance(host, str) and isinstance(login, str) and ":" in login for host, login in value.items()
    ):
        raise UsageError(f'the Secret block {block!r} does not hold {{"<host>": "<user>:<password>"}}')
    return {host: (login.split(":", 1)[0], login.split(":", 1)[1]) for host, login in value.items()}
