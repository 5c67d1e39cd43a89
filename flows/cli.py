"""``papers``: the command line of the pipeline.

Every subcommand is checked in two steps, so a mistake costs milliseconds and one line, never a traceback:
1. ``argparse`` (its errors become :class:`UsageError`), then the subcommand's ``validate`` function (set with
   ``set_defaults(validate=...)``): paths, dates and values are checked here, before Prefect is imported;
2. only then ``configure_prefect()`` and the subcommand's ``handler``, which imports what it needs.
A new subcommand adds a parser in :func:`_parser`, a ``validate`` (optional) and a ``handler``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from flows.errors import UsageError
from flows.prefect_env import configure_prefect

EXIT_PUBLISHED = 0
EXIT_NOTHING_PUBLISHED = 1
EXIT_CONTRACT_BROKEN = 2
EXIT_USAGE = 3
EXIT_RUNTIME_FAILURE = 4
"""Internal error, disk full, read-only output: one line on stderr, the traceback in a log file."""
EXIT_OUTPUT_LOCKED = 5
"""Another live run holds the output folder's lock."""
EXIT_INTERRUPTED = 130
"""The exit codes (README "Exit status"): one table, one place."""

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z]{2})?$")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


DATE_OPTIONS = ("--hf-daily",)
"""Options whose values may start with ``-`` (``-7d..yesterday``), which argparse would take for an option."""


def main(argv: list[str] | None = None, *, reap: bool = False) -> int:
    """Parse, validate, run. ``reap`` (the console script): no process the command starts outlives it, even
    when it is SIGKILLed (flows/reaper.py); in-process callers (tests) leave their own process alone."""
    try:
        parser = _parser()
        args = parser.parse_args(_join_dash_values(sys.argv[1:] if argv is None else argv))
        if args.command is None:
            parser.print_help()
            return EXIT_NOTHING_PUBLISHED
        validate = getattr(args, "validate", None)
        if validate is not None:
            validate(args)
    except UsageError as error:
        print(f"papers: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if reap:
        from flows.reaper import reap_descendants_at_exit

        reap_descendants_at_exit()  # after validation (usage errors stay fast), before any child starts
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print(
            "papers: interrupted: the run stopped; nothing of it was published and `latest` is unchanged",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED


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


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="papers",
        description="Curate listings of trending ML papers into a validated, versioned Parquet dataset.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run the curation flow and publish a new version",
        description=(
            "Parse the INPUTs (files or folders; formats recognised from content), clean, detect language, "
            "deduplicate (also against the latest version), derive fields, validate and publish a new immutable "
            "version under OUT/trending-papers/. Without INPUT, the bundled sample page is used. Exit status: "
            "0 published, 1 nothing of this run could be published, 2 a contract check failed (nothing published), "
            "3 usage error (e.g. OUT holds a version of another major schema: rebuild it with --fresh), "
            "4 run-time failure (traceback in OUT/failed-runs/), 5 output folder locked by another run, "
            "130 interrupted."
        ),
    )
    run.add_argument("inputs", nargs="*", type=Path, metavar="INPUT", help="file or folder to read")
    run.add_argument("--out", type=Path, default=Path("output"), help="output root (default: output/)")
    run.add_argument(
        "--languages",
        default="en",
        help="comma-separated language codes to publish; others are quarantined (default: en)",
    )
    run.add_argument(
        "--fresh",
        action="store_true",
        help="do not merge into the latest version: the new version holds only this run's papers",
    )
    run.add_argument(
        "--workers", type=int, default=0, help="processes for language detection (0: one per core)"
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
        "--dask-workers", type=int, metavar="N", help="start a local Dask cluster of N worker processes"
    )
    cluster.add_argument(
        "--partitions",
        type=int,
        metavar="N",
        help="partitions of the per-partition stages (default 1; with --dask-workers N: N; with "
        "--dask-address: 8)",
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
    network.add_argument(
        "--contact", default="", help="e-mail or URL sent in the User-Agent (set it for real runs)"
    )
    output = run.add_argument_group("output")
    output.add_argument(
        "--quiet", action="store_true", help="no stage lines, progress or summary (errors only)"
    )
    output.add_argument(
        "--json",
        action="store_true",
        help="print the run summary as JSON on stdout (stage lines go to stderr)",
    )
    run.set_defaults(handler=_run, validate=_validate_run)

    serve = commands.add_parser(
        "serve",
        help="serve the daily deployment from this process (one-box setup; needs PREFECT_API_URL)",
        description=(
            "Register the daily deployment (yesterday's Hugging Face daily papers, the trending page, arXiv "
            "enrichment, publish) on the Prefect server at PREFECT_API_URL and run its scheduled runs in this "
            "process until interrupted. The same deployment is in prefect.yaml for a work pool and worker."
        ),
    )
    serve.add_argument("--name", default="daily", help="deployment name (default: daily)")
    serve.add_argument("--cron", default=None, help="cron schedule in UTC (default: 30 6 * * *)")
    serve.add_argument("--out", type=Path, default=Path("output"), help="output root (default: output/)")
    serve.add_argument("--contact", default="", help="e-mail or URL sent in the User-Agent")
    serve.set_defaults(handler=_serve, validate=_validate_serve)

    report = commands.add_parser(
        "dedup-report",
        help="show the duplicate clusters and near-duplicate merges of a version",
        description="Cluster sizes and every near-duplicate merge with its similarity, for a person to audit.",
    )
    report.add_argument("version", nargs="?", default="latest", help="version id or 'latest' (default)")
    report.add_argument("--out", type=Path, default=Path("output"), help="output root (default: output/)")
    report.set_defaults(handler=_dedup_report, validate=lambda args: _check_out(args.out))

    from flows.versions import add_commands as add_version_commands

    add_version_commands(commands)
    _undo_commands(commands)
    return parser


def _undo_commands(commands: argparse._SubParsersAction) -> None:
    """``backfill``, ``rollback``, ``retract``, ``unretract``, ``prune`` (flows/backfill.py, flows/undo.py)."""
    out = {"type": Path, "default": Path("output"), "help": "output root (default: output/)"}
    backfill = commands.add_parser(
        "backfill",
        help="fetch Daily Papers day by day (resumable) and publish per chunk of days",
        description="Fetch FROM..TO (YYYY-MM-DD, inclusive) from the Hugging Face daily-papers API, skipping days "
        "already complete in OUT/raw, then publish each chunk of days not yet in the latest version's history. "
        "Exit status: 0 every day published, 1 some day failed or published nothing, 2 contract broken, 3 usage.",
    )
    backfill.add_argument("first", metavar="FROM", help="first day, YYYY-MM-DD")
    backfill.add_argument("last", metavar="TO", help="last day, YYYY-MM-DD (inclusive)")
    backfill.add_argument("--out", **out)
    backfill.add_argument(
        "--chunk-days", type=int, default=7, help="days per version (0: one version; default 7)"
    )
    backfill.add_argument("--pages", action="store_true", help="also fetch each day's /papers/date/DAY page")
    backfill.add_argument("--arxiv-enrich", action="store_true", help="fetch arXiv metadata for each chunk")
    backfill.add_argument("--languages", default="en", help="languages to publish (default: en)")
    backfill.add_argument("--contact", default="", help="e-mail or URL sent in the User-Agent")
    backfill.add_argument("--quiet", action="store_true", help="no progress bar, only the final line")
    backfill.set_defaults(handler=_lazy("flows.backfill", "backfill_command"))

    rollback = commands.add_parser("rollback", help="point latest back at an earlier version (journaled)")
    rollback.add_argument("version", metavar="VERSION", help="an existing version id")
    rollback.add_argument("--reason", default="", help="why, for the journal")
    rollback.add_argument("--out", **out)
    rollback.set_defaults(handler=_lazy("flows.undo", "rollback_command"))

    retract = commands.add_parser("retract", help="publish a version without these papers; keep them out")
    retract.add_argument("paper_ids", nargs="+", metavar="PAPER_ID", help="paper_id in the latest version")
    retract.add_argument(
        "--reason", required=True, help="why (recorded in retractions.json and the manifest)"
    )
    retract.add_argument("--out", **out)
    retract.set_defaults(handler=_lazy("flows.undo", "retract_command"))

    unretract = commands.add_parser("unretract", help="take papers off the retraction list")
    unretract.add_argument("paper_ids", nargs="+", metavar="PAPER_ID")
    unretract.add_argument("--reason", default="", help="why, for the journal")
    unretract.add_argument("--out", **out)
    unretract.set_defaults(handler=_lazy("flows.undo", "unretract_command"))

    prune = commands.add_parser(
        "prune", help="remove old versions (never latest, never a release's only copy)"
    )
    prune.add_argument("--keep", type=int, required=True, metavar="N", help="newest versions to keep (>= 1)")
    prune.add_argument("--dry-run", action="store_true", help="say what would be removed, remove nothing")
    prune.add_argument("--out", **out)
    prune.set_defaults(handler=_lazy("flows.undo", "prune_command"))


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A handler imported when called, so ``papers --help`` and usage errors stay fast."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        return getattr(importlib.import_module(module), name)(args)

    return handler


def _validate_run(args: argparse.Namespace) -> None:
    """Everything about ``papers run`` that can be wrong before anything starts."""
    from flows.dates import parse_days

    for path in args.inputs:
        if not path.exists():
            raise UsageError(f"input not found: {path}")
    _check_out(args.out)
    codes = [code.strip() for code in args.languages.split(",") if code.strip()]
    if not codes:
        raise UsageError("--languages: give at least one language code, e.g. en or en,de")
    for code in codes:
        if not LANGUAGE_CODE.match(code):
            raise UsageError(f"--languages: not a language code: {code!r} (expected e.g. en, de, zh-cn)")
    if args.workers < 0:
        raise UsageError(f"--workers must be 0 (one per core) or more, got {args.workers}")
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
    if not args.fresh:
        from flows.publish import IncompatibleSchema, check_latest_schema

        try:
            check_latest_schema(args.out)  # before Prefect starts: a usage error, not a failed run
        except IncompatibleSchema as error:
            raise UsageError(str(error)) from None


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
                "the Dask options need prefect-dask: install the project's cluster extra "
                "(pip install -e '.[cluster]')"
            )


def _partitions(args: argparse.Namespace) -> int:
    """``--partitions``, else one per local worker, 8 on an existing cluster, 1 without Dask."""
    if args.partitions is not None:
        return args.partitions
    if args.dask_workers is not None:
        return args.dask_workers
    return DEFAULT_CLUSTER_PARTITIONS if args.dask_address else 1


DEFAULT_CLUSTER_PARTITIONS = 8
"""Partitions on an existing cluster when ``--partitions`` is not given."""


def _validate_serve(args: argparse.Namespace) -> None:
    if not os.environ.get("PREFECT_API_URL"):
        raise UsageError(
            "papers serve needs a Prefect server: start one (prefect server start) and set PREFECT_API_URL"
        )
    if args.cron is not None and len(args.cron.split()) != 5:
        raise UsageError(f"--cron: expected five fields (minute hour day month weekday), got {args.cron!r}")
    _check_out(args.out)


def _check_out(out: Path) -> None:
    """``--out`` must be a folder or creatable as one (no file in the way, at it or above it)."""
    for path in (out, *out.parents):
        if path.exists():
            if not path.is_dir():
                raise UsageError(f"--out: not a folder: {path}" + ("" if path == out else f" (in {out})"))
            return


def _check_url(option: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise UsageError(f"{option}: expected an absolute http(s) URL, got {url!r}")


def _run(args: argparse.Namespace) -> int:
    configure_prefect()
    from expectations.gate import ContractBroken
    from flows.curate import curate
    from flows.failures import failure_line, record_crash
    from flows.feedback import ConsoleFeedback
    from flows.ownership import OutputLocked, output_lock
    from flows.progress import observing
    from flows.publish import IncompatibleSchema

    config = _run_config(args)
    feedback = ConsoleFeedback(lines=sys.stderr if args.json else sys.stdout)
    try:
        # The flow takes the lock itself (for deployments); taking it here first refuses a second run before
        # Prefect creates a flow run for it, and the flow re-enters it in this thread.
        with output_lock(config.out_dir), _errors_to_logs_only():
            if args.quiet:
                state = curate(config, return_state=True)
            else:
                with observing(feedback):
                    state = curate(config, return_state=True)
        result = state.result(raise_on_failure=False)
        if isinstance(result, BaseException) and not isinstance(result, ContractBroken):
            raise result
    except KeyboardInterrupt:
        raise
    except IncompatibleSchema as error:
        print(f"papers run: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OutputLocked as error:
        print(f"papers: {error}; nothing was read or written", file=sys.stderr)
        return EXIT_OUTPUT_LOCKED
    except Exception as error:  # a run-time failure: one line for the person, the traceback for the log
        log = record_crash(config.out_dir, error)
        where = f"traceback in {log}" if log else "the traceback could not be written either"
        print(f"papers: run failed, nothing published: {failure_line(error)} ({where})", file=sys.stderr)
        return EXIT_RUNTIME_FAILURE
    finally:
        feedback.close()
    if isinstance(result, ContractBroken):
        if args.json:
            print(
                json.dumps(
                    {"status": "contract-broken", "exit_code": EXIT_CONTRACT_BROKEN, "error": str(result)}
                )
            )
        print(f"contract broken, nothing published: {result}", file=sys.stderr)
        return EXIT_CONTRACT_BROKEN
    code = EXIT_PUBLISHED if result.version else EXIT_NOTHING_PUBLISHED
    if args.json:
        print(json.dumps(summary_json(result, feedback.timings, code, state.message), indent=2, default=str))
    elif not args.quiet:
        print(_format_summary(result))
    return code


def _run_config(args: argparse.Namespace) -> Any:
    from flows.config import RunConfig
    from flows.sources import SourceSettings

    settings: dict[str, Any] = {
        "out_dir": args.out,
        "allowed_languages": tuple(code.strip() for code in args.languages.split(",") if code.strip()),
        "incremental": not args.fresh,
        "language_workers": args.workers,
        "partitions": _partitions(args),
        "dask_address": args.dask_address,
        "dask_workers": args.dask_workers,
    }
    sources = SourceSettings(
        hf_daily=args.hf_daily, hf_pages=args.hf_page, arxiv_enrich=args.arxiv_enrich, contact=args.contact
    )
    settings["sources"] = sources
    if args.inputs or sources.any_network_source:
        settings["inputs"] = args.inputs
    return RunConfig(**settings)


def summary_json(summary: Any, stages: Sequence[Any], exit_code: int, message: str | None) -> dict[str, Any]:
    """The ``--json`` document: outcome, version, path, counts, failures and stage timings."""
    return {
        "status": "published" if summary.version else "nothing-published",
        "exit_code": exit_code,
        "version": summary.version,
        "path": str(summary.path) if summary.path else None,
        "counts": summary.counts,
        "source_failures": summary.source_failures,
        "error": summary.error,
        "state_message": message,
        "stages": [timing.as_dict() for timing in stages],
    }


@contextlib.contextmanager
def _errors_to_logs_only() -> Iterator[None]:
    """Prefect's console handler prints a failing task's traceback; during a CLI run a person gets one line
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


def _serve(args: argparse.Namespace) -> int:
    configure_prefect()
    from flows.deployments import DAILY_CRON, serve_daily

    serve_daily(name=args.name, cron=args.cron or DAILY_CRON, out_dir=args.out, contact=args.contact)
    return EXIT_PUBLISHED


def _format_summary(summary: object) -> str:
    counts = summary.counts
    lines = [
        f"version      {summary.version or '(none: nothing published)'}",
        f"inputs       {counts['inputs']} records",
        f"published    {counts['published']} ({counts['new_papers']} new, {counts['updated_papers']} updated)",
        f"duplicates   {counts['duplicates']}",
        f"quarantined  {counts['quarantined']}",
    ]
    lines += [f"  {reason:<40} {n}" for reason, n in counts["quarantined_by_reason"].items()]
    dated = counts.get("listed_on_evidence_counts", {})
    if dated:
        lines.append("listed on    " + ", ".join(f"{n} by {evidence}" for evidence, n in dated.items()))
    lines.append(f"papers       {counts['papers_total']} in this version")
    for failure in summary.source_failures:
        lines.append(f"source failed: {failure}")
    if summary.error:
        lines.append(f"error        {summary.error}")
    lines.append(f"path         {summary.path}")
    return "\n".join(lines)


def _dedup_report(args: argparse.Namespace) -> int:
    from flows.dedup_report import render_dedup_report
    from flows.publish import dataset_root

    folder = dataset_root(args.out) / args.version
    if not folder.exists():
        print(f"no version {args.version} under {dataset_root(args.out)}", file=sys.stderr)
        return EXIT_NOTHING_PUBLISHED
    print(render_dedup_report(folder.resolve()))
    return EXIT_PUBLISHED


def entry() -> NoReturn:
    """The ``papers`` console script: :func:`main`, then a quick exit.

    ``gc.freeze()`` spares the interpreter's final garbage collection over everything Prefect, GX and polars
    loaded (measured here: ~9 s of a loaded machine's time after Ctrl-C, ~1 s with it); atexit handlers
    (Prefect's log and event flushes) still run.
    """
    code = main(reap=True)
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
