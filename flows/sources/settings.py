"""What a run fetches and how politely: the settings of the network sources (part of ``RunConfig``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from flows.net.client import HttpConfig
from flows.net.retry import RetryPolicy
from flows.net.scrub import redact_url
from flows.sources.dates import parse_days

HF_DAILY = "hf-daily"
HF_PAGE = "hf-page"
ARXIV = "arxiv"

Seconds = Annotated[float, Field(ge=0)]


class SourceSettings(BaseModel):
    """Which sources a run fetches and how politely. Base URLs are settings so tests can use 127.0.0.1."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hf_daily: str | None = None
    """A day or an inclusive range ``FROM..TO`` (the day a paper entered Daily Papers): ``2025-01-10``,
    ``yesterday``, ``-7d..yesterday`` (``flows/sources/dates.py``); relative days resolve when the run starts (UTC)."""
    refetch: list[date] = Field(default_factory=list)
    """Daily Papers days fetched again because they are provisional (far below their weekday's median and not
    settled yet: ``docs/operators.md``). A run sets them from ``latest``'s manifest when it fetches Daily Papers;
    not meant to be given by hand."""
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
    credentials_block: str | None = None
    """The name of a Prefect Secret block holding HTTP credentials of the sources' hosts, as JSON
    ``{"<host>": "<user>:<password>"}``: read when the run fetches, so a deployment's parameters hold the
    block's name only. (A URL with ``user:password@`` works from the command line, but is written nowhere: every
    URL is scrubbed, so a deployment built from one would lose it.)"""
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
        """The Daily Papers days to fetch (``hf_daily``'s and the provisional days fetched again), oldest first."""
        asked = parse_days(self.hf_daily) if self.hf_daily else []
        return sorted({*asked, *self.refetch})

    @property
    def any_network_source(self) -> bool:
        """Whether a listing source (Daily Papers days or pages) is configured."""
        return bool(self.hf_daily or self.hf_pages)

    @property
    def fetches_anything(self) -> bool:
        """Whether :func:`gather` has anything to do (listing sources or arXiv enrichment)."""
        return self.any_network_source or self.arxiv_enrich

    def http_config(self, credentials: Mapping[str, tuple[str, str]] | None = None) -> HttpConfig:
        """The client configuration these settings imply (arXiv's interval keyed by its host); ``credentials``:
        those of :attr:`credentials_block`, loaded by the caller."""
        arxiv_host = _host(self.arxiv_base_url)
        return HttpConfig(
            credentials=dict(credentials or {}),
            user_agent=self.user_agent,
            contact=self.contact,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retry=RetryPolicy(
                retries=self.max_retries,
                base_wait=self.backoff_base,
                max_wait=self.backoff_max,
                max_retry_after=self.max_wait,
            ),
            min_interval=self.min_interval,
            host_intervals={arxiv_host: max(self.arxiv_min_interval, self.min_interval)},
            respect_robots=self.respect_robots,
            request_deadline=self.request_deadline,
            target_deadline=self.target_deadline,
            max_response_bytes=self.max_response_bytes,
            max_decoded_bytes=self.max_decoded_bytes,
            max_redirects=self.max_redirects,
        )


def _host(url: str) -> str:
    return urlsplit(url).netloc
