"""What the command line shows while a run goes: a line per finished stage, progress bars for long stages.

Stage lines go to ``lines`` (stdout, or stderr when stdout carries ``--json``); progress bars (rich, transient)
go to stderr and only when it is a terminal, so logs and pipes get the lines and nothing else.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from flows.runtime.progress import STAGE_WIDTH, StageTiming, describe


class ConsoleFeedback:
    """An observer (``flows.runtime.progress.observing``) that prints stage lines and draws progress bars."""

    def __init__(self, lines: TextIO | None = None, bars: TextIO | None = None) -> None:
        self.lines = lines or sys.stdout
        self.timings: list[StageTiming] = []
        console = Console(file=bars or sys.stderr)
        self._bars = (
            Progress(
                TextColumn(f"{{task.description:<{STAGE_WIDTH}}}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            if console.is_terminal
            else None
        )
        self._tasks: dict[str, TaskID] = {}

    def stage_finished(self, timing: StageTiming) -> None:
        self.timings.append(timing)
        self._drop_bar(timing.stage)
        if timing.stage == "ingest":
            self._drop_bar("fetch")
        print(describe(timing), file=self.lines, flush=True)

    def progress(self, stage: str, done: int, total: int | None) -> None:
        if self._bars is None:
            return
        if stage not in self._tasks:
            if not self._tasks:
                self._bars.start()
            self._tasks[stage] = self._bars.add_task(stage, total=total)
        self._bars.update(self._tasks[stage], completed=done, total=total)

    def close(self) -> None:
        for stage in list(self._tasks):
            self._drop_bar(stage)

    def _drop_bar(self, stage: str) -> None:
        if self._bars is None or stage not in self._tasks:
            return
        self._bars.remove_task(self._tasks.pop(stage))
        if not self._tasks:
            self._bars.stop()
