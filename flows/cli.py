"""``papers``: the command line of the pipeline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flows.prefect_env import configure_prefect

EXIT_PUBLISHED = 0
EXIT_NOTHING_PUBLISHED = 1
EXIT_CONTRACT_BROKEN = 2
EXIT_USAGE = 3
EXIT_RUNTIME_FAILURE = 4


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
            "0 published, 1 nothing of this run could be published, 2 a contract check failed (nothing published)."
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

    from flows.versions import add_commands as add_version_commands

    add_version_commands(commands)
    return parser


def _run(args: argparse.Namespace) -> int:
    configure_prefect()
    from expectations.gate import ContractBroken
    from flows.config import RunConfig
    from flows.curate import curate
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
        summary = curate(config)
    except ContractBroken as error:
        print(f"contract broken, nothing published: {error}", file=sys.stderr)
        return EXIT_CONTRACT_BROKEN
    print(_format_summary(summary))
    return EXIT_PUBLISHED if summary.version else EXIT_NOTHING_PUBLISHED


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
