"""``papers versions``, ``diff``, ``show``, ``dedup-report`` and ``verify``: reading versions, changing nothing.

They take no lock (versions are immutable and appear in one rename), so they answer while a run publishes.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from flows.cli.exits import ExitCode
from flows.cli.output import Reply
from flows.errors import NotFound
from flows.render.text import dedup_report_text, diff_text, paper_text, verify_text, versions_text
from flows.store.catalog import Catalog
from flows.store.inspect import paper_story, version_rows
from flows.store.layout import LATEST
from flows.store.verify import verify_version
from transforms.history.changes import diff_papers
from transforms.report.audit import AUDIT_COLUMNS, dedup_merges


def versions(args: argparse.Namespace, reply: Reply) -> int:
    rows = version_rows(args.out)
    if not rows:
        reply.fail(ExitCode.NOTHING_PUBLISHED, f"no versions under {Catalog(args.out).root}")
        return ExitCode.NOTHING_PUBLISHED
    return reply.done(ExitCode.DONE, {"versions": [asdict(row) for row in rows]}, versions_text(rows))


def diff(args: argparse.Namespace, reply: Reply) -> int:
    catalog = Catalog(args.out)
    old, new = catalog.resolve(args.old), catalog.resolve(args.new)
    changes = diff_papers(catalog.papers(old), catalog.papers(new), examples=args.examples)
    return reply.done(ExitCode.DONE, {"old": old, "new": new, **changes}, diff_text(old, new, changes))


def show(args: argparse.Namespace, reply: Reply) -> int:
    story = paper_story(args.out, args.paper_id, Catalog(args.out).resolve(args.version))
    return reply.done(ExitCode.DONE, asdict(story), paper_text(story))


def dedup_report(args: argparse.Namespace, reply: Reply) -> int:
    catalog = Catalog(args.out)
    version = catalog.resolve(args.version)
    papers, merges = dedup_merges(catalog.scan_papers(version).select(AUDIT_COLUMNS).collect())
    document = {
        "version": version,
        "papers": papers.height,
        "merged_records": merges.height,
        "cluster_sizes": {
            str(size): n for size, n in papers.group_by("cluster_size").len().sort("cluster_size").iter_rows()
        },
        "merges": merges.sort("paper_id").to_dicts(),
    }
    return reply.done(ExitCode.DONE, document, dedup_report_text(version, papers, merges))


def verify(args: argparse.Namespace, reply: Reply) -> int:
    """Every file of a version (``--all``: of every version) against its manifest; exit 2 when one differs."""
    catalog = Catalog(args.out)
    names = catalog.versions() if args.all else [_version_name(catalog, args.version)]
    if not names:
        reply.fail(ExitCode.NOTHING_PUBLISHED, f"no versions under {catalog.root}")
        return ExitCode.NOTHING_PUBLISHED
    checked = {name: verify_version(catalog.path(name)) for name in names}
    document = {
        "ok": all(check.problem is None for checks in checked.values() for check in checks),
        "versions": {
            name: {
                "files": len(checks),
                "problems": [asdict(check) for check in checks if check.problem is not None],
            }
            for name, checks in checked.items()
        },
    }
    code = ExitCode.DONE if document["ok"] else ExitCode.CONTRACT_BROKEN
    return reply.done(code, document, verify_text(checked))


def _version_name(catalog: Catalog, version: str) -> str:
    """``version`` (an id or ``latest``) as an existing version folder's name, its manifest not read yet (a
    damaged one is what ``verify`` reports)."""
    name = catalog.latest() if version == LATEST else version
    if name is None or name not in catalog.versions():
        raise NotFound(f"no version {version!r} under {catalog.root}")
    return name
