"""``papers release``: publish one version on the Hugging Face Hub, in one commit, tagged with its version id.

1. **Build** the exact folder the Hub repository should hold, under ``OUT/releases/<version>/``: the version's
   ``data/`` and ``listings/`` ``train-XXXXX-of-XXXXX.parquet`` (hard links, the bytes are the version's) and a
   ``README.md`` card generated from the manifest, with the changes since the previous *release* (the newest
   version tag before this one on the Hub) (``flows/release/folder.py``).
2. **Plan** against the repository's state: which files are new or changed (sha256 of LFS files, git blob id of
   the card), which table files are stale (deleted in the same commit), and whether the tag exists already:
   then the release is a no-op that says so (``flows/release/plan.py``).
3. **Upload** with ``huggingface_hub`` in one ``create_commit`` (parent commit pinned, so a concurrent change or
   a lost response never commits twice) and **tag** it ``<version>``; ``load_dataset(repo, revision=version)``
   then gives that version (``flows/release/hub.py``). Each release is recorded in ``OUT/releases/releases.jsonl``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from flows.errors import ReleaseError, UnknownLicences, UsageError
from flows.net.retry import RetryPolicy
from flows.release.folder import build_release_folder, describe_folder, unlicensed_papers
from flows.release.hub import Caller, api, diff_against_remote, offline, remote_plan, token, upload
from flows.release.plan import ReleasePlan
from flows.store.catalog import Catalog
from flows.store.lock import lock_if_present
from flows.store.releases import record_release

log = logging.getLogger("trending_papers.release")

HUB_RETRY = RetryPolicy(retries=4, base_wait=1.0, max_wait=60.0)
"""Hub calls: five attempts, backoffs of 1, 2, 4, 8 s (a ``Retry-After`` up to the policy's limit instead)."""


@dataclass(frozen=True)
class ReleaseOutcome:
    plan: ReleasePlan
    commit: str | None
    """The tagged commit (None for a dry run)."""
    uploaded: bool


def release(
    out_dir: Path,
    version: str = "latest",
    *,
    repo_id: str,
    dry_run: bool = False,
    private: bool = False,
    accept_unknown_licences: bool = False,
    retry: RetryPolicy = HUB_RETRY,
    sleep: Callable[[float], None] = time.sleep,
) -> ReleaseOutcome:
    """Release ``version`` of ``out_dir`` to ``repo_id`` (see the module docstring); ``dry_run`` uploads nothing.

    Holds the output lock (:class:`OutputLocked` otherwise): a dry run rebuilds the release folder too, and a
    prune or a second release must not change the version or its folder under an upload. Refuses
    (:class:`UnknownLicences`), before contacting the Hub, a version with papers no source of which states a
    licence, unless ``accept_unknown_licences``: the card would otherwise publish terms nobody stated.
    """
    _check_repo_id(repo_id)
    with lock_if_present(out_dir):
        if not accept_unknown_licences:
            _check_licences(out_dir, version)
        return _release_locked(out_dir, version, repo_id, dry_run, private, retry, sleep)


def _check_licences(out_dir: Path, version: str) -> None:
    catalog = Catalog(out_dir)
    version_dir = catalog.path(catalog.resolve(version)).resolve()
    unknown = unlicensed_papers(version_dir)
    if unknown.height:
        example = unknown.get_column("paper_id")[0]
        raise UnknownLicences(
            f"{unknown.height} papers of {version_dir.name} (e.g. {example}) come only from sources that state no "
            "licence (the card's sources table says which): release with --accept-unknown-licences to publish "
            "them anyway"
        )


def _release_locked(
    out_dir: Path,
    version: str,
    repo_id: str,
    dry_run: bool,
    private: bool,
    retry: RetryPolicy,
    sleep: Callable[[float], None],
) -> ReleaseOutcome:
    catalog = Catalog(out_dir)
    version_dir = catalog.path(catalog.resolve(version)).resolve()
    secret = token(required=not dry_run)
    hub = api(secret)
    call = Caller(retry, sleep, secret)
    try:
        plan = remote_plan(hub, call, repo_id, version_dir.name, private, offline=dry_run and offline())
    except UsageError:
        raise
    except ReleaseError:
        if not dry_run:
            raise
        log.warning("the Hub could not be reached: planning against an empty repository")
        plan = remote_plan(hub, call, repo_id, version_dir.name, private, offline=True)
    plan.folder = build_release_folder(out_dir, version_dir, repo_id, plan.previous_release)
    plan.files = describe_folder(plan.folder)
    if not plan.no_op:
        diff_against_remote(hub, call, plan)
    if dry_run or plan.no_op:
        return ReleaseOutcome(plan, plan.tag_commit, uploaded=False)
    commit = upload(hub, call, plan)
    record_release(
        out_dir,
        {
            "version": plan.version,
            "repo_id": plan.repo_id,
            "commit": commit,
            "tag": plan.version,
            "released_at": datetime.now(UTC).isoformat(),
            "uploaded": plan.uploads,
            "deleted": plan.deletions,
            "files": [
                {k: v for k, v in asdict(f).items() if k not in ("local", "row_groups")} for f in plan.files
            ],
        },
    )
    return ReleaseOutcome(plan, commit, uploaded=True)


def _check_repo_id(repo_id: str) -> None:
    owner, _, name = repo_id.partition("/")
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    if not owner or not name or "/" in name or not set(owner + name) <= allowed:
        raise UsageError(f"--repo-id must be OWNER/NAME, got {repo_id!r}")
