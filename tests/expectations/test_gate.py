import polars as pl
import pytest

from expectations.gate import RowGate, check_rows, table_outcomes
from expectations.suites import GateSettings
from flows.errors import ContractBroken
from flows.run.validate import require_table
from tests.support.paper_rows import paper_row, papers_frame
from transforms.schema import PAPER_SCHEMA

BAD_ROWS = (
    paper_row(),
    paper_row(paper_id="title:0123456789abcdef", arxiv_id=None, abstract="too short"),
    paper_row(paper_id="arxiv:2401.00001", arxiv_id="2401.00001", language="fr", code_status="maybe"),
    paper_row(paper_id="arxiv:2401.00002", arxiv_id="2401.00002", title="", url="ftp://x"),
)
"""A good row, then rows failing one, two and two row expectations."""


def check_table(papers: pl.DataFrame) -> list[str]:
    """The names of the table expectations ``papers`` fails."""
    return [outcome.name for outcome in table_outcomes(papers) if not outcome.success]


def test_good_frame_passes_both_suites() -> None:
    papers = papers_frame(
        paper_row(), paper_row(paper_id="title:0123456789abcdef", arxiv_id=None, title="Ünï")
    )
    assert check_rows(papers, GateSettings()).failures.height == 0
    assert check_table(papers) == []


def test_bad_rows_are_named_with_their_failed_expectations() -> None:
    failures = check_rows(papers_frame(*BAD_ROWS), GateSettings()).failures
    assert failures.to_dicts() == [
        {"gate_row": 1, "reasons": ["expectation:abstract-length"]},
        {"gate_row": 2, "reasons": ["expectation:code-status-known", "expectation:language-allowed"]},
        {"gate_row": 3, "reasons": ["expectation:title-length", "expectation:url-format"]},
    ]


def test_table_gate_fails_on_duplicate_ids_missing_columns_and_empty_tables() -> None:
    papers = papers_frame(paper_row(), paper_row())
    assert "paper-id-unique" in check_table(papers)
    assert "columns-match-contract" in check_table(papers_frame(paper_row()).drop("topic"))
    assert check_table(papers_frame(paper_row()).clear()) == ["not-empty"]
    with pytest.raises(ContractBroken, match="paper-id-unique"):
        require_table(papers)


def test_allowed_languages_is_a_setting() -> None:
    papers = papers_frame(paper_row(language="de"))
    assert check_rows(papers, GateSettings(allowed_languages=("en", "de"))).failures.height == 0
    assert check_rows(papers, GateSettings()).failures.get_column("reasons").to_list() == [
        ["expectation:language-allowed"]
    ]
    assert isinstance(check_rows(papers, GateSettings()).failures, pl.DataFrame)


def test_a_paper_without_a_listing_day_is_not_published() -> None:
    papers = papers_frame(
        paper_row(), paper_row(paper_id="arxiv:2401.00003", days_listed=0, first_listed_on=None)
    )
    assert check_rows(papers, GateSettings()).failures.to_dicts() == [
        {"gate_row": 1, "reasons": ["expectation:days-listed-positive", "expectation:listed-on-present"]}
    ]


def test_rows_checked_in_batches_fail_and_count_as_in_one() -> None:
    papers = papers_frame(
        *BAD_ROWS, paper_row(paper_id="arxiv:2401.00003", arxiv_id="2401.00003", language="de")
    )
    whole = check_rows(papers, GateSettings())
    batched = check_rows(papers, GateSettings(), batch_rows=2)
    assert batched.failures.to_dicts() == whole.failures.to_dicts()
    assert len(batched.outcomes) == len(whole.outcomes) == len(whole.evaluated)
    for one, summed in zip(whole.outcomes, batched.outcomes, strict=True):
        assert (summed.name, summed.success, summed.element_count, summed.unexpected_count) == (
            one.name,
            one.success,
            one.element_count,
            one.unexpected_count,
        )
    languages = next(o for o in batched.outcomes if o.name == "language-allowed")
    assert (languages.success, languages.unexpected_count, languages.element_count) == (False, 2, 5)
    assert languages.observed == "'fr'"  # the first failing batch's values


@pytest.mark.parametrize("pieces", [(5,), (1, 4), (2, 0, 3), (1, 1, 1, 1, 1)])
def test_frames_given_one_after_another_are_checked_as_one_frame(pieces: tuple[int, ...]) -> None:
    """A run's ranges go through the row gate one by one: rows are numbered across them and cut into the same
    batches as one frame, so failures and outcomes (even the first batch's values) are those of one frame."""
    papers = papers_frame(
        *BAD_ROWS, paper_row(paper_id="arxiv:2401.00003", arxiv_id="2401.00003", language="de")
    )
    whole = check_rows(papers, GateSettings(), batch_rows=2)
    gate, offset = RowGate(GateSettings(), batch_rows=2), 0
    for rows in pieces:
        gate.add(papers.slice(offset, rows))
        offset += rows
    pieced = gate.result()
    assert pieced.failures.to_dicts() == whole.failures.to_dicts()
    assert pieced.outcomes == whole.outcomes
    assert pieced.evaluated == whole.evaluated


def test_a_gate_given_no_frame_refuses_to_answer() -> None:
    with pytest.raises(ValueError, match="no frame"):
        RowGate(GateSettings()).result()


def test_the_table_suite_reads_a_column_list_beside_the_ids() -> None:
    """A version written range by range is checked from its ids and the column list its files were written with."""
    ids = papers_frame(paper_row(), paper_row(paper_id="arxiv:2401.00001", arxiv_id="2401.00001")).select(
        "paper_id"
    )
    written = list(PAPER_SCHEMA.names)

    def failed(frame: pl.DataFrame, columns: list[str]) -> list[str]:
        return [outcome.name for outcome in table_outcomes(frame, columns) if not outcome.success]

    assert failed(ids, written) == []
    assert failed(ids, written[:-1]) == ["columns-match-contract"]
    assert failed(pl.concat([ids, ids]), written) == ["paper-id-unique"]
