"""Range shards shared between versions: unchanged shards are hard links, every version reads back whole."""

import json
import os
from pathlib import Path

import duckdb
import polars as pl
import pytest

import flows.store.shards
import flows.store.tables
from flows.store.files import sha256_file
from flows.store.layout import dataset_root
from flows.store.maintenance import prune
from flows.store.previous import PreviousVersion, open_latest
from flows.store.publish import Documents, publish_version
from flows.store.shards import Piece, Shard, plan_pieces
from flows.store.tables import WholeTables
from tests.support.paper_rows import paper_row, papers_frame
from transforms.history.merge import listing_rows
from transforms.schema import (
    LEDGER_SCHEMA,
    QUARANTINE_SCHEMA,
    empty,
)

V1, V2, V3 = "20240527T080000.000000Z", "20240528T080000.000000Z", "20240529T080000.000000Z"


def paper(number: int, **overrides: object) -> dict:
    arxiv = f"2401.{number:05d}"
    return (
        paper_row(paper_id=f"arxiv:{arxiv}", arxiv_id=arxiv, url=f"https://hf.co/papers/{arxiv}") | overrides
    )


def index_of(papers: pl.DataFrame) -> pl.DataFrame:
    """Two lookup rows a paper, like the dedup index's (arxiv + title keys)."""
    ids = papers.get_column("paper_id").to_list()
    rows = [
        (pid, kind, -1, n * 2 + (kind == "title"), "fp")
        for n, pid in enumerate(ids)
        for kind in ("arxiv", "title")
    ]
    return pl.DataFrame(rows, schema=["paper_id", "kind", "band", "key", "fingerprint"], orient="row").cast(
        {"band": pl.Int16, "key": pl.UInt64}
    )


def publish(out: Path, version: str, papers: pl.DataFrame, previous: PreviousVersion | None = None) -> Path:
    return publish_version(
        out,
        version,
        WholeTables(papers, index_of(papers), previous=previous),
        empty(QUARANTINE_SCHEMA),
        empty(LEDGER_SCHEMA),
        Documents("card"),
        {"version": version, "counts": {}},
    )


@pytest.fixture
def three_rows_a_shard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shards of three papers (six index rows, two a paper) whatever the rows' sizes."""

    def rows_per(target_bytes: int, frame: pl.DataFrame) -> int:
        return 6 if "kind" in frame.columns else 3

    monkeypatch.setattr(flows.store.tables, "_rows_per", rows_per)


def files_of(folder: Path, sub: str) -> list[Path]:
    return sorted((folder / sub).glob("*.parquet"))


def assert_reads_back(folder: Path, papers: pl.DataFrame) -> None:
    """polars, pandas and DuckDB read the version folder's data files as the expected papers."""
    expected = papers.sort("paper_id")
    pattern = str(folder / "data" / "*.parquet")
    assert pl.read_parquet(pattern).equals(expected)
    import pandas as pd

    frame = pd.concat([pd.read_parquet(path) for path in files_of(folder, "data")])
    assert frame["paper_id"].tolist() == expected["paper_id"].to_list()
    assert frame["times_seen"].tolist() == expected["times_seen"].to_list()
    rows = duckdb.sql(f"select paper_id, times_seen from '{pattern}' order by paper_id").fetchall()
    assert rows == list(expected.select("paper_id", "times_seen").iter_rows())
    index = pl.read_parquet(str(folder / "index" / "*.parquet"))
    assert index.sort("paper_id", "kind").equals(index_of(expected).sort("paper_id", "kind"))
    listings = pl.read_parquet(str(folder / "listings" / "*.parquet"))
    assert listings.equals(listing_rows(expected))
    assert listings.height == expected.get_column("listings").list.len().sum()
    assert [p.name for p in files_of(folder, "listings")] == [p.name for p in files_of(folder, "data")]


def assert_manifest_matches_files(folder: Path) -> dict:
    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["files"]:
        path = folder / entry["path"]
        assert sha256_file(path) == entry["sha256"] and path.stat().st_size == entry["bytes"], entry["path"]
    return manifest


@pytest.mark.parametrize("in_memory", [False, True], ids=["reading-files", "previous-in-memory"])
def test_a_daily_version_links_the_unchanged_shards_and_writes_the_changed_ones(
    tmp_path: Path, three_rows_a_shard: None, in_memory: bool
) -> None:
    first = papers_frame(*(paper(n) for n in range(1, 13)))  # 12 papers: 4 shards of 3
    v1 = publish(tmp_path, V1, first)
    # paper 5 seen again (times_seen is outside record_hash: rows are compared, not hashes), paper 13 is new
    second = papers_frame(*(paper(n, times_seen=2 if n == 5 else 1) for n in range(1, 14)))
    if in_memory:  # compared with the frames the run read, not by reading the files again
        latest = open_latest(tmp_path)
        assert (
            latest is not None and latest.papers.height and latest.dedup_index is not None
        )  # read, as a run does
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(flows.store.tables.pq, "read_table", None)
            v2 = publish(tmp_path, V2, second, latest)
    else:
        v2 = publish(tmp_path, V2, second)

    before, after = files_of(v1, "data"), files_of(v2, "data")
    assert [p.name for p in before] == [f"train-0000{i}-of-00004-{V1}.parquet" for i in range(4)]
    assert [p.name for p in after] == [p.name.replace(V1, V2) for p in before]  # a link is named after v2 too
    inode = [(a.stat().st_ino == b.stat().st_ino) for a, b in zip(before, after, strict=True)]
    assert inode == [True, False, True, False]  # shard 1 holds paper 5, shard 3 took paper 13
    index_linked = [
        a.stat().st_ino == b.stat().st_ino
        for a, b in zip(files_of(v1, "index"), files_of(v2, "index"), strict=True)
    ]
    assert index_linked == [True, True, True, False]  # only paper 13 has new keys
    listings_linked = [
        a.stat().st_ino == b.stat().st_ino
        for a, b in zip(files_of(v1, "listings"), files_of(v2, "listings"), strict=True)
    ]
    assert listings_linked == inode  # a listings shard is linked with the papers shard it comes from

    assert_reads_back(v1, first)
    assert_reads_back(v2, second)
    assert_manifest_matches_files(v1)
    manifest = assert_manifest_matches_files(v2)
    data = [f for f in manifest["files"] if f["path"].startswith("data/")]
    assert [f.get("linked_from") for f in data] == [V1, None, V1, None]
    assert [f["written_by"] for f in data] == [V1, V2, V1, V2]
    assert [(f["first_key"], f["last_key"]) for f in data][3] == ("arxiv:2401.00010", "arxiv:2401.00013")
    written = sum(f["bytes"] for f in manifest["files"] if "linked_from" not in f)
    assert manifest["storage"]["new_bytes"] == written < manifest["storage"]["bytes"]
    assert manifest["storage"]["linked_files"] == 7 and manifest["storage"]["linked_from"] == V1
    assert pl.read_parquet_metadata(after[0])["trending_papers.version"] == V1  # the bytes are v1's

    prune(tmp_path, keep=1)
    assert not v1.exists()
    assert_reads_back(v2, second)
    assert_manifest_matches_files(v2)


def test_a_shard_past_twice_the_target_splits_and_small_neighbours_merge(
    tmp_path: Path, three_rows_a_shard: None
) -> None:
    publish(tmp_path, V1, papers_frame(*(paper(n) for n in range(1, 7))))  # 2 shards of 3
    grown = papers_frame(*(paper(n) for n in range(1, 11)))  # the last shard would hold 7 > 6
    v2 = publish(tmp_path, V2, grown)
    names = [p.name for p in files_of(v2, "data")]
    assert names == [f"train-0000{i}-of-00004-{V2}.parquet" for i in range(4)]
    manifest = assert_manifest_matches_files(v2)
    data = [f for f in manifest["files"] if f["path"].startswith("data/")]
    assert [f["rows"] for f in data] == [3, 2, 2, 3] and [bool(f.get("linked_from")) for f in data] == [
        True,
        False,
        False,
        False,
    ]
    assert_reads_back(v2, grown)
    shrunk = papers_frame(paper(1), paper(4), paper(6))  # retractions: one paper a shard is left
    v3 = publish(tmp_path, V3, shrunk)
    assert [p.name for p in files_of(v3, "data")] == [f"train-00000-of-00001-{V3}.parquet"]
    assert_reads_back(v3, shrunk)
    assert os.readlink(dataset_root(tmp_path) / "latest") == V3


def test_pieces_follow_the_previous_boundaries() -> None:
    def shard(first: str, last: str, rows: int) -> Shard:
        return Shard(Path(first), rows, first, last, "", 0, "v")

    keys = pl.Series(["a", "b", "c", "d", "e", "f", "g", "h"])
    previous = [shard("a", "c", 3), shard("d", "f", 3)]
    assert plan_pieces(keys, previous, 3) == [Piece(0, 3, previous[0]), Piece(3, 8, previous[1])]
    assert [(p.start, p.stop) for p in plan_pieces(keys, previous, 2)] == [(0, 3), (3, 4), (4, 6), (6, 8)]
    assert plan_pieces(keys, [], 3) == [Piece(0, 2, None), Piece(2, 5, None), Piece(5, 8, None)]
    repeated = pl.Series(["a", "a", "a", "b", "b", "c"])  # one key's rows stay in one piece
    assert [(p.start, p.stop) for p in plan_pieces(repeated, [], 2)] == [(0, 3), (3, 5), (5, 6)]


def test_a_publish_that_fails_after_linking_leaves_the_previous_version_whole(
    tmp_path: Path, three_rows_a_shard: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = papers_frame(*(paper(n) for n in range(1, 7)))
    v1 = publish(tmp_path, V1, first)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(flows.store.tables, "write_parquet", disk_full)
    with pytest.raises(OSError):  # shard 0 is linked first, then shard 1 (paper 6 changed) cannot be written
        publish(tmp_path, V2, papers_frame(*(paper(n, times_seen=2 if n == 6 else 1) for n in range(1, 7))))
    root = dataset_root(tmp_path)
    assert sorted(p.name for p in root.iterdir()) == [V1, "README.md", "journal.jsonl", "latest"]
    assert all(path.stat().st_nlink == 1 for path in files_of(v1, "data"))  # the staging links are gone
    assert_reads_back(v1, first)
    assert_manifest_matches_files(v1)
