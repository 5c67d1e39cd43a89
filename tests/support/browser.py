"""Headless Chromium for tests that look at a page the pipeline writes (report, validation docs).

Debian's ``chromium`` (installed by ``scripts/install-system-deps.sh``, which ``make test`` runs) driven by
Playwright's Python client; Playwright's own browser download is never used. Every page is opened from a
``file://`` URL with networking confined to the machine, and what the page logs as an error is collected.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Flags that keep Chromium from reaching for the closed network (it would log refused connections)."""


def chromium_path() -> str:
    """The system Chromium; a clear failure (not a skip) when the system dependencies were not installed."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError(
            "chromium is not installed: run `bash scripts/install-system-deps.sh` (make test does)"
        )
    return path


@dataclass
class PageLog:
    """What a page reported while it loaded: console errors, uncaught exceptions and failed requests."""

    errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)


@contextmanager
def open_page(path: Path, width: int = 1280, height: int = 900) -> Iterator[tuple[object, PageLog]]:
    """Open ``path`` in headless Chromium; yields the Playwright page and the log of what went wrong."""
    from playwright.sync_api import sync_playwright

    log = PageLog()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on(
                "console",
                lambda message: log.errors.append(message.text) if message.type == "error" else None,
            )
            page.on("pageerror", lambda error: log.errors.append(str(error)))
            page.on("requestfailed", lambda request: log.failed_requests.append(request.url))
            page.goto(path.resolve().as_uri())
            page.wait_for_load_state("load")
            yield page, log
        finally:
            browser.close()


def screenshot(path: Path, out: Path, width: int = 1280) -> PageLog:
    """A full-page PNG of ``path`` at ``out``; returns the page's error log."""
    with open_page(path, width=width) as (page, log):
        page.screenshot(path=str(out), full_page=True)
    return log
