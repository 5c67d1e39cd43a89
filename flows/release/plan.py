"""The plan of a release: what the Hub repository should hold, what it holds, and what one commit changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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


def _size(n: int) -> str:
    size: float = n
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"
