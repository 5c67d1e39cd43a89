"""The exit codes of every ``papers`` command, and the one place an error becomes a code.

The library raises the typed errors of ``flows/errors.py`` (or lets an unexpected exception through); only
:func:`code_for` turns them into a code. A crash (any other exception) is a run-time failure whose traceback
goes to a crash log, never to the terminal.
"""

from __future__ import annotations

from enum import IntEnum

from flows.errors import ContractBroken, OutputLocked, PapersError, UsageError


class ExitCode(IntEnum):
    """What a ``papers`` command's exit status means (the same for every command)."""

    DONE = 0
    NOTHING_PUBLISHED = 1
    CONTRACT_BROKEN = 2
    USAGE = 3
    RUNTIME_FAILURE = 4
    OUTPUT_LOCKED = 5
    DEGRADED = 6
    INTERRUPTED = 130


MEANINGS: dict[ExitCode, str] = {
    ExitCode.DONE: "done: a version was published (run, backfill, retract, rederive), or the command did what it "
    "was asked (versions, diff, show, dedup-report, rollback, unretract, prune, release, inspect, deploy, digest; "
    "rederive with nothing to do)",
    ExitCode.NOTHING_PUBLISHED: "nothing was published: every record of the run was quarantined, every source "
    "failed, or (backfill) no day could be published; `latest` is unchanged; (inspect) no format reads the file; "
    "(digest --send) the digest holds no paper, so nothing was sent",
    ExitCode.CONTRACT_BROKEN: "a contract check failed (a table-level expectation, overlapping shard key "
    "ranges): nothing was published; or (verify) a file of a version differs from its manifest",
    ExitCode.USAGE: "usage error: a bad option or argument, an unknown version or paper, a history of another "
    "major schema, no Hub token, a release of papers whose sources state no licence (without "
    "--accept-unknown-licences), an unknown topic or no SMTP server set (digest); nothing was contacted or "
    "changed",
    ExitCode.RUNTIME_FAILURE: "run-time failure: an internal error, a full disk, a read-only output folder, the "
    "Hub refusing, (deploy) the Prefect server not answering or refusing the deployment, (digest --send) the "
    "SMTP server unreachable or refusing the login or a recipient; one line on stderr, the traceback of an "
    "internal error in OUT/failed-runs/<id>-crashed/traceback.log (or a temporary file when OUT cannot be "
    "written)",
    ExitCode.OUTPUT_LOCKED: "another live command holds the output folder's lock: nothing was read or written",
    ExitCode.DEGRADED: "published, degraded: a version was published but a source failed (a day or page is "
    "missing from it), a Daily Papers day is provisional (far below its weekday's median: later runs fetch it "
    "again), or a follow-up step failed; the run summary and the manifest name the reasons",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C): the command stopped; nothing half-written is visible, and a "
    "run published nothing",
}
"""One line per code, as ``docs/reference/exit-codes.md`` shows it (generated from here)."""


def interrupted(error: BaseException) -> bool:
    """Whether ``error`` is a Ctrl-C, or was raised while one was being handled: a library's cleanup that fails
    on the way out of a KeyboardInterrupt (Prefect's task engine, interrupted before its task run exists, raises
    "Task run is not set" from its crash handler) ends the command as the Ctrl-C it is, not as a crash."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def code_for(error: BaseException) -> ExitCode:
    """The exit code of a command that ended with ``error``."""
    if interrupted(error):
        return ExitCode.INTERRUPTED
    if isinstance(error, UsageError):
        return ExitCode.USAGE
    if isinstance(error, OutputLocked):
        return ExitCode.OUTPUT_LOCKED
    if isinstance(error, ContractBroken):
        return ExitCode.CONTRACT_BROKEN
    return ExitCode.RUNTIME_FAILURE


def is_crash(error: BaseException) -> bool:
    """Whether ``error`` is unexpected (not a typed error, not Ctrl-C): its traceback goes to a crash log."""
    return not (interrupted(error) or isinstance(error, PapersError))
