"""Raw zone: content-addressed bodies, one log line per response, replay with original provenance."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.sources.local import expand_inputs, read_local_captures
from flows.sources.replay import read_raw_zone
from flows.store.raw_zone import LOG_NAME, RawZone, extension_for, is_raw_zone, read_entries

T0 = datetime(2025, 1, 10, 23, 59, 59, 123456, tzinfo=UTC)
T1 = datetime(2025, 1, 11, 0, 0, 1, tzinfo=UTC)


def test_store_is_content_addressed_and_logged(tmp_path: Path) -> None:
    zone = RawZone(tmp_path, run="r1")
    body = '[{"paper": {"id": "2501.00001", "title": "Ü"}}]'.encode()
    first = zone.store(
        "hf-daily", "http://h/api?date=2025-01-10", 200, body, T0, content_type="application/json"
    )
    again = zone.store("hf-daily", "http://h/api?date=2025-01-10", 200, body, T0, elapsed=0.25)
    assert first.file == again.file == f"hf-daily/2025-01-10/{first.sha256}.json"
    assert (tmp_path / first.file).read_bytes() == body
    files = sorted(p.name for p in (tmp_path / "hf-daily" / "2025-01-10").iterdir())
    assert files == sorted([f"{first.sha256}.json", LOG_NAME])
    lines = [
        json.loads(line) for line in (tmp_path / "hf-daily/2025-01-10" / LOG_NAME).read_text().splitlines()
    ]
    assert len(lines) == 2
    assert lines[1] | {"time": None} == {
        "source": "hf-daily",
        "url": "http://h/api?date=2025-01-10",
        "status": 200,
        "kind": "capture",
        "captured_at": T0.isoformat(),
        "time": None,
        "size": len(body),
        "sha256": first.sha256,
        "file": first.file,
        "run": "r1",
    }
    assert lines[1]["time"] == 0.25
    with pytest.raises(ValueError):
        zone.store("hf-daily", "u", 200, b"", T0, kind="mystery")


def test_extension_for() -> None:
    assert extension_for("application/atom+xml; charset=utf-8", b"<feed/>") == "xml"
    assert extension_for(None, b"  {}") == "json"
    assert extension_for("application/octet-stream", b"<!DOCTYPE html><html>") == "html"
    assert extension_for(None, b"\x00\x01") == "bin"


def _zone(tmp_path: Path) -> Path:
    zone = RawZone(tmp_path / "raw", run="r1")
    zone.store("hf-daily", "http://h/a", 200, b"[]", T0)
    zone.store("hf-daily", "http://h/a", 503, b"busy", T0, kind="attempt")
    zone.store("hf-page", "http://h/p", 200, b"<html></html>", T1, content_type="text/html")
    zone.store("robots", "http://h/robots.txt", 404, b"nope", T0, kind="robots")
    zone.store("hf-daily", "http://h/a", 200, b"[]", T1)
    RawZone(tmp_path / "raw", run="r2").store("arxiv", "http://x/q", 400, b"<feed/>", T1)
    return tmp_path / "raw"


def test_replay_reads_only_captures_with_original_source_and_time(tmp_path: Path) -> None:
    root = _zone(tmp_path)
    assert is_raw_zone(root) and is_raw_zone(root / "hf-page") and not is_raw_zone(tmp_path / "nothing")
    assert len(read_entries(root)) == 6
    replayed = read_raw_zone(root).captures
    assert [(c.source, c.location, c.content, c.captured_at) for c in replayed] == [
        ("hf-daily", "http://h/a", b"[]", T0),
        ("arxiv", "http://x/q", b"<feed/>", T1),
        ("hf-page", "http://h/p", b"<html></html>", T1),
    ]
    assert [c.source for c in read_raw_zone(root, run="r2").captures] == ["arxiv"]
    assert [c.source for c in read_raw_zone(root / "hf-page" / T1.date().isoformat()).captures] == ["hf-page"]


def test_a_tampered_or_missing_body_is_left_out_alone(tmp_path: Path) -> None:
    root = _zone(tmp_path)
    page = next(e for e in read_entries(root) if e.source == "hf-page")
    (root / page.file).write_bytes(b"changed")
    feed = next(e for e in read_entries(root) if e.source == "arxiv")
    (root / feed.file).unlink()
    replay = read_raw_zone(root)
    assert [c.source for c in replay.captures] == ["hf-daily"]
    assert sorted((Path(p.location).name, p.reason) for p in replay.problems) == sorted(
        [
            (Path(page.file).name, "raw-zone-body-changed"),
            (Path(feed.file).name, "raw-zone-body-missing"),
        ]
    )


BAD_LINES = [
    ("not-json", "{oops"),
    ("not-an-object", "[1, 2]"),
    ("missing-fields", '{"source": "hf-page"}'),
    ("wrong-type-status", {"status": "200"}),
    ("wrong-type-size", {"size": True}),
    ("unknown-fields", {"extra": 1}),
    ("unknown-kind", {"kind": "exploit"}),
    ("bad-sha256", {"sha256": "ab"}),
    ("bad-file-path", {"file": "../../../etc/passwd"}),
    ("bad-captured-at", {"captured_at": "yesterday"}),
    (
        "bad-captured-at",
        {"captured_at": "2025-01-02T00:00:00"},
    ),  # naive: not comparable with the zone's times
]


@pytest.mark.parametrize(
    ("why", "bad"), BAD_LINES, ids=[f"{why}-{n}" for n, (why, _) in enumerate(BAD_LINES)]
)
def test_a_bad_log_line_is_left_out_alone_with_its_reason(tmp_path: Path, why: str, bad: str | dict) -> None:
    """A crafted or damaged line of ``responses.jsonl`` costs that line, never the day's other captures."""
    root = _zone(tmp_path)
    day = root / "hf-daily" / T0.date().isoformat()
    log = day / LOG_NAME
    lines = log.read_text().splitlines()
    good = json.loads(lines[0])
    line = bad if isinstance(bad, str) else json.dumps(good | bad)
    log.write_text("\n".join([line, *lines]) + "\n")
    replay = read_raw_zone(day)
    assert [(c.source, c.captured_at) for c in replay.captures] == [("hf-daily", T0)]
    assert [(p.location, p.reason) for p in replay.problems] == [(f"{log}:1", f"raw-zone-bad-line:{why}")]
    captures, reports = read_local_captures([day])
    assert [c.source for c in captures] == ["hf-daily"]
    assert {(r.path, r.skipped) for r in reports if r.skipped and r.skipped.startswith("raw-zone-bad")} == {
        (f"{log}:1", f"raw-zone-bad-line:{why}")
    }


def test_a_file_named_like_a_log_with_mostly_bad_lines_is_no_raw_zone(tmp_path: Path) -> None:
    folder = tmp_path / "dump"
    folder.mkdir()
    (folder / LOG_NAME).write_text('{"a": 1}\n{"b": 2}\n')
    assert not is_raw_zone(folder)


def test_local_input_reading_replays_raw_zone_folders(tmp_path: Path) -> None:
    root = _zone(tmp_path)
    local = tmp_path / "page.txt"
    local.write_text("x")
    captures, reports = read_local_captures([root, local])
    assert [c.source for c in captures] == ["hf-daily", "arxiv", "hf-page", "auto"]
    assert captures[0].captured_at == T0
    assert [r.path for r in reports][:3] == ["http://h/a", "http://x/q", "http://h/p"]


def test_sidecars_are_not_inputs_and_a_log_only_when_it_is_a_real_one(tmp_path: Path) -> None:
    (tmp_path / "q.xml").write_text("<feed/>")
    (tmp_path / "q.meta.json").write_text('{"url": "u", "status_code": 200}')
    (tmp_path / "lonely.meta.json").write_text("{}")
    (tmp_path / LOG_NAME).write_text("")  # an empty file named like a log is not a raw zone: it is read
    assert [p.name for p in expand_inputs([tmp_path])] == ["lonely.meta.json", "q.xml", LOG_NAME]
