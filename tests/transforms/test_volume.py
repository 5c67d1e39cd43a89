"""Volume and freshness of the listing: a day against its weekday's median, and when a provisional day settles."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
from polars.testing import assert_frame_equal

from transforms.history.volume import (
    AGED,
    AGREED,
    DAY_COUNTS,
    FETCHES,
    OPEN,
    PROVISIONAL,
    VOLUME_CHECKS,
    VolumeSettings,
    check_volume,
    day_counts,
    newest_new_day,
    open_days,
    settle,
    with_latest,
)

SETTINGS = VolumeSettings(min_share=0.25, min_papers=3, min_history_days=4, history_days=8)
TUESDAYS = [date(2025, 1, 7) + timedelta(weeks=week) for week in range(10)]  # 2025-01-07 .. 2025-03-11


def counts(rows: list[tuple[date, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=DAY_COUNTS, orient="row")


def test_a_day_is_judged_against_the_latest_days_of_its_weekday_only() -> None:
    """Mondays (20 papers) do not count for a Tuesday; of 9 earlier Tuesdays only the latest 8 do (the first, 100
    papers, is left out); the day itself is not its own history."""
    history = counts(
        [
            (TUESDAYS[0], 100),
            *[(day, 16) for day in TUESDAYS[1:9]],
            *[(day - timedelta(days=1), 20) for day in TUESDAYS],
        ]
    )
    days = counts([(TUESDAYS[9], 3), (TUESDAYS[9] - timedelta(days=1), 2)])
    expected = pl.DataFrame(
        [
            (TUESDAYS[9], 3, 8, 16.0, 4.0, False),  # 3 papers: at the floor, never far below
            (TUESDAYS[9] - timedelta(days=1), 2, 8, 20.0, 5.0, True),
        ],
        schema=VOLUME_CHECKS,
        orient="row",
    )
    assert_frame_equal(check_volume(days, history, SETTINGS), expected)


def test_small_days_are_not_far_below_and_short_history_is_not_judged() -> None:
    """Late January 2025: a Friday of 3 papers against a median of 13 is normal (the floor); 2 papers against 13
    is not; a day with 3 days of its weekday known is not judged at all."""
    fridays = [date(2024, 12, 6) + timedelta(weeks=week) for week in range(8)]
    history = counts(
        [(day, papers) for day, papers in zip(fridays, [13, 12, 14, 13, 15, 11, 13, 20], strict=True)]
    )
    days = counts([(date(2025, 1, 31), 3), (date(2025, 1, 31), 2)])
    checked = check_volume(days.slice(0, 1), history, SETTINGS).vstack(
        check_volume(days.slice(1), history, SETTINGS)
    )
    assert checked.get_column("weekday_median").to_list() == [13.0, 13.0]
    assert checked.get_column("below").to_list() == [False, True]
    sparse = check_volume(counts([(date(2025, 1, 31), 0)]), history.head(3), SETTINGS)
    assert sparse.row(0) == (date(2025, 1, 31), 0, 3, 13.0, None, None)
    none_known = check_volume(counts([(date(2025, 1, 31), 0)]), counts([]), SETTINGS)
    assert none_known.row(0) == (date(2025, 1, 31), 0, 0, None, None, None)


def test_day_counts_count_distinct_papers_of_the_source_and_the_latest_count_wins() -> None:
    records = pl.DataFrame(
        {
            "source": ["hf-daily", "hf-daily", "hf-daily", "hf-daily", "hf-page", "hf-daily"],
            "listed_on": [
                date(2025, 7, 1),
                date(2025, 7, 1),
                date(2025, 7, 1),
                date(2025, 7, 2),
                date(2025, 7, 1),
                None,
            ],
            "arxiv_id": ["2501.00001", "2501.00001", None, "2501.00002", "2501.00003", "2501.00004"],
            "title_raw": ["A", "A again", "No id", "B", "C", "D"],
        }
    )
    found = day_counts(records, "hf-daily")
    assert_frame_equal(found, counts([(date(2025, 7, 1), 2), (date(2025, 7, 2), 1)]))
    history = counts([(date(2025, 6, 30), 9), (date(2025, 7, 1), 30)])
    assert_frame_equal(
        with_latest(history, found),
        counts([(date(2025, 6, 30), 9), (date(2025, 7, 1), 2), (date(2025, 7, 2), 1)]),
    )


DAY = date(2025, 7, 1)
END = datetime(2025, 7, 2, tzinfo=UTC)
"""When ``DAY`` ends (UTC)."""


def fetches(rows: list[tuple[date, int, datetime]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=FETCHES, orient="row")


def flagged(day: date, below: bool | None = True) -> pl.DataFrame:
    return pl.DataFrame([(day, 2, 8, 16.0, 4.0, below)], schema=VOLUME_CHECKS, orient="row")


def statuses(result: pl.DataFrame) -> dict[date, str]:
    return dict(result.select("listed_on", "status").unique().iter_rows())


def test_a_day_far_below_is_provisional_until_two_fetches_12_hours_apart_agree() -> None:
    first = fetches([(DAY, 2, END + timedelta(hours=6))])
    opened = settle(fetches([]), first, flagged(DAY), SETTINGS, now=END + timedelta(hours=6))
    assert_frame_equal(opened, first.with_columns(status=pl.lit(OPEN)).select(list(PROVISIONAL)))
    assert open_days(opened) == [DAY]

    # 11 h 59 min later the count has grown: still provisional; the latest count is the day's
    grown = fetches([(DAY, 15, END + timedelta(hours=17, minutes=59))])
    later = settle(
        opened.drop("status"), grown, flagged(DAY, below=False), SETTINGS, now=END + timedelta(hours=18)
    )
    assert statuses(later) == {DAY: OPEN}
    assert later.get_column("papers").to_list() == [2, 15]

    # the same count again, but less than 12 h after the fetch that gave it: still open
    soon = fetches([(DAY, 15, END + timedelta(hours=29, minutes=58))])
    assert statuses(
        settle(later.drop("status"), soon, flagged(DAY, None), SETTINGS, END + timedelta(hours=30))
    ) == {DAY: OPEN}
    # 12 h after it: two fetches agree, the day is stable
    agreed = fetches([(DAY, 15, END + timedelta(hours=29, minutes=59))])
    settled = settle(later.drop("status"), agreed, flagged(DAY, None), SETTINGS, END + timedelta(hours=30))
    assert statuses(settled) == {DAY: AGREED} and open_days(settled) == []


def test_a_provisional_day_is_stable_72_hours_after_it_ended_whatever_its_fetches_say() -> None:
    earlier = fetches([(DAY, 2, END + timedelta(hours=6)), (DAY, 9, END + timedelta(hours=30))])
    just_before = settle(
        earlier, fetches([]), flagged(DAY, None).clear(), SETTINGS, END + timedelta(hours=71, minutes=59)
    )
    assert statuses(just_before) == {DAY: OPEN}
    aged = settle(earlier, fetches([]), flagged(DAY, None).clear(), SETTINGS, END + timedelta(hours=72))
    assert statuses(aged) == {DAY: AGED} and open_days(aged) == []


def test_days_not_far_below_and_not_open_are_not_tracked() -> None:
    normal = fetches(
        [(DAY, 14, END + timedelta(hours=6)), (DAY + timedelta(days=1), 0, END + timedelta(hours=6))]
    )
    checks = pl.concat([flagged(DAY, below=False), flagged(DAY + timedelta(days=1), below=None)])
    assert settle(fetches([]), normal, checks, SETTINGS, END).height == 0


def test_the_newest_day_with_a_new_paper() -> None:
    papers = pl.DataFrame({"is_new": [True, False, True], "member_record_ids": [["a", "b"], ["c"], ["d"]]})
    records = pl.DataFrame(
        {
            "record_id": ["a", "b", "c", "d"],
            "listed_on": [date(2025, 7, 1), date(2025, 7, 3), date(2025, 7, 9), None],
        }
    )
    assert newest_new_day(papers, records) == date(2025, 7, 3)
    assert newest_new_day(papers.filter(~pl.col("is_new")), records) is None
