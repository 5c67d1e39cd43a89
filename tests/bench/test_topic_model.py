"""The bench topic model's polars scorer: the training formula ((1 + ln tf) x idf, L2, logistic), by hand."""

from __future__ import annotations

import math

import polars as pl

from bench.topic_model import area_probabilities, parse_model

MODEL = parse_model(
    {
        "version": "test",
        "taxonomy_version": "test",
        "areas": ["agents", "robotics"],
        "intercepts": {"agents": 0.5, "robotics": -1.0},
        "vocabulary": ["auction", "robot", "vision"],
        "idf": [1.5, 2.0, 1.0],
        "weights": {"agents": {"auction": 2.0}, "robotics": {"robot": 3.0, "vision": -0.5}},
    }
)


def probabilities(rows: list[dict[str, str | None]]) -> dict[tuple[int, str], tuple[float, list[str]]]:
    frame = (
        pl.DataFrame(rows, schema={"title": pl.String, "abstract": pl.String}).lazy().with_row_index("_row")
    )
    out = area_probabilities(frame, MODEL).collect()
    return {(r["_row"], r["area"]): (r["probability"], r["model_terms"]) for r in out.iter_rows(named=True)}


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def test_scores_match_the_formula_and_name_the_positive_terms() -> None:
    got = probabilities(
        [
            {"title": "Robot", "abstract": "A robot with vision."},
            {"title": "", "abstract": "Nothing from the vocabulary here."},
            {"title": None, "abstract": None},
        ]
    )
    robot, vision = (1.0 + math.log(2)) * 2.0, 1.0 * 1.0
    norm = math.hypot(robot, vision)
    expected = sigmoid(-1.0 + 3.0 * robot / norm - 0.5 * vision / norm)
    assert got[(0, "robotics")] == (round(expected, 4), ["robot"])
    assert got[(0, "agents")] == (round(sigmoid(0.5), 4), [])
    for row in (1, 2):
        assert got[(row, "robotics")] == (round(sigmoid(-1.0), 4), [])
        assert got[(row, "agents")] == (round(sigmoid(0.5), 4), [])


def test_only_model_areas_are_emitted() -> None:
    got = probabilities([{"title": "An auction", "abstract": "Agents bid in an auction."}])
    assert {area for _, area in got} == {"agents", "robotics"}
    assert got[(0, "agents")][0] == round(sigmoid(0.5 + 2.0), 4)
