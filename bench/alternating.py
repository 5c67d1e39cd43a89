"""Measurements of several settings side by side: one fresh process per measurement, the settings alternating
within each repetition (so every setting sees the same load), and medians printed with their runs."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def alternate(
    child_arguments: Callable[[int], list[str]], settings: Sequence[int], repeat: int
) -> dict[int, list[dict[str, Any]]]:
    """Every setting ``repeat`` times, in alternation: ``python <child_arguments(setting)>`` in a fresh process,
    which prints its measurement as a JSON line last; each is printed with the load as it arrives."""
    runs: dict[int, list[dict[str, Any]]] = {setting: [] for setting in settings}
    for _ in range(repeat):
        for setting in settings:
            done = subprocess.run(
                [sys.executable, *child_arguments(setting)],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result["load"] = round(os.getloadavg()[0], 2)
            print(json.dumps(result), flush=True)
            runs[setting].append(result)
    return runs


def median_and_runs(values: Sequence[float], spec: str) -> str:
    """``median (run, run, run)``, each number formatted with ``spec`` (``".2f"``, ``",.0f"``...)."""
    return f"{statistics.median(values):{spec}} ({', '.join(f'{value:{spec}}' for value in values)})"
