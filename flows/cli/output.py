"""How a command answers: human text on stdout, or one JSON document with ``--json``; errors as one line on stderr.

With ``--json`` stdout carries exactly one JSON document, also when the command fails
(``{"status": "contract-broken", "exit_code": 2, "error": "..."}``), so a script can parse it whatever happened; the
one-line message still goes to stderr for the person watching.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from flows.cli.exits import ExitCode


@dataclass(frozen=True)
class Reply:
    command: str | None
    json: bool = False

    def done(self, code: int, result: dict[str, Any], text: str | None, status: str | None = None) -> int:
        """Print the command's result (``text`` for a person, ``result`` as JSON) and return ``code``."""
        if self.json:
            document = {"status": status or status_of(code), "exit_code": int(code), **result}
            print(json.dumps(document, indent=2, default=str))
        elif text is not None:
            print(text)
        return code

    def note(self, line: str) -> None:
        """A line for the person watching (stderr), that is not the result."""
        print(line, file=sys.stderr, flush=True)

    def fail(self, code: int, message: str) -> None:
        """One line on stderr (``papers COMMAND: message``); with ``--json`` also the failure on stdout."""
        one_line = " ".join(message.split())
        print(f"papers{' ' + self.command if self.command else ''}: {one_line}", file=sys.stderr, flush=True)
        if self.json:
            print(
                json.dumps({"status": status_of(code), "exit_code": int(code), "error": one_line}, indent=2)
            )


def status_of(code: int) -> str:
    """``nothing-published``, ``output-locked``...: the exit code's name, as the JSON ``status``."""
    return ExitCode(code).name.lower().replace("_", "-")
