"""The dataset card, read back with huggingface_hub's card classes."""

from __future__ import annotations

from huggingface_hub import DatasetCard, DatasetCardData

from flows.render.card import build_card, size_category
from tests.support.paper_rows import paper_row, papers_frame
from tests.support.release_fixtures import V1, V2, manifest_for
from transforms.history.changes import diff_papers
from transforms.report.summary import paper_counts


def papers():
    return papers_frame(
        paper_row(paper_id="arxiv:2405.00001", arxiv_id="2405.00001", topic="nlp"),
        paper_row(paper_id="arxiv:2405.00002", arxiv_id="2405.00002", language="de", topic="nlp"),
    )


def test_the_card_has_complete_hub_front_matter() -> None:
    manifest = manifest_for(V2, papers(), V1, languages=("en", "de"))
    card = DatasetCard(build_card(manifest, paper_counts(papers()), repo_id="curators/trending-papers"))
    data = card.data
    assert isinstance(data, DatasetCardData)
    assert data.license == "other"
    assert data.license_name == "per-source-licences"
    assert data.license_link == "README.md#sources-and-licences"
    assert data.language == ["de", "en"]  # from --languages en,de, not a fixed "en"
    assert data.multilinguality == "multilingual"
    assert data.task_categories == ["text-classification", "text-retrieval", "summarization"]
    assert data.size_categories == ["n<1K"]
    assert data.pretty_name == "Trending ML papers"
    assert {"arxiv", "papers"} <= set(data.tags)
    assert data.configs == [
        {"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*.parquet"}]}
    ]
    assert DatasetCardData(**data.to_dict()).to_dict() == data.to_dict()  # round-trips through the card class


def test_the_card_body_has_every_section_with_this_versions_counts() -> None:
    old = papers().head(1)
    manifest = manifest_for(V2, papers(), V1)
    text = DatasetCard(
        build_card(
            manifest,
            paper_counts(papers()),
            changes=diff_papers(old, papers()),
            since=V1,
            since_kind="release",
            repo_id="o/n",
        )
    ).text
    for heading in (
        f"# Trending ML papers, version `{V2}`",
        "## Loading",
        "## This version",
        "## Curation steps",
        "## Topics",
        "## Columns",
        "## Sources and licences",
        "## Known limitations",
        f"## Changes since the previous release (`{V1}`)",
    ):
        assert heading in text
    assert f'load_dataset("o/n", revision="{V2}", split="train")' in text
    assert "| hf-daily-api | GitHub repository example/captures | Apache-2.0 | 1 |" in text
    assert (
        "| clean (`abstract:*`) | quarantines abstracts missing, too short, or not an abstract | 1 records |"
        in text
    )
    assert (
        "| dedup | merges exact and near duplicates, matches the previous version | 1 records merged |"
        in text
    )
    assert "- added: 1, e.g. `arxiv:2405.00002`" in text
    assert "| `paper_id` | `string` |" in text


def test_size_categories_follow_the_hub_buckets() -> None:
    assert [size_category(n) for n in (0, 999, 1_000, 2_420, 121_000, 5_000_000)] == [
        "n<1K",
        "n<1K",
        "1K<n<10K",
        "1K<n<10K",
        "100K<n<1M",
        "1M<n<10M",
    ]
