"""The command line's SIGINT handler (flows/cli/interrupts.py): never a KeyboardInterrupt inside polars, where
polars' Rust code would turn it into a panic; one Ctrl-C, one KeyboardInterrupt.

The handler is called directly with the frame a signal would find, so each case is deterministic; the real
Ctrl-C of every command is in tests/flows/test_cli_matrix.py.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator

import polars as pl
import pytest

from flows.cli import interrupts


@pytest.fixture(autouse=True)
def nothing_pending() -> Iterator[None]:
    yield
    interrupts.settle()
    assert sys.getprofile() is None


def test_outside_polars_it_raises_at_once() -> None:
    with pytest.raises(KeyboardInterrupt):
        interrupts._on_interrupt(signal.SIGINT, sys._getframe())


def test_inside_polars_it_waits_until_execution_is_back_outside() -> None:
    inside: list[str] = []

    def called_by_polars(frame: pl.DataFrame) -> pl.DataFrame:
        interrupts._on_interrupt(signal.SIGINT, sys._getframe())  # as if Ctrl-C came now: no raise here
        inside.append("returned")
        return frame

    with pytest.raises(KeyboardInterrupt):
        pl.DataFrame({"a": [1]}).pipe(called_by_polars)  # a polars frame between the test and the callback
        inside.append("went on after polars")
    assert inside == ["returned"]


def test_none_is_raised_while_one_is_being_handled() -> None:
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        interrupts._on_interrupt(signal.SIGINT, sys._getframe())  # polars raised its own for this Ctrl-C
