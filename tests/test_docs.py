"""The README and the docs site: generated tables equal the code, the site builds strictly, the text is current."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
TEXTS = [README, *PAGES]


def _reference():
    """``docs/reference.py``, imported by path (``docs`` is not a package)."""
    spec = importlib.util.spec_from_file_location("docs_reference", DOCS / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_every_generated_block_equals_what_the_code_generates() -> None:
    reference = _reference()
    stale = [
        _name(page) for page in PAGES if reference.render(page.read_text("utf-8")) != page.read_text("utf-8")
    ]
    assert not stale, f"generated blocks are stale in {stale}: run `python docs/reference.py`"


def test_every_generator_has_a_block_in_the_docs() -> None:
    reference = _reference()
    used = {m.group("name") for page in PAGES for m in reference.MARKER.finditer(page.read_text("utf-8"))}
    assert used == set(reference.GENERATORS), (
        f"blocks without generator: {used - set(reference.GENERATORS)}, "
        f"generators without block: {set(reference.GENERATORS) - used}"
    )


def test_the_readme_shows_the_two_commands() -> None:
    text = README.read_text("utf-8")
    assert "make run" in text and "make test" in text


def test_the_readme_is_at_most_200_lines() -> None:
    assert len(README.read_text("utf-8").splitlines()) <= 200


def test_the_readme_links_the_three_users_pages() -> None:
    text = README.read_text("utf-8")
    for page in ("docs/operators.md", "docs/analysts.md", "docs/maintainers.md"):
        assert f"]({page})" in text, page


def test_the_site_builds_with_strict(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed (it is in the dev extra: make test installs it)")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    assert (tmp_path / "site" / "reference" / "columns" / "index.html").is_file()


# ---------------------------------------------------------------- the text says what is true now

HISTORY = [
    re.compile(r"\bissues? #?\d+", re.IGNORECASE),
    re.compile(r"\bbefore issue\b", re.IGNORECASE),
    re.compile(r"\blast stop\b", re.IGNORECASE),
    re.compile(r"\bstop \d+\b", re.IGNORECASE),
    re.compile(r"\bthis branch\b", re.IGNORECASE),
]
"""Narration of how the project got here: issue numbers, stops, branches."""

COMMIT_HASH = re.compile(r"\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b")
"""A commit-hash-like token: 7-40 lowercase hex characters with at least one digit and one letter."""

FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _prose_and_code(text: str) -> str:
    """The text with fenced blocks that show sha256 values (examples of content hashes) left out."""
    return FENCE.sub(lambda block: "" if "sha256" in block.group(0) else block.group(0), text)


@pytest.mark.parametrize("path", TEXTS, ids=_name)
def test_no_history_narration(path: Path) -> None:
    text = _prose_and_code(path.read_text("utf-8"))
    found = [m.group(0) for pattern in HISTORY for m in pattern.finditer(text)]
    found += [f"commit-like {m.group(0)}" for m in COMMIT_HASH.finditer(text)]
    assert not found, f"{_name(path)} narrates history (state what is true now): {found}"


def test_the_history_check_catches_what_it_should() -> None:
    narration = "Fixed in issue 14 at 9b79408; before issue 7 the last stop on this branch (stop 3)."
    assert sum(len(p.findall(narration)) for p in HISTORY) == 6
    assert COMMIT_HASH.findall(narration) == ["9b79408"]
    legit = (
        "version 20261127T183000.123456Z, seed 20240527, b32x4, sha256 ab12 (16 hex), 2401.00001, deadbeef"
    )
    assert not COMMIT_HASH.findall(legit) and not any(p.search(legit) for p in HISTORY)


REPO_PATH = re.compile(
    r"`((?:flows|transforms|expectations|tests|bench|examples|scripts|data/sample|docs)/[\w./-]*"
    r"|[\w-]+\.(?:md|toml|yaml|yml)|Makefile)(?::[\w.]+)?`"
)
"""A repository path in backticks (``flows/cli/main.py``, ``transforms/parse/``, ``prefect.yaml``...)."""

PENDING = {"bench/RESULTS.md"}
"""Paths another change of the repository writes; drop one from here when it exists."""

OUTSIDE_THE_REPOSITORY = {"README.md", "CHANGELOG.md"}
"""Names of files in a version folder or on the Hub that the docs mention as such, not repository files."""


@pytest.mark.parametrize("path", TEXTS, ids=_name)
def test_every_repository_path_named_exists(path: Path) -> None:
    named = {m.group(1) for m in REPO_PATH.finditer(path.read_text("utf-8"))}
    missing = [
        name
        for name in sorted(named - PENDING - OUTSIDE_THE_REPOSITORY)
        if not any(ch in name for ch in "<*…") and not (ROOT / name).exists()
    ]
    assert not missing, f"{_name(path)} names paths that do not exist: {missing}"
