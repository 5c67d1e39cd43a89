"""What each ``papers`` command's parsed arguments must hold, and the values derived from them.

``flows/cli/parser.py`` defines the commands; each names its ``validate_<command>`` function here, run after
argparse and before anything is imported or started (paths, dates, values: one line and exit 3 on a mistake).
Like the parser, nothing here imports Prefect, Great Expectations or polars at import time.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from urllib.parse import urlsplit

from flows.errors import UsageError
from flows.sources.dates import parse_days, past_days

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z]{2})?$")
TOPIC_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
"""An alert window: a number and s, m, h or d (``26h``, ``90m``)."""
MAX_DIGEST_DAYS = 366
DEFAULT_CLUSTER_PARTITIONS = 8
"""Partitions on an existing cluster when ``--partitions`` is not given."""


def validate_out(args: argparse.Namespace) -> None:
    """``--out`` must be a folder or creatable as one (no file in the way, at it or above it)."""
    out: Path = args.out
    for path in (out, *out.parents):
        if path.exists():
            if not path.is_dir():
                raise UsageError(f"--out: not a folder: {path}" + ("" if path == out else f" (in {out})"))
            return


def validate_run(args: argparse.Namespace) -> None:
    """Everything about ``papers run`` that can be wrong before anything starts."""
    for path in args.inputs:
        if not path.exists():
            raise UsageError(f"input not found: {path}")
    check_mapping(args.mapping)
    validate_out(args)
    check_languages(args.languages)
    if args.workers < 0:
        raise UsageError(f"--workers must be 0 (one per core) or more, got {args.workers}")
    if args.chunk_records is not None and args.chunk_records < 1:
        raise UsageError(f"--chunk-records must be 1 or more, got {args.chunk_records}")
    validate_cluster(args)
    if args.hf_daily is not None:
        try:
            parse_days(args.hf_daily)
        except ValueError as error:
            raise UsageError(f"--hf-daily: {error}") from None
    for url in args.hf_page:
        check_url("--hf-page", url)
    if args.quiet and args.json:
        raise UsageError("--quiet and --json exclude each other (--json already prints only the summary)")


def check_mapping(path: Path | None) -> None:
    """The mapping file exists (its content is checked by the command, which may import polars)."""
    if path is not None and not path.is_file():
        raise UsageError(f"--mapping: no such file: {path}")


def validate_inspect(args: argparse.Namespace) -> None:
    if not args.file.is_file():
        raise UsageError(f"not a file: {args.file}")
    check_mapping(args.mapping)


def validate_cluster(args: argparse.Namespace) -> None:
    if args.dask_address is not None and args.dask_workers is not None:
        raise UsageError(
            "--dask-address (an existing cluster) and --dask-workers (a local one) exclude each other"
        )
    if args.dask_address is not None and not args.dask_address.strip():
        raise UsageError("--dask-address: give the scheduler's address, e.g. tcp://10.0.0.5:8786")
    if args.dask_workers is not None and args.dask_workers < 1:
        raise UsageError(f"--dask-workers must be 1 or more, got {args.dask_workers}")
    if args.partitions is not None and args.partitions < 1:
        raise UsageError(f"--partitions must be 1 or more, got {args.partitions}")
    if args.dask_address is not None or args.dask_workers is not None:
        import importlib.util

        if importlib.util.find_spec("prefect_dask") is None:
            raise UsageError(
                "the Dask options need prefect-dask: install the project's cluster extra (pip install -e '.[cluster]')"
            )


def partitions(args: argparse.Namespace) -> int:
    """``--partitions``, else one per local worker, 8 on an existing cluster, 1 without Dask."""
    if args.partitions is not None:
        return int(args.partitions)
    if args.dask_workers is not None:
        return int(args.dask_workers)
    return DEFAULT_CLUSTER_PARTITIONS if args.dask_address else 1


def languages(text: str) -> tuple[str, ...]:
    return tuple(code.strip() for code in text.split(",") if code.strip())


def check_languages(text: str) -> None:
    codes = languages(text)
    if not codes:
        raise UsageError("--languages: give at least one language code, e.g. en or en,de")
    for code in codes:
        if not LANGUAGE_CODE.match(code):
            raise UsageError(f"--languages: not a language code: {code!r} (expected e.g. en, de, zh-cn)")


def validate_serve(args: argparse.Namespace) -> None:
    _needs_server("serve")
    check_digest_recipients(args)
    if args.cron is not None and len(args.cron.split()) != 5:
        raise UsageError(f"--cron: expected five fields (minute hour day month weekday), got {args.cron!r}")
    validate_alerts(args)
    validate_out(args)


def validate_deploy(args: argparse.Namespace) -> None:
    _needs_server("deploy")
    validate_alerts(args)


def _needs_server(command: str) -> None:
    import os

    if not os.environ.get("PREFECT_API_URL"):
        raise UsageError(
            f"papers {command} needs a Prefect server: start one (prefect server start) and set PREFECT_API_URL"
        )


def validate_alerts(args: argparse.Namespace) -> None:
    """``--window`` becomes seconds (``args.window_seconds``); ``--webhook-url`` needs ``--notify``."""
    match = DURATION.match(args.window.strip())
    if not match:
        raise UsageError(f"--window: expected a number and s, m, h or d (26h, 90m), got {args.window!r}")
    seconds = float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    if seconds < 10:
        raise UsageError(f"--window: Prefect evaluates it no finer than 10s, got {args.window!r}")
    args.window_seconds = seconds
    if args.webhook_url is not None:
        if not args.notify:
            raise UsageError("--webhook-url: name the block to create with --notify NAME")
        if "/" in args.notify:
            raise UsageError(f"--notify: a block made from --webhook-url is named NAME, got {args.notify!r}")
        check_url("--webhook-url", args.webhook_url)


def check_digest_recipients(args: argparse.Namespace) -> None:
    from flows.net.smtp import check_address

    if args.digest_to and not args.digest_block:
        raise UsageError(
            "--digest-to needs --digest-block NAME (the EmailServerCredentials block to send with)"
        )
    if (args.digest_block or args.digest_from) and not args.digest_to:
        raise UsageError("--digest-block and --digest-from need at least one --digest-to ADDR")
    for option, address in [
        *(("--digest-to", a) for a in args.digest_to),
        ("--digest-from", args.digest_from),
    ]:
        try:
            if address is not None:
                check_address(address)
        except ValueError as error:
            raise UsageError(f"{option}: {error}") from None


def validate_backfill(args: argparse.Namespace) -> None:
    """The days ``FROM..TO``: well formed, in order, at most a year, none after today (UTC)."""
    try:
        past_days(args.first, args.last)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.chunk_days < 0:
        raise UsageError(f"--chunk-days must be 0 or more, got {args.chunk_days}")
    check_languages(args.languages)
    if args.quiet and args.json:
        raise UsageError("--quiet and --json exclude each other (--json already prints only the result)")
    validate_out(args)


def validate_diff(args: argparse.Namespace) -> None:
    if args.examples < 0:
        raise UsageError(f"--examples must be 0 or more, got {args.examples}")
    validate_out(args)


def validate_retract(args: argparse.Namespace) -> None:
    if not args.reason.strip():
        raise UsageError("a retraction needs a --reason")
    validate_out(args)


def validate_digest(args: argparse.Namespace) -> None:
    from flows.net.smtp import check_address

    if not 1 <= args.days <= MAX_DIGEST_DAYS:
        raise UsageError(f"--days must be 1 to {MAX_DIGEST_DAYS}, got {args.days}")
    if args.top is not None and args.top < 1:
        raise UsageError(f"--top must be 1 or more, got {args.top}")
    if args.min_upvotes < 0:
        raise UsageError(f"--min-upvotes must be 0 or more, got {args.min_upvotes}")
    for topic in args.topic:
        if not TOPIC_ID.match(topic):
            raise UsageError(f"--topic: not a topic id: {topic!r} (e.g. robotics, computer-vision)")
    if args.profile is not None and (args.topic or args.min_upvotes):
        raise UsageError(
            "--profile has its own topics and minimum of upvotes: leave out --topic and --min-upvotes"
        )
    if args.send and args.write is not None:
        raise UsageError(
            "--send and --write exclude each other (write the files, then send with another command)"
        )
    if args.to and not args.send:
        raise UsageError("--to names recipients of --send: add --send")
    if args.send and not args.to:
        raise UsageError("--send needs at least one --to ADDR")
    for address in args.to:
        try:
            check_address(address)
        except ValueError as error:
            raise UsageError(f"--to: {error}") from None
    if args.write is not None and args.write.exists() and not args.write.is_dir():
        raise UsageError(f"--write: not a folder: {args.write}")
    validate_out(args)


def validate_prune(args: argparse.Namespace) -> None:
    if args.keep < 1:
        raise UsageError(f"--keep must be at least 1, got {args.keep}")
    for option, value in (("--raw-days", args.raw_days), ("--failed-run-days", args.failed_run_days)):
        if value is not None and value < 0:
            raise UsageError(f"{option} must be 0 (keep all) or more, got {value}")
    validate_out(args)


def check_url(option: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise UsageError(f"{option}: expected an absolute http(s) URL, got {url!r}")
