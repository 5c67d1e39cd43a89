"""The venue's area first: a paper at a single-area venue (ICRA, CVPR, ACL, KDD, ...) gets the venue's area as
its primary ``topic`` when the paper's own words already put that area in ``topics``.

The keyword scorer ranks a SLAM paper accepted at ICRA as computer-vision first, because vision words outnumber
robotics words in it; the venue says which community the paper addresses. The venue never adds a topic: it only
reorders what the text supports, so a vision paper at ICRA without robotics words stays computer-vision, and a
mere mention ("we compare with CVPR 2023 methods") changes nothing. Areas come from ``area`` in the venue lexicon
(``transforms/data/venues.toml``).
"""

from __future__ import annotations

from functools import cache

import polars as pl

from transforms.derive.analysis import strongest_venue_hint
from transforms.derive.venues import load_venues

AREA_STATUSES = ("published", "accepted", "under-review", "submitted")
"""Venue statuses that say the paper was written for the venue (``mentioned`` does not)."""

ROW = "_venue_area_row"
AREA = "_venue_area"
NOTE = "_venue_area_note"


@cache
def venue_areas() -> dict[str, str]:
    """Canonical venue name -> the taxonomy topic it is devoted to (single-area venues only)."""
    return {venue.name: venue.area for venue in load_venues() if venue.area}


def venue_area(hints: pl.Expr) -> pl.Expr:
    """The area of the paper's strongest venue hint when that hint places the paper at the venue; else null."""
    best = strongest_venue_hint(hints)
    area = best.struct.field("venue").replace_strict(venue_areas(), default=None, return_dtype=pl.String)
    return pl.when(best.struct.field("status").is_in(AREA_STATUSES)).then(area)


def _note(hints: pl.Expr) -> pl.Expr:
    best = strongest_venue_hint(hints)
    return pl.format("venue: {} ({})", best.struct.field("venue"), best.struct.field("status"))


def prefer_venue_area(papers: pl.LazyFrame) -> pl.LazyFrame:
    """Move the venue's area to the front of ``topics`` (and into ``topic``) when ``topics`` holds it, and name
    the venue in that topic's ``topic_scores`` evidence. Needs ``topic``, ``topics``, ``topic_scores`` and
    ``venue_hints``; other rows are returned unchanged."""
    area = pl.col(AREA)
    tagged = papers.with_row_index(ROW).with_columns(
        venue_area(pl.col("venue_hints")).alias(AREA), _note(pl.col("venue_hints")).alias(NOTE)
    )
    moves = (area != pl.col("topic")) & pl.col("topics").list.contains(area)
    tagged = tagged.with_columns(moves.fill_null(False).alias(AREA + "_moves"))
    moved = tagged.filter(pl.col(AREA + "_moves"))
    score = pl.col("topic_scores")
    noted = pl.when(score.struct.field("topic") == area).then(
        score.struct.with_fields(pl.field("evidence").list.concat(pl.concat_list(pl.col(NOTE))))
    )
    evidence = (
        moved.select(ROW, "topic_scores", AREA, NOTE)
        .explode("topic_scores")
        .with_columns(noted.otherwise(score).alias("topic_scores"))
        .group_by(ROW, maintain_order=True)
        .agg("topic_scores")
    )
    moved = (
        moved.drop("topic_scores")
        .join(evidence, on=ROW, how="left")
        .with_columns(
            area.alias("topic"),
            pl.concat_list(area, pl.col("topics").list.set_difference(pl.concat_list(area))).alias("topics"),
        )
    )
    columns = papers.collect_schema().names()
    kept = tagged.filter(~pl.col(AREA + "_moves"))
    return pl.concat([kept.select(ROW, *columns), moved.select(ROW, *columns)]).sort(ROW).drop(ROW)
