"""The daily deployment: yesterday's Hugging Face daily papers and the trending page, enriched from arXiv, published.

The same deployment is declared twice, for two setups, and a test keeps them equal:
- ``prefect.yaml`` (``prefect deploy -n daily``) for a server with a process work pool and a worker;
- ``papers serve`` (:func:`serve_daily`) for one box: the serving process is the worker.

The parameters store the date expression ``yesterday``, not a date, so every scheduled run fetches its own day.
With digest recipients (``daily_config(digest=...)``, ``papers serve --digest-to``) each published version's
digest is e-mailed, through the SMTP server of a prefect-email block named in the parameters (``docs/digest.md``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from flows.errors import DeployFailed
from flows.run.config import RunConfig
from flows.run.digest_config import DigestSettings
from flows.run.flow import curate
from flows.runtime.project import PROJECT_ROOT
from flows.sources.settings import SourceSettings

if TYPE_CHECKING:
    from prefect.runner import Runner

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
    registered: Callable[[UUID], None] | None = None,
    digest: DigestSettings | None = None,
) -> None:
    """Register the daily deployment on the configured server and execute its runs in this process (blocks).

    ``registered(deployment_id)`` runs once the deployment exists, before the first run is polled for (the
    alerts are set up there). What ``Flow.serve`` does, with that step between registering and serving. SIGTERM
    ends the serving quietly, as there; Ctrl-C stops the runner cleanly (:func:`_serve_until_interrupted`), then
    raises KeyboardInterrupt."""
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.exceptions import TerminationSignal
    from prefect.runner import Runner

    runner = Runner(name=name, limit=1)
    deployment_id = runner.add_flow(
        curate,
        name=name,
        schedules=[CronSchedule(cron=cron, timezone=DAILY_TIMEZONE)],
        parameters=daily_parameters(out_dir, contact, credentials_block, digest),
        description=(__doc__ or "").splitlines()[0],
        tags=["trending-papers", "daily"],
    )
    if not isinstance(deployment_id, UUID):  # add_flow is async only when called from async code
        raise TypeError("serve_daily is called from synchronous code")
    if registered is not None:
        registered(deployment_id)
    with contextlib.suppress(TerminationSignal):
        if asyncio.run(_serve_until_interrupted(runner)):
            raise KeyboardInterrupt


async def _serve_until_interrupted(runner: Runner) -> bool:
    """Run ``runner`` until Ctrl-C; whether Ctrl-C ended it.

    Ctrl-C is taken by the event loop (``loop.add_signal_handler``) and cancels the runner, which stops its loops
    and closes its clients as a cancelled task does. Raised at whatever bytecode the main thread was on, a
    KeyboardInterrupt would stop one of the runner's tasks mid-request: asyncio then logged each such task's
    traceback while shutting down, and the process could even end killed by SIGINT instead of exiting 130. A
    second Ctrl-C while the runner stops is ignored: its clean-up is not cut short. Off the main thread (no signals
    there) the runner just runs.
    """
    loop = asyncio.get_running_loop()
    serving = asyncio.current_task()
    if serving is None or threading.current_thread() is not threading.main_thread():
        await runner.start()
        return False
    interrupted = asyncio.Event()

    def stop() -> None:
        if not interrupted.is_set():
            interrupted.set()
            serving.cancel()

    before = signal.getsignal(signal.SIGINT)
    loop.add_signal_handler(signal.SIGINT, stop)
    try:
        await runner.start()
    except asyncio.CancelledError:
        if not interrupted.is_set():
            raise
        serving.uncancel()
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        signal.signal(signal.SIGINT, before)
    return interrupted.is_set()


@contextlib.contextmanager
def reaching_server() -> Iterator[None]:
    """:class:`DeployFailed` (one line) when the configured Prefect server does not answer."""
    import httpx
    from prefect.settings import get_current_settings

    try:
        yield
    except httpx.TransportError as error:
        where = get_current_settings().api.url
        raise DeployFailed(f"the Prefect server at {where} did not answer ({type(error).__name__})") from None


def deploy_daily(name: str = DEPLOYMENT_NAME) -> None:
    """Create or update the deployment ``name`` of ``prefect.yaml`` (``prefect deploy``, from the project
    folder, so the worker runs the flow there), after the process work pool it names exists."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with reaching_server(), get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=WORK_POOL, type="process"))
    prefect = Path(sys.executable).with_name("prefect")
    command = [str(prefect), "--no-prompt", "deploy", "--prefect-file", "prefect.yaml", "-n", name]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        said = [line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        raise DeployFailed(f"prefect deploy failed: {said[-1] if said else f'exit {done.returncode}'}")
