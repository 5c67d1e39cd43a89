"""``papers rollback``, ``retract``, ``unretract``, ``prune`` and ``rederive``: undoing or redoing a publish, under
the lock.

Retractions publish through the table gate (Great Expectations, ~4 s to import): imported by the two commands
that need it, so a rollback or a prune answers in a second.
"""

from __future__ import annotations

import argparse

from flows.cli.exits import ExitCode
from flows.cli.output import Reply
from flows.store.maintenance import prune as prune_versions
from flows.store.maintenance import rollback as roll_back
from flows.store.retention import Retention


def rollback(args: argparse.Namespace, reply: Reply) -> int:
    result = roll_back(args.out, args.version, args.reason or "")
    changed = result.previous != result.latest
    text = (
        f"latest -> {result.latest} (was {result.previous}); the next run builds on {result.latest}"
        if changed
        else f"latest already points at {result.latest}: nothing to do"
    )
    return reply.done(
        ExitCode.DONE, {"latest": result.latest, "previous": result.previous, "changed": changed}, text
    )


def retract(args: argparse.Namespace, reply: Reply) -> int:
    from flows.run.retract import retract as retract_papers

    result = retract_papers(args.out, args.paper_ids, args.reason)
    ids = ", ".join(paper["paper_id"] for paper in result.papers)
    text = f"published {result.version} without {len(result.papers)} retracted paper(s): {ids}"
    return reply.done(
        ExitCode.DONE, {"version": result.version, "path": str(result.path), "papers": result.papers}, text
    )


def unretract(args: argparse.Namespace, reply: Reply) -> int:
    from flows.run.retract import unretract as unretract_papers

    ids = unretract_papers(args.out, args.paper_ids, args.reason or "")
    text = f"unretracted {len(ids)} paper(s): later runs publish them again when they capture them"
    return reply.done(ExitCode.DONE, {"unretracted": ids}, text)


def rederive(args: argparse.Namespace, reply: Reply) -> int:
    from flows.run.rederive import rederive as rederive_topics

    result = rederive_topics(args.out)
    document = {
        "version": result.version,
        "path": str(result.path) if result.path else None,
        "previous": result.previous,
        "papers": result.papers,
        "topic_method": result.method,
    }
    text = (
        f"published {result.version}: {result.papers} paper(s) of {result.previous} derived again by {result.method}"
        if result.version
        else f"every paper of {result.previous} is derived by {result.method}: nothing to do"
    )
    return reply.done(ExitCode.DONE, document, text)


def prune(args: argparse.Namespace, reply: Reply) -> int:
    defaults = Retention()
    retention = Retention(
        raw_days=defaults.raw_days if args.raw_days is None else args.raw_days,
        failed_run_days=defaults.failed_run_days if args.failed_run_days is None else args.failed_run_days,
    )
    result = prune_versions(args.out, args.keep, dry_run=args.dry_run, retention=retention)
    verb = "would remove" if args.dry_run else "removed"
    reasons = sorted(set(result.kept.values()))
    expired = result.expired
    text = (
        f"{verb} {len(result.removed)} version(s), kept {len(result.kept)} ({', '.join(reasons) or 'none'})"
        + (f": {', '.join(result.removed)}" if result.removed else "")
        + f"; {verb} {len(expired.raw)} raw day(s) older than {_days(retention.raw_days)}"
        + f" and {len(expired.failed_runs)} failed-run record(s) older than {_days(retention.failed_run_days)}"
    )
    document = {
        "dry_run": args.dry_run,
        "removed": result.removed,
        "kept": result.kept,
        "raw_removed": expired.raw,
        "failed_runs_removed": expired.failed_runs,
        "retention": {"raw_days": retention.raw_days, "failed_run_days": retention.failed_run_days},
    }
    return reply.done(ExitCode.DONE, document, text)


def _days(days: int) -> str:
    return f"{days} days" if days else "ever (kept)"
