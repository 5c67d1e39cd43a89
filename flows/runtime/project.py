"""Where the project lives and which code is running (for manifests, cards and the bundled sample)."""

from __future__ import annotations

import subprocess
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def code_version() -> dict[str, str | None]:
    """The package version and, in a git checkout, the commit (with ``-dirty`` for uncommitted changes)."""
    try:
        release: str | None = package_version("trending-papers")
    except PackageNotFoundError:
        release = None
    commit = _git("rev-parse", "HEAD")
    if commit and _git("status", "--porcelain", "--untracked-files=no"):
        commit += "-dirty"
    return {"package": release, "git_commit": commit}


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), *args], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None
