"""The ``papers`` command line: the only code that parses arguments, prints, and maps errors to exit codes."""

from __future__ import annotations

from flows.cli.exits import ExitCode
from flows.cli.main import entry, main

__all__ = ["ExitCode", "entry", "main"]
