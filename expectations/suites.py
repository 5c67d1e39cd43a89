"""The publish gate's Great Expectations suites, as code.

Two suites over the papers of a version:

* ``paper_rows``: per-row rules. A row that breaks one is not published: its records go to quarantine with
  reason ``expectation:<name>``.
* ``paper_table``: rules about the table as a whole (the contract's columns, unique ids, not empty), checked on
  one summary row per part of the version (``expectations/parts.py``). A failure means the contract is broken:
  the run fails and nothing is published.

Each expectation carries a short ``name`` in its ``meta``: that name is the machine-readable reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.parts import column_list
from transforms.schema import CODE_STATUSES, PAPER_SCHEMA

PAPER_ID_PATTERN = r"^(?:arxiv:(?:[0-9]{4}\.[0-9]{4,5}|[a-z][a-z.\-]*/[0-9]{7})|title:[0-9a-f]{16})$"
ARXIV_ID_PATTERN = r"^(?:[0-9]{4}\.[0-9]{4,5}|[a-z][a-z.\-]*/[0-9]{7})$"
URL_PATTERN = r"^https?://\S+$"


@dataclass(frozen=True)
class GateSettings:
    """What the row gate accepts; the defaults match the cleaning and language settings."""

    allowed_languages: Sequence[str] = ("en",)
    min_title_chars: int = 3
    max_title_chars: int = 400
    min_abstract_chars: int = 50
    max_abstract_chars: int = 10_000


ROW_COLUMNS = (
    "paper_id",
    "title",
    "abstract",
    "arxiv_id",
    "url",
    "language",
    "language_score",
    "topic",
    "code_status",
    "times_seen",
    "days_listed",
    "first_listed_on",
)
"""The scalar columns the row suite reads (list columns stay in polars)."""


def paper_row_suite(settings: GateSettings) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name="paper_rows")
    for name, expectation in _row_expectations(settings):
        expectation.meta = {"name": name}
        suite.add_expectation(expectation)
    return suite


def paper_table_suite() -> gx.ExpectationSuite:
    """Rules about the version as a whole, checked on the summaries of its parts (``expectations/parts.py``)."""
    suite = gx.ExpectationSuite(name="paper_table")
    expectations = [
        (
            "columns-match-contract",
            gxe.ExpectColumnValuesToBeInSet(column="columns", value_set=[column_list(PAPER_SCHEMA.names)]),
        ),
        ("paper-id-unique", gxe.ExpectColumnValuesToBeBetween(column="duplicate_ids", max_value=0)),
        ("paper-id-present", gxe.ExpectColumnValuesToBeBetween(column="missing_ids", max_value=0)),
        (
            "ranges-ordered",
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="first_id", column_B="previous_last_id", ignore_row_if="either_value_is_missing"
            ),
        ),
        ("not-empty", gxe.ExpectColumnSumToBeBetween(column="rows", min_value=1)),
    ]
    for name, expectation in expectations:
        expectation.meta = {"name": name}
        suite.add_expectation(expectation)
    return suite


def _row_expectations(settings: GateSettings) -> list[tuple[str, gxe.Expectation]]:
    return [
        ("paper-id-format", gxe.ExpectColumnValuesToMatchRegex(column="paper_id", regex=PAPER_ID_PATTERN)),
        ("title-present", gxe.ExpectColumnValuesToNotBeNull(column="title")),
        (
            "title-length",
            gxe.ExpectColumnValueLengthsToBeBetween(
                column="title", min_value=settings.min_title_chars, max_value=settings.max_title_chars
            ),
        ),
        ("abstract-present", gxe.ExpectColumnValuesToNotBeNull(column="abstract")),
        (
            "abstract-length",
            gxe.ExpectColumnValueLengthsToBeBetween(
                column="abstract",
                min_value=settings.min_abstract_chars,
                max_value=settings.max_abstract_chars,
            ),
        ),
        ("arxiv-id-format", gxe.ExpectColumnValuesToMatchRegex(column="arxiv_id", regex=ARXIV_ID_PATTERN)),
        ("url-format", gxe.ExpectColumnValuesToMatchRegex(column="url", regex=URL_PATTERN)),
        (
            "language-allowed",
            gxe.ExpectColumnValuesToBeInSet(column="language", value_set=list(settings.allowed_languages)),
        ),
        ("language-present", gxe.ExpectColumnValuesToNotBeNull(column="language")),
        (
            "language-score-range",
            gxe.ExpectColumnValuesToBeBetween(column="language_score", min_value=0.0, max_value=1.0),
        ),
        ("topic-present", gxe.ExpectColumnValuesToNotBeNull(column="topic")),
        (
            "code-status-known",
            gxe.ExpectColumnValuesToBeInSet(column="code_status", value_set=list(CODE_STATUSES)),
        ),
        ("times-seen-positive", gxe.ExpectColumnValuesToBeBetween(column="times_seen", min_value=1)),
        ("days-listed-positive", gxe.ExpectColumnValuesToBeBetween(column="days_listed", min_value=1)),
        ("listed-on-present", gxe.ExpectColumnValuesToNotBeNull(column="first_listed_on")),
    ]
