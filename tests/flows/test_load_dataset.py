"""``datasets.load_dataset`` on ``latest``, a version folder and the dataset root, version after version.

``datasets`` keys its cache of a local folder on the folder's name and on its card's ``configs`` (the
``data_files`` patterns), not on the files the patterns match: a folder whose name and card stay the same
(``latest``, the dataset root) would load the rows cached for an earlier version. One cache is shared by every
load here, as a user's default cache would be.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import flows.store.tables
from flows.store.layout import LATEST, dataset_root
from flows.store.maintenance import rollback
from tests.support.paper_rows import paper_row, papers_frame
from tests.support.release_fixtures import V1, V2, V3, publish


def paper(number: int, title: str = "A Paper About Things") -> dict:
    arxiv = f"2401.{number:05d}"
    listing = {"listed_on": None, "source": "hf-daily", "upvotes": number, "num_comments": 0, "rank": number}
    return paper_row(
        paper_id=f"arxiv:{arxiv}",
        arxiv_id=arxiv,
        url=f"https://hf.co/papers/{arxiv}",
        title=title,
        listings=[listing | {"listed_on": date(2024, 1, number % 28 + 1), "github_stars": None}],
    )


@pytest.fixture
def shared_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """One ``HF_DATASETS_CACHE`` for every load (``datasets`` reads it at import: its config is patched too),
    no network, and shards of three papers."""
    import datasets

    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    for name in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(flows.store.tables, "_rows_per", lambda target_bytes, frame: 3)
    yield cache


def loaded_rows(folder: Path) -> pl.DataFrame:
    import datasets

    dataset = datasets.load_dataset(str(folder), split="train")
    return pl.DataFrame({"paper_id": dataset["paper_id"], "title": dataset["title"]}).sort("paper_id")


def loaded_listings(folder: Path) -> pl.DataFrame:
    """The ``listings`` config as ``datasets`` loads it."""
    import datasets

    return datasets.load_dataset(str(folder), "listings", split="train").to_polars()


def polars_rows(version_dir: Path) -> pl.DataFrame:
    return pl.read_parquet(version_dir / "data" / "*.parquet").select("paper_id", "title").sort("paper_id")


def polars_listings(version_dir: Path) -> pl.DataFrame:
    return pl.read_parquet(version_dir / "listings" / "*.parquet")


def test_load_dataset_reads_each_new_version_through_latest_a_version_folder_and_the_root(
    tmp_path: Path, shared_cache: Path
) -> None:
    out = tmp_path / "out"
    root = dataset_root(out)
    # "the same name": train-0000i-of-00002.parquet, as shards were named before they carried their version
    versions = [
        (V1, [paper(n) for n in range(1, 7)]),  # two shards of three
        (V2, [paper(n) for n in range(1, 9)]),  # more rows: the last shard rewritten, under the same name
        (V3, [paper(n, "Retitled" if n == 2 else "A Paper About Things") for n in range(1, 9)]),  # as many
        # rows, one value changed: the first shard rewritten under the same name, the last one linked
    ]
    for version, rows in versions:
        publish(out, version, papers_frame(*rows))
        expected = polars_rows(root / version)
        assert expected.height == len(rows) and polars_rows(root / LATEST).equals(expected)
        for folder in (root / LATEST, root / version, root):
            assert loaded_rows(folder).equals(expected), f"{folder.name} after publishing {version}"
            listings = polars_listings(root / version)
            assert loaded_listings(folder).equals(listings), f"{folder.name}'s listings after {version}"
    assert loaded_rows(root / V1).equals(polars_rows(root / V1))  # an old version still loads as itself
    shared = [f for f in json.loads((root / V3 / "manifest.json").read_text())["files"] if "linked_from" in f]
    assert [f["path"].split("-of-")[0] for f in shared] == ["data/train-00001", "listings/train-00001"]
    assert os.path.samefile(root / V3 / shared[0]["path"], root / V2 / shared[0]["path"].replace(V3, V2))
    assert any(shared_cache.iterdir())  # the loads used the one cache


def test_after_a_rollback_latest_and_the_root_load_the_version_rolled_back_to(
    tmp_path: Path, shared_cache: Path
) -> None:
    out = tmp_path / "out"
    root = dataset_root(out)
    publish(out, V1, papers_frame(*(paper(n) for n in range(1, 4))))
    publish(out, V2, papers_frame(*(paper(n) for n in range(1, 6))))
    for folder in (root / LATEST, root):
        assert loaded_rows(folder).height == 5
    rollback(out, V1)
    for folder in (root / LATEST, root):
        assert loaded_rows(folder).equals(polars_rows(root / V1)), folder.name
