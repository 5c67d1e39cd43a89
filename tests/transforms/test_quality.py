"""Quality tags: what is not a title or an abstract is tagged, genuine short abstracts are not."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.clean.quality import QualitySettings, tag_quality

ABSTRACT = (
    "We study how neural networks learn hierarchical functions and show that a three-layer network trained "
    "with gradient descent recovers the hidden features with a number of samples close to optimal."
)


def reasons_for(title: str, abstract: str, quality: QualitySettings | None = None) -> list[str]:
    frame = pl.LazyFrame({"title": [title], "abstract": [abstract]})
    tagged = tag_quality(frame, quality or QualitySettings()).collect()
    return tagged["reasons"].item().to_list()


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        ("Learning Hierarchical Polynomials", ABSTRACT, []),
        ("Learning Hierarchical Polynomials", "", ["abstract:empty"]),
        ("Learning Hierarchical Polynomials", "We study networks.", ["abstract:too-short"]),
        ("", ABSTRACT, ["title:empty"]),
        ("Subscribe", ABSTRACT, ["title:page-chrome"]),
        ("Get trending papers in your email inbox!", ABSTRACT, ["title:page-chrome"]),
        ("AB", ABSTRACT, ["title:too-short"]),
        ("T" * 401, ABSTRACT, ["title:too-long"]),
        (
            "Some Paper",
            "This is an automated message from the Librarian Bot. I found the following papers similar to "
            "this paper. The following papers were recommended by the Semantic Scholar API.",
            ["abstract:not-an-abstract"],
        ),
        (
            "Some Paper",
            "1234 5678 9012 3456 7890 1234 5678 9012 3456 7890 1234 5678 9012 3456 7890 1234 5678 9012 3456 "
            "7890 1234 5678 9012",
            ["abstract:not-an-abstract"],
        ),
        ("Some Paper", "No abstract available.", ["abstract:too-short", "abstract:not-an-abstract"]),
        ("Withdrawn", "This paper was withdrawn", ["abstract:too-short", "title:placeholder"]),
        (
            "Untitled",
            "(No abstract)",
            ["abstract:too-short", "abstract:not-an-abstract", "title:placeholder"],
        ),
        (
            "A Title Naming a Paper",
            "Paper has been withdrawn.",
            ["abstract:too-short", "abstract:not-an-abstract"],
        ),
    ],
)
def test_tag_quality(title: str, abstract: str, expected: list[str]) -> None:
    assert reasons_for(title, abstract) == expected


def test_quality_thresholds_are_settings() -> None:
    strict = QualitySettings(min_abstract_chars=1000)
    assert reasons_for("A Title", ABSTRACT, strict) == ["abstract:too-short"]
    short_genuine = "We ask whether the distributions computed by boosting always converge to a cycle."
    assert reasons_for("A Title", short_genuine) == []
    lenient = QualitySettings(min_abstract_chars=5, min_abstract_words=2)
    assert reasons_for("A Title", "We study networks.", lenient) == []


def test_tag_quality_appends_to_existing_reasons() -> None:
    frame = pl.LazyFrame(
        {"title": ["A Paper"], "abstract": [""], "reasons": [["parse:error"]]},
        schema={"title": pl.String, "abstract": pl.String, "reasons": pl.List(pl.String)},
    )
    assert tag_quality(frame, QualitySettings()).collect()["reasons"].item().to_list() == [
        "parse:error",
        "abstract:empty",
    ]


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        (
            "Qwen3-VL Technical Report",
            "Qwen3-VL technical report.",
            ["abstract:too-short", "abstract:repeats-title"],
        ),
        (
            "Error-Free Linear Attention is a Free Lunch: Exact Solution",
            "Error-Free Linear Attention is a Free Lunch!",
            ["abstract:too-short", "abstract:repeats-title"],
        ),
        ("A Title", "🚀 Excited to share our latest work: " + ABSTRACT, ["abstract:social-post"]),
        ("A Title", ABSTRACT + " 🔥 Code is out 💻", ["abstract:social-post"]),
        ("A Title", ABSTRACT + " Stay tuned!", ["abstract:social-post"]),
        ("A Title", ABSTRACT + " #NLP #LLM so good!", ["abstract:social-post"]),
        (
            "A Title",
            "Project page: https://a.github.io/x Code: https://github.com/a/x Models and data: https://hf.co/a/x",
            ["abstract:too-short", "abstract:links-only"],
        ),
        # what genuine abstracts say stays published
        ("A Title", ABSTRACT + " Check out our project page. Our recent work showed it.", []),
        ("A Title", ABSTRACT + " Tweets tagged #Greecefires and #Athens were read.", []),
        ("A Title", ABSTRACT + " A map X ↔ Y and f ➡ g.", []),
        ("A Title", ABSTRACT + " Code: https://github.com/a/x", []),
    ],
)
def test_junk_abstracts_of_scraped_pages(title: str, abstract: str, expected: list[str]) -> None:
    assert reasons_for(title, abstract) == expected
