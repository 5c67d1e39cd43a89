"""Sending the digest of a version by e-mail: after a run published, and from ``papers digest --send``.

Every version holds its digest (``digest/``, written at publish: ``flows/run/publish.py``); sending it is a
follow-up of the run (:func:`send_digest`): only when recipients are configured (``RunConfig.digest``), after
the version is published and ``latest`` points at it. A send that fails never fails or undoes the publish: it is
recorded in ``RunSummary.follow_up_failures``, which makes the run degraded (``flows/run/degraded.py``). It is
not retried (an operator sends it again with ``papers digest --send``): a retry after a server took part of the
recipients would send them the digest twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path

from prefect import get_run_logger, task

from flows.net.smtp import SmtpSettings, build_message, send_messages, settings_from_block
from flows.render.digest import Digest, build_digest, provisional_days, render_html, render_text
from flows.run.config import RunConfig
from flows.run.digest_config import DigestSettings
from flows.run.results import RunSummary
from flows.run.stage import STAGE_OPTIONS
from flows.store.catalog import Catalog
from transforms.report.digest import Selection

STEP = "digest"
"""The follow-up's name in ``RunSummary.follow_up_failures`` (and the task's)."""


@dataclass(frozen=True)
class Mailing:
    """One digest and who gets it."""

    digest: Digest
    recipients: tuple[str, ...]


def version_digest(out_dir: Path, version: str, selection: Selection, profile: str | None = None) -> Digest:
    """The digest of a published version (read lazily from its papers; its provisional days from its
    manifest)."""
    catalog = Catalog(out_dir)
    return build_digest(
        catalog.scan_papers(version),
        version,
        selection,
        provisional_days(catalog.manifest(version)),
        profile,
    )


def mailings(out_dir: Path, version: str, settings: DigestSettings) -> list[Mailing]:
    """The digest and every profile's, each with its recipients (those without any are left out)."""
    found = []
    if settings.recipients:
        found.append(Mailing(version_digest(out_dir, version, settings.selection()), settings.recipients))
    for profile in settings.profiles:
        if profile.recipients:
            digest = version_digest(out_dir, version, settings.selection(profile), profile.name)
            found.append(Mailing(digest, profile.recipients))
    return found


def messages(digest: Digest, sender: str, recipients: tuple[str, ...]) -> list[EmailMessage]:
    """The digest as one e-mail per recipient: its page, with its text as the plain part."""
    html, text = render_html(digest), render_text(digest)
    return [build_message(digest.title, sender, recipient, text, html) for recipient in recipients]


def deliver(smtp: SmtpSettings, found: list[Mailing]) -> int:
    """Send every mailing over one connection; the number of messages sent."""
    outgoing = [
        message for mailing in found for message in messages(mailing.digest, smtp.sender, mailing.recipients)
    ]
    send_messages(smtp, outgoing)
    return len(outgoing)


@task(name=STEP, **STAGE_OPTIONS)
def send_digest(summary: RunSummary, config: RunConfig) -> RunSummary:
    """Send the published version's digest to the configured recipients (nothing when none are, or nothing was
    published); a failure is the run's follow-up failure, never an exception."""
    settings = config.digest
    if summary.version is None or not settings.sends:
        return summary
    logger = get_run_logger()
    try:
        if not settings.credentials_block:
            raise ValueError("recipients are configured but no credentials_block names the SMTP server")
        smtp = settings_from_block(settings.credentials_block, settings.sender)
        sent = deliver(smtp, mailings(config.out_dir, summary.version, settings))
    except Exception as error:  # a follow-up never fails the run: it is recorded, and the run is degraded
        reason = " ".join(f"{type(error).__name__}: {error}".split())[:300]
        logger.warning("the digest of %s was not sent: %s", summary.version, reason)
        failure = {"step": STEP, "reason": reason}
        return replace(summary, follow_up_failures=[*summary.follow_up_failures, failure])
    logger.info("digest of %s sent: %d message(s) through %s", summary.version, sent, smtp.host)
    return summary
