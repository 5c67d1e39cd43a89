"""The flow's stages in order without Prefect's orchestration: a task runner that calls each task's function at
once, in this process (for tests and benches that time or inspect the stages one by one)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flows.run.config import RunConfig
from flows.store.spill import WorkFolder, work_folder


@dataclass(frozen=True)
class Done:
    value: Any

    def result(self) -> Any:
        return self.value


class InlineRunner:
    """Enough of a Prefect ``TaskRunner`` for :func:`flows.run.partitions.partition_results`."""

    def submit(self, task: Any, parameters: dict[str, Any]) -> Done:
        return Done(task.fn(**parameters))


@contextmanager
def stage_context(config: RunConfig) -> Iterator[tuple[WorkFolder, Any]]:
    """The run's work folder and an inline runner, as the flow gives them to its stages."""
    with work_folder(config.out_dir) as work:
        yield work, InlineRunner()
