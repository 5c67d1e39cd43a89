"""The test infrastructure itself: the real Prefect server fixture and headless Chromium."""

from __future__ import annotations

from pathlib import Path

import httpx


def test_prefect_server_answers_and_accepts_a_flow_run(prefect_server) -> None:
    health = httpx.get(f"{prefect_server.api_url}/health", timeout=10)
    assert health.status_code == 200
    created = httpx.post(f"{prefect_server.api_url}/flows/", json={"name": "infra-check"}, timeout=10)
    assert created.status_code in (200, 201)
    assert created.json()["name"] == "infra-check"


def test_chromium_renders_a_local_page_and_reports_its_console_errors(tmp_path: Path) -> None:
    from tests.support.browser import open_page, screenshot

    good = tmp_path / "good.html"
    good.write_text("<!doctype html><title>ok</title><h1 id='h'>Hello</h1>")
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!doctype html><title>bad</title><script>console.error('boom'); undefinedCall();</script>"
    )
    png = tmp_path / "good.png"
    assert screenshot(good, png).errors == []
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open_page(good) as (page, _):
        assert page.inner_text("#h") == "Hello"
    errors = screenshot(bad, tmp_path / "bad.png").errors
    assert any("boom" in e for e in errors)
    assert any("undefinedCall" in e for e in errors)
