"""The published outputs of fixed inputs stay what ``tests/golden/expected.json`` records
(``tests/support/golden_runs.py``).

A change that moves code must keep every digest; a change meant to alter an output rewrites the file with
``python -m tests.support.golden_runs`` and says in its commit which digest moved and why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.golden_runs import EXPECTED, SHARED_DATA, differences, run_scenarios

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]


def test_golden_runs_publish_the_recorded_outputs(tmp_path: Path) -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    shared = (SHARED_DATA / "hf-daily-api").is_dir()
    actual = run_scenarios(tmp_path / "golden", include_shared=shared)
    if not shared:
        expected = {"sample": expected["sample"]}
    assert differences(expected, actual) == []
    if not shared:
        pytest.skip(f"only the sample was compared: the hf-daily scenarios need {SHARED_DATA}")
