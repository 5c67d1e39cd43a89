"""The publish gate's Great Expectations suites, as code.

Two suites over the papers of a version, and the run-level checks of the listing:

* ``paper_rows``: per-row rules. A row that breaks one is not published: its records go to quarantine with
  reason ``expectation:<name>``.
* ``paper_table``: rules about the table as a whole (the contract's columns, unique ids, not empty), checked on
  one summary row per part of the version (``expectations/parts.py``). A failure means the contract is broken:
  the run fails and nothing is published.
* ``run_checks``: the listing's volume and freshness, on small frames the run builds (``flows/run/volume.py``):
  a failure never stops a run; a day far below its weekday's median makes it degraded (provisional).

Each expectation carries a short ``name`` in its ``meta``: that name is the machine-readable reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from expectations.parts import column_list
from transforms.history.volume import VolumeSettings
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
    first_day: date = date(2015, 1, 1)
    """The earliest listing day, Daily Papers date and capture a paper may have (no source of listings this
    product reads is older)."""
    first_published: date = date(1991, 8, 1)
    """The earliest arXiv publication date a paper may have (arXiv's first month)."""
    last_day: date | None = None
    """The latest day any of those dates may fall on (None: tomorrow, UTC, when the suite is built: a capture
    in a time zone ahead of UTC may be dated tomorrow)."""

    def latest_day(self) -> date:
        return self.last_day or datetime.now(UTC).date() + timedelta(days=1)


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
    "last_listed_on",
    "submitted_on_daily_at",
    "published_at",
    "first_seen",
    "last_seen",
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
        ("days-listed-not-negative", gxe.ExpectColumnValuesToBeBetween(column="days_listed", min_value=0)),
        (  # a paper of inputs that are not listings has no listing day; one that was listed has its first
            "listed-on-present",
            gxe.ExpectColumnValuesToNotBeNull(
                column="first_listed_on", row_condition=Column("days_listed") > 0
            ),
        ),
        *_date_windows(settings),
    ]


def _date_windows(settings: GateSettings) -> list[tuple[str, gxe.Expectation]]:
    """Every date of a paper within its field's window (a missing date is not checked here): a date far out of
    it is a bad value, and a year like 1 or 9999 broke the report's charts after the whole run's work."""
    last = settings.latest_day()

    def day_window(column: str, first: date) -> gxe.Expectation:  # a date column (pandas: naive datetimes)
        return gxe.ExpectColumnValuesToBeBetween(
            column=column, min_value=datetime.combine(first, time()), max_value=datetime.combine(last, time())
        )

    def time_window(
        column: str, first: date
    ) -> gxe.Expectation:  # a UTC timestamp, up to the end of ``last``
        return gxe.ExpectColumnValuesToBeBetween(
            column=column,
            min_value=datetime.combine(first, time(), UTC),
            max_value=datetime.combine(last, time.max, UTC),
        )

    return [
        ("first-listed-in-window", day_window("first_listed_on", settings.first_day)),
        ("last-listed-in-window", day_window("last_listed_on", settings.first_day)),
        ("daily-date-in-window", time_window("submitted_on_daily_at", settings.first_day)),
        ("published-in-window", time_window("published_at", settings.first_published)),
        ("first-seen-in-window", time_window("first_seen", settings.first_day)),
        ("last-seen-in-window", time_window("last_seen", settings.first_day)),
    ]


RUN_CHECKS = "run_checks"
"""The suite name of the run-level checks (each frame below is validated by a suite of its own name)."""
DAY_VOLUME, NEW_PAPER_KNOWN, NEW_PAPERS_RECENTLY, SOURCE_RETURNED = (
    "day-volume",
    "new-paper-known",
    "new-papers-recently",
    "source-returned-records",
)


def run_check_suites(settings: VolumeSettings) -> dict[str, gx.ExpectationSuite]:
    """The run-level checks, one suite per frame they read (the frames of ``flows/run/volume.py``):

    * ``days``: one row per Daily Papers day the run read, with ``below`` from
      :func:`~transforms.history.volume.check_volume` (null: too little history to judge; the rule and its
      thresholds live there, GX records the outcome);
    * ``freshness``: one row, the newest listing day with a new paper and the days since it;
    * ``sources``: one row per network listing source the run asked, with the records it returned.
    """
    expectations: dict[str, list[tuple[str, gxe.Expectation]]] = {
        "days": [(DAY_VOLUME, gxe.ExpectColumnValuesToBeInSet(column="below", value_set=[False]))],
        "freshness": [
            (NEW_PAPER_KNOWN, gxe.ExpectColumnValuesToNotBeNull(column="newest_new_day")),
            (
                NEW_PAPERS_RECENTLY,
                gxe.ExpectColumnValuesToBeBetween(column="quiet_days", max_value=settings.max_quiet_days),
            ),
        ],
        "sources": [(SOURCE_RETURNED, gxe.ExpectColumnValuesToBeBetween(column="records", min_value=1))],
    }
    suites = {}
    for frame, named in expectations.items():
        suite = gx.ExpectationSuite(name=f"{RUN_CHECKS}-{frame}")
        for name, expectation in named:
            expectation.meta = {"name": name}
            suite.add_expectation(expectation)
        suites[frame] = suite
    return suites
