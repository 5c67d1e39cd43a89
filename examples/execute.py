"""Execute the example notebooks on a published version, and save each as HTML (``make notebooks``).

The notebooks are jupytext percent scripts (``examples/NN_*.py``): plain Python in git, no outputs to review,
and they open as notebooks in Jupyter (with jupytext installed) or convert with ``jupytext --to ipynb``.

One kernel runs them all, one after the other (a kernel start costs seconds): before each notebook its names
are cleared (``%reset -f``) and its figures closed, so every notebook still imports what it uses.

    python -m examples.execute [--version output/trending-papers/latest] [--html output/notebooks]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import jupytext
import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parent
DEFAULT_VERSION = EXAMPLES.parent / "output" / "trending-papers" / "latest"
DEFAULT_HTML = EXAMPLES.parent / "output" / "notebooks"
TEMPLATES = EXAMPLES / "templates"
"""``offline``: nbconvert's lab template without the scripts it would fetch from a CDN."""
CELL_TIMEOUT = 300
STARTUP_TIMEOUT = 180
"""Seconds for the kernel to answer (generous: a loaded machine starts Python slowly)."""


def notebook_paths() -> list[Path]:
    """Every example notebook, in reading order."""
    return sorted(p for p in EXAMPLES.glob("[0-9][0-9]_*.py"))


def setup_cell(version: Path) -> nbformat.NotebookNode:
    source = (
        "%reset -f\n"
        "import os as _os\n"
        "import matplotlib.pyplot as _plt\n"
        f"_os.environ['PAPERS_VERSION'] = {str(version)!r}\n"
        "_plt.close('all')\n"
        "del _os, _plt"
    )
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-setup"]})


@contextmanager
def kernel(cwd: Path = EXAMPLES) -> Iterator[KernelManager]:
    """One Python kernel (the running interpreter's ipykernel), shut down on exit."""
    manager = KernelManager(kernel_name="python3", ip="127.0.0.1")
    env = {
        **os.environ,
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    manager.start_kernel(cwd=str(cwd), env=env, extra_arguments=["--HistoryManager.enabled=False"])
    try:
        yield manager
    finally:
        manager.shutdown_kernel(now=True)


def execute(path: Path, version: Path, manager: KernelManager) -> nbformat.NotebookNode:
    """The notebook at ``path`` executed on ``version`` in ``manager``'s kernel (raises on a failing cell)."""
    notebook = jupytext.read(path)
    notebook.cells.insert(0, setup_cell(version))
    NotebookClient(
        notebook, km=manager, timeout=CELL_TIMEOUT, startup_timeout=STARTUP_TIMEOUT, allow_errors=False
    ).execute()
    notebook.cells.pop(0)
    return notebook


def execute_all(
    version: Path, html_dir: Path | None = None, paths: Sequence[Path] | None = None
) -> dict[Path, nbformat.NotebookNode]:
    """Execute every notebook on ``version``; with ``html_dir``, save each as ``<name>.html`` there."""
    executed: dict[Path, nbformat.NotebookNode] = {}
    with kernel() as manager:
        for path in paths or notebook_paths():
            executed[path] = execute(path, version.resolve(), manager)
    if html_dir is not None:
        from nbconvert import HTMLExporter

        html_dir.mkdir(parents=True, exist_ok=True)
        exporter = HTMLExporter(extra_template_basedirs=[str(TEMPLATES)], template_name="offline")
        for path, notebook in executed.items():
            body, _ = exporter.from_notebook_node(notebook)
            (html_dir / f"{path.stem}.html").write_text(body, encoding="utf-8")
    return executed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", type=Path, default=DEFAULT_VERSION, help="a published version folder")
    parser.add_argument("--html", type=Path, default=DEFAULT_HTML, help="where the rendered HTML goes")
    args = parser.parse_args(argv)
    if not (args.version / "data").is_dir():
        print(f"no published version at {args.version}: run `make run` first", file=sys.stderr)
        return 3
    from nbclient.exceptions import CellExecutionError

    try:
        executed = execute_all(args.version, args.html)
    except CellExecutionError as error:
        print(f"a notebook failed: {str(error).splitlines()[0] if str(error) else error}", file=sys.stderr)
        return 1
    for path in executed:
        print(f"{path.name}: {args.html / (path.stem + '.html')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
