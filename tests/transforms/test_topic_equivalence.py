"""The tokenised topic scorer gives exactly the regex scorer's output (tests/support/topic_reference.py):
on edge cases of the term syntax, on generated texts made of taxonomy words, and on real captures."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from tests.support.topic_reference import assign_topics_regex
from tests.transforms.test_topic import frame
from transforms.derive.taxonomy import load_taxonomy
from transforms.derive.topic import RESOLVE_PASSES, keyword_topics
from transforms.parse import parse_capture
from transforms.parse.common import Capture

SHARED = Path(os.environ.get("PAPERS_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
DATA = SHARED / "data"


def assert_same_as_regex(papers: pl.LazyFrame) -> None:
    """Every column, row and list element equal, in the same order."""
    assert_frame_equal(keyword_topics(papers).collect(), assign_topics_regex(papers).collect())


def test_term_syntax_edge_cases() -> None:
    chain = " ".join(["layer normalization"] * (RESOLVE_PASSES + 3))
    texts = [
        "Multi-armed bandits, multi armed bandits and multi - armed  bandits: best-arm identification",
        "X-rays, x ray, X-Rays and x-rayed images; rgb-d, RGB_D, rgb d and rgbd",
        "Semantic segmentation, instance-segmentation; optical character recognition and character recognition",
        "Large language models are language-models; pre-trained language model; pretrained language models",
        "sequence to sequence to sequence to sequence; any-to-any-to-any; text to image to text to video",
        chain,
        "language grounding language grounding grounding language; data streaming data stream data",
        "convergence rate of convergence rate of convergence; normalization layer normalization layer",
        "robot\u00a0arm, robot\u2009arms, robot\u2013arm, robot\u3000arm, robot\narm, robot\t-\tarm",
        "naïve imagery, éimage, imageé, café-robot, Über-vision, 3d, 23d, 3D-reconstruction, gpt4, gpt_4",
        "\u212aernel (Kelvin sign) and \u0130mage, İMAGE, ÏMAGE, ǅ, ß, ﬁne-tuning, ﬁnetuning",
        "graph graph graph graph graph graph graph graph graph graph graph graph",
        "We prove. we-prove! We\u00a0Prove? theorem theorems theoretical theory",
        "",
    ]
    rows = [{"title": text, "abstract": texts[(i + 1) % len(texts)]} for i, text in enumerate(texts)]
    rows += [
        {"title": None, "abstract": None},
        {"title": "A method", "abstract": None, "categories": ["cs.RO", "cs.RO", None, "cs.CV"]},
        {"title": "A method", "abstract": "vision", "categories": [], "primary_category": "cs.CL"},
        {
            "title": "Visual question answering",
            "abstract": "speech audio text image",
            "primary_category": "cs.SD",
        },
        {"title": "", "abstract": "", "categories": None, "primary_category": None},
    ]
    assert_same_as_regex(frame(rows))


def test_no_rows_and_other_columns_kept_in_place() -> None:
    assert_same_as_regex(frame([]))
    papers = frame([{"title": "A robot", "abstract": "images"}]).with_columns(
        pl.lit("old").alias("topic"), pl.lit("x").alias("text"), pl.lit(3).alias("field")
    )
    assert_same_as_regex(papers)


def _vocabulary() -> list[str]:
    """Words of the taxonomy terms, continued forms of open-ended ones, and filler."""
    words: set[str] = {"the", "of", "a", "we", "model", "learning", "data"}
    for topic in load_taxonomy().topics:
        for term in (*topic.strong, *topic.weak):
            words.update(term.rstrip("*").split())
            if term.endswith("*"):
                words.add(term.rstrip("*").split()[-1] + "s")
    return sorted(words)


WORDS = st.sampled_from(_vocabulary())
SEPARATORS = st.sampled_from(
    [" ", " ", " ", "-", "  ", " - ", "\u00a0", "\u2009", ", ", ". ", "_", "é", "–", "\n"]
)
WORD_FORMS = st.tuples(WORDS, st.sampled_from(["", "", "", "s", "ing", "é"]), st.booleans()).map(
    lambda t: (t[0] + t[1]).upper() if t[2] else t[0] + t[1]
)
TEXTS = st.lists(st.tuples(WORD_FORMS, SEPARATORS), max_size=40).map(
    lambda parts: "".join(word + sep for word, sep in parts)
)


@settings(max_examples=10, deadline=None)
@given(st.lists(st.tuples(TEXTS, TEXTS), min_size=1, max_size=40))
def test_generated_texts_of_taxonomy_words(rows: list[tuple[str, str]]) -> None:
    assert_same_as_regex(frame([{"title": title, "abstract": abstract} for title, abstract in rows]))


def _parsed(folder: str, every: int) -> pl.DataFrame:
    """Raw title, abstract and categories of every ``every``-th record parsed from a capture folder."""
    captures = [
        Capture("auto", str(path), path.read_bytes(), datetime(2026, 1, 1, tzinfo=UTC), "file-mtime")
        for path in sorted((DATA / folder).rglob("*"))
        if path.is_file() and path.suffix in {".json", ".xml"} and not path.name.endswith(".meta.json")
    ]
    records = pl.concat([parse_capture(capture) for capture in captures]).gather_every(every)
    return records.select(
        pl.col("title_raw").alias("title"),
        pl.col("abstract_raw").alias("abstract"),
        "categories",
        "primary_category",
    )


@pytest.mark.skipif(not DATA.is_dir(), reason=f"no shared captures at {DATA}")
def test_real_captures_sample() -> None:
    """Raw (uncleaned) titles and abstracts: every 20th conference paper, every 4th hf-daily item, and the
    arXiv API records with their categories."""
    lines = (DATA / "conference-papers" / "papers.jsonl").read_text(encoding="utf-8").splitlines()
    conference = [json.loads(line) for line in lines[::20] if line.strip()]
    papers = pl.concat(
        [
            frame([{"title": r["title"], "abstract": r["abstract"]} for r in conference]),
            _parsed("hf-daily-api", 4).lazy(),
            _parsed("arxiv-api", 1).lazy(),
        ]
    )
    assert papers.select(pl.len()).collect().item() > 1000
    assert papers.select(pl.col("categories").list.len().sum()).collect().item() > 300
    assert_same_as_regex(papers)
