"""The commands on published versions: inspecting, undoing, releasing and the digest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.cli.arguments import (
    validate_diff,
    validate_digest,
    validate_out,
    validate_prune,
    validate_retract,
)
from flows.cli.options import EXIT_STATUS, json_option, out_option

RAW_DAYS = 365
FAILED_RUN_DAYS = 90
"""``papers prune``'s retention defaults, as ``flows/store/retention.py``'s ``Retention`` has them (a test keeps
them equal; that module is not imported here: it would import polars)."""
DEFAULT_DIGEST_DAYS = 7


def inspect_commands(commands: Any) -> None:
    versions = commands.add_parser("versions", help="list the published versions, newest last")
    out_option(versions)
    json_option(versions, "one object per version")
    versions.set_defaults(validate=validate_out)

    diff = commands.add_parser("diff", help="what changed between two versions")
    diff.add_argument("old", metavar="A", help="version id or 'latest'")
    diff.add_argument("new", metavar="B", help="version id or 'latest'")
    diff.add_argument("--examples", type=int, default=3, help="examples per kind of change (default: 3)")
    out_option(diff)
    json_option(diff, "the changes")
    diff.set_defaults(validate=validate_diff)

    show = commands.add_parser("show", help="one paper: every field, its history and its provenance")
    show.add_argument("paper_id", metavar="PAPER_ID")
    show.add_argument("--version", default="latest", help="version to show it in (default: latest)")
    out_option(show)
    json_option(show, "the paper, its history and provenance")
    show.set_defaults(validate=validate_out)

    report = commands.add_parser(
        "dedup-report",
        help="show the duplicate clusters and near-duplicate merges of a version",
        description="Cluster sizes and every near-duplicate merge with its similarity, for a person to audit.",
    )
    report.add_argument("version", nargs="?", default="latest", help="version id or 'latest' (default)")
    out_option(report)
    json_option(report, "the cluster sizes and merges")
    report.set_defaults(validate=validate_out)

    verify = commands.add_parser(
        "verify",
        help="check every file of a version against its manifest (sha256, size, rows)",
        description="Every file the version's manifest lists, checked byte for byte, and any file it does not "
        "list. Exit 0 when all match, 2 when one differs.",
    )
    verify.add_argument("version", nargs="?", default="latest", help="version id or 'latest' (default)")
    verify.add_argument("--all", action="store_true", help="check every version")
    out_option(verify)
    json_option(verify, "per version, its files and what differs")
    verify.set_defaults(validate=validate_out)


def undo_commands(commands: Any) -> None:
    rollback = commands.add_parser("rollback", help="point latest back at an earlier version (journaled)")
    rollback.add_argument("version", metavar="VERSION", help="an existing version id")
    rollback.add_argument("--reason", default="", help="why, for the journal")
    out_option(rollback)
    json_option(rollback)
    rollback.set_defaults(validate=validate_out)

    retract = commands.add_parser("retract", help="publish a version without these papers; keep them out")
    retract.add_argument("paper_ids", nargs="+", metavar="PAPER_ID", help="paper_id in the latest version")
    retract.add_argument(
        "--reason", required=True, help="why (recorded in retractions.json and the manifest)"
    )
    out_option(retract)
    json_option(retract, "the version published and the papers removed")
    retract.set_defaults(validate=validate_retract)

    unretract = commands.add_parser("unretract", help="take papers off the retraction list")
    unretract.add_argument("paper_ids", nargs="+", metavar="PAPER_ID")
    unretract.add_argument("--reason", default="", help="why, for the journal")
    out_option(unretract)
    json_option(unretract)
    unretract.set_defaults(validate=validate_out)

    rederive = commands.add_parser(
        "rederive", help="publish latest with every paper's topics derived by this code's topic method"
    )
    out_option(rederive)
    json_option(
        rederive, "the version published (null when every paper was current) and the papers derived again"
    )
    rederive.set_defaults(validate=validate_out)

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
    out_option(prune)
    json_option(prune, "the versions removed and kept")
    prune.set_defaults(validate=validate_prune)


def release_command(commands: Any) -> None:
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
    out_option(release)
    json_option(release, "the plan and the outcome")
    release.set_defaults(validate=validate_out)


def digest_command(commands: Any) -> None:
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
    out_option(digest)
    json_option(digest, "the digest's days, entries and recipients")
    digest.set_defaults(validate=validate_digest)


# ----- checks -----
