"""The journal of a dataset folder: one JSON line per change of ``latest`` or of the version set.

``OUT/trending-papers/journal.jsonl`` is append-only. Every publish, rollback, retraction, un-retraction and
prune adds one line (``at``, ``action``, ``latest`` after the action, and the action's details), so a person
can read what happened to the dataset, and when, without comparing folders.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flows.store.layout import JOURNAL_FILE

ACTIONS = ("publish", "rollback", "retract", "unretract", "prune")


def journal_path(root: Path) -> Path:
    return root / JOURNAL_FILE


def record_event(root: Path, action: str, latest: str | None, **details: Any) -> dict[str, Any]:
    """Append one line (written and fsynced in one ``write``) and return it."""
    if action not in ACTIONS:
        raise ValueError(f"unknown journal action {action!r}")
    event = {"at": datetime.now(UTC).isoformat(), "action": action, "latest": latest, **details}
    line = (json.dumps(event, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(journal_path(root), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return event


def read_journal(root: Path) -> list[dict[str, Any]]:
    """Every event, oldest first (an absent journal is empty)."""
    path = journal_path(root)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
