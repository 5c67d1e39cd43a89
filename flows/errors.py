"""The typed errors of the library: what went wrong, as a one-line message for a person.

Every package raises these (or lets an unexpected exception through); only the command line
(``flows/cli/exits.py``) maps them to exit codes and prints them. Nothing here knows about exit codes.
"""

from __future__ import annotations


class PapersError(Exception):
    """An expected failure with a message fit to show as it is (one line, no data from the inputs)."""


class UsageError(PapersError):
    """A request that cannot be carried out as asked (bad option, unknown version or paper id, no token).

    Raised before anything is contacted or changed, so the person can fix the command and run it again.
    """


class NotFound(UsageError):
    """The version or paper asked for does not exist."""


class IncompatibleSchema(UsageError):
    """The latest version was written with another major schema version: its columns mean other things."""


class UnknownLicences(UsageError):
    """A release would publish papers whose sources state no licence, and was not told to."""


class OutputLocked(PapersError):
    """Another live run holds the output folder's lock."""

    def __init__(self, out_dir: object, holder: dict[str, object]) -> None:
        who = f"pid {holder.get('pid', '?')} on {holder.get('host', '?')} since {holder.get('since', '?')}"
        super().__init__(f"output folder {out_dir} is locked by another run ({who})")
        self.holder = holder


class ContractBroken(PapersError):
    """A table-level check failed: the version must not be published."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__(f"table-level expectations failed: {', '.join(failures)}")
        self.failures = failures


class ReleaseError(PapersError):
    """The Hugging Face Hub refused or kept failing: nothing more is uploaded."""


class DeployFailed(PapersError):
    """The Prefect server could not be reached, or ``prefect deploy`` refused: nothing more was changed there."""


class DeliveryFailed(PapersError):
    """An e-mail could not be sent: the SMTP server could not be reached, or refused the login or a recipient."""
