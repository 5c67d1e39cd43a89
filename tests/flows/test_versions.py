"""papers versions / diff / show, and the changes each version records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.cli import ExitCode, main
from tests.support.paper_rows import paper_row, papers_frame
from tests.support.release_fixtures import V1, V2, publish


def two_versions(out: Path) -> None:
    publish(
        out,
        V1,
        papers_frame(
            paper_row(paper_id="arxiv:1", arxiv_id="1", upvotes=3),
            paper_row(paper_id="arxiv:2", arxiv_id="2"),
        ),
    )
    publish(
        out,
        V2,
        papers_frame(
            paper_row(paper_id="arxiv:1", arxiv_id="1", upvotes=8, times_seen=2),
            paper_row(paper_id="arxiv:3", arxiv_id="3"),
        ),
    )


def test_each_version_records_its_changes_in_the_manifest_and_a_changelog(tmp_path: Path) -> None:
    two_versions(tmp_path)
    folder = tmp_path / "trending-papers" / V2
    changes = json.loads((folder / "manifest.json").read_text())["changes"]
    assert (changes["since"], changes["added"], changes["removed"], changes["changed"]) == (V1, 1, 1, 1)
    assert changes["fields"]["upvotes"]["examples"] == [{"paper_id": "arxiv:1", "before": "3", "after": "8"}]
    changelog = (folder / "CHANGELOG.md").read_text()
    assert changelog.startswith(f"# {V2}\n\nChanges since `{V1}`:")
    assert "- added: 1, e.g. `arxiv:3`" in changelog and "- removed: 1, e.g. `arxiv:2`" in changelog
    assert "`upvotes`: 1 papers, e.g. `arxiv:1`: `3` → `8`" in changelog
    assert (
        tmp_path / "trending-papers" / V1 / "CHANGELOG.md"
    ).read_text() == f"# {V1}\n\nFirst version: 2 papers.\n"


def test_versions_lists_one_line_per_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    two_versions(tmp_path)
    (tmp_path / "releases").mkdir()
    (tmp_path / "releases" / "releases.jsonl").write_text(
        json.dumps({"version": V1, "repo_id": "o/n"}) + "\n"
    )
    assert main(["versions", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "version",
        "created",
        "(UTC)",
        "papers",
        "new",
        "updated",
        "quarant.",
        "released",
    ]
    assert lines[1].split() == [V1, "2024-05-27", "08:00:00", "2", "2", "0", "1", "o/n"]
    assert lines[2].split() == ["*", V2, "2024-05-28", "08:00:00", "2", "2", "0", "1", "no"]


def test_diff_shows_added_removed_and_changed_fields_with_examples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two_versions(tmp_path)
    assert main(["diff", V1, "latest", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"diff {V1} -> {V2}\npapers     2 -> 2\nadded      1  e.g. arxiv:3\nremoved    1  e.g. arxiv:2\n"
    )
    assert "changed    1 (unchanged 0)" in out
    assert "  upvotes" in out and "      arxiv:1: 3 -> 8" in out and "      arxiv:1: 1 -> 2" in out
    assert main(["diff", V1, "20990101T000000.000000Z", "--out", str(tmp_path)]) == ExitCode.USAGE


def test_show_gives_every_field_its_history_and_provenance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two_versions(tmp_path)
    assert main(["show", "arxiv:1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"arxiv:1 in version {V2}\n")
    assert "  upvotes                8" in out and "  record_hash" in out
    assert f"  {V1}  first appears (times_seen 1)" in out
    assert f"  {V2}  changed: upvotes, times_seen" in out or f"  {V2}  changed: times_seen, upvotes" in out
    assert f"  {V1}  record r0000 (hf-daily) published  from /data/hf-daily-api/2024-05-27.json #0" in out
    assert main(["show", "arxiv:2", "--out", str(tmp_path)]) == ExitCode.USAGE  # removed in V2
    assert main(["show", "arxiv:2", "--version", V1, "--out", str(tmp_path)]) == 0


def test_a_version_without_its_manifest_is_refused_before_it_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Resolving a version reads its manifest: a damaged one is a one-line usage error, not a half answer."""
    two_versions(tmp_path)
    (tmp_path / "trending-papers" / V1 / "manifest.json").unlink()
    capsys.readouterr()
    assert main(["diff", V1, "latest", "--out", str(tmp_path)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1 and f"version {V1} under" in err and "is damaged: it has no manifest.json" in err
    )
    assert main(["show", "arxiv:1", "--out", str(tmp_path)]) == 0  # the intact latest still answers
