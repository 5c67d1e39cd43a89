"""Releases through the real huggingface_hub client against a stateful Hub on 127.0.0.1
(tests/support/hub_server.py)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows.cli import ExitCode, main
from flows.net.retry import RetryPolicy
from flows.release.release import release
from flows.store.releases import read_release_log
from tests.support.hub_server import FakeHub, Fault, fake_hub
from tests.support.lock_holder import assert_refused_in_one_line, main_while_locked
from tests.support.paper_rows import paper_row, papers_frame
from tests.support.release_fixtures import V1, V2, V3, publish

TOKEN = "hf_TestTokenThatMustNeverBeShown1234"
REPO = "curators/trending-papers"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    import huggingface_hub.constants
    from huggingface_hub.utils import disable_progress_bars

    disable_progress_bars()
    # The loopback Hub speaks the LFS protocol; hf_xet's chunk upload needs the real Hub's CAS service.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with fake_hub(TOKEN) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        yield server


def three_papers() -> pl.DataFrame:
    return papers_frame(
        paper_row(paper_id="arxiv:2405.00001", arxiv_id="2405.00001", upvotes=3),
        paper_row(paper_id="arxiv:2405.00002", arxiv_id="2405.00002"),
        paper_row(paper_id="title:00000000000000aa", arxiv_id=None, title="A Paper Without arXiv"),
    )


def later_papers() -> pl.DataFrame:
    return papers_frame(
        paper_row(paper_id="arxiv:2405.00001", arxiv_id="2405.00001", upvotes=9, times_seen=2),
        paper_row(paper_id="arxiv:2405.00002", arxiv_id="2405.00002"),
        paper_row(paper_id="arxiv:2405.00003", arxiv_id="2405.00003", title="A New Paper"),
        paper_row(paper_id="title:00000000000000aa", arxiv_id=None, title="A Paper Without arXiv"),
    )


def test_a_release_is_one_commit_of_the_exact_folder_tagged_with_the_version(
    hub: FakeHub, tmp_path: Path
) -> None:
    version_dir = publish(tmp_path, V1, three_papers())
    outcome = release(tmp_path, "latest", repo_id=REPO)

    repo = hub.repos[REPO]
    assert repo.tags == {V1: outcome.commit} and repo.head.oid == outcome.commit
    (commit,) = hub.commits_posted()
    assert commit[0]["value"]["summary"] == f"Release {V1}"
    assert commit[0]["value"]["parentCommit"] == repo.commits[0].oid  # pinned: never committed twice
    operations = {line["value"]["path"]: line["key"] for line in commit[1:]}
    assert operations == {
        "data/train-00000-of-00001.parquet": "lfsFile",
        "listings/train-00000-of-00001.parquet": "lfsFile",
        "README.md": "file",
    }
    data = (version_dir / "data" / f"train-00000-of-00001-{V1}.parquet").read_bytes()  # released unversioned
    assert repo.head.files["data/train-00000-of-00001.parquet"] == (data, True)
    card = (tmp_path / "releases" / V1 / "README.md").read_bytes()
    assert repo.head.files["README.md"] == (card, False)
    assert set(repo.head.files) == {
        ".gitattributes",
        "README.md",
        "data/train-00000-of-00001.parquet",
        "listings/train-00000-of-00001.parquet",
    }
    assert hub.validated_cards == [card.decode()]
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in hub.seen("POST", r"/commit/"))
    (entry,) = read_release_log(tmp_path)
    assert (entry["version"], entry["repo_id"], entry["commit"]) == (V1, REPO, outcome.commit)

    # What `load_dataset(REPO, revision=V1)` reads is exactly what the tag points at: load those bytes back.
    checkout = tmp_path / "checkout"
    for path, (content, _) in repo.commit_at(V1).files.items():
        (checkout / path).parent.mkdir(parents=True, exist_ok=True)
        (checkout / path).write_bytes(content)
    assert _load_offline(checkout).num_rows == 3


def test_a_new_release_deletes_stale_shards_in_the_same_commit(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.store.tables

    with monkeypatch.context() as patch:
        patch.setattr(flows.store.tables, "PAPER_SHARD_BYTES", 1)
        publish(tmp_path, V1, three_papers())  # three shards of one paper each
    release(tmp_path, V1, repo_id=REPO)
    publish(tmp_path, V2, later_papers())
    outcome = release(tmp_path, V2, repo_id=REPO)

    first, second = hub.commits_posted()
    tables = ("data", "listings")
    assert {line["value"]["path"] for line in first[1:]} == {
        "README.md",
        *(f"{table}/train-0000{i}-of-00003.parquet" for table in tables for i in range(3)),
    }
    assert sorted((line["key"], line["value"]["path"]) for line in second[1:]) == [
        *(("deletedFile", f"{table}/train-0000{i}-of-00003.parquet") for table in tables for i in range(3)),
        ("file", "README.md"),
        *(("lfsFile", f"{table}/train-00000-of-00001.parquet") for table in tables),
    ]
    repo = hub.repos[REPO]
    assert set(repo.commit_at(V2).files) == {
        ".gitattributes",
        "README.md",
        "data/train-00000-of-00001.parquet",
        "listings/train-00000-of-00001.parquet",
    }
    assert repo.tags[V1] != repo.tags[V2] == outcome.commit
    assert len(repo.commit_at(V1).files) == 8  # the old tag still gives the old version
    card = repo.commit_at(V2).files["README.md"][0].decode()
    assert f"## Changes since the previous release (`{V1}`)" in card
    assert "- added: 1, e.g. `arxiv:2405.00003`" in card


def test_re_releasing_a_released_version_is_a_no_op_that_says_so(
    hub: FakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(tmp_path, V1, three_papers())
    assert main(["release", V1, "--repo-id", REPO, "--out", str(tmp_path)]) == 0
    writes = len([r for r in hub.requests if r.method != "GET"])
    capsys.readouterr()
    assert main(["release", "latest", "--repo-id", REPO, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"already released: {V1} is tag {V1} of {REPO}; nothing uploaded" in out
    assert len([r for r in hub.requests if r.method != "GET"]) == writes  # nothing posted
    assert len(hub.repos[REPO].commits) == 2


def test_an_older_version_is_not_released_over_a_newer_release(hub: FakeHub, tmp_path: Path) -> None:
    publish(tmp_path, V1, three_papers())
    publish(tmp_path, V2, later_papers())
    release(tmp_path, V2, repo_id=REPO)
    assert main(["release", V1, "--repo-id", REPO, "--out", str(tmp_path)]) == ExitCode.USAGE
    assert list(hub.repos[REPO].tags) == [V2] and len(hub.repos[REPO].commits) == 2


def test_a_429_waits_its_retry_after_and_a_503_backs_off(hub: FakeHub, tmp_path: Path) -> None:
    publish(tmp_path, V1, three_papers())
    hub.fail("POST", "/commit/main", Fault(429, {"Retry-After": "7"}), Fault(503))
    hub.fail("POST", r"/tag/", Fault(503))
    sleeps: list[float] = []
    outcome = release(tmp_path, V1, repo_id=REPO, sleep=sleeps.append, retry=RetryPolicy(retries=3))
    assert sleeps == [
        7.0,
        2.0,
        1.0,
    ]  # commit: 429 waits its Retry-After, 503 the 2nd backoff; tag: 1st backoff
    assert len(hub.seen("POST", r"/commit/")) == 3 and len(hub.seen("POST", r"/tag/")) == 2
    assert len(hub.repos[REPO].commits) == 2 and hub.repos[REPO].tags == {V1: outcome.commit}


def test_retries_are_bounded_and_other_errors_are_not_retried(
    hub: FakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(tmp_path, V1, three_papers())
    hub.fail("POST", "/commit/main", *[Fault(503)] * 10)
    sleeps: list[float] = []
    with pytest.raises(Exception, match="still failing after 3 attempts"):
        release(tmp_path, V1, repo_id=REPO, sleep=sleeps.append, retry=RetryPolicy(retries=2))
    assert sleeps == [1.0, 2.0] and len(hub.seen("POST", r"/commit/")) == 3
    hub.faults.clear()
    hub.fail("POST", "/commit/main", Fault(403, body=b'{"error": "You do not have write access"}'))
    assert main(["release", V1, "--repo-id", REPO, "--out", str(tmp_path)]) == 4
    assert len(hub.seen("POST", r"/commit/")) == 4  # one more attempt, not retried
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("papers release: commit: the Hub refused (HTTP 403)"), err
    assert not hub.repos[REPO].tags


def test_dry_run_prints_the_plan_and_uploads_nothing(
    hub: FakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(tmp_path, V1, three_papers())
    release(tmp_path, V1, repo_id=REPO)
    publish(tmp_path, V2, later_papers())
    requests = len(hub.requests)
    assert main(["release", "--dry-run", "--repo-id", REPO, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert all(r.method == "GET" for r in hub.requests[requests:])
    assert f"release  {V2} -> datasets/{REPO}" in out
    assert "data/train-00000-of-00001.parquet" in out and "4 rows, 1 row groups" in out
    assert "  add data/train-00000-of-00001.parquet" in out and "  add README.md" in out
    assert f"tag      {V2}" in out and f"previous release: {V1}" in out
    assert out.rstrip().endswith("dry run: nothing uploaded")
    assert V2 not in hub.repos[REPO].tags


def test_offline_dry_run_plans_against_an_empty_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    publish(tmp_path, V1, three_papers())
    assert main(["release", "--dry-run", "--repo-id", REPO, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "not contacted (offline)" in out and "  add data/train-00000-of-00001.parquet" in out


def test_the_token_is_never_printed_or_logged(
    hub: FakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, huggingface_hub's and httpx's included
    publish(tmp_path, V1, three_papers())
    hub.fail("POST", "/commit/main", Fault(500, body=f'{{"error": "echo {TOKEN}"}}'.encode()), Fault(401))
    main(["release", V1, "--repo-id", REPO, "--out", str(tmp_path)])
    main(["release", V1, "--repo-id", REPO, "--out", str(tmp_path)])
    main(["release", V1, "--repo-id", REPO, "--out", str(tmp_path), "--dry-run"])
    captured = capsys.readouterr()
    assert hub.repos[REPO].tags  # the last real attempt released
    assert caplog.records and TOKEN not in caplog.text
    assert TOKEN not in captured.out and TOKEN not in captured.err
    assert TOKEN not in (tmp_path / "releases" / "releases.jsonl").read_text()


def test_usage_errors_exit_3_before_contacting_the_hub(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(tmp_path, V1, three_papers())
    assert main(["release", "--repo-id", "no-slash", "--out", str(tmp_path)]) == ExitCode.USAGE
    assert main(["release", V3, "--repo-id", REPO, "--out", str(tmp_path)]) == ExitCode.USAGE
    monkeypatch.delenv("HF_TOKEN")
    assert main(["release", "--repo-id", REPO, "--out", str(tmp_path)]) == ExitCode.USAGE
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3
    assert err[0] == "papers release: error: --repo-id must be OWNER/NAME, got 'no-slash'"
    assert err[1].startswith(f"papers release: error: no version '{V3}' under {tmp_path / 'trending-papers'}")
    assert (
        err[2] == "papers release: error: no Hugging Face token: set HF_TOKEN or log in with `hf auth login`"
    )
    assert hub.requests == []


@pytest.mark.parametrize("dry_run", [False, True], ids=["release", "dry-run"])
def test_a_release_exits_5_while_another_run_holds_the_output(
    dry_run: bool, hub: FakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A release takes the output lock like every writer: a prune or a second release cannot change the version
    or rebuild its release folder under an upload."""
    from flows.cli import ExitCode

    publish(tmp_path, V1, three_papers())
    code, holder = main_while_locked(tmp_path, ["release", V1, "--repo-id", REPO, *(["--dry-run"] * dry_run)])
    assert code == ExitCode.OUTPUT_LOCKED
    assert_refused_in_one_line(capsys.readouterr().err, holder)
    assert hub.requests == [] and not (tmp_path / "releases").exists()
    assert main(["release", V1, "--repo-id", REPO, "--out", str(tmp_path)]) == 0  # admitted once it is free
    assert V1 in hub.repos[REPO].tags


def test_the_release_folder_loads_offline_with_datasets_and_duckdb(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(tmp_path, V1, three_papers())
    outcome = release(tmp_path, V1, repo_id=REPO, dry_run=True)
    folder = outcome.plan.folder
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "README.md",
        "data/train-00000-of-00001.parquet",
        "listings/train-00000-of-00001.parquet",
    ]
    loaded = _load_offline(folder, monkeypatch)
    assert loaded.num_rows == 3 and loaded.column_names[0] == "paper_id"
    assert sorted(loaded["paper_id"]) == sorted(three_papers()["paper_id"].to_list())
    assert duckdb.sql(f"select count(*) from '{folder}/data/*.parquet'").fetchall() == [(3,)]
    listings = _load_offline(folder, monkeypatch, "listings")
    listed = three_papers().get_column("listings").list.len().sum()
    assert listings.num_rows == listed > 0 and listings.column_names[:3] == [
        "paper_id",
        "listed_on",
        "source",
    ]
    assert duckdb.sql(f"select count(*) from '{folder}/listings/*.parquet'").fetchall() == [(listed,)]
    assert hashlib.sha256((folder / "data" / "train-00000-of-00001.parquet").read_bytes()).hexdigest() == (
        outcome.plan.files[1].sha256
    )


def _load_offline(folder: Path, monkeypatch: pytest.MonkeyPatch | None = None, name: str | None = None):
    import datasets
    import datasets.config

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_DATASETS_OFFLINE", "1")
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
        patch.setenv("HF_DATASETS_CACHE", str(folder.parent / "datasets-cache"))
        return datasets.load_dataset(
            str(folder), name, split="train", cache_dir=str(folder.parent / "datasets-cache")
        )
