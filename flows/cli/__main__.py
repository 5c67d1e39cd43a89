"""``python -m flows.cli``: the ``papers`` command line."""

from flows.cli.main import entry

entry()
