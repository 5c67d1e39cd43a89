"""Ctrl-C in a command that uses polars: a KeyboardInterrupt raised outside polars, and a blocked read interrupted.

Polars, once imported, has a SIGINT handler of its own that stops its native work, then calls Python's. Three
consequences for a command line, all dealt with here:

* Python raises KeyboardInterrupt wherever the main thread is, also in Python code that polars' Rust code
  calls (a ``pl.Datetime`` built for a schema). Polars unwraps that error and panics: a Rust panic and its
  backtrace on stderr, and the command ended as a crash (exit 4) instead of interrupted (130). The handler
  installed here raises only where no polars frame is on the stack; inside polars it waits, with a profile
  hook on the main thread, for the first call or return outside polars, and raises there (polars' own
  handler still stops long native work at its next check).
* Its handler stops long native work by raising KeyboardInterrupt itself, and Python's, called too, raised a
  second one for the same Ctrl-C a moment later, possibly in the ``except`` that handles the first (the
  command's goodbye): none is raised while a KeyboardInterrupt is being handled.
* Its handler restarts interrupted system calls (``SA_RESTART``, pola-rs/polars#21739): a command blocked
  reading a file (a FIFO, a hung mount) never raised KeyboardInterrupt. The flag is cleared.

:func:`install` runs before the command imports polars (polars' handler then chains to this one),
:func:`interruptible` after.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

_pending = False
"""A Ctrl-C arrived inside polars and waits for the first call or return outside it."""


def install() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_interrupt)


def interruptible() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.siginterrupt(signal.SIGINT, True)


def settle() -> None:
    """Forget a Ctrl-C still waiting to be raised: the command is ending anyway."""
    global _pending
    if _pending:
        _pending = False
        sys.setprofile(None)


def _on_interrupt(signum: int, frame: FrameType | None) -> None:
    global _pending
    if _handling_one():
        return
    if not _in_polars(frame):
        raise KeyboardInterrupt
    if not _pending:
        _pending = True
        sys.setprofile(_raise_outside_polars)


def _raise_outside_polars(frame: FrameType, event: str, arg: Any) -> None:
    global _pending
    if _in_polars(frame):
        return
    _pending = False
    sys.setprofile(None)
    if not _handling_one():
        raise KeyboardInterrupt


def _handling_one() -> bool:
    return isinstance(sys.exc_info()[1], KeyboardInterrupt)


def _in_polars(frame: FrameType | None) -> bool:
    """Whether a frame of the polars package is on the stack (the innermost may be one polars called)."""
    polars = sys.modules.get("polars")
    if polars is None or not polars.__file__:
        return False
    package = os.path.dirname(polars.__file__) + os.sep
    while frame is not None:
        if frame.f_code.co_filename.startswith(package):
            return True
        frame = frame.f_back
    return False
