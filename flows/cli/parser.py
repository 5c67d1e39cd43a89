"""The ``papers`` command line: every command's arguments, parsed and checked before anything is imported or started.

The commands are defined here (``run``, ``backfill``, ``scraped``) and in their groups (``schedule_commands.py``:
``serve``, ``deploy``; ``version_commands.py``: the commands on published versions); their checks are in
``arguments.py``. Every subcommand is checked in two steps, so a mistake costs milliseconds and one line, never a
traceback: ``argparse`` (its errors become :class:`~flows.errors.UsageError`), then the subcommand's ``validate``
function (paths, dates, values). Nothing here imports Prefect, Great Expectations or polars: ``papers --help``
and a usage error stay fast (a test holds them to it).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from flows.cli.arguments import (
    DEFAULT_CLUSTER_PARTITIONS,
    validate_backfill,
    validate_inspect,
    validate_run,
)
from flows.cli.options import EXIT_STATUS, contact_options, json_option, out_option
from flows.cli.schedule_commands import deploy_command, serve_command
from flows.cli.version_commands import digest_command, inspect_commands, release_command, undo_commands
from flows.errors import UsageError

DATE_OPTIONS = ("--hf-daily",)
"""Options whose values may start with ``-`` (``-7d..yesterday``), which argparse would take for an option."""
DEFAULT_CHUNK_DAYS = 7
"""Days per version of a backfill."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The parsed and checked arguments; :class:`UsageError` (one line) when they are not usable."""
    parser = build_parser()
    args = parser.parse_args(_join_dash_values(argv))
    validate: Callable[[argparse.Namespace], None] | None = getattr(args, "validate", None)
    if validate is not None:
        validate(args)
    return args


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="papers",
        description="Curate listings of trending ML papers into a validated, versioned Parquet dataset. "
        + EXIT_STATUS,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _run_command(commands)
    serve_command(commands)
    deploy_command(commands)
    _backfill_command(commands)
    inspect_commands(commands)
    _scraped_command(commands)
    undo_commands(commands)
    release_command(commands)
    digest_command(commands)
    return parser


def _run_command(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        help="run the curation flow and publish a new version",
        description=(
            "Parse the INPUTs (files or folders; formats recognised from content), clean, detect language, "
            "deduplicate (also against the latest version), derive fields, validate and publish a new immutable "
            "version under OUT/trending-papers/. Without INPUT, the bundled sample page is used. "
            + EXIT_STATUS
        ),
    )
    run.add_argument("inputs", nargs="*", type=Path, metavar="INPUT", help="file or folder to read")
    out_option(run)
    _mapping(run)
    run.add_argument(
        "--languages", default="en", help="comma-separated language codes to publish; others are quarantined"
    )
    run.add_argument(
        "--fresh",
        action="store_true",
        help="do not merge into the latest version: the new version holds only this run's papers",
    )
    run.add_argument(
        "--workers", type=int, default=0, help="processes for language detection (0: one per core)"
    )
    run.add_argument(
        "--chunk-records",
        type=int,
        metavar="N",
        help="records read, cleaned and language-tagged at a time, spilled to disk between stages (default "
        "25,000, RunConfig.chunk_records): fewer hold less memory",
    )
    cluster = run.add_argument_group(
        "Dask cluster",
        "Run clean, language, the MinHash band keys and derive as one task per partition on a Dask cluster; "
        "dedup's grouping by band key, validation and publishing stay in this process. The published dataset "
        "is the same as without these options.",
    )
    cluster.add_argument(
        "--dask-address",
        metavar="URL",
        help="scheduler of an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (its workers need this project "
        "installed)",
    )
    cluster.add_argument(
        "--dask-workers", type=int, metavar="N", help="start a local Dask cluster of N workers"
    )
    cluster.add_argument(
        "--partitions",
        type=int,
        metavar="N",
        help="partitions of the per-partition stages (default 1; with --dask-workers N: N; with "
        f"--dask-address: {DEFAULT_CLUSTER_PARTITIONS})",
    )
    network = run.add_argument_group(
        "network sources",
        "Fetched politely (robots.txt, per-host pacing, retries) and stored verbatim under OUT/raw/; replay a run "
        "offline with `papers run OUT/raw`. With only these options, the bundled sample is not read.",
    )
    network.add_argument(
        "--hf-daily",
        metavar="DATE|FROM..TO",
        help="Hugging Face daily-papers API for a day or an inclusive range: 2025-01-10, today, yesterday, "
        "-3d, 2025-01-01..2025-01-31, -7d..yesterday (days are UTC)",
    )
    network.add_argument(
        "--hf-page",
        action="append",
        default=[],
        metavar="URL",
        help="a Hugging Face papers page (daily, date, week, month, trending or paper page); repeatable",
    )
    network.add_argument(
        "--arxiv-enrich",
        action="store_true",
        help="fetch arXiv metadata (comments, journal_ref, DOI, categories) for every arXiv id found",
    )
    contact_options(network)
    output = run.add_argument_group("output")
    output.add_argument(
        "--quiet", action="store_true", help="no stage lines, progress or summary (errors only)"
    )
    output.add_argument(
        "--json",
        action="store_true",
        help="print the run summary as JSON on stdout (stage lines go to stderr)",
    )
    run.set_defaults(validate=validate_run)


def _mapping(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--mapping",
        type=Path,
        metavar="FILE",
        help="a mapping file (TOML, [fields]) naming the columns of other scrapers' records that the field table "
        "does not find (docs/scrapers.md)",
    )


def _scraped_command(commands: Any) -> None:
    inspect = commands.add_parser(
        "inspect",
        help="show how a file would be read (format, field mapping, a sample record), without running",
        description="Read FILE as a run would: its format, for other scrapers' JSON, JSON Lines, CSV and TSV the "
        "columns each field is read from and the share of records that map, and its first record. Nothing is "
        "written. Exit 0 when a format reads the file, 1 when none does (the reason names the columns a mapping "
        "file can use), 3 on a usage error. " + EXIT_STATUS,
    )
    inspect.add_argument("file", type=Path, metavar="FILE", help="the file to inspect")
    _mapping(inspect)
    json_option(inspect, "the format, mapping and sample record")
    inspect.set_defaults(validate=validate_inspect)


def _backfill_command(commands: Any) -> None:
    backfill = commands.add_parser(
        "backfill",
        help="fetch Daily Papers day by day (resumable) and publish per chunk of days",
        description="Fetch FROM..TO (YYYY-MM-DD, inclusive) from the Hugging Face daily-papers API, skipping days "
        "already complete in OUT/raw, then publish each chunk of days not yet in the latest version's history. "
        + EXIT_STATUS,
    )
    backfill.add_argument("first", metavar="FROM", help="first day, YYYY-MM-DD")
    backfill.add_argument("last", metavar="TO", help="last day, YYYY-MM-DD (inclusive)")
    out_option(backfill)
    backfill.add_argument(
        "--chunk-days",
        type=int,
        default=DEFAULT_CHUNK_DAYS,
        help=f"days per version (0: one version; default {DEFAULT_CHUNK_DAYS})",
    )
    backfill.add_argument("--pages", action="store_true", help="also fetch each day's /papers/date/DAY page")
    backfill.add_argument("--arxiv-enrich", action="store_true", help="fetch arXiv metadata for each chunk")
    backfill.add_argument("--languages", default="en", help="languages to publish (default: en)")
    contact_options(backfill)
    backfill.add_argument(
        "--quiet", action="store_true", help="no progress bar or chunk lines, only the result"
    )
    json_option(backfill, "the backfill's result (days, chunks, versions, failures)")
    backfill.set_defaults(validate=validate_backfill)


def _join_dash_values(argv: Sequence[str]) -> list[str]:
    """``--hf-daily -7d..yesterday`` -> ``--hf-daily=-7d..yesterday``."""
    joined: list[str] = []
    values = iter(argv)
    for item in values:
        if item in DATE_OPTIONS:
            value = next(values, None)
            joined.append(item if value is None else f"{item}={value}")
        else:
            joined.append(item)
    return joined
