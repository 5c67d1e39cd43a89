"""Undo: rollback, retract / unretract and prune, on real versions published by the flow."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import feedparser
import polars as pl
import pytest

from flows.cli import ExitCode, main
from flows.run.config import RunConfig
from flows.run.flow import run_curation as curate
from flows.store.catalog import Catalog
from flows.store.journal import read_journal
from flows.store.layout import RETRACTIONS_FILE, dataset_root
from flows.store.releases import RELEASED_MARKER
from flows.store.retractions import read_retractions
from tests.support.daily_listings import sample_papers
from transforms.report.digest import ENTRY_ID_PREFIX

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]

MISTAKE = "\n".join(
    [
        "Results on the bundled page",
        "The bundled page has one hundred entries and gives ninety nine papers after deduplication, with only the"
        " channel pruning pair merged because their abstracts share most of their word trigrams and their titles"
        " overlap.",
        "Scale of the signature stage",
        "Signatures and locality sensitive hashing take about six seconds for one hundred thousand abstracts and"
        " about two minutes for a million abstracts on the two cores of the shared development machine we"
        " measured on.",
        "",
    ]
)
"""Bench notes saved as plain text, shaped like a listing (title line, abstract line): a wrong input that is
a valid listing, so the run publishes its two entries as papers. (Markdown notes, as in the original
``papers run bench/`` mistake, are refused at parse time now; a plausible wrong listing is not.)"""


def text_page(numbers: range) -> str:
    papers = sample_papers()
    lines = ["Get trending papers in your email inbox!"]
    for n in numbers:
        lines += list(papers[n])
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """v1 from a small page, then v2 with the bench notes published by mistake."""
    base = tmp_path_factory.mktemp("undo")
    inputs = base / "inputs"
    (inputs / "bench").mkdir(parents=True)
    (inputs / "page-a.txt").write_text(text_page(range(0, 6)), "utf-8")
    (inputs / "page-b.txt").write_text(text_page(range(6, 9)), "utf-8")
    (inputs / "bench" / "notes.txt").write_text(MISTAKE, "utf-8")
    out = base / "out"
    v1 = curate(RunConfig(inputs=[inputs / "page-a.txt"], out_dir=out))
    v2 = curate(RunConfig(inputs=[inputs / "bench"], out_dir=out))
    mistaken = pl.read_parquet(v2.path / "data" / "*.parquet").filter(
        pl.col("title").str.contains("Results on the bundled page|Scale of the signature stage")
    )
    assert mistaken.height == 2, "the mistake this test undoes: bench notes published as papers"
    return {
        "out": out,
        "inputs": inputs,
        "v1": v1.version,
        "v2": v2.version,
        "mistaken": sorted(mistaken.get_column("paper_id").to_list()),
    }


@pytest.fixture
def out(published: dict[str, object], tmp_path: Path) -> Path:
    """A private copy of the published output folder (symlinks kept)."""
    copy = tmp_path / "out"
    shutil.copytree(published["out"], copy, symlinks=True)
    return copy


def papers_of(out: Path, version: str = "latest") -> pl.DataFrame:
    return pl.read_parquet(dataset_root(out) / version / "data" / "*.parquet")


def manifest_of(out: Path, version: str = "latest") -> dict:
    return json.loads((dataset_root(out) / version / "manifest.json").read_text())


def one_line(text: str) -> bool:
    return text.count("\n") == 1 and "Traceback" not in text


# --- rollback -----------------------------------------------------------------------------------------------


def test_rollback_to_an_unknown_version_is_a_usage_error_and_changes_nothing(out, published, capsys) -> None:
    assert main(["rollback", "20000101T000000.000000Z", "--out", str(out)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert one_line(err) and "no version '20000101T000000.000000Z'" in err
    assert Catalog(out).latest() == published["v2"]
    assert main(["rollback", "not-a-version", "--out", str(out)]) == ExitCode.USAGE


def test_rollback_undoes_the_mistake_and_the_next_run_builds_on_the_rolled_back_version(
    out, published, capsys
) -> None:
    v1, v2 = published["v1"], published["v2"]
    code = main(["rollback", v1, "--reason", "bench notes published by mistake", "--out", str(out)])
    assert code == ExitCode.DONE
    assert one_line(capsys.readouterr().out)
    root = dataset_root(out)
    assert Catalog(root.parent).latest() == v1 and (root / v2).is_dir(), "versions stay; only latest moves"
    event = read_journal(root)[-1]
    assert event["action"] == "rollback" and event["latest"] == v1 and event["previous_latest"] == v2
    assert event["reason"] == "bench notes published by mistake"
    assert [e["action"] for e in read_journal(root)] == ["publish", "publish", "rollback"]

    assert main(["rollback", v1, "--out", str(out)]) == ExitCode.DONE, "already there: nothing to do"
    assert "nothing to do" in capsys.readouterr().out
    assert len(read_journal(root)) == 3

    after = curate(RunConfig(inputs=[published["inputs"] / "page-b.txt"], out_dir=out))
    assert manifest_of(out)["previous_version"] == v1
    papers = papers_of(out)
    assert set(papers_of(out, v1).get_column("paper_id")) < set(papers.get_column("paper_id"))
    assert not set(published["mistaken"]) & set(papers.get_column("paper_id"))
    assert papers.height == 9 and after.counts["new_papers"] == 3


def digest_ids(version_dir: Path) -> list[str]:
    """The entry ids of a version's digest feed, in its order."""
    feed = feedparser.parse((version_dir / "digest" / "feed.xml").read_text(encoding="utf-8"))
    assert not feed.bozo
    return [entry.id for entry in feed.entries]


# --- retract ------------------------------------------------------------------------------------------------


def test_retract_an_unknown_id_is_a_usage_error_and_changes_nothing(out, published, capsys) -> None:
    before = Catalog(out).versions()
    code = main(["retract", published["mistaken"][0], "arxiv:0000.00000", "--reason", "x", "--out", str(out)])
    assert code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert one_line(err) and "unknown paper id(s) in latest version" in err and "arxiv:0000.00000" in err
    assert Catalog(out).versions() == before
    assert not (dataset_root(out) / RETRACTIONS_FILE).exists()


def test_retract_undoes_the_mistake_and_keeps_it_out_of_later_runs(out, published, capsys) -> None:
    mistaken, v2 = published["mistaken"], published["v2"]
    code = main(["retract", *mistaken, "--reason", "bench notes, not papers", "--out", str(out)])
    assert code == ExitCode.DONE
    assert one_line(capsys.readouterr().out)
    root = dataset_root(out)
    retracted_in = Catalog(root.parent).latest()
    assert retracted_in != v2
    papers = papers_of(out)
    assert papers.height == papers_of(out, v2).height - 2
    assert not set(mistaken) & set(papers.get_column("paper_id"))
    manifest = manifest_of(out)
    assert manifest["operation"] == "retract" and manifest["previous_version"] == v2
    assert manifest["retraction"]["reason"] == "bench notes, not papers"
    assert [p["paper_id"] for p in manifest["retraction"]["papers"]] == mistaken
    assert manifest["counts"]["retracted_papers"] == 2 and manifest["counts"]["papers_total"] == papers.height
    before_manifest = manifest_of(out, v2)
    assert "volume" in before_manifest, "the run-level checks' history a republish must not drop"
    for carried in ("config", "listing_days", "provenance", "volume"):  # what no retraction changes
        assert manifest[carried] == before_manifest[carried], carried
    index = pl.read_parquet(root / "latest" / "index" / "dedup-keys-*.parquet")
    assert not set(mistaken) & set(index.get_column("paper_id"))
    listed = read_retractions(out)
    assert listed.get_column("paper_id").to_list() == mistaken
    assert set(listed.get_column("retracted_in")) == {retracted_in}
    assert read_journal(root)[-1]["action"] == "retract"
    before, after = digest_ids(root / v2), digest_ids(root / "latest")  # the digest is written without them
    assert before and after == [
        i for i in before if not any(i.startswith(f"{ENTRY_ID_PREFIX}{m}/") for m in mistaken)
    ]

    assert main(["retract", mistaken[0], "--reason", "again", "--out", str(out)]) == ExitCode.USAGE
    assert "already retracted" in capsys.readouterr().err

    # The same mistake again: every record accounted for as `retracted`, nothing published.
    again = curate(RunConfig(inputs=[published["inputs"] / "bench"], out_dir=out))
    assert again.version is None
    assert again.counts["quarantined_by_reason"] == {"retracted": 2}
    assert again.counts["accounting_holds"]
    failed = json.loads((again.path / "manifest.json").read_text())
    assert failed["retractions"] == {"active": mistaken, "withheld_records": 2}
    quarantine = pl.read_parquet(again.path / "quarantine.parquet")
    assert sorted(quarantine.get_column("stage").to_list()) == ["retract", "retract"]

    # Together with real input: the real papers are published, the retracted ones still held back.
    mixed = curate(
        RunConfig(inputs=[published["inputs"] / "bench", published["inputs"] / "page-b.txt"], out_dir=out)
    )
    assert mixed.version is not None and mixed.counts["new_papers"] == 3
    assert mixed.counts["quarantined_by_reason"] == {"retracted": 2}
    assert not set(mistaken) & set(papers_of(out).get_column("paper_id"))
    ledger = pl.read_parquet(mixed.path / "ledger.parquet")
    assert ledger.filter(pl.col("outcome") == "quarantined").height == 2


def test_unretract_lets_a_later_run_publish_the_papers_again(out, published, capsys) -> None:
    mistaken = published["mistaken"]
    assert main(["retract", mistaken[0], "--reason", "looks wrong", "--out", str(out)]) == ExitCode.DONE
    assert main(["unretract", "arxiv:0000.00000", "--out", str(out)]) == ExitCode.USAGE
    assert "not retracted: arxiv:0000.00000" in capsys.readouterr().err
    assert main(["unretract", mistaken[0], "--reason", "it was fine", "--out", str(out)]) == ExitCode.DONE
    assert read_retractions(out).height == 0
    assert read_journal(dataset_root(out))[-1] | {"at": None} == {
        "at": None,
        "action": "unretract",
        "latest": Catalog(out).latest(),
        "papers": [mistaken[0]],
        "reason": "it was fine",
    }
    assert mistaken[0] not in set(papers_of(out).get_column("paper_id"))
    later = curate(RunConfig(inputs=[published["inputs"] / "bench"], out_dir=out))
    assert later.version is not None and "retracted" not in later.counts["quarantined_by_reason"]
    assert mistaken[0] in set(papers_of(out).get_column("paper_id"))


# --- prune --------------------------------------------------------------------------------------------------


def test_prune_keeps_latest_even_when_it_is_old(out, published, capsys) -> None:
    v1, v2 = published["v1"], published["v2"]
    main(["retract", published["mistaken"][0], "--reason", "x", "--out", str(out)])
    v3 = Catalog(out).latest()
    main(["rollback", v1, "--out", str(out)])
    capsys.readouterr()
    assert main(["prune", "--keep", "1", "--dry-run", "--out", str(out)]) == ExitCode.DONE
    assert f"would remove 1 version(s), kept 2 (latest, newest): {v2}" in capsys.readouterr().out
    assert Catalog(out).versions() == [v1, v2, v3]

    assert main(["prune", "--keep", "1", "--out", str(out)]) == ExitCode.DONE
    assert Catalog(out).versions() == [v1, v3]
    assert Catalog(out).latest() == v1
    event = read_journal(dataset_root(out))[-1]
    assert event["action"] == "prune" and event["removed"] == [v2]
    assert event["kept"] == {v1: "latest", v3: "newest"}
    assert not list(dataset_root(out).glob(".pruning-*"))
    assert papers_of(out).height > 0, "latest still reads"


def test_prune_never_removes_the_only_copy_of_a_released_version(out, published, capsys) -> None:
    v1, v2 = published["v1"], published["v2"]
    (dataset_root(out) / v1 / RELEASED_MARKER).write_text(json.dumps({"version": v1, "copies": []}))
    assert main(["prune", "--keep", "1", "--out", str(out)]) == ExitCode.DONE
    assert "kept 2 (newest, released-only-copy)" in capsys.readouterr().out
    assert Catalog(out).versions() == [v1, v2]

    (out / "releases").mkdir()
    release = {"version": v1, "repo_id": "acme/trending-papers", "commit": "abc123", "tag": v1}
    (out / "releases" / "releases.jsonl").write_text(json.dumps(release) + "\n")
    assert main(["prune", "--keep", "1", "--out", str(out)]) == ExitCode.DONE
    assert Catalog(out).versions() == [v2], "a release with a copy elsewhere may go locally"


def test_prune_needs_keep_of_at_least_one(out, capsys) -> None:
    assert main(["prune", "--keep", "0", "--out", str(out)]) == ExitCode.USAGE
    assert one_line(capsys.readouterr().err)
    assert main(["prune", "--keep", "5", "--out", str(out)]) == ExitCode.DONE
    assert "removed 0 version(s)" in capsys.readouterr().out


def test_commands_on_an_empty_output_folder_are_usage_errors(tmp_path, capsys) -> None:
    assert main(["rollback", "20261202T120000.000000Z", "--out", str(tmp_path)]) == ExitCode.USAGE
    assert main(["retract", "arxiv:2401.00001", "--reason", "x", "--out", str(tmp_path)]) == ExitCode.USAGE
    assert "nothing is published" in capsys.readouterr().err
    assert ExitCode.NOTHING_PUBLISHED != ExitCode.USAGE
