"""The Hugging Face Hub as a release sees it: the repository's state, one commit, one tag, bounded retries.

Only transient failures are retried, as the project's one retry policy says (``flows/net/retry.py``): 429
(after its ``Retry-After``), 5xx, and dropped connections. The token comes from ``HF_TOKEN`` or the
huggingface_hub login; it is never printed or logged, and error messages are scrubbed of it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flows.errors import ReleaseError, UsageError
from flows.net.retry import RetryPolicy, gave_up_on, with_retries
from flows.net.scrub import redact_text
from flows.release.plan import ReleasePlan
from flows.store.layout import RELEASED_TABLES, looks_like_version

log = logging.getLogger("trending_papers.release")

REPO_TYPE = "dataset"
T = TypeVar("T")


def remote_plan(
    api: Any, call: Caller, repo_id: str, version: str, private: bool, offline: bool
) -> ReleasePlan:
    from huggingface_hub.errors import RepositoryNotFoundError

    plan = ReleasePlan(version=version, repo_id=repo_id, folder=Path(), files=[], private=private)
    if offline:
        plan.remote_known = False
        return plan
    try:
        info = call("read the repository", lambda: api.repo_info(repo_id, repo_type=REPO_TYPE))
    except RepositoryNotFoundError:
        return plan
    plan.repo_exists, plan.head = True, info.sha
    refs = call("list tags", lambda: api.list_repo_refs(repo_id, repo_type=REPO_TYPE))
    tags = {ref.name: ref.target_commit for ref in refs.tags}
    plan.tag_commit = tags.get(version)
    earlier = sorted(name for name in tags if looks_like_version(name) and name < version)
    plan.previous_release = earlier[-1] if earlier else None
    newer = sorted(name for name in tags if looks_like_version(name) and name > version)
    if newer and plan.tag_commit is None:
        raise UsageError(
            f"{repo_id} has a newer release ({newer[-1]}): releasing {version} would move main back; "
            f"load an older version with revision=<version> instead"
        )
    return plan


def diff_against_remote(api: Any, call: Caller, plan: ReleasePlan) -> None:
    remote: dict[str, str] = {}
    if plan.repo_exists and plan.head:
        entries = call(
            "list the repository's files",
            lambda: list(
                api.list_repo_tree(plan.repo_id, repo_type=REPO_TYPE, revision=plan.head, recursive=True)
            ),
        )
        for entry in entries:
            if hasattr(entry, "blob_id"):
                remote[entry.path] = entry.lfs.sha256 if entry.lfs else entry.blob_id
    local = {f.path_in_repo: f for f in plan.files}
    for path, item in local.items():
        same = remote.get(path) in (item.sha256, item.git_blob)
        (plan.unchanged if same else plan.uploads).append(path)
    plan.deletions = sorted(
        path for path in remote if path.split("/", 1)[0] in RELEASED_TABLES and path not in local
    )


def upload(api: Any, call: Caller, plan: ReleasePlan) -> str:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    if not plan.repo_exists:
        call(
            "create the repository",
            lambda: api.create_repo(plan.repo_id, repo_type=REPO_TYPE, private=plan.private, exist_ok=True),
        )
        plan.head = call("read the repository", lambda: api.repo_info(plan.repo_id, repo_type=REPO_TYPE)).sha
    local = {f.path_in_repo: f for f in plan.files}
    commit = plan.head
    if plan.uploads or plan.deletions:
        operations = [CommitOperationAdd(path, str(local[path].local)) for path in plan.uploads] + [
            CommitOperationDelete(path) for path in plan.deletions
        ]
        log.info("committing %d additions and %d deletions", len(plan.uploads), len(plan.deletions))
        info = call(
            "commit",
            lambda: api.create_commit(
                plan.repo_id,
                operations,
                commit_message=f"Release {plan.version}",
                commit_description=_commit_description(plan),
                repo_type=REPO_TYPE,
                parent_commit=plan.head,
            ),
        )
        commit = info.oid
    call(
        "tag the release",
        lambda: api.create_tag(
            plan.repo_id,
            tag=plan.version,
            revision=commit,
            tag_message=f"trending-papers version {plan.version}",
            repo_type=REPO_TYPE,
        ),
    )
    log.info("released %s as %s@%s", plan.version, plan.repo_id, commit)
    return str(commit)


def _commit_description(plan: ReleasePlan) -> str:
    return f"Version {plan.version} of the dataset; previous release: {plan.previous_release or 'none'}."


class Caller:
    """Runs one Hub call with the retry policy's bounded retries of transient failures; scrubs the token from
    errors."""

    def __init__(self, policy: RetryPolicy, sleep: Callable[[float], None], token: str | None) -> None:
        self.policy, self.sleep, self.token = policy, sleep, token

    def __call__(self, what: str, action: Callable[[], T]) -> T:
        def before_wait(error: BaseException, retry: int, seconds: float) -> None:
            log.warning(
                "%s: %s; retry %d of %d in %.1f s",
                what,
                _reason(error),
                retry + 1,
                self.policy.retries,
                seconds,
            )

        attempts = {"made": 0}

        def counted() -> T:
            attempts["made"] += 1
            return action()

        try:
            return with_retries(counted, self.policy, transient_failure, self.sleep, before_wait=before_wait)
        except Exception as error:
            if gave_up_on(error, self.policy, transient_failure) == "not-transient":
                raise self.refused(what, error) from None
            raise ReleaseError(
                f"{what}: still failing after {attempts['made']} attempts: {self.scrub(error)}"
            ) from None

    def scrub(self, error: BaseException) -> str:
        return scrub(str(error), self.token)

    def refused(self, what: str, error: Exception) -> Exception:
        """What a failure that is not worth a retry becomes: the Hub's refusal as a :class:`ReleaseError` (one
        line, no token); a missing repository as it is (the plan creates it); anything else as it is."""
        from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

        if isinstance(error, HfHubHTTPError) and not isinstance(error, RepositoryNotFoundError):
            return ReleaseError(f"{what}: the Hub refused ({_reason(error)}): {self.scrub(error)}")
        return error


def scrub(text: str, secret: str | None = None) -> str:
    """``text`` on one line, without the token (``secret``, else the one configured) or any other secret."""
    if secret is None:
        from huggingface_hub import get_token

        secret = os.environ.get("HF_TOKEN") or get_token()
    return redact_text(" ".join(text.split()), secrets=[secret] if secret else [])


def transient_failure(error: BaseException) -> tuple[bool, float | None]:
    """Whether ``error`` is worth a retry (429, 5xx, a dropped connection) and the server's ``Retry-After``."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    from flows.net.retry import RETRY_STATUSES, parse_retry_after

    if isinstance(error, HfHubHTTPError) and error.response is not None:
        status = error.response.status_code
        if status == 429:
            return True, parse_retry_after(error.response.headers.get("Retry-After"))
        return status in RETRY_STATUSES, None
    if isinstance(error, (httpx2.TransportError, ConnectionError)):
        return not isinstance(error, OfflineModeIsEnabled), None
    return False, None


def _reason(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if response is not None and getattr(response, "status_code", None):
        return f"HTTP {response.status_code}"
    return type(error).__name__


def token(required: bool) -> str | None:
    from huggingface_hub import get_token

    token = os.environ.get("HF_TOKEN") or get_token()
    if required and not token:
        raise UsageError("no Hugging Face token: set HF_TOKEN or log in with `hf auth login`")
    return token


def api(token: str | None) -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=token, library_name="trending-papers")


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
