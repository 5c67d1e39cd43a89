"""``papers``: parse, check, run one command, and end it the same way whatever happens.

Every command ends in one of the exit codes of ``flows/cli/exits.py``: a typed error is one line on stderr, a
crash is one line plus a crash log (``flows/store/crash_log.py``), Ctrl-C is one line and 130. Heavy libraries
(Prefect, Great Expectations, polars) are imported by the command that needs them, after its arguments were
checked, so ``papers --help`` and a usage error cost milliseconds.
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from flows.cli.exits import ExitCode, code_for, interrupted, is_crash
from flows.cli.interrupts import install as install_sigint_handler
from flows.cli.interrupts import interruptible, settle
from flows.cli.output import Reply
from flows.cli.parser import build_parser, parse
from flows.errors import UsageError

INTERRUPTED = {
    "run": "the run stopped; nothing of it was published and `latest` is unchanged",
    "backfill": "fetched days are kept and published chunks stay published; run the same command to resume",
    "serve": "stopped serving the deployment",
    "deploy": "the deployment or its alerts may be half updated; run it again",
    "retract": "nothing was published and the retraction list is unchanged",
    "rederive": "nothing was published and `latest` is unchanged",
    "prune": "versions not yet removed are kept; run it again to finish",
    "release": "the release did not complete; run it again (a completed commit is not repeated)",
    "digest": "nothing was written; e-mails the SMTP server had already taken may have been sent",
}
"""What a Ctrl-C left, by command (others: "nothing was changed")."""

UNPUBLISHED = {
    "run": "nothing published",
    "backfill": "nothing more published",
    "retract": "nothing published",
    "rederive": "nothing published",
}
"""What a crash left unpublished, by command (said in its one line)."""


def main(argv: Sequence[str] | None = None, *, reap: bool = False) -> int:
    """Parse, check, run; the exit code. ``reap`` (the console script): no process the command starts outlives
    it, even when it is SIGKILLed (``flows/runtime/reaper.py``); in-process callers (tests) leave their own
    process alone."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    reply = Reply(command=_command_name(arguments), json=_json_asked(arguments))
    try:
        args = parse(arguments)
        if args.command is None:
            build_parser().print_help()
            return ExitCode.NOTHING_PUBLISHED
        reply = Reply(command=args.command, json=bool(getattr(args, "json", False)))
        if reap:
            from flows.runtime.reaper import reap_descendants_at_exit

            reap_descendants_at_exit()  # after the checks (usage errors stay fast), before any child starts
        install_sigint_handler()  # before the handler imports polars (flows/cli/interrupts.py)
        handler = _handler(args.command)
        interruptible()
        return handler(args, reply)
    except BaseException as error:  # every way a command can end but its own return
        settle()
        if isinstance(error, SystemExit):
            raise
        if interrupted(error):
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the goodbye
        return _ended_by(error, reply, _out_of(arguments))


def entry() -> NoReturn:
    """The ``papers`` console script: :func:`main`, then a quick exit.

    ``gc.freeze()`` spares the interpreter's final garbage collection over everything Prefect, GX and polars
    loaded (~9 s of a loaded machine's time after Ctrl-C, ~1 s with it); atexit handlers (Prefect's log and
    event flushes, the temporary API's stop) still run, with Ctrl-C ignored: the command has ended.
    """
    code = main(reap=True)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()
    sys.exit(code)


def _ended_by(error: BaseException, reply: Reply, out: Path) -> int:
    code = code_for(error)
    if interrupted(error):
        message = f"interrupted: {INTERRUPTED.get(reply.command or '', 'nothing was changed')}"
    elif isinstance(error, UsageError):
        message = f"error: {error}"
    elif is_crash(error):
        message = _crash_message(error, out, reply.command or "papers")
    else:
        message = str(error)
    reply.fail(code, message)
    return code


def _crash_message(error: BaseException, out: Path, command: str) -> str:
    from flows.store.crash_log import failure_line, record_crash

    log = record_crash(out, error, command)
    where = f"traceback in {log}" if log else "the traceback could not be written either"
    unpublished = f", {UNPUBLISHED[command]}" if command in UNPUBLISHED else ""
    return f"failed{unpublished}: {failure_line(error)} ({where})"


def _handler(command: str) -> Callable[[argparse.Namespace, Reply], int]:
    """The command's handler, imported now (not when the parser is built: that would import what it needs),
    after Prefect's settings are in place (they must be before Prefect is imported)."""
    from flows.runtime.prefect import configure_prefect

    configure_prefect()
    if command == "run":
        from flows.cli.run import run

        return run
    if command == "serve":
        from flows.cli.run import serve

        return serve
    if command == "deploy":
        from flows.cli.deploy import deploy

        return deploy
    if command == "backfill":
        from flows.cli.run import backfill

        return backfill
    if command in ("versions", "diff", "show", "dedup-report", "verify"):
        from flows.cli.inspect import dedup_report, diff, show, verify, versions

        return {
            "versions": versions,
            "diff": diff,
            "show": show,
            "dedup-report": dedup_report,
            "verify": verify,
        }[command]
    if command in ("rollback", "retract", "unretract", "prune", "rederive"):
        from flows.cli.undo import prune, rederive, retract, rollback, unretract

        return {
            "rollback": rollback,
            "retract": retract,
            "unretract": unretract,
            "prune": prune,
            "rederive": rederive,
        }[command]
    if command == "release":
        from flows.cli.release import release

        return release
    if command == "inspect":
        from flows.cli.scraped import inspect_file

        return inspect_file
    if command == "digest":
        from flows.cli.digest import digest

        return digest
    raise UsageError(f"unknown command {command!r}")


def _command_name(arguments: Sequence[str]) -> str | None:
    """The subcommand named on the command line, before parsing (for the message of an error in parsing)."""
    commands = {"run", "serve", "deploy", "backfill", "versions", "diff", "show", "dedup-report", "verify"}
    commands |= {"rollback", "retract", "unretract", "prune", "rederive", "release", "inspect", "digest"}
    return next((item for item in arguments if item in commands), None)


def _json_asked(arguments: Sequence[str]) -> bool:
    return "--json" in arguments


def _out_of(arguments: Sequence[str]) -> Path:
    """``--out`` as given (for the crash log of a command that failed), else the default."""
    for index, item in enumerate(arguments):
        if item == "--out" and index + 1 < len(arguments):
            return Path(arguments[index + 1])
        if item.startswith("--out="):
            return Path(item.removeprefix("--out="))
    return Path("output")
