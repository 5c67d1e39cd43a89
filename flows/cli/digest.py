"""``papers digest``: a version's daily digest printed, written to a folder, or sent by e-mail.

It reads a published version and takes no lock (versions are immutable). ``--send`` reads the SMTP server and
login from the environment (``PAPERS_SMTP_*``, ``flows/net/smtp.py``), never from an option: a password on a
command line is in the shell's history and the process list.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

from flows.cli.exits import ExitCode
from flows.cli.output import Reply
from flows.errors import UsageError
from flows.net.smtp import settings_from_env
from flows.render.digest import FEED_FILE, PAGE_FILE, Digest, render_feed, render_html, render_text
from flows.run.digest import Mailing, deliver, version_digest
from flows.run.digest_config import DigestSettings
from flows.store.catalog import Catalog
from flows.store.files import write_text_atomically
from transforms.derive.taxonomy import load_taxonomy
from transforms.report.digest import Selection


def digest(args: argparse.Namespace, reply: Reply) -> int:
    selection = Selection(
        days=args.days, top=args.top, topics=tuple(args.topic), min_upvotes=args.min_upvotes
    )
    known = load_taxonomy().ids
    unknown = [topic for topic in selection.topics if topic not in known]
    if unknown:
        raise UsageError(f"--topic: unknown topic {unknown[0]!r} (known: {', '.join(known)})")
    smtp = settings_from_env(os.environ) if args.send else None  # before anything is read
    catalog = Catalog(args.out)
    version = catalog.resolve(args.version)
    if args.profile is not None:
        selection = _profile(catalog, version, args.profile, selection)
    found = version_digest(args.out, version, selection, args.profile)
    result = _result(found)
    if smtp is not None:
        if found.entries.is_empty():
            reply.fail(
                ExitCode.NOTHING_PUBLISHED, f"the digest of {version} holds no paper: nothing was sent"
            )
            return ExitCode.NOTHING_PUBLISHED
        started = time.perf_counter()
        sent = deliver(smtp, [Mailing(found, tuple(args.to))])
        seconds = time.perf_counter() - started
        result |= {"sent_to": list(args.to), "messages": sent, "send_seconds": round(seconds, 3)}
        line = (
            f"sent the digest of {version} ({found.entries.height} entries, {_days(found)}) to "
            f"{len(args.to)} recipient(s) through {smtp.host}:{smtp.port} in {seconds:.2f} s"
        )
        return reply.done(ExitCode.DONE, result, line)
    if args.write is not None:
        written = _write(args.write, found)
        result |= {"written": [str(path) for path in written]}
        line = (
            f"wrote the digest of {version} ({found.entries.height} entries, {_days(found)}) to {args.write}"
        )
        return reply.done(ExitCode.DONE, result, line)
    text = {"text": render_text, "html": render_html, "atom": render_feed}[args.format](found)
    return reply.done(ExitCode.DONE, result, text.rstrip("\n"))


def _profile(catalog: Catalog, version: str, name: str, chosen: Selection) -> Selection:
    """``chosen``'s days and top with the topics and minimum of the profile ``name`` of the version's digest."""
    settings = DigestSettings.of_version(catalog.manifest(version))
    profile = next((profile for profile in settings.profiles if profile.name == name), None)
    if profile is None:
        known = ", ".join(profile.name for profile in settings.profiles) or "none"
        raise UsageError(f"--profile: version {version} has no digest profile {name!r} (profiles: {known})")
    return replace(chosen, topics=profile.topics, min_upvotes=profile.min_upvotes)


def _write(folder: Path, found: Digest) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in ((FEED_FILE, render_feed(found)), (PAGE_FILE, render_html(found))):
        write_text_atomically(folder / name, text)
        written.append(folder / name)
    return written


def _result(found: Digest) -> dict[str, object]:
    return {
        "version": found.version,
        "first_day": found.first.isoformat() if found.first else None,
        "last_day": found.last.isoformat() if found.last else None,
        "entries": found.entries.height,
        "entries_per_day": found.per_day,
        "papers": [
            {"day": row["day"].isoformat(), "position": row["position"], "paper_id": row["paper_id"]}
            for row in found.entries.select("day", "position", "paper_id").iter_rows(named=True)
        ],
    }


def _days(found: Digest) -> str:
    per_day = found.per_day
    return f"{len(per_day)} listing day(s)" if per_day else "no listing day"
