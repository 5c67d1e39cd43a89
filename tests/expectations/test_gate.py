import itertools
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expectations.gate import RowGate, check_rows, table_outcomes
from expectations.parts import carried_part, summarize_part
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
    """The names of the table expectations ``papers`` fails, as a version of one part."""
    return failed_parts([summarize_part(papers, "version")])


def failed_parts(parts: list[pl.DataFrame]) -> list[str]:
    """The names of the table expectations a version of ``parts`` (summaries, in key order) fails."""
    return [outcome.name for outcome in table_outcomes(parts) if not outcome.success]


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
    assert check_table(papers_frame(paper_row(), paper_row(paper_id=None))) == ["paper-id-present"]
    with pytest.raises(ContractBroken, match="paper-id-unique"):
        require_table([summarize_part(papers, "version")])


def test_allowed_languages_is_a_setting() -> None:
    papers = papers_frame(paper_row(language="de"))
    assert check_rows(papers, GateSettings(allowed_languages=("en", "de"))).failures.height == 0
    assert check_rows(papers, GateSettings()).failures.get_column("reasons").to_list() == [
        ["expectation:language-allowed"]
    ]
    assert isinstance(check_rows(papers, GateSettings()).failures, pl.DataFrame)


def test_a_paper_no_listing_has_is_published_and_a_listed_paper_needs_its_day() -> None:
    """A paper only read from inputs that are not listings (arXiv, Papers with Code, a paper's page) has no
    listing day and passes; a paper with listing days but no first one, or a negative count, is a bad row."""
    papers = papers_frame(
        paper_row(),
        paper_row(paper_id="arxiv:2401.00003", days_listed=0, first_listed_on=None, last_listed_on=None),
        paper_row(paper_id="arxiv:2401.00004", days_listed=2, first_listed_on=None),
        paper_row(paper_id="arxiv:2401.00005", days_listed=-1),
    )
    assert check_rows(papers, GateSettings()).failures.to_dicts() == [
        {"gate_row": 2, "reasons": ["expectation:listed-on-present"]},
        {"gate_row": 3, "reasons": ["expectation:days-listed-not-negative"]},
    ]


def test_dates_out_of_their_window_are_named_and_missing_dates_are_not() -> None:
    """Year 1 or 9999 in a Daily Papers date passed every check and broke the report's chart after the run's
    work: each date field has a window, and a date outside it is a reason."""
    settings = GateSettings(last_day=date(2025, 6, 30))
    papers = papers_frame(
        paper_row(submitted_on_daily_at=None, published_at=None),
        paper_row(
            paper_id="arxiv:2401.00001",
            arxiv_id="2401.00001",
            submitted_on_daily_at=datetime(1, 1, 1, tzinfo=UTC),
            published_at=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        ),
        paper_row(
            paper_id="arxiv:2401.00002",
            arxiv_id="2401.00002",
            published_at=datetime(1991, 8, 1, tzinfo=UTC),  # the first day of each window passes
            first_seen=datetime(2025, 6, 30, 23, 59, tzinfo=UTC),  # as does the end of its last day
            last_seen=datetime(2025, 7, 1, tzinfo=UTC),
            first_listed_on=date(2014, 12, 31),
            last_listed_on=date(2025, 7, 1),
        ),
    )
    assert check_rows(papers, settings).failures.to_dicts() == [
        {"gate_row": 1, "reasons": ["expectation:daily-date-in-window", "expectation:published-in-window"]},
        {
            "gate_row": 2,
            "reasons": [
                "expectation:first-listed-in-window",
                "expectation:last-listed-in-window",
                "expectation:last-seen-in-window",
            ],
        },
    ]


def test_the_date_windows_end_tomorrow_unless_set() -> None:
    assert GateSettings().latest_day() == datetime.now(UTC).date() + timedelta(days=1)
    assert GateSettings(last_day=date(2020, 1, 1)).latest_day() == date(2020, 1, 1)


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


def ids_part(
    name: str, *ids: str | None, columns: tuple[str, ...] = tuple(PAPER_SCHEMA.names)
) -> pl.DataFrame:
    """The summary of a part holding ``ids``, written with ``columns``."""
    frame = pl.DataFrame({"paper_id": list(ids)}, schema={"paper_id": pl.String})
    others = [pl.lit(None, pl.String).alias(name) for name in columns if name != "paper_id"]
    return summarize_part(frame.with_columns(others).select(columns), name)


def test_parts_unique_inside_fail_when_their_ranges_overlap_or_go_back() -> None:
    """Ids unique in each part are unique in the version only when each part's ids all come after the last part's:
    an id split over two parts, overlapping ranges and parts out of order all fail, even across an empty part."""
    a, b, c = "arxiv:2401.00001", "arxiv:2401.00002", "arxiv:2401.00003"
    assert failed_parts([ids_part("1", a), ids_part("2", b, c)]) == []
    assert failed_parts([ids_part("1", a, b), ids_part("2", b, c)]) == ["ranges-ordered"]
    assert failed_parts([ids_part("1", a, c), ids_part("2", b)]) == ["ranges-ordered"]
    assert failed_parts([ids_part("1", b), ids_part("2", a)]) == ["ranges-ordered"]
    assert failed_parts([ids_part("1", b), ids_part("2"), ids_part("3", a)]) == ["ranges-ordered"]
    assert failed_parts([ids_part("1"), ids_part("2")]) == ["not-empty"]


def test_a_part_written_with_other_columns_breaks_the_contract() -> None:
    written = tuple(PAPER_SCHEMA.names)
    assert failed_parts([ids_part("1", "arxiv:2401.00001", columns=written[:-1])]) == [
        "columns-match-contract"
    ]
    reordered = (*written[1:], written[0])
    assert failed_parts(
        [ids_part("1", "arxiv:2401.00001"), ids_part("2", "arxiv:2401.00002", columns=reordered)]
    ) == ["columns-match-contract"]


def test_a_carried_shard_counts_by_its_range_and_rows_not_by_ids_it_was_not_read_for() -> None:
    carried = carried_part("carried shard", 2, "arxiv:2401.00002", "arxiv:2401.00005")
    assert failed_parts([ids_part("1", "arxiv:2401.00001"), carried, ids_part("3", "arxiv:2401.00006")]) == []
    assert failed_parts([carried, ids_part("2", "arxiv:2401.00004")]) == ["ranges-ordered"]
    outcomes = {
        outcome.name: outcome for outcome in table_outcomes([carried, ids_part("2", "arxiv:2401.00006")])
    }
    assert outcomes["paper-id-unique"].element_count == 2  # parts checked; the carried one's count unknown


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ids=st.lists(st.sampled_from([f"arxiv:2401.{n:05d}" for n in range(5)]), max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=8), max_size=4),
)
def test_a_version_cut_anywhere_into_parts_passes_exactly_when_its_ids_are_unique(
    ids: list[str], cuts: list[int]
) -> None:
    """However a sorted version is cut into parts, the suite on their summaries fails exactly where the suite on
    the whole version's ids would: duplicates in one part, or split across two."""
    ids = sorted(ids)
    bounds = [0, *sorted(min(cut, len(ids)) for cut in cuts), len(ids)]
    parts = [ids_part(str(n), *ids[start:stop]) for n, (start, stop) in enumerate(itertools.pairwise(bounds))]
    expected = set()
    if len(set(ids)) < len(ids):
        expected.add("duplicates")
    if not ids:
        expected.add("not-empty")
    failed = set(failed_parts(parts))
    assert ("not-empty" in failed) == ("not-empty" in expected)
    assert bool(failed & {"paper-id-unique", "ranges-ordered"}) == ("duplicates" in expected)
    assert failed <= {"not-empty", "paper-id-unique", "ranges-ordered"}
