"""Every example notebook runs on a small multi-day dataset, draws its plots, and renders to HTML."""

from __future__ import annotations

from pathlib import Path

import pytest

from examples.execute import execute_all, main, notebook_paths

pytestmark = [pytest.mark.flow]


def outputs(notebook) -> list[dict]:
    return [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
    ]


def printed(notebook) -> str:
    return "".join(o.get("text", "") for o in outputs(notebook) if o.get("output_type") == "stream")


@pytest.fixture(scope="module")
def executed(multi_day_dataset, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    html = tmp_path_factory.mktemp("notebooks-html")
    with pytest.MonkeyPatch.context() as patch:
        hf_home = tmp_path_factory.mktemp("hf-home")
        patch.setenv("HF_HOME", str(hf_home))  # datasets' cache, never the user's
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("HF_DATASETS_OFFLINE", "1")
        patch.setenv("MPLCONFIGDIR", str(hf_home / "matplotlib"))
        return execute_all(multi_day_dataset.latest, html_dir=html), html


def test_the_four_notebooks_are_found() -> None:
    names = [path.name for path in notebook_paths()]
    assert names == ["01_trending.py", "02_code_availability.py", "03_venues.py", "04_reading.py"]


def test_every_notebook_runs_without_error_and_shows_its_plots_inline(executed) -> None:
    notebooks, _ = executed
    assert set(notebooks) == set(notebook_paths())
    for path, notebook in notebooks.items():
        assert not [o for o in outputs(notebook) if o.get("output_type") == "error"], path.name
        images = [o for o in outputs(notebook) if "image/png" in o.get("data", {})]
        assert len(images) >= 2 if path.name != "04_reading.py" else len(images) >= 1, path.name


def test_notebooks_answer_on_the_fixture(executed, multi_day_dataset) -> None:
    notebooks = {path.name: notebook for path, notebook in executed[0].items()}
    latest = multi_day_dataset.latest.resolve().name
    assert f"version {latest}:" in printed(notebooks["01_trending.py"])
    assert "2 versions read" in printed(notebooks["01_trending.py"])
    assert "polars, pandas, DuckDB and datasets agree" in printed(notebooks["04_reading.py"])
    assert "papers link only a Hub model or dataset" in printed(notebooks["02_code_availability.py"])
    assert "accepted or published at a venue" in printed(notebooks["03_venues.py"])


def test_rendered_html_embeds_the_pictures(executed) -> None:
    _, html = executed
    pages = sorted(html.glob("*.html"))
    assert [p.stem for p in pages] == [p.stem for p in notebook_paths()]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "data:image/png;base64," in text, page.name
        assert 'src="http' not in text, page.name  # opens offline: nothing fetched from a CDN


def test_the_make_target_refuses_a_missing_version(tmp_path: Path, capsys) -> None:
    assert main(["--version", str(tmp_path / "nothing"), "--html", str(tmp_path / "html")]) == 3
    assert "make run" in capsys.readouterr().err
