"""``papers run``, ``papers serve`` and ``papers backfill``: the commands that run the curation flow.

They hold the output lock before Prefect creates a flow run (a second run is refused at once; the flow
re-enters the lock in this thread) and talk to the configured Prefect API or to a temporary one of their own
(``flows/runtime/prefect.py``), started in its own session so that Ctrl-C reaches the command only.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from flows.cli.arguments import languages, partitions
from flows.cli.exits import ExitCode
from flows.cli.feedback import ConsoleFeedback
from flows.cli.output import Reply
from flows.render.run_summary import summary_text
from flows.run.backfill import BackfillResult
from flows.run.backfill import backfill as run_backfill
from flows.run.config import RunConfig
from flows.run.degraded import degraded_reasons
from flows.run.deployment import DAILY_CRON, serve_daily
from flows.run.digest_config import DigestSettings
from flows.run.flow import curate
from flows.run.outcome import summary_of
from flows.run.results import RunSummary
from flows.runtime.prefect import prefect_api
from flows.runtime.progress import observing
from flows.sources.dates import past_days
from flows.sources.mapping import load_mapping
from flows.sources.settings import SourceSettings
from flows.store.catalog import Catalog
from flows.store.lock import output_lock


def run(args: argparse.Namespace, reply: Reply) -> int:
    if args.mapping is not None:
        load_mapping(args.mapping)  # a usage error before anything starts
    if not args.fresh:
        Catalog(args.out).check_latest_schema()  # a usage error before anything starts
    config = run_config(args)
    feedback = ConsoleFeedback(lines=sys.stderr if args.json else sys.stdout)
    try:
        with output_lock(config.out_dir), prefect_api(), errors_to_logs_only():
            with contextlib.nullcontext() if args.quiet else observing(feedback):
                state = curate(config, return_state=True)
            result = summary_of(state)
    finally:
        feedback.close()
    code = outcome(result)
    document = {
        "version": result.version,
        "path": str(result.path) if result.path else None,
        "counts": result.counts,
        "source_failures": result.source_failures,
        "provisional_days": result.provisional_days,
        "run_checks": [check.__dict__ for check in result.run_checks],
        "degraded": degraded_reasons(result),
        "error": result.error,
        "state_message": state.message,
        "stages": [timing.as_dict() for timing in feedback.timings],
    }
    status = "published" if code == ExitCode.DONE else None
    return reply.done(code, document, None if args.quiet else summary_text(result), status=status)


def outcome(summary: RunSummary) -> ExitCode:
    """Published (0), published but degraded (6: ``flows/run/degraded.py``), or nothing published (1)."""
    if summary.version is None:
        return ExitCode.NOTHING_PUBLISHED
    return ExitCode.DEGRADED if summary.degraded else ExitCode.DONE


def run_config(args: argparse.Namespace) -> RunConfig:
    sources = SourceSettings(
        hf_daily=args.hf_daily,
        hf_pages=args.hf_page,
        arxiv_enrich=args.arxiv_enrich,
        contact=args.contact,
        credentials_block=args.credentials_block,
    )
    settings: dict[str, Any] = {
        "out_dir": args.out,
        "allowed_languages": languages(args.languages),
        "incremental": not args.fresh,
        "language_workers": args.workers,
        "partitions": partitions(args),
        "dask_address": args.dask_address,
        "dask_workers": args.dask_workers,
        "sources": sources,
        "mapping": args.mapping,
    }
    if args.chunk_records is not None:
        settings["chunk_records"] = args.chunk_records
    if args.inputs or sources.any_network_source:
        settings["inputs"] = args.inputs
    return RunConfig(**settings)


def serve(args: argparse.Namespace, reply: Reply) -> int:
    """Serve until Ctrl-C (KeyboardInterrupt, once the runner has stopped: the command ends as interrupted)."""

    def registered(deployment_id: UUID) -> None:
        """With ``--notify``: the alerts of ``papers deploy``, set up beside the served deployment."""
        if args.notify:
            from flows.cli.deploy import alerts_line, set_up_alerts

            args.alerts_only = True
            reply.note(alerts_line(args, set_up_alerts(args)))

    serve_daily(
        name=args.name,
        cron=args.cron or DAILY_CRON,
        out_dir=args.out,
        contact=args.contact,
        credentials_block=args.credentials_block,
        registered=registered,
        digest=DigestSettings(
            recipients=tuple(args.digest_to),
            credentials_block=args.digest_block,
            sender=args.digest_from,
        )
        if args.digest_to
        else None,
    )
    return ExitCode.DONE


def backfill(args: argparse.Namespace, reply: Reply) -> int:
    days = past_days(args.first, args.last)
    config = RunConfig(
        out_dir=args.out,
        inputs=[],
        allowed_languages=languages(args.languages),
        sources=SourceSettings(
            arxiv_enrich=args.arxiv_enrich, contact=args.contact, credentials_block=args.credentials_block
        ),
    )

    def say(chunk: dict[str, Any]) -> None:
        if not args.quiet:
            reply.note(chunk_line(chunk))

    with output_lock(config.out_dir), prefect_api(), errors_to_logs_only(), _progress(args.quiet) as progress:
        result = run_backfill(
            days, config, chunk_days=args.chunk_days, pages=args.pages, progress=progress, on_chunk=say
        )
    for failure in result.failures:
        reply.note(f"source failed: {failure.source} {failure.target}: {failure.reason}")
    code = _backfill_outcome(result)
    document = {
        "days": [day.isoformat() for day in result.days],
        "fetched": [day.isoformat() for day in result.fetched],
        "in_raw_zone": [day.isoformat() for day in result.in_raw_zone],
        "already_published": [day.isoformat() for day in result.already_published],
        "failures": [failure.__dict__ for failure in result.failures],
        "versions": result.versions,
        "chunks": result.chunks,
    }
    return reply.done(code, document, summary_line(result))


def _backfill_outcome(result: BackfillResult) -> ExitCode:
    """Every day published (0), some versions published but a day failed (6), nothing published (1)."""
    if result.complete:
        return ExitCode.DONE
    return ExitCode.DEGRADED if result.versions else ExitCode.NOTHING_PUBLISHED


def summary_line(result: BackfillResult) -> str:
    days = result.days
    return (
        f"backfill {days[0]}..{days[-1]}: {len(days)} days ({len(result.fetched)} fetched, "
        f"{len(result.in_raw_zone)} already in the raw zone, {len(result.failures)} failed); "
        f"{len(result.versions)} version(s) published, {len(result.already_published)} days already published"
        + (f"; latest {result.versions[-1]}" if result.versions else "")
    )


def chunk_line(chunk: dict[str, Any]) -> str:
    counts = chunk["counts"]
    if not chunk["version"]:
        return f"  {chunk['days']}: nothing published ({counts['quarantined']} quarantined)"
    return (
        f"  {chunk['days']}: published {chunk['version']} ({counts['new_papers']} new, "
        f"{counts['updated_papers']} updated, {counts['quarantined']} quarantined)"
    )


@contextlib.contextmanager
def errors_to_logs_only() -> Iterator[None]:
    """Prefect's console handler prints a failing task's traceback; during a command a person gets one line
    instead (the traceback still reaches the Prefect API's logs and the crash log file)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    handlers = [
        handler
        for name in ("", "prefect")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, PrefectConsoleHandler)
    ]
    levels = [handler.level for handler in handlers]
    for handler in handlers:
        handler.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for handler, level in zip(handlers, levels, strict=True):
            handler.setLevel(level)


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[Any]:
    """A rich progress bar on stderr; disabled with ``--quiet`` or when stderr is not a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description:<8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
    ) as progress:
        yield progress
