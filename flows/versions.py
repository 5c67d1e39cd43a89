"""Versions a person can inspect, and the command-line entries of releases.

``papers versions`` (one line per version), ``papers diff A B`` (papers added, removed, changed per field, with
examples), ``papers show PAPER_ID`` (every field, its history across versions, and its provenance down to the
input files), and ``papers release`` (``flows/release.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import polars as pl

from flows.publish import dataset_root
from transforms.changes import diff_papers


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register ``release``, ``versions``, ``diff`` and ``show`` on the ``papers`` parser."""
    out = {"type": Path, "default": Path("output"), "help": "output root (default: output/)"}
    release = commands.add_parser(
        "release",
        help="publish a version on the Hugging Face Hub (one commit, tagged with the version id)",
        description=(
            "Build the folder the Hub repository should hold (data/train-*.parquet and README.md), upload it in "
            "one commit that also deletes stale shards, and tag it with the version id. Re-releasing a released "
            "version does nothing. The token comes from HF_TOKEN or the huggingface_hub login. Exit status: "
            "0 released (or already released), 3 usage error, 4 the Hub failed."
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
    release.add_argument("--out", **out)
    release.set_defaults(handler=_release)

    versions = commands.add_parser("versions", help="list the published versions, newest last")
    versions.add_argument("--out", **out)
    versions.set_defaults(handler=_versions)

    diff = commands.add_parser("diff", help="what changed between two versions")
    diff.add_argument("old", metavar="A", help="version id or 'latest'")
    diff.add_argument("new", metavar="B", help="version id or 'latest'")
    diff.add_argument("--examples", type=int, default=3, help="examples per kind of change (default: 3)")
    diff.add_argument("--out", **out)
    diff.set_defaults(handler=_diff)

    show = commands.add_parser("show", help="one paper: every field, its history and its provenance")
    show.add_argument("paper_id", metavar="PAPER_ID")
    show.add_argument("--version", default="latest", help="version to show it in (default: latest)")
    show.add_argument("--out", **out)
    show.set_defaults(handler=_show)


# ---------------------------------------------------------------- reading versions


def version_ids(out_dir: Path) -> list[str]:
    """Every published version, oldest first."""
    root = dataset_root(out_dir)
    if not root.is_dir():
        return []
    return sorted(
        path.name
        for path in root.iterdir()
        if path.is_dir()
        and not path.is_symlink()
        and not path.name.startswith(".")
        and (path / "manifest.json").exists()
    )


def latest_id(out_dir: Path) -> str | None:
    link = dataset_root(out_dir) / "latest"
    return link.resolve().name if link.exists() else None


def resolve(out_dir: Path, version: str) -> str:
    name = latest_id(out_dir) if version == "latest" else version
    if name is None or name not in version_ids(out_dir):
        raise LookupError(f"no version {version!r} under {dataset_root(out_dir)}")
    return name


def manifest_of(out_dir: Path, version: str) -> dict[str, Any]:
    return json.loads((dataset_root(out_dir) / version / "manifest.json").read_text(encoding="utf-8"))


def papers_of(out_dir: Path, version: str, paper_id: str | None = None) -> pl.DataFrame:
    files = sorted((dataset_root(out_dir) / version / "data").glob("*.parquet"))
    scan = pl.scan_parquet(files)
    return (scan.filter(pl.col("paper_id") == paper_id) if paper_id else scan).collect()


# ---------------------------------------------------------------- papers versions


def render_versions(out_dir: Path) -> str:
    from flows.release import read_release_log

    released: dict[str, list[str]] = {}
    for entry in read_release_log(out_dir):
        released.setdefault(entry["version"], []).append(entry["repo_id"])
    latest = latest_id(out_dir)
    lines = [
        f"  {'version':<26} {'created (UTC)':<20} {'papers':>7} {'new':>6} {'updated':>7} {'quarant.':>8}  released"
    ]
    for version in version_ids(out_dir):
        manifest = manifest_of(out_dir, version)
        counts = manifest.get("counts", {})
        created = str(manifest.get("created_at", ""))[:19].replace("T", " ")
        where = ", ".join(sorted(set(released.get(version, [])))) or "no"
        lines.append(
            f"{'*' if version == latest else ' '} {version:<26} {created:<20} {counts.get('papers_total', 0):>7} "
            f"{counts.get('new_papers', 0):>6} {counts.get('updated_papers', 0):>7} "
            f"{counts.get('quarantined', 0):>8}  {where}"
        )
    return "\n".join([*lines, "(* latest)"])


# ---------------------------------------------------------------- papers diff


def render_diff(old: str, new: str, changes: dict[str, Any]) -> str:
    lines = [
        f"diff {old} -> {new}",
        f"papers     {changes['papers_before']} -> {changes['papers_after']}",
        f"added      {changes['added']}" + _ids(changes["added_examples"]),
        f"removed    {changes['removed']}" + _ids(changes["removed_examples"]),
        f"changed    {changes['changed']} (unchanged {changes['unchanged']})",
    ]
    for name, detail in changes["fields"].items():
        lines.append(f"  {name:<24} {detail['papers']:>7} papers")
        lines += [
            f"      {example['paper_id']}: {example['before']} -> {example['after']}"
            for example in detail["examples"]
        ]
    return "\n".join(lines)


def _ids(ids: list[str]) -> str:
    return f"  e.g. {', '.join(ids)}" if ids else ""


# ---------------------------------------------------------------- papers show


def render_paper(out_dir: Path, paper_id: str, version: str) -> str:
    """Every field of the paper in ``version``, its history up to that version, and where it came from."""
    current = papers_of(out_dir, version, paper_id)
    if current.height == 0:
        raise LookupError(f"no paper {paper_id!r} in version {version}")
    row = current.row(0, named=True)
    lines = [f"{paper_id} in version {version}", ""]
    lines += [f"  {name:<22} {_value(value)}" for name, value in row.items()]
    lines += ["", "history (versions that hold it, oldest first):"]
    previous: pl.DataFrame | None = None
    for name in [v for v in version_ids(out_dir) if v <= version]:
        found = papers_of(out_dir, name, paper_id)
        if found.height == 0:
            if previous is not None:
                lines.append(f"  {name}  absent")
                previous = None
            continue
        if previous is None:
            lines.append(f"  {name}  first appears (times_seen {found.item(0, 'times_seen')})")
        else:
            fields = list(diff_papers(previous, found, examples=1)["fields"])
            lines.append(f"  {name}  " + (f"changed: {', '.join(fields)}" if fields else "unchanged"))
        previous = found
    lines += ["", "provenance (input records of each run that went into it):"]
    lines += _provenance(out_dir, paper_id, version) or ["  none recorded"]
    return "\n".join(lines)


def _provenance(out_dir: Path, paper_id: str, version: str) -> list[str]:
    lines = []
    for name in [v for v in version_ids(out_dir) if v <= version]:
        ledger_path = dataset_root(out_dir) / name / "ledger.parquet"
        if not ledger_path.exists():
            continue
        records = pl.scan_parquet(ledger_path).filter(pl.col("paper_id") == paper_id).collect()
        if records.height == 0:
            continue
        inputs = {item["sha256"]: item["path"] for item in manifest_of(out_dir, name).get("inputs", [])}
        for record in records.sort("record_id").iter_rows(named=True):
            where = inputs.get(record["raw_sha256"], f"capture {record['raw_sha256']}")
            merged = f", merged into {record['merged_into']}" if record.get("merged_into") else ""
            lines.append(
                f"  {name}  record {record['record_id']} ({record['source']}) {record['outcome']}{merged}"
                f"  from {where} #{record['raw_index']}"
            )
    return lines


def _value(value: object) -> str:
    text = "null" if value is None else str(value)
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:299] + "…"


# ---------------------------------------------------------------- handlers


def _versions(args: argparse.Namespace) -> int:
    if not version_ids(args.out):
        print(f"no versions under {dataset_root(args.out)}", file=sys.stderr)
        return 1
    print(render_versions(args.out))
    return 0


def _diff(args: argparse.Namespace) -> int:
    from flows.cli import EXIT_USAGE

    try:
        old, new = resolve(args.out, args.old), resolve(args.out, args.new)
    except LookupError as error:
        print(error.args[0], file=sys.stderr)
        return EXIT_USAGE
    changes = diff_papers(papers_of(args.out, old), papers_of(args.out, new), examples=args.examples)
    print(render_diff(old, new, changes))
    return 0


def _show(args: argparse.Namespace) -> int:
    from flows.cli import EXIT_USAGE

    try:
        print(render_paper(args.out, args.paper_id, resolve(args.out, args.version)))
    except LookupError as error:
        print(error.args[0], file=sys.stderr)
        return EXIT_USAGE
    return 0


def _release(args: argparse.Namespace) -> int:
    from flows.cli import EXIT_OUTPUT_LOCKED, EXIT_RUNTIME_FAILURE, EXIT_USAGE
    from flows.errors import UsageError
    from flows.ownership import OutputLocked
    from flows.release import ReleaseError, release

    try:
        outcome = release(
            args.out, args.version, repo_id=args.repo_id, dry_run=args.dry_run, private=args.private
        )
    except UsageError as error:
        print(f"release: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OutputLocked as error:
        print(f"release: {error}; nothing was uploaded", file=sys.stderr)
        return EXIT_OUTPUT_LOCKED
    except ReleaseError as error:
        print(f"release failed: {error}", file=sys.stderr)
        return EXIT_RUNTIME_FAILURE
    except Exception as error:  # the Hub refused (401, 403, 409, ...): one line, never the token
        from flows.release import scrub

        print(f"release failed: {type(error).__name__}: {scrub(str(error))}", file=sys.stderr)
        return EXIT_RUNTIME_FAILURE
    plan = outcome.plan
    print(plan.render())
    if plan.no_op:
        print(f"already released: {plan.version} is tag {plan.version} of {plan.repo_id}; nothing uploaded")
    elif args.dry_run:
        print("dry run: nothing uploaded")
    else:
        print(f"released {plan.version}: {plan.repo_id} commit {outcome.commit}, tag {plan.version}")
    return 0
