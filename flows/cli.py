"""``papers``: the command line of the pipeline."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from flows.prefect_env import configure_prefect

EXIT_PUBLISHED = 0
EXIT_NOTHING_PUBLISHED = 1
EXIT_CONTRACT_BROKEN = 2
EXIT_USAGE = 3
EXIT_RUNTIME_FAILURE = 4
"""Internal error, disk full, read-only output: one line on stderr, the traceback in a log file."""
EXIT_OUTPUT_LOCKED = 5
"""Another live run holds the output folder's lock."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_NOTHING_PUBLISHED
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
            "4 run-time failure (traceback in OUT/failed-runs/), 5 output folder locked by another run."
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
    network = run.add_argument_group(
        "network sources",
        "Fetched politely (robots.txt, per-host pacing, retries) and stored verbatim under OUT/raw/; replay a run "
        "offline with `papers run OUT/raw`. With only these options, the bundled sample is not read.",
    )
    network.add_argument(
        "--hf-daily",
        metavar="DATE|FROM..TO",
        help="Hugging Face daily-papers API for a day (2025-01-10) or a range (2025-01-01..2025-01-31)",
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
    run.set_defaults(handler=_run)

    report = commands.add_parser(
        "dedup-report",
        help="show the duplicate clusters and near-duplicate merges of a version",
        description="Cluster sizes and every near-duplicate merge with its similarity, for a person to audit.",
    )
    report.add_argument("version", nargs="?", default="latest", help="version id or 'latest' (default)")
    report.add_argument("--out", type=Path, default=Path("output"), help="output root (default: output/)")
    report.set_defaults(handler=_dedup_report)
    _undo_commands(commands)

    from flows.versions import add_commands as add_version_commands

    add_version_commands(commands)
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


def _run(args: argparse.Namespace) -> int:
    from flows.publish import IncompatibleSchema, check_latest_schema

    try:
        if not args.fresh:
            check_latest_schema(args.out)  # before Prefect starts: a usage error, not a failed run
    except IncompatibleSchema as error:
        print(f"papers run: {error}", file=sys.stderr)
        return EXIT_USAGE
    configure_prefect()
    from expectations.gate import ContractBroken
    from flows.config import RunConfig
    from flows.curate import curate
    from flows.failures import failure_line, record_crash
    from flows.ownership import OutputLocked
    from flows.sources import SourceSettings

    settings = {
        "out_dir": args.out,
        "allowed_languages": tuple(code.strip() for code in args.languages.split(",") if code.strip()),
        "incremental": not args.fresh,
        "language_workers": args.workers,
    }
    sources = SourceSettings(
        hf_daily=args.hf_daily, hf_pages=args.hf_page, arxiv_enrich=args.arxiv_enrich, contact=args.contact
    )
    settings["sources"] = sources
    if args.inputs or sources.any_network_source:
        settings["inputs"] = args.inputs
    config = RunConfig(**settings)
    try:
        with _errors_to_logs_only():
            summary = curate(config)
    except ContractBroken as error:
        print(f"contract broken, nothing published: {error}", file=sys.stderr)
        return EXIT_CONTRACT_BROKEN
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
    print(_format_summary(summary))
    return EXIT_PUBLISHED if summary.version else EXIT_NOTHING_PUBLISHED


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


if __name__ == "__main__":
    sys.exit(main())
