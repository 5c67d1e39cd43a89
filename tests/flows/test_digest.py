"""The daily digest as readers get it: the Atom feed read by a feed parser, the page parsed strictly and rendered
in Chromium, the e-mail received by a real SMTP server on 127.0.0.1 from ``papers digest --send`` and from a
deployed run on a real Prefect server; each compared with the version's ``listings`` table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import feedparser
import html5lib
import httpx
import polars as pl
import pytest

from flows.render.digest import render_feed
from flows.run.config import RunConfig
from flows.run.degraded import degraded_reason
from flows.run.deployment import daily_parameters
from flows.run.digest import version_digest
from flows.run.digest_config import DigestProfile, DigestSettings
from flows.run.flow import run_curation
from flows.sources.local import BUNDLED_SAMPLE
from flows.store.catalog import Catalog
from flows.store.layout import LISTINGS_FOLDER
from tests.flows.test_deployment import loopback_config, serve_captures
from tests.support.browser import open_page
from tests.support.capture_server import serving
from tests.support.prefect_runs import (
    background,
    operator_env,
    run_logs,
    trigger,
    wait_for,
    wait_for_deployment,
)
from tests.support.prefect_server import free_port
from tests.support.smtp_server import smtp_env, smtp_server
from transforms.report.digest import ENTRY_ID_PREFIX, Selection

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "digest-password-not-to-be-seen"
READ_BACK = ["paper_id", "title", "abstract", "authors", "topics", "code_urls", "venue"]


def expected_entries(version_dir: Path, days: int = 7) -> list[tuple[str, str | None]]:
    """(day, paper link) of every paper the version's listings table has on the ``days`` days ending at its
    newest listing day, newest day first and by that day's upvotes: computed from the table, not the digest."""
    listings = pl.read_parquet(version_dir / LISTINGS_FOLDER / "*.parquet")
    newest = listings.get_column("listed_on").max()
    assert isinstance(newest, date)
    papers = pl.read_parquet(version_dir / "data" / "*.parquet", columns=["paper_id", "url", "arxiv_id"])
    rows = (
        listings.filter(pl.col("listed_on") > newest - timedelta(days=days))
        .group_by("paper_id", "listed_on")
        .agg(pl.col("upvotes").max(), pl.col("rank").min())
        .join(papers, on="paper_id")
        .sort(
            ["listed_on", "upvotes", "rank", "paper_id"],
            descending=[True, True, False, False],
            nulls_last=True,
        )
    )
    return [
        (day.isoformat(), url or (f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None))
        for day, url, arxiv_id in rows.select("listed_on", "url", "arxiv_id").iter_rows()
    ]


def feed_entries(feed: Any) -> list[tuple[str, str | None]]:
    """(day, paper link) of every entry of a parsed feed, in its order."""
    return [
        (entry.tp_day, next((link.href for link in entry.get("links", []) if link.rel == "alternate"), None))
        for entry in feed.entries
    ]


def page_entries(html: str) -> list[tuple[str | None, str | None]]:
    """(day, paper link) of every entry of a digest page, in its order, parsed strictly (a parse error raises)."""
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)
    found, day = [], None
    for element in document.iter():
        if element.tag == "h2" and element.get("class") == "day":
            day = element.get("id", "").removeprefix("day-")
        elif element.get("class") == "paper":  # a link to the paper's page, or its title when it has none
            found.append((day, element.get("href")))
        assert element.tag not in {"script", "img", "link", "style", "iframe"}, element.tag
    return found


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML parts of a received digest."""
    assert message.get_content_type() == "multipart/alternative"
    kinds = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    assert list(kinds) == ["text/plain", "text/html"]
    return kinds["text/plain"], kinds["text/html"]


def test_a_version_holds_a_feed_every_reader_field_of_which_is_there_and_a_strict_page(
    multi_day_dataset,
) -> None:
    latest = multi_day_dataset.latest.resolve()
    feed_text = (latest / "digest" / "feed.xml").read_text(encoding="utf-8")
    ET.fromstring(feed_text.encode())  # well formed
    feed = feedparser.parse(feed_text)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id.startswith("tag:trending-papers,2026:digest")
    assert feed.feed.title.startswith("Trending papers, ") and feed.feed.updated_parsed is not None
    expected = expected_entries(latest)
    assert feed_entries(feed) == expected
    papers = {
        row["paper_id"]: row
        for row in pl.read_parquet(latest / "data" / "*.parquet").select(READ_BACK).iter_rows(named=True)
    }
    for entry in feed.entries:
        paper_id = entry.id.removeprefix(ENTRY_ID_PREFIX).rsplit("/", 1)[0]
        paper = papers[paper_id]
        assert entry.id == f"{ENTRY_ID_PREFIX}{paper_id}/{entry.tp_day}"
        assert entry.title == " ".join(paper["title"].split())
        assert [author.name for author in entry.get("authors", [])] == (paper["authors"] or [])
        abstract = " ".join(paper["abstract"].split())
        assert entry.summary and abstract.startswith(entry.summary.removesuffix(" …").rstrip("."))
        assert entry.content[0].type == "text/html" and paper["title"].split()[0] in entry.content[0].value
        assert entry.published_parsed[:3] == tuple(int(x) for x in entry.tp_day.split("-"))
        assert [tag.term for tag in entry.tags if tag.scheme.endswith(":topics")] == (paper["topics"] or [])
        assert entry.tp_provisional in {"true", "false"} and int(entry.tp_position) >= 1
        code = [link.href for link in entry.get("links", []) if link.rel == "related"]
        assert code == ([entry.tp_code] if "tp_code" in entry else [])
        assert entry.get("tp_code") == next(iter(paper["code_urls"] or []), None)
        assert ("tp_venue" in entry) == (paper["venue"] is not None)
    assert any("tp_code" in entry for entry in feed.entries)

    page = latest / "digest" / "index.html"
    assert page_entries(page.read_text(encoding="utf-8")) == expected
    with open_page(page, width=700) as (browser_page, log):
        shown = browser_page.locator(".paper").count()  # type: ignore[attr-defined]
    assert shown == len(expected)
    assert log.errors == [] and log.failed_requests == []
    manifest = json.loads((latest / "manifest.json").read_text())
    listed = {entry["path"] for entry in manifest["files"]}
    assert {"digest/feed.xml", "digest/index.html"} <= listed


def test_the_same_paper_and_day_keep_their_entry_id_in_the_next_version(multi_day_dataset) -> None:
    catalog = Catalog(multi_day_dataset.out_dir)
    first, second = catalog.versions()[-2:]
    feeds = [
        feedparser.parse(render_feed(version_digest(catalog.out_dir, version, Selection(days=14))))
        for version in (first, second)
    ]
    before = {entry.id: (entry.tp_day, entry.title) for entry in feeds[0].entries}
    after = {entry.id: (entry.tp_day, entry.title) for entry in feeds[1].entries}
    assert before and set(before) <= set(after)
    assert {key: after[key] for key in before} == before
    assert len({entry.id for entry in feeds[1].entries}) == len(feeds[1].entries)


def test_papers_digest_send_mails_the_page_and_its_text_to_each_recipient(multi_day_dataset) -> None:
    out = multi_day_dataset.out_dir
    expected = expected_entries(multi_day_dataset.latest.resolve())
    recipients = ["reader@example.org", "other.reader@example.net"]
    with smtp_server(login=("digest-bot", PASSWORD)) as server:
        env = (
            os.environ
            | smtp_env(server)
            | {"PAPERS_SMTP_USER": "digest-bot", "PAPERS_SMTP_PASSWORD": PASSWORD}
        )
        command = [sys.executable, "-m", "flows.cli", "digest", "--out", str(out), "--send"]
        result = subprocess.run(
            [*command, "--to", recipients[0], "--to", recipients[1], "--json"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        received = server.received.wait_for(2)
    assert PASSWORD not in result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["sent_to"] == recipients and document["entries"] == len(expected)
    assert server.received.logins == ["digest-bot"]
    assert [to for _, to in server.received.envelopes] == [[recipients[0]], [recipients[1]]]
    for message, recipient in zip(received, recipients, strict=True):
        assert message["To"] == recipient and message["From"] == "digest@example.org"
        text, html = parts(message)
        assert page_entries(html) == expected
        assert [line.strip() for line in text.splitlines() if line.startswith("   http")] == [
            link for _, link in expected if link
        ]


def test_papers_digest_send_without_a_server_or_to_nobody_is_a_usage_error(
    multi_day_dataset, tmp_path
) -> None:
    out = str(multi_day_dataset.out_dir)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PAPERS_SMTP_")}
    for arguments, message in [
        (["--send", "--to", "a@example.org"], "set PAPERS_SMTP_HOST"),
        (["--send"], "--send needs at least one --to"),
        (["--to", "a@example.org"], "add --send"),
        (["--send", "--to", "a@example.org\nBcc: b@example.org"], "not an e-mail address"),
        (["--topic", "robots"], "unknown topic 'robots'"),
        (["--send", "--to", "a@example.org", "--write", str(tmp_path)], "exclude each other"),
        (["--profile", "vision", "--topic", "robotics"], "leave out --topic"),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "flows.cli", "digest", "--out", out, *arguments],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 3, (arguments, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_server_that_is_not_there_or_refuses_the_login_is_one_line_and_exit_4(multi_day_dataset) -> None:
    out = str(multi_day_dataset.out_dir)
    with smtp_server(login=("digest-bot", "the-right-one")) as server:
        refusing = smtp_env(server) | {"PAPERS_SMTP_USER": "digest-bot", "PAPERS_SMTP_PASSWORD": PASSWORD}
        absent = smtp_env(server) | {"PAPERS_SMTP_PORT": str(free_port())}
        for environ, message in [(refusing, "refused the login (535)"), (absent, "could not send through")]:
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "flows.cli",
                    "digest",
                    "--out",
                    out,
                    "--send",
                    "--to",
                    "a@example.org",
                ],
                env=os.environ | environ,
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 4, result.stderr
            assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
            assert PASSWORD not in result.stdout + result.stderr and "Traceback" not in result.stderr
        assert server.received.messages == []
    assert not (multi_day_dataset.out_dir / "failed-runs").exists()  # an expected failure: no crash log


@pytest.mark.flow
def test_a_send_that_fails_makes_the_run_degraded_and_keeps_what_it_published(
    prefect_harness, tmp_path
) -> None:
    config = RunConfig(
        inputs=[BUNDLED_SAMPLE],
        out_dir=tmp_path / "out",
        digest=DigestSettings(recipients=("reader@example.org",), credentials_block="no-such-block"),
    )
    summary = run_curation(config)
    assert summary.version is not None and Catalog(config.out_dir).latest() == summary.version
    assert [failure["step"] for failure in summary.follow_up_failures] == ["digest"]
    reason = degraded_reason(summary)
    assert reason is not None and "follow-up digest failed: UsageError: no prefect-email" in reason
    manifest = json.loads((Catalog(config.out_dir).path(summary.version) / "manifest.json").read_text())
    assert "reader@example.org" not in json.dumps(manifest)  # the recipients are not published


@pytest.mark.flow
def test_a_deployed_run_mails_the_digest_and_each_profile_with_its_credentials_block(
    prefect_server, tmp_path: Path
) -> None:
    env = operator_env(prefect_server)
    name = "digest-test"
    with smtp_server(login=("digest-bot", PASSWORD)) as smtp:
        save_block = (
            "from prefect_email import EmailServerCredentials; "
            f"EmailServerCredentials(smtp_server='127.0.0.1', smtp_port={smtp.port}, smtp_type='INSECURE', "
            f"username='digest-bot', password={PASSWORD!r}).save('digest-smtp', overwrite=True)"
        )
        subprocess.run([sys.executable, "-c", save_block], env=env, check=True, timeout=120)
        with (
            serving() as server,
            background([sys.executable, "-m", "flows.cli", "serve", "--name", name], env, tmp_path),
        ):
            serve_captures(server)
            api = httpx.Client(base_url=prefect_server.api_url, timeout=30)
            deployment = wait_for_deployment(api, name)
            out = tmp_path / "out"
            parameters = loopback_config(server, out, day="2025-07-03")
            parameters["config"]["digest"] = digest_parameters()
            run = trigger(api, deployment["id"], parameters)
            finished = wait_for(api, run["id"])
            received = smtp.received.wait_for(2)
            logs = run_logs(api, run["id"])

    assert finished["state_type"] == "COMPLETED", finished["state"]
    assert finished["state"]["name"] != "Degraded", finished["state"]["message"]
    latest = Catalog(out).path(Catalog(out).latest() or "")
    assert (latest / "digest" / "vision" / "feed.xml").is_file()
    by_recipient = {message["To"]: message for message in received}
    assert set(by_recipient) == {"team@example.org", "vision@example.org"}
    everything = page_entries(parts(by_recipient["team@example.org"])[1])
    assert everything == expected_entries(latest)
    vision = feedparser.parse((latest / "digest" / "vision" / "feed.xml").read_text(encoding="utf-8"))
    assert page_entries(parts(by_recipient["vision@example.org"])[1]) == feed_entries(vision)
    assert vision.entries and all(
        "computer-vision" in [tag.term for tag in entry.tags] for entry in vision.entries
    )
    assert all(int(entry.tp_upvotes) >= 10 for entry in vision.entries) and len(vision.entries) < len(
        everything
    )
    assert smtp.received.logins == ["digest-bot"]
    assert not any(PASSWORD in message for message in logs)
    command = [sys.executable, "-m", "flows.cli", "digest", "--out", str(out), "--profile"]
    again = subprocess.run([*command, "vision", "--format", "atom"], cwd=REPO, capture_output=True, text=True)
    assert again.returncode == 0 and again.stdout == (latest / "digest" / "vision" / "feed.xml").read_text(
        "utf-8"
    )
    unknown = subprocess.run([*command, "nope"], cwd=REPO, capture_output=True, text=True)
    assert unknown.returncode == 3 and "no digest profile 'nope' (profiles: vision)" in unknown.stderr
    assert PASSWORD not in json.dumps(api.get(f"/flow_runs/{run['id']}").json())


def digest_parameters() -> dict[str, Any]:
    """The deployment's digest: everything to one address, computer vision with at least 10 upvotes to another."""
    settings = DigestSettings(
        recipients=("team@example.org",),
        profiles=(
            DigestProfile(
                name="vision", topics=("computer-vision",), min_upvotes=10, recipients=("vision@example.org",)
            ),
        ),
        credentials_block="digest-smtp",
        sender="papers@example.org",
    )
    chosen = daily_parameters(digest=settings)["config"]["digest"]
    assert isinstance(chosen, dict)
    return chosen
