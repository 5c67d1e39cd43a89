"""The one exception every command turns into a one-line message and exit status 3 (README "Exit status")."""


class UsageError(Exception):
    """A request that cannot be carried out as asked (bad option, unknown version or paper id, no token).

    Raised before anything is contacted or changed, so the person can fix the command and run it again.
    """
