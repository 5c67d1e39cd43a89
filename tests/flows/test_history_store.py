"""A daily run merged shard by shard into its history publishes what upserting into the whole history publishes.

The reference below is the full-read path (every paper of the previous version upserted, analysis columns and
``record_hash`` recomputed for all, the index grown whole): the new version, read back whole, must equal it,
while the run reads and writes only the shards its papers touch (``flows/store/previous.py``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import flows.store.tables
from expectations.parts import summarize_part
from flows.errors import ContractBroken
from flows.run.config import RunConfig
from flows.run.publish import publish
from flows.run.results import Deduplicated, Ingested, RunSummary, Validated
from flows.run.shard_merge import check_in_range, in_shard_ranges, version_parts
from flows.run.stages import clean, dedup, derive, in_run_order, ingest, language
from flows.run.validate import _seen_at, require_table, validate
from flows.run.version import GatedRanges, in_ranges
from flows.store.previous import open_latest
from flows.store.shards import Shard, check_ranges, touched_shards
from tests.support.daily_listings import day_listing
from tests.support.inline_runner import stage_context
from tests.support.paper_rows import paper_row, papers_frame
from transforms.dedup.index import update_index
from transforms.dedup.minhash import DedupParams
from transforms.derive.analysis import add_analysis_columns
from transforms.history.changes import diff_papers
from transforms.history.merge import upsert
from transforms.report.accounting import record_hash_expr
from transforms.report.summary import NEW_PAPERS_SHOWN, new_papers, paper_counts
from transforms.schema import PAPER_SCHEMA, conform

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]

FIRST = date(2025, 1, 6)


@pytest.fixture
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shards of three papers (48 index rows) whatever the rows' sizes: a 24-paper history has 8 of each."""

    def rows_per(target_bytes: int, frame: pl.DataFrame) -> int:
        return 48 if "kind" in frame.columns else 3

    monkeypatch.setattr(flows.store.tables, "_rows_per", rows_per)


@pytest.fixture
def passed_papers(monkeypatch: pytest.MonkeyPatch) -> list[pl.DataFrame]:
    """Every column of the papers that passed the row gate, range by range, as the merge read them (the run
    keeps only ``RUN_PAPER_COLUMNS``; the reference below upserts them whole)."""
    seen: list[pl.DataFrame] = []
    passed = GatedRanges.passed

    def recorded(self: GatedRanges) -> Iterator[tuple[pl.DataFrame, str | None]]:
        for papers, upto in passed(self):
            seen.append(papers)
            yield papers, upto

    monkeypatch.setattr(GatedRanges, "passed", recorded)
    return seen


def write_day(folder: Path, offset: int, extra: list[dict] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    items = json.loads(day_listing(FIRST, FIRST + timedelta(days=offset)))
    path = folder / f"{(FIRST + timedelta(days=offset)).isoformat()}.json"
    path.write_text(json.dumps(items + (extra or [])), encoding="utf-8")
    return path


def retitled(offset: int, number: int) -> dict:
    """Paper ``number`` of the history listed again under another title (a merge: the title becomes an alias)."""
    item = json.loads(day_listing(FIRST, FIRST + timedelta(days=number // 3)))
    found = next(entry for entry in item if entry["paper"]["id"] == f"2501.{10000 + number}")
    found["paper"]["title"] = found["title"] = "A Study of " + found["paper"]["title"]
    found["paper"]["upvotes"] = 99
    stamp = f"{(FIRST + timedelta(days=offset)).isoformat()}T09:00:00.000Z"
    found["paper"]["submittedOnDailyAt"] = found["publishedAt"] = stamp
    return found


def run_stages(config: RunConfig) -> tuple[Ingested, Deduplicated, Validated, RunSummary]:
    with stage_context(config) as (work, runner):
        ingested = ingest.fn(config, work)
        cleaned = clean(ingested.records, config, work, runner)
        detected = in_run_order(language(cleaned, ingested.previous, config, work, runner))
        deduplicated, ranges = in_ranges(
            dedup.fn(detected, ingested.previous, config), work, config.chunk_records
        )
        derived = derive(ranges, config, work, runner)
        validated = validate.fn(deduplicated, derived, ingested.previous, config, work)
        summary = publish.fn(ingested, validated, config)
    return ingested, deduplicated, validated, summary


@pytest.mark.parametrize(
    ("retitled_numbers", "chunk_records"),
    [
        pytest.param((1,), 25_000, id="a-day"),
        # a paper of every shard under another title, the run's papers in ranges of one: every shard is
        # rewritten, the last in segments (one per range of the run it spans)
        pytest.param((1, 4, 7, 10, 13, 16, 19, 22), 1, id="every-shard-in-segments"),
    ],
)
def test_a_day_on_a_multi_shard_history_equals_the_full_read_path(
    tmp_path: Path,
    small_shards: None,
    passed_papers: list[pl.DataFrame],
    retitled_numbers: tuple[int, ...],
    chunk_records: int,
) -> None:
    out = tmp_path / "out"
    history = [write_day(tmp_path / "history", offset) for offset in range(8)]
    run_stages(RunConfig(inputs=history, out_dir=out))
    previous = open_latest(out)  # the reference reads the whole history
    assert previous is not None and previous.dedup_index is not None
    base_manifest = json.loads((previous.path / "manifest.json").read_text())
    assert sum(f["path"].startswith("data/") for f in base_manifest["files"]) >= 6

    # new papers (day 8), one seen again (the last of day 7), papers of the history under another title (merged)
    day = write_day(tmp_path / "day", 8, extra=[retitled(8, number) for number in retitled_numbers])
    passed_papers.clear()  # those of the history's run
    ingested, deduplicated, validated, summary = run_stages(
        RunConfig(inputs=[day], out_dir=out, chunk_records=chunk_records)
    )

    assert ingested.previous is not None and ingested.previous.incremental
    assert validated.incremental is not None
    run = validated.run_papers
    assert run.get_column("is_new").sum() >= 2 and (~run.get_column("is_new")).sum() >= 2
    seen_at = _seen_at(deduplicated.records)
    run_rows = pl.concat(passed_papers)  # every column of the papers that passed the row gate
    assert_frame_equal(run_rows.select(run.columns), run)
    expected = conform(
        upsert(previous.papers, run_rows, seen_at)
        .pipe(add_analysis_columns)
        .with_columns(record_hash_expr().alias("record_hash")),
        PAPER_SCHEMA,
    ).sort("paper_id")
    published = pl.read_parquet(summary.path / "data" / "*.parquet")
    assert_frame_equal(published, expected)
    for number in retitled_numbers:
        merged = published.filter(pl.col("paper_id") == f"arxiv:2501.{10000 + number}")
        assert merged.item(0, "aliases").to_list() and merged.item(0, "upvotes") == 99

    expected_index = update_index(previous.dedup_index, run_rows, RunConfig().dedup)
    assert_frame_equal(pl.read_parquet(summary.path / "index" / "*.parquet"), expected_index)

    manifest = json.loads((summary.path / "manifest.json").read_text())
    reference_changes = diff_papers(previous.papers, expected)
    assert {k: v for k, v in manifest["changes"].items() if k != "since"} == reference_changes
    assert manifest["counts"]["papers_total"] == expected.height
    assert manifest["counts"]["papers_previous"] == previous.papers.height

    # The version's counts: the rewritten rows' and each carried shard's, summed; the run's most upvoted new papers.
    assert_frame_equal(validated.version_counts, paper_counts(expected))
    new_ids = run.filter(pl.col("is_new")).get_column("paper_id")
    assert_frame_equal(validated.new_papers, new_papers(expected, new_ids))
    assert validated.new_papers.height == min(new_ids.len(), NEW_PAPERS_SHOWN) > 0

    # only the touched shards were written; the others are the previous files (same inode)
    data = [f for f in manifest["files"] if f["path"].startswith("data/")]
    written = [f for f in data if "linked_from" not in f]
    touched = validated.incremental.papers.touched
    if len(retitled_numbers) == 1:
        assert 1 <= len(written) < len(data) - 2, (len(written), len(data))
    else:
        assert touched == list(range(len(validated.incremental.papers.shards))) and not [
            f for f in data if "linked_from" in f
        ]
        assert len(validated.incremental.papers.after.paths) > len(touched)  # the last shard in segments
    print(f"{len(written)} of {len(data)} papers shards written; {len(run)} papers")
    for entry in data:
        if "linked_from" in entry:
            source = next(f for f in base_manifest["files"] if f["sha256"] == entry["sha256"])
            assert (summary.path / entry["path"]).stat().st_ino == (
                previous.path / source["path"]
            ).stat().st_ino
    assert check_ranges(manifest["files"][: len(data)]) == []


def test_touched_shards_follow_the_ranges_plan_pieces_cuts() -> None:
    shards = [
        Shard(Path(f"s{i}"), 3, first, last, "", 0, "v")
        for i, (first, last) in enumerate([("b", "c"), ("e", "f"), ("h", "i")])
    ]
    assert touched_shards(shards, pl.Series(["a"])) == [0]
    assert touched_shards(shards, pl.Series(["d", "e"])) == [0, 1]
    assert touched_shards(shards, pl.Series(["g", "z"])) == [1, 2]
    assert touched_shards(shards, pl.Series([], dtype=pl.String)) == []


SHARDS = [
    Shard(Path(f"train-{i}.parquet"), 2, first, last, "", 0, "v")
    for i, (first, last) in enumerate(
        [
            ("arxiv:2401.00001", "arxiv:2401.00002"),
            ("arxiv:2401.00005", "arxiv:2401.00006"),
            ("arxiv:2401.00009", "arxiv:2401.00010"),
        ]
    )
]


def papers_of(*ids: str) -> pl.DataFrame:
    return papers_frame(*(paper_row(paper_id=pid, arxiv_id=pid.removeprefix("arxiv:")) for pid in ids))


def test_a_daily_versions_parts_are_its_rewritten_segments_and_its_carried_shards() -> None:
    """The table suite of a daily run reads each touched shard's rewritten segments and each carried shard's
    manifest range: a repeated id in a rewritten shard fails it, a row outside its shard's range stops the run."""

    def parts(*ids: str) -> list[pl.DataFrame]:
        return version_parts(SHARDS, {1: [summarize_part(papers_of(*ids), "rewritten train-1.parquet")]})

    assert [p.item(0, "part") for p in parts("arxiv:2401.00005", "arxiv:2401.00007")] == [
        "carried train-0.parquet",
        "rewritten train-1.parquet",
        "carried train-2.parquet",
    ]
    assert require_table(parts("arxiv:2401.00005", "arxiv:2401.00007"))
    with pytest.raises(ContractBroken, match="paper-id-unique"):
        require_table(parts("arxiv:2401.00005", "arxiv:2401.00005"))
    check_in_range(papers_of("arxiv:2401.00005", "arxiv:2401.00008"), SHARDS, 1)  # up to the next shard
    for outside in ("arxiv:2401.00004", "arxiv:2401.00009"):
        with pytest.raises(RuntimeError, match="outside the key range of train-1"):
            check_in_range(papers_of("arxiv:2401.00005", outside), SHARDS, 1)


def test_the_runs_ranges_are_cut_at_the_touched_shards_one_range_at_a_time() -> None:
    """Each touched shard gets the run's rows of its key range, a piece per range of the run they come from,
    the last flagged; a row below its shard's range or left over is a broken run."""

    def ids(*numbers: int) -> pl.DataFrame:
        return pl.DataFrame({"paper_id": [f"arxiv:2401.{n:05d}" for n in numbers]})

    def cut(ranges: list[pl.DataFrame], touched: list[int]) -> list[tuple[int, list[int], bool]]:
        return [
            (position, [int(i[-5:]) for i in piece.get_column("paper_id")], last)
            for position, piece, last in in_shard_ranges(iter(ranges), SHARDS, touched)
        ]

    ranges = [ids(0, 3), ids(), ids(4, 5, 8), ids(9), ids(11, 12)]
    touched = touched_shards(SHARDS, pl.concat(ranges).get_column("paper_id"))
    assert touched == [0, 1, 2]
    assert cut(ranges, touched) == [
        (0, [0, 3], False),
        (0, [4], True),
        (1, [5, 8], True),
        (2, [9], False),
        (2, [11, 12], True),
    ]
    with pytest.raises(RuntimeError, match="below the key range of train-1"):
        cut([ids(3, 6)], [1])
    with pytest.raises(RuntimeError, match="1 rows of the run outside"):
        cut([ids(3), ids(9)], [0])


def test_overlapping_ranges_are_reported() -> None:
    entries = [
        {"path": "data/a", "rows": 2, "first_key": "a", "last_key": "c"},
        {"path": "data/b", "rows": 2, "first_key": "c", "last_key": "d"},
    ]
    assert check_ranges(entries) and not check_ranges(entries[:1])


def test_a_day_on_a_history_read_whole_publishes_the_same_in_ranges_of_one_paper(tmp_path: Path) -> None:
    """A history whose index was built with other dedup parameters is read whole and merged range by range
    (``flows/run/version.py``): ranges of one paper (the previous rows before, between and after the run's ids
    taken with them, a paper merged into an older one) publish what one range publishes."""
    history = [write_day(tmp_path / "history", offset) for offset in range(4)]
    first = tmp_path / "first"
    run_stages(RunConfig(inputs=history, out_dir=first, dedup=DedupParams(bands=16)))
    day = write_day(tmp_path / "day", 8, extra=[retitled(8, 1)])
    published = {}
    for rows in (1, 25_000):
        out = tmp_path / f"ranges-of-{rows}"
        shutil.copytree(first, out, symlinks=True)
        ingested, _, validated, summary = run_stages(RunConfig(inputs=[day], out_dir=out, chunk_records=rows))
        assert ingested.previous is not None and not ingested.previous.incremental
        assert validated.version is not None
        assert (len(validated.version.paths) > 1) == (rows == 1)
        manifest = json.loads((summary.path / "manifest.json").read_text())
        published[rows] = (
            pl.read_parquet(summary.path / "data" / "*.parquet"),
            pl.read_parquet(summary.path / "index" / "*.parquet"),
            manifest["counts"],
            manifest["changes"],
            validated.version_counts,
            validated.new_papers,
        )
    (papers, index, counts, changes, paper_count, new), one_range = published[1], published[25_000]
    assert papers.height > validated.run_papers.height  # older papers before and between the run's ids
    assert_frame_equal(papers, one_range[0])
    assert_frame_equal(index, one_range[1])
    assert (counts, changes) == (one_range[2], one_range[3])
    assert_frame_equal(paper_count, paper_counts(papers))
    new_ids = validated.run_papers.filter(pl.col("is_new")).get_column("paper_id")
    assert_frame_equal(new, new_papers(papers, new_ids))
    assert_frame_equal(new, one_range[5])
    merged = papers.filter(pl.col("paper_id") == "arxiv:2501.10001")
    assert merged.item(0, "aliases").to_list() and merged.item(0, "upvotes") == 99


def test_a_day_lays_out_the_same_files_whatever_its_range_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shards are cut by the memory per row of the previous rows, not of the run's segments: a day merged in
    ranges of one paper writes the very files (names, rows, sha256) that one range writes."""
    monkeypatch.setattr(flows.store.tables, "PAPER_SHARD_BYTES", 40_000)
    monkeypatch.setattr(flows.store.tables, "INDEX_SHARD_BYTES", 20_000)
    first = tmp_path / "first"
    run_stages(
        RunConfig(inputs=[write_day(tmp_path / "history", offset) for offset in range(8)], out_dir=first)
    )
    day = write_day(tmp_path / "day", 8, extra=[retitled(8, number) for number in (1, 22)])
    layouts, folders = [], []
    for rows in (1, 25_000):
        out = tmp_path / f"ranges-of-{rows}"
        shutil.copytree(first, out, symlinks=True)
        _, _, validated, summary = run_stages(RunConfig(inputs=[day], out_dir=out, chunk_records=rows))
        assert validated.incremental is not None
        manifest = json.loads((summary.path / "manifest.json").read_text())
        files = [f for f in manifest["files"] if f["path"].startswith(("data/", "index/"))]
        layouts.append(
            [  # names end with the version, which is each copy's own
                (f["path"].replace(summary.path.name, "<version>"), f["rows"], f["first_key"], f["last_key"])
                + ("linked_from" in f,)
                + ((f["sha256"],) if "linked_from" in f else ())  # written files name their version
                for f in files
            ]
        )
        folders.append(summary.path)
    for f in layouts[0]:  # the same rows in each file
        first_file, second_file = (folder / f[0].replace("<version>", folder.name) for folder in folders)
        assert_frame_equal(pl.read_parquet(first_file), pl.read_parquet(second_file))
    data_files = [entry for entry in layouts[0] if entry[0].startswith("data/")]
    assert len(data_files) >= 3 and any(entry[4] for entry in data_files) and layouts[0] == layouts[1]
