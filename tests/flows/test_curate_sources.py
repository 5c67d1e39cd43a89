"""The flow with network sources against a local server, then replayed offline from its raw zone."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from flows.run.config import RunConfig
from flows.run.flow import curate
from flows.sources.settings import SourceSettings
from tests.support.capture_server import CaptureServer, Reply, serving

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_harness")]

DATA = Path(__file__).resolve().parent.parent / "data"


def test_fetched_run_publishes_what_succeeded_and_replays_to_the_same_hashes(tmp_path: Path) -> None:
    with serving() as server:
        serve(server)
        sources = SourceSettings(
            hf_base_url=server.base_url,
            arxiv_base_url=server.base_url,
            hf_daily="2025-07-03..2025-07-04",
            arxiv_enrich=True,
            contact="mailto:data@example.org",
            min_interval=0,
            arxiv_min_interval=0,
            max_retries=0,
            task_retries=0,
            read_timeout=5,
        )
        live = curate(RunConfig(inputs=[], sources=sources, out_dir=tmp_path / "live"))

    assert live.version is not None
    assert live.source_failures == [
        {
            "source": "hf-daily",
            "target": "2025-07-04",
            "reason": "retries-exhausted:http:500",
            "cause": "http 500 after 1 attempt",
        }
    ]
    manifest = json.loads((live.path / "manifest.json").read_text())
    assert manifest["source_failures"] == live.source_failures
    published = pl.read_parquet(live.path / "data" / "*.parquet")
    assert published.height == live.counts["published"] > 0
    raw_shas = published.select(pl.col("sources").explode().struct.field("raw_sha256")).to_series()
    stored = {p.stem for p in (tmp_path / "live" / "raw").rglob("*") if p.is_file() and p.suffix != ".jsonl"}
    assert set(raw_shas) <= stored, "every published row points at a stored raw capture"

    replay = curate(RunConfig(inputs=[tmp_path / "live" / "raw"], out_dir=tmp_path / "replay"))
    replayed = pl.read_parquet(replay.path / "data" / "*.parquet")
    assert set(replayed.get_column("record_hash")) == set(published.get_column("record_hash"))
    assert replay.counts == live.counts


def serve(server: CaptureServer) -> None:
    excerpt = (DATA / "hf-daily" / "2025-07-03-excerpt.json").read_bytes()
    server.route("/api/daily_papers", Reply(200, excerpt), date="2025-07-03", p="0")
    server.route("/api/daily_papers", Reply(200, b"[]"), date="2025-07-03", p="1")
    server.route("/api/daily_papers", Reply(500, b"oops"), date="2025-07-04")
    server.route("/api/query", Reply(200, (DATA / "arxiv" / "recorded-2026-2104.12255v1.xml").read_bytes()))


def test_local_input_with_every_network_source_failing_is_published_degraded(tmp_path: Path) -> None:
    """The local records are published; the run is Completed, named Degraded, and `papers run` exits 6."""
    from flows.cli.exits import ExitCode
    from flows.cli.run import outcome
    from flows.run.outcome import DEGRADED

    with serving() as server:
        server.route("/api/daily_papers", Reply(503, b"down"))
        sources = SourceSettings(
            hf_base_url=server.base_url,
            hf_daily="2025-07-03",
            min_interval=0,
            max_retries=0,
            task_retries=0,
            read_timeout=5,
        )
        local = DATA / "hf-daily" / "2025-07-03-excerpt.json"
        state = curate(
            RunConfig(inputs=[local], sources=sources, out_dir=tmp_path / "out"), return_state=True
        )
    summary = state.result()
    assert summary.version is not None and summary.counts["published"] > 0
    assert summary.every_source_failed and summary.source_failures
    assert state.is_completed() and state.name == DEGRADED
    assert "every network source failed" in (state.message or "") and "hf-daily 2025-07-03" in state.message
    assert outcome(summary) == ExitCode.DEGRADED == 6


def test_a_refused_host_is_named_with_its_attempts_not_only_as_robots_unreachable(tmp_path: Path) -> None:
    """The failure that read ``robots-unreachable`` alone: the refused connection behind it and the attempts (the
    first try and one retry; a robots refusal is not retried as a task) are in the summary, its text, the artifact
    and the state message."""
    from prefect.artifacts import Artifact

    from flows.render.run_summary import summary_text
    from flows.run.outcome import summary_of

    with serving() as gone:
        base = gone.base_url
    host = base.removeprefix("http://")
    sources = SourceSettings(
        hf_base_url=base,
        hf_daily="2025-07-03",
        min_interval=0,
        max_retries=1,
        backoff_base=0,
        task_retries=1,
        task_retry_delay=0,
        read_timeout=5,
    )
    local = DATA / "hf-daily" / "2025-07-03-excerpt.json"
    state = curate(RunConfig(inputs=[local], sources=sources, out_dir=tmp_path / "out"), return_state=True)
    summary = summary_of(state)
    (failure,) = summary.source_failures
    assert failure["reason"] == "robots-unreachable"
    cause = failure["cause"]
    assert cause.startswith(f"robots.txt of {host} unreachable: refused: ") and cause.endswith(
        " after 2 attempts"
    )
    assert f"source failed: hf-daily 2025-07-03: robots-unreachable ({cause})" in summary_text(summary)
    assert f"robots-unreachable ({cause})" in (state.message or "")
    artifact = Artifact.get("curation-summary")
    assert (
        artifact is not None
        and "refused: " in str(artifact.data)
        and "after 2 attempts" in str(artifact.data)
    )
