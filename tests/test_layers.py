"""The layout's rules hold: the layer contract (import-linter) and no import hidden in a string."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("flows", "transforms", "expectations", "tests", "bench", "examples", "docs")


def test_the_layer_contract_holds() -> None:
    """``lint-imports`` (pyproject.toml: flows over expectations over transforms, the flows packages in layers,
    pure transforms, no circle between siblings), imports inside functions and under TYPE_CHECKING included."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_imported_from_a_string(package: str) -> None:
    """``__import__`` and ``importlib.import_module`` would hide an import from the contract (ruff's TID251 bans
    the latter; this catches both)."""
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                if name in ("__import__", "import_module"):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert found == []
