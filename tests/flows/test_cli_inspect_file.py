"""``papers inspect FILE``: the format and field mapping a run would use, a sample record, and one line with a
documented exit code when the file or the mapping is not usable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.cli import ExitCode, main

ABSTRACT = "We study a simple model of learning and show that it generalises well on many hard benchmarks."


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "scraped.csv"
    rows = [f'Paper {n},"{ABSTRACT}",2501.0000{n},"1.2k"' for n in range(3)]
    path.write_text("\n".join(["headline,body,ref,stars", *rows]) + "\n", encoding="utf-8")
    return path


def test_an_unmapped_file_names_its_columns_and_exits_1(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inspect", str(table), "--json"]) == ExitCode.NOTHING_PUBLISHED
    document = json.loads(capsys.readouterr().out)
    assert document["format"] is None and document["columns"] == ["headline", "body", "ref", "stars"]
    assert document["reason"] == "parse:generic:unmapped:csv:headline,body,ref,stars"


def test_a_mapping_file_makes_it_map(table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[fields]\ntitle = "headline"\nabstract = ["body"]\narxiv_id = "ref"\n', encoding="utf-8"
    )
    assert main(["inspect", str(table), "--mapping", str(mapping)]) == ExitCode.DONE
    text = capsys.readouterr().out
    assert "generic" in text and "title            <- headline" in text and "github_stars: 1200" in text
    assert main(["inspect", str(table), "--mapping", str(mapping), "--json"]) == ExitCode.DONE
    document = json.loads(capsys.readouterr().out)
    assert document["mapping"]["fields"]["title"] == "headline" and document["records"] == 3
    assert document["sample"]["arxiv_id"] == "2501.00000"


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ("[fields]\ntitel = 'x'\n", "unknown field 'titel'"),
        ("[fields]\ntitle = 3\n", "field 'title': give a column name"),
        ("title = 'x'\n", "give a [fields] table"),
        ("[fields\n", "not TOML"),
    ],
)
def test_a_bad_mapping_is_one_line_and_exit_3(
    mapping: str, message: str, table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(mapping, encoding="utf-8")
    for command in (["inspect", str(table)], ["run", str(table), "--out", str(tmp_path / "out")]):
        assert main([*command, "--mapping", str(path)]) == ExitCode.USAGE
        captured = capsys.readouterr()
        assert captured.out == "" and message in captured.err.splitlines()[-1]
    assert not (tmp_path / "out").exists()


def test_missing_files_are_usage_errors(
    tmp_path: Path, table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inspect", str(tmp_path / "missing.json")]) == ExitCode.USAGE
    assert "papers inspect: error: not a file:" in capsys.readouterr().err
    assert main(["inspect", str(table), "--mapping", str(tmp_path / "none.toml")]) == ExitCode.USAGE
    assert "--mapping: no such file:" in capsys.readouterr().err
