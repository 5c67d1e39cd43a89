"""``papers verify``: every file of a version against its manifest; a damaged file is named, with how."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.cli.exits import ExitCode
from flows.cli.main import main
from flows.store.verify import verify_version
from tests.support.paper_rows import paper_row, papers_frame
from tests.support.release_fixtures import V1, V2, publish


@pytest.fixture
def out(tmp_path: Path) -> Path:
    papers = papers_frame(paper_row(), paper_row(paper_id="arxiv:2405.00002", arxiv_id="2405.00002"))
    publish(tmp_path, V1, papers.head(1))
    publish(tmp_path, V2, papers)
    return tmp_path


def verified(out: Path, *arguments: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(["verify", *arguments, "--out", str(out), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_an_intact_version_verifies(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, document = verified(out, capsys=capsys)
    assert code == ExitCode.DONE and document["ok"]
    assert list(document["versions"]) == [V2] and document["versions"][V2]["files"] >= 3
    code, document = verified(out, "--all", capsys=capsys)
    assert code == ExitCode.DONE and list(document["versions"]) == [V1, V2]


def test_each_kind_of_damage_is_named(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = out / "trending-papers" / V2
    manifest = json.loads((folder / "manifest.json").read_text())
    data = next(f["path"] for f in manifest["files"] if f["path"].startswith("data/"))
    ledger = next(f["path"] for f in manifest["files"] if f["path"] == "ledger.parquet")
    listed = next(f["path"] for f in manifest["files"] if f["path"].startswith("quarantine/"))
    (folder / data).write_bytes((folder / data).read_bytes()[:-1] + b"X")  # same size, other bytes
    (folder / ledger).unlink()
    (folder / listed).write_text("shorter")
    (folder / "data" / "extra.parquet").write_bytes(b"PAR1")
    problems = {check.path: check.problem for check in verify_version(folder) if check.problem}
    assert problems == {
        data: "sha256-differs",
        ledger: "missing",
        listed: "size-differs",
        "data/extra.parquet": "not-in-manifest",
    }
    code, document = verified(out, V2, capsys=capsys)
    assert code == ExitCode.CONTRACT_BROKEN == 2 and not document["ok"]
    assert len(document["versions"][V2]["problems"]) == 4


def test_an_unreadable_manifest_is_reported_not_raised(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (out / "trending-papers" / V1 / "manifest.json").write_text("{not json")
    code, document = verified(out, "--all", capsys=capsys)
    assert code == ExitCode.CONTRACT_BROKEN
    assert document["versions"][V1]["problems"] == [{"path": "manifest.json", "problem": "unreadable"}]
    assert document["versions"][V2]["problems"] == []


def test_an_unknown_version_is_a_usage_error(out: Path) -> None:
    assert main(["verify", "20990101T000000.000000Z", "--out", str(out)]) == ExitCode.USAGE


def test_a_manifest_of_the_wrong_shape_or_leading_out_of_the_folder_is_reported(out: Path) -> None:
    folder = out / "trending-papers" / V2
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.chmod(0o644)
    manifest_path.write_text(json.dumps({**manifest, "files": [{"bytes": 1}]}))
    assert [(c.path, c.problem) for c in verify_version(folder)] == [("manifest.json", "malformed")]
    escaping = {"path": "../../../etc/hostname", "bytes": 1, "sha256": "00"}
    manifest_path.write_text(json.dumps({**manifest, "files": [*manifest["files"], escaping]}))
    problems = {c.path: c.problem for c in verify_version(folder) if c.problem}
    assert problems == {"../../../etc/hostname": "outside-the-version"}
