"""The adopted topic method: the learned model's arithmetic, the choice of topics, and re-derivation."""

from __future__ import annotations

import math

import polars as pl
from polars.testing import assert_frame_equal

from transforms.derive import rederive_topics, topic_method
from transforms.derive.taxonomy import FALLBACK_TOPIC, load_taxonomy
from transforms.derive.topic import assign_topics
from transforms.derive.topic_model import area_probabilities, load_model, model_terms, parse_model
from transforms.schema import PAPER_SCHEMA, polars_schema

CONTRACT = polars_schema(PAPER_SCHEMA)
INPUT_SCHEMA = {
    "title": pl.String,
    "abstract": pl.String,
    "categories": pl.List(pl.String),
    "primary_category": pl.String,
}
TINY = {
    "version": "0.0.1",
    "taxonomy_version": "9.9.9",
    "token_pattern": "[a-z][a-z0-9]+",
    "keyword_scale": 0.5,
    "areas": ["robotics", "quantum-ml"],
    "thresholds": {"robotics": 0.5, "quantum-ml": 0.5},
    "rule": {"keyword_min_score": 10.0, "keyword_relative": 0.33, "primary_min_probability": 0.5},
    "intercepts": {"robotics": -1.0, "quantum-ml": 0.0},
    "vocabulary": ["gripper", "qubit", "robot"],
    "idf": [2.0, 3.0, 1.0],
    "features": ["gripper", "qubit", "robot", "keywords:robotics"],
    "weights": {"robotics": [1.0, 0.0, 2.0, 1.0], "quantum-ml": [0.0, 4.0, 0.0, 0.0]},
}


def frame(rows: list[dict[str, object]]) -> pl.LazyFrame:
    return pl.DataFrame(
        [{name: row.get(name) for name in INPUT_SCHEMA} for row in rows], schema=INPUT_SCHEMA
    ).lazy()


def sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def test_the_polars_scorer_computes_the_trained_formula() -> None:
    """(1 + ln tf) x idf, L2-normalised; ln(1 + keyword score) x scale; logistic of intercept + weights."""
    model = parse_model(TINY)
    papers = pl.DataFrame(
        {
            "row": [0, 1, 2],
            "title": ["Robot robot", None, "Plain words"],
            "abstract": ["a gripper", "qubit", ""],
        }
    ).lazy()
    keywords = pl.DataFrame({"row": [0], "topic": ["robotics"], "score": [math.e - 1.0]}).lazy()
    scored = area_probabilities(papers, keywords, model, "row")
    got = scored.probabilities.sort("row", "area").collect()
    robot, gripper = (1.0 + math.log(2.0)) * 1.0, 2.0
    norm = math.hypot(robot, gripper)
    linear = 2.0 * robot / norm + 1.0 * gripper / norm + 1.0 * 0.5  # ln(e) x 0.5 for the keyword feature
    expected = pl.DataFrame(
        {
            "row": [0, 0, 1, 1, 2, 2],
            "area": ["quantum-ml", "robotics", "quantum-ml", "robotics", "quantum-ml", "robotics"],
            "probability": [
                sigmoid(0.0),
                sigmoid(-1.0 + linear),
                sigmoid(4.0),  # one token, normalised to 1
                sigmoid(-1.0),
                0.0,  # no feature feeds the area: 0, not the intercept's prior sigmoid(0.0)
                0.0,
            ],
        },
        schema_overrides={"row": pl.Int64},
    )
    assert_frame_equal(got, expected, check_dtypes=False)
    asked = pl.DataFrame({"row": [0, 0, 1, 2], "area": ["robotics", "quantum-ml", "quantum-ml", "robotics"]})
    terms = model_terms(scored, asked.lazy(), model, "row").sort("row", "area").collect()
    # robot 2 x 1.69 / n, gripper 1 x 2 / n, keywords 0.5 (n = 2.63): highest first; paper 2 has no feature.
    expected_terms = pl.DataFrame(
        {
            "row": [0, 1],
            "area": ["robotics", "quantum-ml"],
            "model_terms": [["robot", "gripper", "keywords:robotics"], ["qubit"]],
        }
    )
    assert_frame_equal(terms, expected_terms, check_dtypes=False)
    assert model.method == "model-0.0.1+taxonomy-9.9.9"


def test_the_bundled_model_matches_the_taxonomy_and_names_its_training_data() -> None:
    model = load_model()
    assert model.taxonomy_version == load_taxonomy().version
    assert set(model.areas) <= set(load_taxonomy().ids)
    assert all(0.0 < threshold < 1.0 for threshold in model.thresholds.values())
    assert topic_method() == model.method


def test_topics_of_clear_papers_the_abstain_path_and_the_primary_category() -> None:
    out = assign_topics(
        frame(
            [
                {
                    "title": "Semantic segmentation of street scenes",
                    "abstract": "We segment images of street scenes with a convolutional network and report mIoU.",
                },
                {"title": "", "abstract": ""},
                {
                    "title": "Semantic segmentation of street scenes",
                    "abstract": "We segment images of street scenes with a convolutional network and report mIoU.",
                    "categories": ["cs.RO", "cs.CV"],
                    "primary_category": "cs.RO",
                },
            ]
        )
    ).collect()
    assert out["topic"].to_list() == ["computer-vision", FALLBACK_TOPIC, "robotics"]
    assert out["topic_method"].to_list() == [topic_method()] * 3
    vision = out["topic_scores"][0][0]
    assert vision["topic"] == "computer-vision" and 0.5 <= vision["score"] <= 1.0
    assert vision["evidence"][0].startswith("model ") and "segmentation" in vision["evidence"]
    assert out.row(1, named=True)["topic_scores"] == [
        {"topic": FALLBACK_TOPIC, "score": 0.0, "evidence": ["fallback: no topic reached the threshold"]}
    ]
    assert out["topics"][2].to_list()[:2] == ["robotics", "computer-vision"]
    assert "category:cs.RO" in out["topic_scores"][2][0]["evidence"]
    for name in ("topic", "topics", "topic_scores", "topic_method"):
        assert out.schema[name] == CONTRACT[name], name


def test_rederive_topics_derives_old_method_rows_again_and_leaves_current_ones() -> None:
    old = {
        "topic": "general-ml",
        "topics": ["general-ml"],
        "topic_scores": [],
        "venue_hints": [],
    }
    rows = pl.DataFrame(
        [
            {
                "paper_id": "a",
                "title": "Robot grasping",
                "abstract": "A robot arm grasps objects with a gripper.",
                **old,
                "topic_method": None,
            },
            {
                "paper_id": "b",
                "title": "Kept as it is",
                "abstract": "Whatever the text says.",
                **old,
                "topic_method": topic_method(),
            },
            {
                "paper_id": "c",
                "title": "Robot grasping",
                "abstract": "A robot arm grasps objects with a gripper.",
                **old,
                "topic_method": "keywords-1.2.0",
            },
        ],
        schema={
            "paper_id": pl.String,
            "title": pl.String,
            "abstract": pl.String,
            "categories": pl.List(pl.String),
            "primary_category": pl.String,
            "topic": pl.String,
            "topics": pl.List(pl.String),
            "topic_scores": CONTRACT["topic_scores"],
            "venue_hints": CONTRACT["venue_hints"],
            "topic_method": pl.String,
        },
    )
    out = rederive_topics(rows)
    assert out.columns == rows.columns
    assert out["paper_id"].to_list() == ["a", "b", "c"]
    assert out["topic"].to_list() == ["robotics", "general-ml", "robotics"]
    assert out["topic_method"].to_list() == [topic_method()] * 3
    assert_frame_equal(out.slice(1, 1), rows.slice(1, 1))
    assert_frame_equal(rederive_topics(out), out)
