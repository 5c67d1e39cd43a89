"""The dataset card, read back with huggingface_hub's card classes."""

from __future__ import annotations

from pathlib import Path

import datasets
import datasets.config
import polars as pl
import pytest
from datasets.info import DatasetInfosDict
from datasets.utils.info_utils import NonMatchingSplitsSizesError
from huggingface_hub import DatasetCard, DatasetCardData

from flows.render.card import build_card, size_category
from tests.support.paper_rows import paper_row, papers_frame
from tests.support.release_fixtures import V1, V2, manifest_for, publish
from transforms.history.changes import diff_papers
from transforms.report.summary import paper_counts
from transforms.schema import LISTING_ROW_SCHEMA, PAPER_SCHEMA


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
        {
            "config_name": "papers",
            "default": True,
            "data_files": [{"split": "train", "path": "data/train-*.parquet"}],
        },
        {"config_name": "listings", "data_files": [{"split": "train", "path": "listings/train-*.parquet"}]},
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
    assert "| hf-daily-api | GitHub repository example/captures | Apache-2.0 | yes | 1 |" in text
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


def test_the_front_matter_describes_the_papers_features_and_split_size() -> None:
    manifest = manifest_for(V2, papers(), V1)
    data = DatasetCard(build_card(manifest, paper_counts(papers()))).data
    assert data.dataset_info == [
        {
            "config_name": "papers",
            "features": datasets.Features.from_arrow_schema(PAPER_SCHEMA)._to_yaml_list(),
            "splits": [{"name": "train", "num_examples": 2}],
        },
        {
            "config_name": "listings",
            "features": datasets.Features.from_arrow_schema(LISTING_ROW_SCHEMA)._to_yaml_list(),
            "splits": [{"name": "train", "num_examples": 2}],  # one listing day a paper
        },
    ]
    infos = DatasetInfosDict.from_dataset_card_data(data.to_dict())
    assert infos["papers"].features == datasets.Features.from_arrow_schema(PAPER_SCHEMA)
    assert infos["listings"].features == datasets.Features.from_arrow_schema(LISTING_ROW_SCHEMA)


def test_datasets_loads_a_version_folder_by_its_cards_dataset_info(tmp_path: Path) -> None:
    folder = publish(tmp_path / "out", V1, papers())
    card = folder / "README.md"
    assert "dataset_info:" in card.read_text(encoding="utf-8")
    loaded = _load_offline(folder, tmp_path / "cache")
    assert loaded.num_rows == 2
    assert loaded.features == datasets.Features.from_arrow_schema(PAPER_SCHEMA)
    listings = _load_offline(folder, tmp_path / "cache", "listings")
    assert listings.to_polars().equals(pl.read_parquet(folder / "listings" / "*.parquet"))
    assert listings.features == datasets.Features.from_arrow_schema(LISTING_ROW_SCHEMA)
    # datasets reads the card's split size and checks it against the files:
    card.write_text(card.read_text(encoding="utf-8").replace("num_examples: 2", "num_examples: 3"), "utf-8")
    with pytest.raises(NonMatchingSplitsSizesError):
        _load_offline(folder, tmp_path / "cache-2")


def _load_offline(folder: Path, cache: Path, name: str | None = None) -> datasets.Dataset:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_DATASETS_OFFLINE", "1")
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
        return datasets.load_dataset(str(folder), name, split="train", cache_dir=str(cache))


def test_the_card_ends_with_a_bibtex_entry_of_the_version() -> None:
    manifest = manifest_for(V2, papers(), V1)
    released = DatasetCard(build_card(manifest, paper_counts(papers()), repo_id="o/n")).text
    local = DatasetCard(build_card(manifest, paper_counts(papers()))).text
    assert (
        f"""## Citation

```bibtex
@misc{{trending-papers-{V2},
  title        = {{Trending ML papers, version {V2}}},
  year         = {{2024}},
  version      = {{{V2}}},
  howpublished = {{\\url{{https://huggingface.co/datasets/o/n}}}},
}}
```
"""
        in released
    )
    assert f"  howpublished = {{trending-papers/{V2}}},\n" in local
    no_date = DatasetCard(build_card(manifest | {"created_at": None}, paper_counts(papers()))).text
    assert "year " not in no_date and f"  version      = {{{V2}}},\n" in no_date
