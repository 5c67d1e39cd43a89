"""``papers release``: publish one version on the Hugging Face Hub, in one commit, tagged with its version id.

1. **Build** the exact folder the Hub repository should hold, under ``OUT/releases/<version>/``: the version's
   ``data/train-XXXXX-of-XXXXX.parquet`` (hard links, the bytes are the version's) and a ``README.md`` card
   generated from the manifest, with the changes since the previous *release* (the newest version tag before
   this one on the Hub).
2. **Plan** against the repository's state: which files are new or changed (sha256 of LFS files, git blob id of
   the card), which ``data/`` files are stale (deleted in the same commit), and whether the tag exists already:
   then the release is a no-op that says so.
3. **Upload** with ``huggingface_hub`` in one ``create_commit`` (parent commit pinned, so a concurrent change or
   a lost response never commits twice) and **tag** it ``<version>``; ``load_dataset(repo, revision=version)``
   then gives that version. Each release is recorded in ``OUT/releases/releases.jsonl``.

Only transient failures are retried, a bounded number of times: 429 (after its ``Retry-After``), 5xx, and
dropped connections. The token comes from ``HF_TOKEN`` or the huggingface_hub login; it is never printed or
logged, and error messages are scrubbed of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from flows.card import build_card
from flows.errors import UsageError
from flows.ownership import lock_if_present
from flows.parquet_writer import row_group_sizes
from flows.publish import dataset_root, sha256_file
from transforms.changes import diff_papers

log = logging.getLogger("trending_papers.release")

REPO_TYPE = "dataset"
RELEASES_FOLDER = "releases"
RELEASE_LOG = "releases.jsonl"
T = TypeVar("T")


class ReleaseError(Exception):
    """A release that cannot go on: the message is one line for a person."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries of transient Hub failures."""

    attempts: int = 5
    base_wait: float = 1.0
    max_wait: float = 60.0
    """Upper bound of one wait, also for a 429's ``Retry-After``."""


@dataclass(frozen=True)
class ReleaseFile:
    path_in_repo: str
    local: Path
    bytes: int
    sha256: str
    git_blob: str
    rows: int | None = None
    row_groups: list[tuple[int, int]] = field(default_factory=list)
    """(rows, uncompressed bytes) per row group, for Parquet files."""


@dataclass
class ReleasePlan:
    version: str
    repo_id: str
    folder: Path
    files: list[ReleaseFile]
    private: bool
    repo_exists: bool = False
    head: str | None = None
    tag_commit: str | None = None
    """The commit the version's tag points at, when the version is released already."""
    previous_release: str | None = None
    uploads: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deletions: list[str] = field(default_factory=list)
    remote_known: bool = True
    """False when the Hub could not be asked (offline dry run): the plan assumes an empty repository."""

    @property
    def no_op(self) -> bool:
        return self.tag_commit is not None

    def render(self) -> str:
        lines = [f"release  {self.version} -> datasets/{self.repo_id}"]
        if not self.remote_known:
            lines.append("hub      not contacted (offline): the plan assumes a new, empty repository")
        elif not self.repo_exists:
            lines.append(f"repo     new {'private' if self.private else 'public'} dataset repository")
        else:
            lines.append(f"repo     exists, main at {self.head}")
        if self.no_op:
            lines.append(
                f"tag      {self.version} exists (commit {self.tag_commit}): already released, nothing to do"
            )
            return "\n".join(lines)
        total = sum(f.bytes for f in self.files)
        lines.append(f"folder   {self.folder} ({len(self.files)} files, {_size(total)})")
        for item in self.files:
            action = "upload" if item.path_in_repo in self.uploads else "unchanged"
            detail = f"{item.path_in_repo:<40} {_size(item.bytes):>10}  {action}"
            if item.row_groups:
                biggest = max(size for _, size in item.row_groups)
                detail += (
                    f"  {item.rows} rows, {len(item.row_groups)} row groups "
                    f"(largest {_size(biggest)} uncompressed)"
                )
            lines.append(f"  {detail}")
        operations = [f"add {path}" for path in self.uploads] + [f"delete {path}" for path in self.deletions]
        if operations:
            lines.append(
                f"commit   'Release {self.version}' on {self.head or 'a new repository'}: {len(operations)} operations"
            )
            lines += [f"  {op}" for op in operations]
        else:
            lines.append(
                f"commit   none: the repository already holds these files; the tag goes on {self.head}"
            )
        lines.append(f"tag      {self.version}")
        lines.append(f"previous release: {self.previous_release or 'none'}")
        return "\n".join(lines)


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
    retry: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
) -> ReleaseOutcome:
    """Release ``version`` of ``out_dir`` to ``repo_id`` (see the module docstring); ``dry_run`` uploads nothing.

    Holds the output lock (:class:`OutputLocked` otherwise): a dry run rebuilds the release folder too, and a
    prune or a second release must not change the version or its folder under an upload.
    """
    _check_repo_id(repo_id)
    with lock_if_present(out_dir):
        return _release_locked(out_dir, version, repo_id, dry_run, private, retry, sleep)


def _release_locked(
    out_dir: Path,
    version: str,
    repo_id: str,
    dry_run: bool,
    private: bool,
    retry: RetryPolicy,
    sleep: Callable[[float], None],
) -> ReleaseOutcome:
    version_dir = resolve_version(out_dir, version)
    token = _token(required=not dry_run)
    api = _api(token)
    call = _Caller(retry, sleep, token)
    try:
        plan = _remote_plan(api, call, repo_id, version_dir.name, private, offline=dry_run and _offline())
    except UsageError:
        raise
    except ReleaseError:
        if not dry_run:
            raise
        log.warning("the Hub could not be reached: planning against an empty repository")
        plan = _remote_plan(api, call, repo_id, version_dir.name, private, offline=True)
    plan.folder = build_release_folder(out_dir, version_dir, repo_id, plan.previous_release)
    plan.files = describe_folder(plan.folder)
    if not plan.no_op:
        _diff_against_remote(api, call, plan)
    if dry_run or plan.no_op:
        return ReleaseOutcome(plan, plan.tag_commit, uploaded=False)
    commit = _upload(api, call, plan)
    _record(out_dir, plan, commit)
    return ReleaseOutcome(plan, commit, uploaded=True)


def resolve_version(out_dir: Path, version: str) -> Path:
    root = dataset_root(out_dir)
    folder = root / version
    if not (folder / "manifest.json").is_file() or version.startswith("."):
        raise UsageError(f"no version {version!r} under {root}")
    return folder.resolve()


def build_release_folder(
    out_dir: Path, version_dir: Path, repo_id: str, previous_release: str | None
) -> Path:
    """``OUT/releases/<version>/``: ``data/*.parquet`` linked from the version and the release card."""
    folder = out_dir / RELEASES_FOLDER / version_dir.name
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "data").mkdir(parents=True)
    for source in sorted((version_dir / "data").glob("train-*.parquet")):
        target = folder / "data" / source.name
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
    manifest = json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))
    papers = read_papers(version_dir)
    changes, since, kind = _changes_for_card(out_dir, manifest, papers, previous_release)
    card = build_card(manifest, papers, changes=changes, since=since, since_kind=kind, repo_id=repo_id)
    (folder / "README.md").write_text(card, encoding="utf-8")
    return folder


def read_papers(version_dir: Path) -> pl.DataFrame:
    return pl.read_parquet(sorted((version_dir / "data").glob("*.parquet")))


def describe_folder(folder: Path) -> list[ReleaseFile]:
    files = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data_file = path.suffix == ".parquet"
        groups = row_group_sizes(path) if data_file else []
        files.append(
            ReleaseFile(
                path_in_repo=path.relative_to(folder).as_posix(),
                local=path,
                bytes=path.stat().st_size,
                sha256=sha256_file(path),
                git_blob=_git_blob(path),
                rows=sum(rows for rows, _ in groups) if data_file else None,
                row_groups=groups,
            )
        )
    return files


def read_release_log(out_dir: Path) -> list[dict[str, Any]]:
    path = out_dir / RELEASES_FOLDER / RELEASE_LOG
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _changes_for_card(
    out_dir: Path, manifest: dict[str, Any], papers: pl.DataFrame, previous_release: str | None
) -> tuple[dict[str, Any] | None, str | None, str]:
    """Changes since the previous release when its version is here, else the version's own changes."""
    if previous_release is not None:
        previous_dir = dataset_root(out_dir) / previous_release
        if (previous_dir / "data").is_dir():
            return diff_papers(read_papers(previous_dir), papers), previous_release, "release"
    recorded = manifest.get("changes")
    if recorded and recorded.get("since"):
        return recorded, recorded["since"], "version"
    return None, None, "release"


def _remote_plan(
    api: Any, call: _Caller, repo_id: str, version: str, private: bool, offline: bool
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
    earlier = sorted(name for name in tags if _looks_like_version(name) and name < version)
    plan.previous_release = earlier[-1] if earlier else None
    newer = sorted(name for name in tags if _looks_like_version(name) and name > version)
    if newer and plan.tag_commit is None:
        raise UsageError(
            f"{repo_id} has a newer release ({newer[-1]}): releasing {version} would move main back; "
            f"load an older version with revision=<version> instead"
        )
    return plan


def _diff_against_remote(api: Any, call: _Caller, plan: ReleasePlan) -> None:
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
    plan.deletions = sorted(path for path in remote if path.startswith("data/") and path not in local)


def _upload(api: Any, call: _Caller, plan: ReleasePlan) -> str:
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


def _record(out_dir: Path, plan: ReleasePlan, commit: str) -> None:
    entry = {
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
    }
    path = out_dir / RELEASES_FOLDER / RELEASE_LOG
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, default=str) + "\n")


class _Caller:
    """Runs one Hub call with bounded retries of transient failures; scrubs the token from errors."""

    def __init__(self, policy: RetryPolicy, sleep: Callable[[float], None], token: str | None) -> None:
        self.policy, self.sleep, self.token = policy, sleep, token

    def __call__(self, what: str, action: Callable[[], T]) -> T:
        for attempt in range(1, self.policy.attempts + 1):
            try:
                return action()
            except Exception as error:
                wait = transient_wait(error, attempt, self.policy)
                if wait is None or attempt == self.policy.attempts:
                    if wait is not None:
                        raise ReleaseError(
                            f"{what}: still failing after {attempt} attempts: {self.scrub(error)}"
                        ) from None
                    raise
                log.warning(
                    "%s: %s; retry %d of %d in %.1f s",
                    what,
                    _reason(error),
                    attempt,
                    self.policy.attempts - 1,
                    wait,
                )
                self.sleep(wait)
        raise AssertionError("unreachable")

    def scrub(self, error: BaseException) -> str:
        text = " ".join(str(error).split())
        return text.replace(self.token, "***") if self.token else text


def scrub(text: str) -> str:
    """``text`` on one line, without the token (for messages shown to a person)."""
    from huggingface_hub import get_token

    token = os.environ.get("HF_TOKEN") or get_token()
    text = " ".join(text.split())
    return text.replace(token, "***") if token else text


def transient_wait(error: BaseException, attempt: int, policy: RetryPolicy) -> float | None:
    """Seconds to wait before retrying ``error``, or None when it is not transient (or not an HTTP failure)."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    backoff = min(policy.max_wait, policy.base_wait * 2 ** (attempt - 1))
    if isinstance(error, HfHubHTTPError) and error.response is not None:
        status = error.response.status_code
        if status == 429:
            retry_after = error.response.headers.get("Retry-After", "")
            return min(policy.max_wait, float(retry_after)) if retry_after.strip().isdigit() else backoff
        return backoff if status >= 500 else None
    if isinstance(error, (httpx2.TransportError, ConnectionError)):
        from huggingface_hub.errors import OfflineModeIsEnabled

        return None if isinstance(error, OfflineModeIsEnabled) else backoff
    return None


def _reason(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if response is not None and getattr(response, "status_code", None):
        return f"HTTP {response.status_code}"
    return type(error).__name__


def _token(required: bool) -> str | None:
    from huggingface_hub import get_token

    token = os.environ.get("HF_TOKEN") or get_token()
    if required and not token:
        raise UsageError("no Hugging Face token: set HF_TOKEN or log in with `hf auth login`")
    return token


def _api(token: str | None) -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=token, library_name="trending-papers")


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _check_repo_id(repo_id: str) -> None:
    owner, _, name = repo_id.partition("/")
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    if not owner or not name or "/" in name or not set(owner + name) <= allowed:
        raise UsageError(f"--repo-id must be OWNER/NAME, got {repo_id!r}")


def _looks_like_version(name: str) -> bool:
    try:
        datetime.strptime(name, "%Y%m%dT%H%M%S.%fZ")
    except ValueError:
        return False
    return True


def _git_blob(path: Path) -> str:
    data = path.read_bytes() if path.stat().st_size <= 10 << 20 else b""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() if data else ""


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
