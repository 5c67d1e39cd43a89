"""One bad item never costs its siblings: every one-item mutant of every format (``tests/support/item_mutations.py``)
parses its siblings as the clean listing does, and its own item into a record (parsed, or a countable reason)."""

from __future__ import annotations

import pytest

from tests.support.item_mutations import FORMATS, PAPERS, Mutant, damage, listing, mutants, parse
from tests.support.mutations import REASON

MUTANTS = list(mutants())


@pytest.mark.parametrize("format_name", FORMATS)
def test_the_clean_listing_parses_every_paper(format_name: str) -> None:
    frame = parse(listing(format_name))
    assert frame.height == PAPERS and frame.get_column("parse_error").null_count() == PAPERS
    assert frame.get_column("source").unique().to_list() == [format_name]


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: f"{m.format}-{m.corruption}-{m.position}")
def test_a_corrupted_item_costs_only_itself(mutant: Mutant) -> None:
    found = damage(mutant)
    assert (found.siblings_lost, found.item_vanished) == (0, False), found.reasons
    assert all(REASON.match(reason) for reason in found.reasons), found.reasons


def test_every_format_meets_every_corruption_that_applies_to_it() -> None:
    assert {mutant.format for mutant in MUTANTS} == set(FORMATS)
    assert len(MUTANTS) == 260
