"""The arguments of every ``papers`` command, and the checks made on them before anything is imported or started.

Every subcommand is checked in two steps, so a mistake costs milliseconds and one line, never a traceback:
``argparse`` (its errors become :class:`~flows.errors.UsageError`), then the subcommand's ``validate`` function
(paths, dates, values). Nothing here imports Prefect, Great Expectations or polars: ``papers --help`` and a
usage error stay fast (a test holds them to it).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from flows.errors import UsageError
from flows.sources.dates import parse_days, past_days

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z]{2})?$")
DATE_OPTIONS = ("--hf-daily",)
"""Options whose values may start with ``-`` (``-7d..yesterday``), which argparse would take for an option."""
DEFAULT_CLUSTER_PARTITIONS = 8
"""Partitions on an existing cluster when ``--partitions`` is not given."""
DEFAULT_CHUNK_DAYS = 7
"""Days per version of a backfill."""
RAW_DAYS = 365
FAILED_RUN_DAYS = 90
"""``papers prune``'s retention defaults, as ``flows/store/retention.py``'s ``Retention`` has them (a test keeps
them equal; that module is not imported here: it would import polars)."""
DEFAULT_DIGEST_DAYS, MAX_DIGEST_DAYS = 7, 366
TOPIC_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
EXIT_STATUS = "Exit status: see the exit codes in docs/reference/exit-codes.md (0 done, 3 usage error...)."


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
    _serve_command(commands)
    _deploy_command(commands)
    _backfill_command(commands)
    _inspect_commands(commands)
    _scraped_command(commands)
    _undo_commands(commands)
    _release_command(commands)
    _digest_command(commands)
    return parser


def _out(command: argparse.ArgumentParser) -> None:
    command.add_argument("--out", type=Path, default=Path("output"), help="output root (default: output/)")


def _json(command: argparse.ArgumentParser, what: str = "the result") -> None:
    command.add_argument("--json", action="store_true", help=f"print {what} as JSON on stdout")


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
    _out(run)
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
    _contact(network)
    output = run.add_argument_group("output")
    output.add_argument(
        "--quiet", action="store_true", help="no stage lines, progress or summary (errors only)"
    )
    output.add_argument(
        "--json",
        action="store_true",
        help="print the run summary as JSON on stdout (stage lines go to stderr)",
    )
    run.set_defaults(validate=_validate_run)


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
    _json(inspect, "the format, mapping and sample record")
    inspect.set_defaults(validate=_validate_inspect)


def _contact(group: Any) -> None:
    group.add_argument(
        "--contact", default="", help="e-mail or URL sent in the User-Agent (set it for real runs)"
    )
    group.add_argument(
        "--credentials-block",
        default=None,
        metavar="NAME",
        help='a Prefect Secret block holding the sources\' HTTP credentials as {"<host>": "<user>:<password>"} '
        "(read when fetching; only its name is stored)",
    )


def _serve_command(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve the daily deployment from this process (one-box setup; needs PREFECT_API_URL)",
        description=(
            "Register the daily deployment (yesterday's Hugging Face daily papers, the trending page, arXiv "
            "enrichment, publish) on the Prefect server at PREFECT_API_URL and run its scheduled runs in this "
            "process until interrupted (Ctrl-C: exit 130). The same deployment is in prefect.yaml for a work "
            "pool and worker. " + EXIT_STATUS
        ),
    )
    serve.add_argument("--name", default="daily", help="deployment name (default: daily)")
    serve.add_argument("--cron", default=None, help="cron schedule in UTC (default: 30 6 * * *)")
    _out(serve)
    _contact(serve)
    _alerts(serve, required=False)
    digest = serve.add_argument_group(
        "digest",
        "E-mail each published version's digest (docs/digest.md). The SMTP server, port, TLS mode and login are "
        "read at send time from a prefect-email EmailServerCredentials block; only its name is stored.",
    )
    digest.add_argument(
        "--digest-to", action="append", default=[], metavar="ADDR", help="a recipient; repeatable"
    )
    digest.add_argument("--digest-block", metavar="NAME", help="the EmailServerCredentials block's name")
    digest.add_argument("--digest-from", metavar="ADDR", help="the From address (default: the block's user)")
    serve.set_defaults(validate=_validate_serve)


def _deploy_command(commands: Any) -> None:
    deploy = commands.add_parser(
        "deploy",
        help="deploy the daily deployment (prefect.yaml) and its alerts (needs PREFECT_API_URL)",
        description=(
            "Create or update the daily deployment of prefect.yaml on the Prefect server at PREFECT_API_URL (the "
            "process work pool 'papers' is created when missing), then its three alert automations, found by "
            "name: a run Failed or Crashed, a run Degraded, and no run completed within --window. They notify "
            "the Prefect notification block named by --notify (Slack, Teams, Discord, a custom webhook...; "
            "--webhook-url makes a Custom Webhook block of that name). Running it twice changes nothing. "
            + EXIT_STATUS
        ),
    )
    deploy.add_argument("--name", default="daily", help="deployment name in prefect.yaml (default: daily)")
    deploy.add_argument(
        "--alerts-only",
        action="store_true",
        help="only the automations, for a deployment already registered (by papers serve, or prefect deploy)",
    )
    _alerts(deploy, required=True)
    _json(deploy, "the deployment and what was done to each automation")
    deploy.set_defaults(validate=_validate_deploy)


DEFAULT_ALERT_WINDOW = "26h"
"""No run completed within this long raises the "no run completed" alert (the daily schedule plus two hours)."""
DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")


def _alerts(command: argparse.ArgumentParser, required: bool) -> None:
    group = command.add_argument_group("alerts", "Prefect automations notifying a block (docs/operators.md)")
    group.add_argument(
        "--notify",
        required=required,
        metavar="BLOCK",
        help="the Prefect notification block the alerts go to (NAME, or TYPE-SLUG/NAME)"
        + ("" if required else "; without it, no alert is set up"),
    )
    group.add_argument(
        "--webhook-url",
        metavar="URL",
        help="create (or overwrite) a Custom Webhook block named --notify that POSTs each alert as JSON "
        '{"subject", "body", "name"} to URL',
    )
    group.add_argument(
        "--window",
        default=DEFAULT_ALERT_WINDOW,
        metavar="DURATION",
        help=f"alert when no run completed within this long (10s at least; 90m, 26h, 2d; default "
        f"{DEFAULT_ALERT_WINDOW})",
    )


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
    _out(backfill)
    backfill.add_argument(
        "--chunk-days",
        type=int,
        default=DEFAULT_CHUNK_DAYS,
        help=f"days per version (0: one version; default {DEFAULT_CHUNK_DAYS})",
    )
    backfill.add_argument("--pages", action="store_true", help="also fetch each day's /papers/date/DAY page")
    backfill.add_argument("--arxiv-enrich", action="store_true", help="fetch arXiv metadata for each chunk")
    backfill.add_argument("--languages", default="en", help="languages to publish (default: en)")
    _contact(backfill)
    backfill.add_argument(
        "--quiet", action="store_true", help="no progress bar or chunk lines, only the result"
    )
    _json(backfill, "the backfill's result (days, chunks, versions, failures)")
    backfill.set_defaults(validate=_validate_backfill)


def _inspect_commands(commands: Any) -> None:
    versions = commands.add_parser("versions", help="list the published versions, newest last")
    _out(versions)
    _json(versions, "one object per version")
    versions.set_defaults(validate=_validate_out)

    diff = commands.add_parser("diff", help="what changed between two versions")
    diff.add_argument("old", metavar="A", help="version id or 'latest'")
    diff.add_argument("new", metavar="B", help="version id or 'latest'")
    diff.add_argument("--examples", type=int, default=3, help="examples per kind of change (default: 3)")
    _out(diff)
    _json(diff, "the changes")
    diff.set_defaults(validate=_validate_diff)

    show = commands.add_parser("show", help="one paper: every field, its history and its provenance")
    show.add_argument("paper_id", metavar="PAPER_ID")
    show.add_argument("--version", default="latest", help="version to show it in (default: latest)")
    _out(show)
    _json(show, "the paper, its history and provenance")
    show.set_defaults(validate=_validate_out)

    report = commands.add_parser(
        "dedup-report",
        help="show the duplicate clusters and near-duplicate merges of a version",
        description="Cluster sizes and every near-duplicate merge with its similarity, for a person to audit.",
    )
    report.add_argument("version", nargs="?", default="latest", help="version id or 'latest' (default)")
    _out(report)
    _json(report, "the cluster sizes and merges")
    report.set_defaults(validate=_validate_out)

    verify = commands.add_parser(
        "verify",
        help="check every file of a version against its manifest (sha256, size, rows)",
        description="Every file the version's manifest lists, checked byte for byte, and any file it does not "
        "list. Exit 0 when all match, 2 when one differs.",
    )
    verify.add_argument("version", nargs="?", default="latest", help="version id or 'latest' (default)")
    verify.add_argument("--all", action="store_true", help="check every version")
    _out(verify)
    _json(verify, "per version, its files and what differs")
    verify.set_defaults(validate=_validate_out)


def _undo_commands(commands: Any) -> None:
    rollback = commands.add_parser("rollback", help="point latest back at an earlier version (journaled)")
    rollback.add_argument("version", metavar="VERSION", help="an existing version id")
    rollback.add_argument("--reason", default="", help="why, for the journal")
    _out(rollback)
    _json(rollback)
    rollback.set_defaults(validate=_validate_out)

    retract = commands.add_parser("retract", help="publish a version without these papers; keep them out")
    retract.add_argument("paper_ids", nargs="+", metavar="PAPER_ID", help="paper_id in the latest version")
    retract.add_argument(
        "--reason", required=True, help="why (recorded in retractions.json and the manifest)"
    )
    _out(retract)
    _json(retract, "the version published and the papers removed")
    retract.set_defaults(validate=_validate_retract)

    unretract = commands.add_parser("unretract", help="take papers off the retraction list")
    unretract.add_argument("paper_ids", nargs="+", metavar="PAPER_ID")
    unretract.add_argument("--reason", default="", help="why, for the journal")
    _out(unretract)
    _json(unretract)
    unretract.set_defaults(validate=_validate_out)

    rederive = commands.add_parser(
        "rederive", help="publish latest with every paper's topics derived by this code's topic method"
    )
    _out(rederive)
    _json(rederive, "the version published (null when every paper was current) and the papers derived again")
    rederive.set_defaults(validate=_validate_out)

    prune = commands.add_parser(
        "prune",
        help="remove old versions (never latest, never a release's only copy), and raw days and failed-run "
        "records past their retention",
    )
    prune.add_argument("--keep", type=int, required=True, metavar="N", help="newest versions to keep (>= 1)")
    prune.add_argument("--dry-run", action="store_true", help="say what would be removed, remove nothing")
    prune.add_argument(
        "--raw-days",
        type=int,
        metavar="N",
        help=f"keep the raw zone's days received in the last N days (default {RAW_DAYS}; 0 keeps all)",
    )
    prune.add_argument(
        "--failed-run-days",
        type=int,
        metavar="N",
        help=f"keep failed-runs/ records of the last N days (default {FAILED_RUN_DAYS}; 0 keeps all)",
    )
    _out(prune)
    _json(prune, "the versions removed and kept")
    prune.set_defaults(validate=_validate_prune)


def _release_command(commands: Any) -> None:
    release = commands.add_parser(
        "release",
        help="publish a version on the Hugging Face Hub (one commit, tagged with the version id)",
        description=(
            "Build the folder the Hub repository should hold (data/ and listings/ train-*.parquet and README.md), "
            "upload it in "
            "one commit that also deletes stale shards, and tag it with the version id. Re-releasing a released "
            "version does nothing. The token comes from HF_TOKEN or the huggingface_hub login. " + EXIT_STATUS
        ),
    )
    release.add_argument("version", nargs="?", default="latest", help="version id or 'latest' (default)")
    release.add_argument(
        "--repo-id", required=True, metavar="OWNER/NAME", help="dataset repository on the Hub"
    )
    release.add_argument(
        "--dry-run", action="store_true", help="print the plan (files, sizes, operations, tag)"
    )
    release.add_argument("--private", action="store_true", help="create the repository as private")
    release.add_argument(
        "--accept-unknown-licences",
        action="store_true",
        help="release even when some papers come only from sources that state no licence (refused otherwise)",
    )
    _out(release)
    _json(release, "the plan and the outcome")
    release.set_defaults(validate=_validate_out)


def _digest_command(commands: Any) -> None:
    digest = commands.add_parser(
        "digest",
        help="the daily digest of a version (Atom feed, e-mail page, text): print it, write it or e-mail it",
        description=(
            "The papers listed on the DAYS days ending at the version's newest listing day, one entry per paper "
            "and day ranked by that day's upvotes (the digest/ folder of every version holds it with the run's "
            "settings). Prints it as text (--format for the page or the Atom feed), writes feed.xml and "
            "index.html to a folder (--write), or sends the page as an HTML e-mail with a plain-text part "
            "(--send --to ADDR): the SMTP server comes from PAPERS_SMTP_HOST, PAPERS_SMTP_PORT, "
            "PAPERS_SMTP_STARTTLS, PAPERS_SMTP_USER, PAPERS_SMTP_PASSWORD and PAPERS_SMTP_FROM. "
            + EXIT_STATUS
        ),
    )
    digest.add_argument("version", nargs="?", default="latest", help="version id or 'latest' (default)")
    digest.add_argument(
        "--days",
        type=int,
        default=DEFAULT_DIGEST_DAYS,
        metavar="N",
        help="days ending at the newest (default 7)",
    )
    digest.add_argument("--top", type=int, metavar="K", help="at most K papers a day (default: every paper)")
    digest.add_argument(
        "--topic",
        action="append",
        default=[],
        metavar="T",
        help="only papers with this topic (a taxonomy id, e.g. robotics); repeatable",
    )
    digest.add_argument(
        "--min-upvotes", type=int, default=0, metavar="N", help="only papers with at least N upvotes that day"
    )
    digest.add_argument(
        "--profile",
        metavar="NAME",
        help="a subscription profile of the version's digest settings: its topics and minimum of upvotes "
        "(not with --topic or --min-upvotes)",
    )
    digest.add_argument(
        "--format", choices=("text", "html", "atom"), default="text", help="what to print (default: text)"
    )
    digest.add_argument(
        "--write", type=Path, metavar="DIR", help="write DIR/feed.xml and DIR/index.html instead of printing"
    )
    digest.add_argument("--send", action="store_true", help="e-mail the digest to every --to address")
    digest.add_argument(
        "--to", action="append", default=[], metavar="ADDR", help="a recipient of --send; repeatable"
    )
    _out(digest)
    _json(digest, "the digest's days, entries and recipients")
    digest.set_defaults(validate=_validate_digest)


# ----- checks -----


def _validate_out(args: argparse.Namespace) -> None:
    """``--out`` must be a folder or creatable as one (no file in the way, at it or above it)."""
    out: Path = args.out
    for path in (out, *out.parents):
        if path.exists():
            if not path.is_dir():
                raise UsageError(f"--out: not a folder: {path}" + ("" if path == out else f" (in {out})"))
            return


def _validate_run(args: argparse.Namespace) -> None:
    """Everything about ``papers run`` that can be wrong before anything starts."""
    for path in args.inputs:
        if not path.exists():
            raise UsageError(f"input not found: {path}")
    _check_mapping(args.mapping)
    _validate_out(args)
    _check_languages(args.languages)
    if args.workers < 0:
        raise UsageError(f"--workers must be 0 (one per core) or more, got {args.workers}")
    if args.chunk_records is not None and args.chunk_records < 1:
        raise UsageError(f"--chunk-records must be 1 or more, got {args.chunk_records}")
    _validate_cluster(args)
    if args.hf_daily is not None:
        try:
            parse_days(args.hf_daily)
        except ValueError as error:
            raise UsageError(f"--hf-daily: {error}") from None
    for url in args.hf_page:
        _check_url("--hf-page", url)
    if args.quiet and args.json:
        raise UsageError("--quiet and --json exclude each other (--json already prints only the summary)")


def _check_mapping(path: Path | None) -> None:
    """The mapping file exists (its content is checked by the command, which may import polars)."""
    if path is not None and not path.is_file():
        raise UsageError(f"--mapping: no such file: {path}")


def _validate_inspect(args: argparse.Namespace) -> None:
    if not args.file.is_file():
        raise UsageError(f"not a file: {args.file}")
    _check_mapping(args.mapping)


def _validate_cluster(args: argparse.Namespace) -> None:
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


def _check_languages(text: str) -> None:
    codes = languages(text)
    if not codes:
        raise UsageError("--languages: give at least one language code, e.g. en or en,de")
    for code in codes:
        if not LANGUAGE_CODE.match(code):
            raise UsageError(f"--languages: not a language code: {code!r} (expected e.g. en, de, zh-cn)")


def _validate_serve(args: argparse.Namespace) -> None:
    _needs_server("serve")
    _check_digest_recipients(args)
    if args.cron is not None and len(args.cron.split()) != 5:
        raise UsageError(f"--cron: expected five fields (minute hour day month weekday), got {args.cron!r}")
    _validate_alerts(args)
    _validate_out(args)


def _validate_deploy(args: argparse.Namespace) -> None:
    _needs_server("deploy")
    _validate_alerts(args)


def _needs_server(command: str) -> None:
    import os

    if not os.environ.get("PREFECT_API_URL"):
        raise UsageError(
            f"papers {command} needs a Prefect server: start one (prefect server start) and set PREFECT_API_URL"
        )


def _validate_alerts(args: argparse.Namespace) -> None:
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
        _check_url("--webhook-url", args.webhook_url)


def _check_digest_recipients(args: argparse.Namespace) -> None:
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


def _validate_backfill(args: argparse.Namespace) -> None:
    """The days ``FROM..TO``: well formed, in order, at most a year, none after today (UTC)."""
    try:
        past_days(args.first, args.last)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.chunk_days < 0:
        raise UsageError(f"--chunk-days must be 0 or more, got {args.chunk_days}")
    _check_languages(args.languages)
    if args.quiet and args.json:
        raise UsageError("--quiet and --json exclude each other (--json already prints only the result)")
    _validate_out(args)


def _validate_diff(args: argparse.Namespace) -> None:
    if args.examples < 0:
        raise UsageError(f"--examples must be 0 or more, got {args.examples}")
    _validate_out(args)


def _validate_retract(args: argparse.Namespace) -> None:
    if not args.reason.strip():
        raise UsageError("a retraction needs a --reason")
    _validate_out(args)


def _validate_digest(args: argparse.Namespace) -> None:
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
    _validate_out(args)


def _validate_prune(args: argparse.Namespace) -> None:
    if args.keep < 1:
        raise UsageError(f"--keep must be at least 1, got {args.keep}")
    for option, value in (("--raw-days", args.raw_days), ("--failed-run-days", args.failed_run_days)):
        if value is not None and value < 0:
            raise UsageError(f"{option} must be 0 (keep all) or more, got {value}")
    _validate_out(args)


def _check_url(option: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise UsageError(f"{option}: expected an absolute http(s) URL, got {url!r}")


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
