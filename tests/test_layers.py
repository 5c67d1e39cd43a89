"""The layout's rules hold: the layer contract (import-linter), no import circle, no import hidden in a string."""

from __future__ import annotations

import ast
import graphlib
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


def test_no_module_imports_itself_back() -> None:
    """No import circle between modules, a package's ``__init__`` included (``from flows.cli import x`` imports
    ``flows.cli`` as well as ``x``), which import-linter's sibling contract does not see."""
    modules = {}
    for package in ("flows", "transforms", "expectations"):
        for path in sorted((REPO / package).rglob("*.py")):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            modules[name] = path

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        base = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    anchor = base
                    for _ in range(node.level - 1):
                        anchor = anchor.rpartition(".")[0]
                    module = f"{anchor}.{module}" if module else anchor
                targets.add(module)
                targets.update(f"{module}.{alias.name}" for alias in node.names)
        graph[name] = {found for target in targets if (found := owner(target)) not in (None, name)}
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as circle:
        pytest.fail(f"import circle: {' -> '.join(circle.args[1])}")
