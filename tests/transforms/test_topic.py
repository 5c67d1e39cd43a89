"""The keyword scorer (`keyword_topics`): taxonomy contract, evidence, fallback, categories and determinism."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from transforms.derive.taxonomy import FALLBACK_TOPIC, load_taxonomy, terms_regex
from transforms.derive.topic import keyword_topics
from transforms.schema import PAPER_SCHEMA, polars_schema

EXPECTED_IDS = (
    "computer-vision",
    "natural-language-processing",
    "speech-and-audio",
    "multimodal",
    "generative-models",
    "reinforcement-learning",
    "robotics",
    "graph-learning",
    "learning-theory",
    "optimization",
    "efficient-ml",
    "safety-and-privacy",
    "interpretability",
    "agents",
    "ai-for-science",
    "quantum-ml",
    "data-mining",
    "neural-architectures",
    "general-ml",
)
INPUT_SCHEMA = {
    "title": pl.String,
    "abstract": pl.String,
    "categories": pl.List(pl.String),
    "primary_category": pl.String,
}


def frame(rows: list[dict[str, object]]) -> pl.LazyFrame:
    """Input frame with missing columns null."""
    return pl.DataFrame(
        [{name: row.get(name) for name in INPUT_SCHEMA} for row in rows], schema=INPUT_SCHEMA
    ).lazy()


def test_taxonomy_has_exactly_the_issue_topics_with_scope_notes() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.ids == EXPECTED_IDS
    assert all(topic.scope.strip() for topic in taxonomy.topics)
    assert taxonomy.topics[-1].id == FALLBACK_TOPIC


def test_output_dtypes_match_the_contract() -> None:
    out = keyword_topics(frame([{"title": "A robot", "abstract": ""}])).collect()
    contract = polars_schema(PAPER_SCHEMA)
    for name in ("topic", "topics", "topic_scores"):
        assert out.schema[name] == contract[name], name


def test_primary_topics_and_evidence() -> None:
    out = keyword_topics(
        frame(
            [
                {
                    "title": "Grasping with a legged robot",
                    "abstract": "A quadruped robot learns grasping with a gripper.",
                },
                {
                    "title": "Neural machine translation",
                    "abstract": "We translate sentences between languages.",
                },
                {"title": "", "abstract": ""},
                {"title": None, "abstract": None},
                {"title": "Über alles: a study", "abstract": "Ünïcödé prose, nothing else to see here."},
            ]
        )
    ).collect()
    assert out["topic"].to_list() == [
        "robotics",
        "natural-language-processing",
        FALLBACK_TOPIC,
        FALLBACK_TOPIC,
        FALLBACK_TOPIC,
    ]
    robotics = out["topic_scores"][0][0]
    assert robotics["topic"] == "robotics"
    assert {"robot", "grasping", "quadruped", "gripper"} <= set(robotics["evidence"])
    fallback = out.row(2, named=True)
    assert fallback["topics"] == [FALLBACK_TOPIC]
    assert fallback["topic_scores"] == [
        {"topic": FALLBACK_TOPIC, "score": 0.0, "evidence": ["fallback: no topic reached the threshold"]}
    ]


def test_multi_label_keeps_every_topic_above_threshold() -> None:
    out = keyword_topics(
        frame(
            [
                {
                    "title": "Text-to-image diffusion models",
                    "abstract": "A diffusion model generates images from text prompts.",
                }
            ]
        )
    ).collect()
    topics = out["topics"][0].to_list()
    assert {"computer-vision", "generative-models", "multimodal"} <= set(topics)
    assert out["topic"][0] in topics


def test_categories_add_evidence_and_can_decide() -> None:
    out = keyword_topics(
        frame(
            [{"title": "A new method", "abstract": "We propose a method.", "categories": ["cs.RO", "cs.LG"]}]
        )
    ).collect()
    assert out["topic"][0] == "robotics"
    assert out["topic_scores"][0][0]["evidence"] == ["category:cs.RO"]


def test_terms_match_whole_words_only() -> None:
    pattern = terms_regex(("gene", "robot*"))
    assert pattern is not None
    found = pl.select(pl.lit("we generate robotic genes and gene maps").str.extract_all(pattern)).item()
    assert found.to_list() == ["robotic", "gene"]


def test_deterministic_and_row_order_preserved() -> None:
    rows = [
        {"title": "Graph neural networks", "abstract": "Message passing on graphs."},
        {"title": "Speech recognition", "abstract": "An acoustic model for speech."},
    ]
    first = keyword_topics(frame(rows)).collect()
    second = keyword_topics(frame(rows)).collect()
    assert_frame_equal(first, second)
    assert first["topic"].to_list() == ["graph-learning", "speech-and-audio"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=80), st.text(max_size=200)), min_size=1, max_size=5))
def test_topics_never_empty_and_contain_topic(rows: list[tuple[str, str]]) -> None:
    out = keyword_topics(
        frame([{"title": title, "abstract": abstract} for title, abstract in rows])
    ).collect()
    for topic, topics in zip(out["topic"], out["topics"], strict=True):
        assert topic in EXPECTED_IDS
        assert topic in topics.to_list()


def test_vision_language_paper_is_multimodal_with_cross_modal_evidence() -> None:
    rows = [
        {
            "title": "Visual question answering on images",
            "abstract": "The model reads a natural language question, looks at the image and the visual "
            "scene, and answers with a sentence of text.",
        },
        {"title": "Parsing sentences", "abstract": "A parser for text with one image of the tree."},
    ]
    out = keyword_topics(frame(rows)).collect()
    assert out["topic"].to_list() == ["multimodal", "natural-language-processing"]
    multimodal = next(s for s in out["topic_scores"][0] if s["topic"] == "multimodal")
    assert "cross-modal: second-strongest modality" in multimodal["evidence"]
    assert "multimodal" not in out["topics"][1].to_list()


def test_ambiguous_words_do_not_make_robotics_or_vision() -> None:
    rows = [
        {
            "title": "Manipulation of elections by coalitions of voters",
            "abstract": "On the other hand, strategic manipulation of voting rules is hard.",
        },
        {"title": "Best arm identification", "abstract": "We pull arms of a multi-armed bandit."},
        {"title": "Multi-label learning with noisy labels", "abstract": "Labels are partially valid."},
    ]
    out = keyword_topics(frame(rows)).collect()
    assert out["topic"][0] == "agents"
    assert out["topic"][1] == "reinforcement-learning"
    assert "robotics" not in out["topics"][0].to_list()
    assert "computer-vision" not in out["topics"][2].to_list()


def test_single_words_no_longer_decide_the_topic() -> None:
    """Issue 14: "diagnosing", "cluster", "agent" and "fast" alone gave ai-for-science, data-mining,
    reinforcement-learning and efficient-ml."""
    rows = [
        {
            "title": "Diagnosing failure modes of retrieval",
            "abstract": "We study why retrieval fails on long text.",
        },
        {
            "title": "Scheduling jobs on a GPU cluster of language models",
            "abstract": "We serve large language models.",
        },
        {
            "title": "An agent that writes code",
            "abstract": "A language model agent uses tools to write programs.",
        },
        {
            "title": "Fast machine-learned force fields",
            "abstract": "We fit molecular dynamics potentials to DFT data.",
        },
    ]
    out = keyword_topics(frame(rows)).collect()
    topics = out["topics"].to_list()
    assert "ai-for-science" not in topics[0]
    assert "data-mining" not in topics[1]
    assert "reinforcement-learning" not in topics[2] and out["topic"][2] == "agents"
    assert "efficient-ml" not in topics[3] and out["topic"][3] == "ai-for-science"


def test_robot_vision_paper_carries_both() -> None:
    rows = [
        {
            "title": "Visual place recognition for mobile robot localization",
            "abstract": "A mobile robot localizes itself from camera images with a learned image descriptor.",
        }
    ]
    topics = keyword_topics(frame(rows)).collect()["topics"].to_list()[0]
    assert {"robotics", "computer-vision"} <= set(topics)
