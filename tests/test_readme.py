from pathlib import Path

from transforms.clean import rules_table
from transforms.listing import evidence_table
from transforms.schema import column_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_column_table_matches_the_contract() -> None:
    assert column_table() in README.read_text(encoding="utf-8")


def test_readme_listing_evidence_table_matches_the_code() -> None:
    assert evidence_table() in README.read_text(encoding="utf-8")


def test_readme_cleaning_rules_table_matches_the_code_in_its_order() -> None:
    assert rules_table().rstrip("\n") in README.read_text(encoding="utf-8")


def test_readme_shows_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
