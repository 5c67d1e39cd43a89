"""Crash logs: what went wrong on one line, and the traceback in a file.

A command that crashed gets a folder ``OUT/failed-runs/<id>-crashed/`` with ``traceback.log`` and a small
``manifest.json`` (status ``crashed``, the command, the one-line error), written whole or not at all. When the
output itself cannot be written (disk full, read-only), the log goes to the system's temporary folder instead.
"""

from __future__ import annotations

import errno
import json
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from flows.net.scrub import redact_text
from flows.store.files import write_folder_atomically
from flows.store.layout import CRASHED_SUFFIX, failed_runs_root, new_version_id

_OS_ERRORS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the output folder is on a read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


def failure_line(error: BaseException) -> str:
    """What went wrong, on one line, without data from the inputs beyond a path."""
    if isinstance(error, OSError) and error.errno in _OS_ERRORS:
        where = f" ({error.filename})" if error.filename else ""
        return f"{_OS_ERRORS[error.errno]}{where}"
    message = " ".join(str(error).split()) or "no message"
    return redact_text(f"{type(error).__name__}: {message[:300]}")


def record_crash(out_dir: Path, error: BaseException, command: str = "run") -> Path | None:
    """Write the traceback of ``error`` (raised by ``papers <command>``); returns the log file's path (None when
    nothing could be written)."""
    text = redact_text("".join(traceback.format_exception(error)))
    run = new_version_id(datetime.now(UTC))
    manifest = {
        "status": "crashed",
        "command": command,
        "error": failure_line(error),
        "created_at": datetime.now(UTC).isoformat(),
    }

    def write(folder: Path) -> None:
        (folder / "traceback.log").write_text(text, encoding="utf-8")
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

    try:
        if not out_dir.is_dir():  # a mistyped --out is not created to hold a crash log
            raise FileNotFoundError(out_dir)
        folder = write_folder_atomically(failed_runs_root(out_dir) / f"{run}{CRASHED_SUFFIX}", write)
        return folder / "traceback.log"
    except OSError:
        pass
    try:
        handle, name = tempfile.mkstemp(prefix=f"papers-{run}-", suffix=".log")
        with open(handle, "w", encoding="utf-8") as log:
            log.write(text)
        return Path(name)
    except OSError:
        return None
