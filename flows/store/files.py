"""Files of the output folder: content hashes, hard links, and writes that are whole or absent.

A version or failed-run folder is built in an owned staging folder beside its final name and renamed into
place (:func:`write_folder_atomically`); a single file is written beside itself and renamed over
(:func:`write_text_atomically`). A crash, a full disk or a read-only file system leaves the old state.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from flows.store.layout import STAGING_PREFIX
from flows.store.lock import claim, release


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hard_link(source: Path, target: Path) -> bool:
    """Hard-link ``source`` as ``target``; False where the file system cannot (the caller then writes or copies)."""
    try:
        os.link(source, target)
    except OSError:
        return False
    return True


def write_folder_atomically(final: Path, write: Callable[[Path], None]) -> Path:
    """Build ``final`` in an owned staging folder beside it with ``write``, then rename it into place; on any
    failure (disk full, read-only) nothing is left behind."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        raise FileExistsError(f"{final} already exists")
    staging = final.with_name(f"{STAGING_PREFIX}{final.name}")
    try:
        claim(staging)
        staging.mkdir()
        write(staging)
        fsync_tree(staging)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        release(staging)
    return final


def write_text_atomically(target: Path, text: str) -> None:
    """Replace ``target`` with ``text`` (UTF-8) in one rename."""
    write_bytes_atomically(target, text.encode("utf-8"))


def write_bytes_atomically(target: Path, content: bytes) -> None:
    """Replace ``target`` with ``content`` in one rename (written and fsynced beside it first)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def fsync_tree(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
