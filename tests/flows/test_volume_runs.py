"""A half-filled Daily Papers day through the real flow: provisional (degraded, exit 6), fetched again by a later
run, whose capture's count wins."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from flows.cli.exits import ExitCode
from flows.cli.run import outcome
from flows.run.config import RunConfig
from flows.run.flow import curate
from flows.run.outcome import DEGRADED
from flows.sources.settings import SourceSettings
from flows.store.layout import VALIDATION_HTML, VALIDATION_JSON
from tests.support.capture_server import CaptureServer, Reply, serving

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]

WORDS = [
    "model",
    "learning",
    "data",
    "training",
    "language",
    "vision",
    "network",
    "attention",
    "benchmark",
    "reasoning",
    "agent",
    "policy",
    "reward",
    "graph",
    "retrieval",
    "memory",
    "diffusion",
    "image",
    "video",
    "audio",
    "speech",
    "robot",
    "planning",
    "search",
    "tokens",
    "context",
    "scaling",
    "evaluation",
    "dataset",
    "alignment",
    "safety",
    "fine",
    "tuning",
    "transformer",
    "encoder",
    "decoder",
    "latent",
    "sampling",
    "inference",
    "efficient",
    "sparse",
    "dense",
    "mixture",
    "expert",
    "layer",
    "gradient",
    "optimizer",
    "loss",
    "robust",
    "adversarial",
    "privacy",
    "federated",
]


def items(first: int, count: int) -> bytes:
    """``count`` Daily Papers API items with distinct arXiv ids, titles and abstracts (English words, seeded)."""
    listed = []
    for number in range(first, first + count):
        rng = random.Random(number)
        abstract = " ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "."
        title = f"Study {number}: " + " ".join(rng.choice(WORDS) for _ in range(5))
        arxiv_id = f"2507.{number:05d}"
        paper = {
            "id": arxiv_id,
            "title": title,
            "summary": abstract,
            "publishedAt": "2025-07-01T00:00:00.000Z",
        }
        listed.append({"paper": paper, "title": title, "summary": abstract, "numComments": 0})
    return json.dumps(listed).encode()


def sources(server: CaptureServer, day: date) -> SourceSettings:
    return SourceSettings(
        hf_base_url=server.base_url,
        hf_daily=day.isoformat(),
        min_interval=0,
        max_retries=0,
        task_retries=0,
        read_timeout=5,
    )


def test_a_half_filled_day_is_provisional_then_fetched_again_and_the_latest_count_wins(
    tmp_path: Path,
) -> None:
    day = datetime.now(UTC).date() - timedelta(days=1)
    out = tmp_path / "out"
    history = tmp_path / "history"  # four earlier days of the same weekday, 10 papers each
    history.mkdir()
    for week in range(1, 5):
        (history / f"{day - timedelta(weeks=week)}.json").write_bytes(items(1000 * week, 10))
    seeded = curate(RunConfig(inputs=[history], out_dir=out))
    seeded_volume = json.loads((seeded.path / "manifest.json").read_text())["volume"]
    assert seeded_volume["day_counts"] == {str(day - timedelta(weeks=week)): 10 for week in range(1, 5)}
    assert not seeded.degraded

    with serving() as server:
        # the day's list upstream: 2 papers on the first fetch, all 10 on the next
        server.route(
            "/api/daily_papers", Reply(200, items(1, 2)), Reply(200, items(1, 10)), date=day.isoformat()
        )
        server.route("/api/daily_papers", Reply(200, b"[]"), date=(day + timedelta(days=1)).isoformat())

        first = curate(RunConfig(inputs=[], sources=sources(server, day), out_dir=out), return_state=True)
        early = first.result()
        assert first.is_completed() and first.name == DEGRADED
        assert f"provisional day(s) far below their weekday's median, fetched again by later runs: {day}" in (
            first.message or ""
        )
        assert early.provisional_days == [day.isoformat()] and outcome(early) == ExitCode.DEGRADED == 6
        volume = json.loads((early.path / "manifest.json").read_text())["volume"]
        assert volume["day_counts"][day.isoformat()] == 2
        assert [(row["listed_on"], row["papers"], row["status"]) for row in volume["provisional"]] == [
            (day.isoformat(), 2, "provisional")
        ]
        checks = {check["name"]: check for check in volume["checks"]}
        assert not checks["day-volume"]["success"] and checks["day-volume"]["unexpected_count"] == 1
        assert checks["day-volume"]["observed"] == f"{day}: 2 papers (median 10)"
        # the checks are Great Expectations, beside the gate's suites in the version's validation results
        validation = json.loads((early.path / VALIDATION_JSON).read_text())
        run_checks = {o["name"]: o for o in validation if o["suite"] == "run_checks"}
        assert run_checks["day-volume"]["expectation"] == "expect_column_values_to_be_in_set"
        assert not run_checks["day-volume"]["success"] and run_checks["day-volume"]["element_count"] == 1
        assert "run_checks" in (early.path / VALIDATION_HTML).read_text()

        # the next run asks for another day only, and fetches the provisional one again
        second = curate(
            RunConfig(inputs=[], sources=sources(server, day + timedelta(days=1)), out_dir=out),
            return_state=True,
        )
        later = second.result()
        asked = [seen.query.get("date") for seen in server.requests if seen.path == "/api/daily_papers"]
    assert asked == [day.isoformat(), day.isoformat(), (day + timedelta(days=1)).isoformat()]
    volume = json.loads((later.path / "manifest.json").read_text())["volume"]
    assert volume["day_counts"][day.isoformat()] == 10, "the latest capture's count is the day's"
    assert [(row["papers"], row["status"]) for row in volume["provisional"]] == [
        (2, "provisional"),
        (10, "provisional"),
    ], "two fetches seconds apart that disagree: still provisional"
    assert second.name == DEGRADED and later.provisional_days == [day.isoformat()]
    assert {check["name"]: check["success"] for check in volume["checks"]}["day-volume"]
    listings = pl.read_parquet(later.path / "listings" / "*.parquet")
    assert listings.filter(pl.col("listed_on") == day).height == 10
