"""Options and text every ``papers`` command shares (``flows/cli/parser.py`` and the command groups)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

EXIT_STATUS = "Exit status: see the exit codes in docs/reference/exit-codes.md (0 done, 3 usage error...)."


def out_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--out", type=Path, default=Path("output"), help="output root (default: output/)")


def json_option(command: argparse.ArgumentParser, what: str = "the result") -> None:
    command.add_argument("--json", action="store_true", help=f"print {what} as JSON on stdout")


def contact_options(group: Any) -> None:
    group.add_argument(
        "--contact", default="", help="e-mail or URL sent in the User-Agent (set it for real runs)"
    )
    group.add_argument(
        "--credentials-block",
        default=None,
        metavar="NAME",
        help='a Prefect Secret block holding the sources\' HTTP credentials as {"<host>": "<user>:<password>"} '
        "(read when fetching; only its name is stored)",
    )
