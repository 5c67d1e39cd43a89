"""The daily deployment: yesterday's Hugging Face daily papers and the trending page, enriched from arXiv, published.

The same deployment is declared twice, for two setups, and a test keeps them equal:
- ``prefect.yaml`` (``prefect deploy -n daily``) for a server with a process work pool and a worker;
- ``papers serve`` (:func:`serve_daily`) for one box: the serving process is the worker.

The parameters store the date expression ``yesterday``, not a date, so every scheduled run fetches its own day.
With digest recipients (``daily_config(digest=...)``, ``papers serve --digest-to``) each published version's
digest is e-mailed, through the SMTP server of a prefect-email block named in the parameters (``docs/digest.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.run.config import RunConfig
from flows.run.digest_config import DigestSettings
from flows.run.flow import curate
from flows.sources.settings import SourceSettings

DEPLOYMENT_NAME = "daily"
DAILY_CRON = "30 6 * * *"
"""06:30 UTC: Hugging Face's previous day of Daily Papers is complete by then (its days are UTC dates)."""
DAILY_TIMEZONE = "UTC"
TRENDING_PAGE = "https://huggingface.co/papers/trending"
WORK_POOL = "papers"


def daily_config(
    out_dir: Path = Path("output"),
    contact: str = "",
    credentials_block: str | None = None,
    digest: DigestSettings | None = None,
) -> RunConfig:
    """What the daily run does: no local input, yesterday's Daily Papers, the trending page, arXiv enrichment.
    ``credentials_block``: the name of the Prefect Secret block the sources' credentials are in, if any;
    ``digest``: who is sent the version's digest after it is published (None: nobody)."""
    return RunConfig(
        inputs=[],
        out_dir=out_dir,
        sources=SourceSettings(
            hf_daily="yesterday",
            hf_pages=[TRENDING_PAGE],
            arxiv_enrich=True,
            contact=contact,
            credentials_block=credentials_block,
        ),
        digest=digest or DigestSettings(),
    )


def daily_parameters(
    out_dir: Path = Path("output"),
    contact: str = "",
    credentials_block: str | None = None,
    digest: DigestSettings | None = None,
) -> dict[str, Any]:
    """The deployment's parameters: only what differs from ``RunConfig``'s defaults, as JSON.

    Compared as JSON, not with pydantic's ``exclude_defaults``: fields with a serializer (the redacted source
    URLs) would otherwise always be written out.
    """
    chosen = daily_config(out_dir, contact, credentials_block, digest).model_dump(mode="json")
    return {"config": _without_defaults(chosen, RunConfig().model_dump(mode="json"))}


def _without_defaults(values: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name, value in values.items():
        default = defaults.get(name)
        if isinstance(value, dict) and isinstance(default, dict):
            nested = _without_defaults(value, default)
            if nested:
                kept[name] = nested
        elif value != default:
            kept[name] = value
    return kept


def serve_daily(
    name: str = DEPLOYMENT_NAME,
    cron: str = DAILY_CRON,
    out_dir: Path = Path("output"),
    contact: str = "",
    credentials_block: str | None = None,
    digest: DigestSettings | None = None,
) -> None:
    """Register the daily deployment on the configured server and execute its runs in this process (blocks)."""
    from prefect.client.schemas.schedules import CronSchedule

    curate.serve(
        name=name,
        schedules=[CronSchedule(cron=cron, timezone=DAILY_TIMEZONE)],
        parameters=daily_parameters(out_dir, contact, credentials_block, digest),
        description=(__doc__ or "").splitlines()[0],
        tags=["trending-papers", "daily"],
        limit=1,
    )
