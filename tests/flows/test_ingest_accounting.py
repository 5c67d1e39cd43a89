"""Every path found under an input is accounted in the manifest's inputs: read, duplicate, or skipped."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from flows.sources.local import read_local_captures
from flows.store.raw_zone import LOG_NAME, RawZone
from transforms.parse import InputLimits

ABSTRACT = " ".join(["We study a model and show that it learns well under mild assumptions."] * 3)
PAGE = f"A Title\n{ABSTRACT}\nAnother Title\n{ABSTRACT} Again.\n"
T0 = datetime(2025, 1, 10, 8, tzinfo=UTC)


def accounted(reports) -> dict[str, str]:
    return {Path(r.path).name: r.skipped or ("duplicate" if r.duplicate_of else "read") for r in reports}


def test_a_file_named_like_a_raw_zone_log_hides_nothing(tmp_path: Path) -> None:
    (tmp_path / "page.txt").write_text(PAGE)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.txt").write_text(PAGE.replace("Title", "Heading"))
    (tmp_path / "sub" / LOG_NAME).write_text('{"not": "a raw-zone line"}\n')
    captures, reports = read_local_captures([tmp_path])
    assert {Path(c.location).name for c in captures} == {"page.txt", "other.txt", LOG_NAME}
    assert accounted(reports) == {"page.txt": "read", "other.txt": "read", LOG_NAME: "read"}


def test_a_real_raw_zone_inside_a_folder_is_replayed_and_its_neighbours_read(tmp_path: Path) -> None:
    zone = RawZone(tmp_path / "in" / "raw", run="r1")
    zone.store("hf-daily", "http://h/a", 503, b"busy", T0, kind="attempt")
    zone.store("hf-daily", "http://h/a", 200, b"[]", T0)
    day = tmp_path / "in" / "raw" / "hf-daily" / T0.date().isoformat()
    (day / "stray.txt").write_text(PAGE)
    (tmp_path / "in" / "page.txt").write_text(PAGE.replace("Title", "Name"))
    captures, reports = read_local_captures([tmp_path / "in"])
    assert sorted(c.source for c in captures) == ["auto", "auto", "hf-daily"]
    status = accounted(reports)
    assert status["a"] == "read" and status["page.txt"] == "read" and status["stray.txt"] == "read"
    assert status[LOG_NAME] == "raw-zone-log"
    assert sorted(v for k, v in status.items() if k.endswith(".bin")) == ["raw-zone-not-a-capture"]


def test_links_fifos_sockets_and_large_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "page.txt").write_text(PAGE)
    (folder / "copy.txt").symlink_to(folder / "page.txt")
    (folder / "dangling.txt").symlink_to(folder / "missing.txt")
    (folder / "self").symlink_to(folder / "self")
    (folder / "loop").symlink_to(folder)
    os.mkfifo(folder / "pipe")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "sock"))
    (folder / "big.txt").write_text(PAGE * 50)
    (folder / ".hidden").write_text(PAGE)
    (folder / "README.md").write_text("# docs\n")
    try:
        captures, reports = read_local_captures([folder], InputLimits(max_file_bytes=len(PAGE) * 10))
    finally:
        server.close()
    assert len(captures) == 1
    assert accounted(reports) == {
        ".hidden": "hidden",
        "README.md": "documentation",
        "big.txt": "too-large",
        "copy.txt": "read",
        "dangling.txt": "dangling-link",
        "loop": "link-loop",
        "page.txt": "duplicate",
        "pipe": "not-a-regular-file",
        "self": "link-loop",
        "sock": "not-a-regular-file",
    }


def test_paths_given_directly_are_accounted_not_raised(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "dangling").symlink_to(tmp_path / "nothing")
    (tmp_path / "self").symlink_to(tmp_path / "self")
    given = [tmp_path / "pipe", tmp_path / "dangling", tmp_path / "self", tmp_path / "absent.txt"]
    captures, reports = read_local_captures(given)
    assert captures == []
    assert accounted(reports) == {
        "pipe": "not-a-regular-file",
        "dangling": "dangling-link",
        "self": "link-loop",
        "absent.txt": "not-found",
    }


def test_an_undecodable_file_name_is_read_and_stored(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.txt")
    (tmp_path / name).write_text(PAGE)
    from transforms.parse import parse_capture

    captures, reports = read_local_captures([tmp_path])
    assert len(captures) == 1 and reports[0].skipped is None
    frame = parse_capture(captures[0])
    assert frame.get_column("parse_error").is_null().all()
    assert "\ufffd" in frame.item(0, "input_path")
