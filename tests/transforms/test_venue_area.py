"""The venue's area first: reorders only what the text supports, only for a venue the paper is at."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from transforms.derive import derive_fields
from transforms.derive.taxonomy import load_taxonomy
from transforms.derive.venue_area import prefer_venue_area, venue_areas
from transforms.schema import PAPER_SCHEMA, polars_schema

CONTRACT = polars_schema(PAPER_SCHEMA)
SCHEMA = {name: CONTRACT[name] for name in ("topic", "topics", "topic_scores", "venue_hints")}


def _hint(venue: str, status: str) -> dict:
    return {
        "venue": venue,
        "year": 2024,
        "status": status,
        "workshop": False,
        "evidence": f"{status} {venue} 2024",
        "field": "arxiv_comment",
    }


def _scores(*pairs: tuple[str, float]) -> list[dict]:
    return [{"topic": topic, "score": score, "evidence": [f"{topic} words"]} for topic, score in pairs]


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA)


VISION_AND_ROBOTICS = _scores(("computer-vision", 8.0), ("robotics", 4.0))


def test_the_venue_area_goes_first_when_topics_hold_it() -> None:
    rows = [
        # SLAM at ICRA: vision words outnumber robotics words, the venue says robotics.
        {
            "topic": "computer-vision",
            "topics": ["computer-vision", "robotics"],
            "topic_scores": VISION_AND_ROBOTICS,
            "venue_hints": [_hint("ICRA", "accepted")],
        },
        # A vision paper at ICRA with no robotics words: the venue adds nothing.
        {
            "topic": "computer-vision",
            "topics": ["computer-vision"],
            "topic_scores": _scores(("computer-vision", 8.0), ("robotics", 1.0)),
            "venue_hints": [_hint("ICRA", "published")],
        },
        # A mere mention of CVPR is not the paper's venue.
        {
            "topic": "robotics",
            "topics": ["robotics", "computer-vision"],
            "topic_scores": _scores(("robotics", 8.0), ("computer-vision", 4.0)),
            "venue_hints": [_hint("CVPR", "mentioned")],
        },
        # A general venue has no area.
        {
            "topic": "computer-vision",
            "topics": ["computer-vision", "robotics"],
            "topic_scores": VISION_AND_ROBOTICS,
            "venue_hints": [_hint("NeurIPS", "accepted")],
        },
        # No hints, and a paper whose primary already is the venue's area.
        {
            "topic": "computer-vision",
            "topics": ["computer-vision", "robotics"],
            "topic_scores": VISION_AND_ROBOTICS,
            "venue_hints": [],
        },
        {
            "topic": "computer-vision",
            "topics": ["computer-vision", "robotics"],
            "topic_scores": VISION_AND_ROBOTICS,
            "venue_hints": [_hint("CVPR", "submitted")],
        },
    ]
    expected = _frame(rows).with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("robotics"))
        .otherwise(pl.col("topic"))
        .alias("topic"),
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(["robotics", "computer-vision"]))
        .otherwise(pl.col("topics"))
        .alias("topics"),
        pl.when(pl.int_range(pl.len()) == 0)
        .then(
            pl.lit(
                [
                    {"topic": "computer-vision", "score": 8.0, "evidence": ["computer-vision words"]},
                    {
                        "topic": "robotics",
                        "score": 4.0,
                        "evidence": ["robotics words", "venue: ICRA (accepted)"],
                    },
                ],
                dtype=CONTRACT["topic_scores"],
            )
        )
        .otherwise(pl.col("topic_scores"))
        .alias("topic_scores"),
    )
    assert_frame_equal(prefer_venue_area(_frame(rows).lazy()).collect(), expected)


def test_the_strongest_hint_decides() -> None:
    """Mentioned at ICRA, accepted at NeurIPS: the paper is a NeurIPS paper, so nothing moves."""
    rows = [
        {
            "topic": "computer-vision",
            "topics": ["computer-vision", "robotics"],
            "topic_scores": VISION_AND_ROBOTICS,
            "venue_hints": [_hint("ICRA", "mentioned"), _hint("NeurIPS", "accepted")],
        }
    ]
    assert_frame_equal(prefer_venue_area(_frame(rows).lazy()).collect(), _frame(rows))


def test_every_venue_area_is_a_taxonomy_topic() -> None:
    assert set(venue_areas().values()) <= set(load_taxonomy().ids)
    assert venue_areas()["ICRA"] == "robotics" and "NeurIPS" not in venue_areas()


def test_derive_fields_puts_an_icra_slam_paper_under_robotics() -> None:
    row = {
        "title": "Visual place recognition for loop closure",
        "abstract": "We learn image descriptors for visual place recognition and loop closure detection, "
        "evaluated on outdoor image sequences recorded by a mobile robot.",
        "arxiv_comment": "Accepted at ICRA 2024",
    }
    columns = ("title", "abstract", "arxiv_comment", "journal_ref", "venue_field")
    frame = pl.DataFrame([{c: row.get(c) for c in columns}], schema=dict.fromkeys(columns, pl.String))
    frame = frame.with_columns(
        pl.lit(None, CONTRACT["categories"]).alias("categories"),
        *(
            pl.lit(None, pl.String).alias(c)
            for c in ("primary_category", "source_code_url", "source_project_url")
        ),
    )
    without_venue = derive_fields(frame.with_columns(pl.lit(None, pl.String).alias("arxiv_comment")).lazy())
    with_venue = derive_fields(frame.lazy()).collect()
    assert without_venue.collect()["topic"].to_list() == ["computer-vision"]
    assert with_venue["topic"].to_list() == ["robotics"]
    assert with_venue["topics"].to_list()[0][:2] == ["robotics", "computer-vision"]
