"""Ctrl-C: a run stops within seconds, says so on stderr, exits 130 and leaves no version (not even a partial one).

The run is a real ``papers run`` subprocess against the session's Prefect server (no ephemeral start-up), on a
generated page long enough that language detection is still working when SIGINT arrives.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from flows.cli import ExitCode
from flows.runtime.prefect import QUIET_DEFAULTS

pytestmark = pytest.mark.flow

REPO = Path(__file__).resolve().parents[2]
WORDS = [
    "model",
    "training",
    "data",
    "network",
    "learning",
    "neural",
    "attention",
    "transformer",
    "language",
    "vision",
    "reinforcement",
    "policy",
    "gradient",
    "optimisation",
    "benchmark",
    "dataset",
    "evaluation",
    "robust",
    "sparse",
    "efficient",
    "inference",
    "memory",
    "scaling",
    "layer",
    "representation",
    "embedding",
    "retrieval",
    "generation",
    "diffusion",
    "image",
    "video",
    "audio",
    "graph",
    "kernel",
    "theory",
    "bound",
]


def generated_page(path: Path, papers: int, seed: int = 7) -> Path:
    """``papers`` distinct English-looking papers (title line, abstract line), deterministic."""
    rng = random.Random(seed)
    lines = []
    for number in range(papers):
        title = " ".join(rng.choice(WORDS) for _ in range(6)).title() + f" {number}"
        abstract = (
            "We study " + " ".join(rng.choice(WORDS) for _ in range(40)) + f" and report result {number}."
        )
        lines += [title, abstract]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_ctrl_c_stops_quickly_exits_130_and_publishes_nothing(prefect_server, tmp_path: Path) -> None:
    page = generated_page(tmp_path / "page.txt", 6000)
    out = tmp_path / "out"
    # a user's shell: the server's URL and nothing else, so the command line picks its own log settings
    env = {key: value for key, value in prefect_server.env().items() if key not in QUIET_DEFAULTS}
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", str(page), "--out", str(out), "--workers", "2"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        for line in process.stdout:  # wait until language detection has started
            lines.append(line)
            if line.startswith("clean"):
                break
        assert lines and lines[-1].startswith("clean"), lines
        time.sleep(1.0)
        interrupted = time.monotonic()
        os.kill(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        stopped_after = time.monotonic() - interrupted
    finally:
        if process.poll() is None:
            process.kill()
    print(f"exit {process.returncode} {stopped_after:.1f} s after SIGINT")
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    assert "papers run: interrupted: the run stopped; nothing of it was published" in stderr
    assert "Traceback" not in stderr
    assert not any(line.startswith("language") for line in stdout.splitlines()), "SIGINT came too late"
    root = out / "trending-papers"
    assert not root.exists() or [p.name for p in root.iterdir()] == []
    assert stopped_after < 20, f"took {stopped_after:.1f} s to stop"

    # the CLI run sent its stage logs to the server (PREFECT_API_URL was set), the interrupted one included
    logs = httpx.post(
        f"{prefect_server.api_url}/logs/filter", json={"sort": "TIMESTAMP_DESC", "limit": 200}, timeout=30
    ).json()
    assert any(log["message"].startswith("stage clean      6,000 -> 6,000 records") for log in logs), [
        log["message"] for log in logs[:20]
    ]
