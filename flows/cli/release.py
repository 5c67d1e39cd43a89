"""``papers release``: one version on the Hugging Face Hub (``flows/release/``)."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from flows.cli.exits import ExitCode
from flows.cli.output import Reply
from flows.release.release import release as release_version


def release(args: argparse.Namespace, reply: Reply) -> int:
    outcome = release_version(
        args.out,
        args.version,
        repo_id=args.repo_id,
        dry_run=args.dry_run,
        private=args.private,
        accept_unknown_licences=args.accept_unknown_licences,
    )
    plan = outcome.plan
    if plan.no_op:
        last = f"already released: {plan.version} is tag {plan.version} of {plan.repo_id}; nothing uploaded"
    elif args.dry_run:
        last = "dry run: nothing uploaded"
    else:
        last = f"released {plan.version}: {plan.repo_id} commit {outcome.commit}, tag {plan.version}"
    document = {
        "version": plan.version,
        "repo_id": plan.repo_id,
        "commit": outcome.commit,
        "uploaded": outcome.uploaded,
        "no_op": plan.no_op,
        "dry_run": args.dry_run,
        "uploads": plan.uploads,
        "deletions": plan.deletions,
        "previous_release": plan.previous_release,
        "files": [{k: v for k, v in asdict(f).items() if k != "local"} for f in plan.files],
    }
    return reply.done(ExitCode.DONE, document, f"{plan.render()}\n{last}")
