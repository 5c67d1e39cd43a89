"""The journal of a dataset folder: one JSON line per change of ``latest`` or of the version set.

``OUT/trending-papers/journal.jsonl`` is append-only. Every publish, rollback, retraction, un-retraction,
re-derivation and prune adds one line (``at``, ``action``, ``latest`` after the action, and the action's
details), so a person can read what happened to the dataset, and when, without comparing folders.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flows.store.layout import JOURNAL_FILE

ACTIONS = ("publish", "rollback", "retract", "unretract", "prune", "reconcile", "rederive")
"""``reconcile``: a run found a version folder the journal did not mention (a publish killed between making the
version visible and journaling it) and recorded it: the folders are the truth."""


def journal_path(root: Path) -> Path:
    return root / JOURNAL_FILE


def record_event(root: Path, action: str, latest: str | None, **details: Any) -> dict[str, Any]:
    """Append one line (written and fsynced in one ``write``, on a line of its own after a torn one) and return
    it."""
    if action not in ACTIONS:
        raise ValueError(f"unknown journal action {action!r}")
    event = {"at": datetime.now(UTC).isoformat(), "action": action, "latest": latest, **details}
    line = (json.dumps(event, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(journal_path(root), os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":  # a line torn by a kill ends where the next begins
            line = b"\n" + line
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return event


def read_journal(root: Path) -> list[dict[str, Any]]:
    """Every event, oldest first (an absent journal is empty; a line that is not an event, such as the last line
    of a write a kill tore, is left out)."""
    path = journal_path(root)
    if not path.exists():
        return []
    events = []
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events
