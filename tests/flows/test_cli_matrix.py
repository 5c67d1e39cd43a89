"""Every subcommand driven into the four bad endings, through the real command line: a crash, a read-only output
folder, a locked output folder, and Ctrl-C sent to its process group as a terminal sends it.

Each case checks the exit code of ``flows/cli/exits.py``, exactly one line on stderr (stdout may carry the
command's normal output), no traceback anywhere, and what the case leaves: a crash log for a crash, a log in
the temporary folder when OUT is read-only, the holder's pid when locked, no crash record and no process
left after Ctrl-C. Commands start as the ``papers`` script does (``python -m flows.cli``), on copies of one
output folder with two published versions of the bundled sample. Ctrl-C is sent at a marker the command
reaches deterministically (a stage line, a FIFO it is blocked reading, its deployment on the server), never
after a sleep.
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import polars as pl
import psutil
import pytest

from flows.cli.exits import ExitCode
from tests.support.cli_matrix import (
    Published,
    Running,
    descendants,
    environment,
    fifo_instead_of,
    left_alive,
    lock_held,
    papers,
    reader_blocked,
)
from tests.support.prefect_server import free_port

pytestmark = pytest.mark.flow

DAYS = ("2025-07-01", "2025-07-02")
"""The days of the backfill (in the past whatever today is; nothing is fetched in any case here)."""


@dataclass(frozen=True)
class Command:
    """A command line of the matrix and how each case reaches it."""

    id: str
    argv: Callable[[Published], list[str]]
    """The arguments (``--out`` is added)."""
    writes: bool
    """Takes the output lock and writes OUT; else reads only (no lock, works on a read-only folder)."""
    damage: Callable[[Path, Published], dict[str, str]]
    """Damages the copy at OUT the way this command notices (a crash); returns environment changes."""
    block: Callable[[Path, Published], Path] | None
    """Replaces the first file the command reads with a FIFO, and returns it (None: another marker)."""
    prefect: bool = False
    """Talks to a Prefect API: given the session's server (``run`` starts its own temporary one)."""

    @property
    def name(self) -> str:
        """The subcommand (``prune`` for ``prune-dry-run``)."""
        return self.id.removesuffix("-dry-run")


def version(out: Path, name: str) -> Path:
    return out / "trending-papers" / name


def latest(out: Path, _: Published | None = None) -> Path:
    return out / "trending-papers" / "latest"


def garbage_parquet(out: Path, _: Published) -> dict[str, str]:
    """Garbage bytes in ``latest``'s papers file (read-only 0o444, but the tests run as root or own it)."""
    (data,) = (latest(out) / "data").glob("*.parquet")
    data.chmod(0o644)
    data.write_bytes(b"not a parquet file\n" * 10)
    return {}


def broken_manifest(out: Path, _: Published) -> dict[str, str]:
    """Invalid JSON in ``latest``'s manifest."""
    manifest = latest(out) / "manifest.json"
    manifest.chmod(0o644)
    manifest.write_text('{"version": ', encoding="utf-8")
    return {}


def journal_a_folder(out: Path, _: Published) -> dict[str, str]:
    journal = out / "trending-papers" / "journal.jsonl"
    journal.unlink()
    journal.mkdir()
    return {}


def broken_retractions(out: Path, _: Published) -> dict[str, str]:
    (out / "trending-papers" / "retractions.json").write_text('{"retracted": [', encoding="utf-8")
    return {}


def broken_release_log(out: Path, _: Published) -> dict[str, str]:
    (out / "releases").mkdir(exist_ok=True)
    (out / "releases" / "releases.jsonl").write_text('{"version": \n', encoding="utf-8")
    return {}


def raw_day_log(out: Path) -> Path:
    return out / "raw" / "hf-daily" / DAYS[0] / "responses.jsonl"


def broken_raw_log(out: Path, _: Published) -> dict[str, str]:
    """A raw-zone log that cannot be read: a folder where the file should be (a bad line is only left out)."""
    log = raw_day_log(out)
    log.mkdir(parents=True)
    return {}


def no_prefect_server(out: Path, _: Published) -> dict[str, str]:
    """Not damage of OUT: serve writes nothing there; it fails registering its deployment with an API at a
    port where nothing listens."""
    return {"PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"}


def fifo_manifest_of(which: str) -> Callable[[Path, Published], Path]:
    def block(out: Path, published: Published) -> Path:
        name = published.first if which == "first" else published.latest
        return fifo_instead_of(version(out, name) / "manifest.json")

    return block


COMMANDS = [
    # run: checks latest's schema in its papers file's footer before anything starts -> garbage parquet;
    # Ctrl-C: after its `ingest` stage line (no FIFO).
    Command("run", lambda p: ["run"], True, garbage_parquet, None),
    # serve: cannot register its deployment -> no API at PREFECT_API_URL; Ctrl-C: once it is registered.
    Command(
        "serve",
        lambda p: ["serve", "--name", f"matrix-{uuid.uuid4().hex[:8]}"],
        False,
        no_prefect_server,
        None,
        prefect=True,
    ),
    # backfill: indexes OUT/raw before any fetch -> an unreadable raw-zone log; Ctrl-C: that log a FIFO.
    Command(
        "backfill",
        lambda p: ["backfill", *DAYS],
        True,
        broken_raw_log,
        lambda out, p: fifo_instead_of(raw_day_log(out)),
        prefect=True,
    ),
    # versions: reads every version's manifest for its counts -> invalid manifest; Ctrl-C: the first one a FIFO.
    Command("versions", lambda p: ["versions"], False, broken_manifest, fifo_manifest_of("first")),
    # diff: both versions' papers -> garbage parquet; Ctrl-C: resolving A reads its manifest.
    Command("diff", lambda p: ["diff", p.first, "latest"], False, garbage_parquet, fifo_manifest_of("first")),
    # show: the paper's row in latest -> garbage parquet; Ctrl-C: resolving latest reads its manifest.
    Command("show", lambda p: ["show", p.paper_id], False, garbage_parquet, fifo_manifest_of("latest")),
    # dedup-report: latest's papers -> garbage parquet; Ctrl-C: resolving latest reads its manifest.
    Command("dedup-report", lambda p: ["dedup-report"], False, garbage_parquet, fifo_manifest_of("latest")),
    # rollback: journals the move -> journal.jsonl a folder; Ctrl-C: resolving the target reads its manifest.
    Command("rollback", lambda p: ["rollback", p.first], True, journal_a_folder, fifo_manifest_of("first")),
    # retract: opens latest from its manifest (shard list) -> invalid manifest; Ctrl-C: that manifest a FIFO.
    Command(
        "retract",
        lambda p: ["retract", p.paper_id, "--reason", "matrix test"],
        True,
        broken_manifest,
        fifo_manifest_of("latest"),
    ),
    # unretract: reads the retraction list -> invalid retractions.json; Ctrl-C: retractions.json a FIFO.
    Command(
        "unretract",
        lambda p: ["unretract", p.paper_id],
        True,
        broken_retractions,
        lambda out, p: fifo_instead_of(out / "trending-papers" / "retractions.json"),
    ),
    # prune (and its dry run): keeps released versions' only copies, read from the release log -> invalid
    # releases.jsonl; Ctrl-C: a version's released.json marker a FIFO.
    Command(
        "prune",
        lambda p: ["prune", "--keep", "1"],
        True,
        broken_release_log,
        lambda out, p: fifo_instead_of(version(out, p.first) / "released.json"),
    ),
    Command(
        "prune-dry-run",
        lambda p: ["prune", "--keep", "1", "--dry-run"],
        False,
        broken_release_log,
        lambda out, p: fifo_instead_of(version(out, p.first) / "released.json"),
    ),
    # rederive: opens latest from its manifest (shard list) -> invalid manifest; Ctrl-C: that manifest a FIFO.
    Command("rederive", lambda p: ["rederive"], True, broken_manifest, fifo_manifest_of("latest")),
    # digest: latest's papers -> garbage parquet; Ctrl-C: resolving latest reads its manifest.
    Command("digest", lambda p: ["digest"], False, garbage_parquet, fifo_manifest_of("latest")),
    # release (a dry run, the Hub offline: nothing is contacted): resolving latest reads its manifest -> invalid
    # manifest; Ctrl-C: that manifest a FIFO.
    Command(
        "release",
        lambda p: ["release", "--repo-id", "matrix/trending-papers", "--dry-run"],
        True,
        broken_manifest,
        fifo_manifest_of("latest"),
    ),
]

NOT_APPLICABLE = {
    (
        "serve",
        "read-only",
    ): "not applicable: serve writes nothing to OUT; its scheduled runs do, as `run` does",
    ("serve", "locked"): "not applicable: serve takes no lock; each scheduled run takes it, as `run` does",
}
"""Cases a command cannot meet: reported as skipped with the reason, not faked."""


def cases(case: str) -> list[object]:
    return [
        pytest.param(
            command,
            id=command.id,
            marks=[pytest.mark.skip(reason=NOT_APPLICABLE[(command.id, case)])]
            if (command.id, case) in NOT_APPLICABLE
            else [],
        )
        for command in COMMANDS
    ]


# ----- fixtures -----


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, prefect_server) -> Published:
    """``papers run`` twice on the bundled sample: two versions (the second updates every paper)."""
    out = tmp_path_factory.mktemp("published") / "out"
    env = environment(tmp_path_factory.mktemp("tmp"), prefect_server.api_url)
    for _ in range(2):
        ended = papers(["run", "--out", str(out), "--quiet"], env)
        assert ended.code == ExitCode.DONE, ended.err
    versions = sorted(p.name for p in (out / "trending-papers").iterdir() if p.name[:1].isdigit())
    assert len(versions) == 2 and latest(out).resolve().name == versions[1]
    paper_id = pl.read_parquet(latest(out) / "data" / "*.parquet", columns=["paper_id"]).item(0, 0)
    return Published(out, versions[0], versions[1], paper_id)


@pytest.fixture(scope="module")
def read_only(tmp_path_factory: pytest.TempPathFactory, published: Published) -> Iterator[Path]:
    """A copy of the published folder on a tmpfs remounted read-only (needs mount rights: root in CI)."""
    mount = tmp_path_factory.mktemp("read-only")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        out = published.copy(mount / "out")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield out
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def env_for(command: Command, tmp: Path, prefect_server) -> dict[str, str]:
    return environment(tmp, prefect_server.api_url if command.prefect else None)


def one_line(ended_out: str, ended_err: str) -> str:
    """The one line on stderr; no traceback on either stream."""
    assert "Traceback" not in ended_out + ended_err, ended_out + ended_err
    lines = ended_err.splitlines()
    assert len(lines) == 1, ended_err
    return lines[0]


def crash_records(out: Path) -> list[Path]:
    return list((out / "failed-runs").glob("*-crashed"))


# ----- the four cases -----


@pytest.mark.parametrize("command", cases("crash"))
def test_a_crash_is_exit_4_one_line_and_a_crash_log(
    command: Command, published: Published, tmp_path: Path, prefect_server
) -> None:
    out = published.copy(tmp_path / "out")
    env = env_for(command, tmp_path / "tmp", prefect_server) | command.damage(out, published)
    ended = papers([*command.argv(published), "--out", str(out)], env)
    line = one_line(ended.out, ended.err)
    assert ended.code == ExitCode.RUNTIME_FAILURE == 4, line
    assert line.startswith(f"papers {command.name}: failed"), line
    (log,) = (folder / "traceback.log" for folder in crash_records(out))
    assert f"(traceback in {log})" in line
    assert log.read_text(encoding="utf-8").startswith("Traceback (most recent call last):")


@pytest.mark.parametrize("command", cases("read-only"))
def test_a_read_only_output_folder(
    command: Command, published: Published, read_only: Path, tmp_path: Path, prefect_server
) -> None:
    """Writing commands: exit 4, one line saying so, the traceback in the temporary folder (none can be
    written under OUT); reading commands: their normal answer."""
    published = Published(read_only, published.first, published.latest, published.paper_id)
    ended = papers(
        [*command.argv(published), "--out", str(read_only)],
        env_for(command, tmp_path / "tmp", prefect_server),
    )
    if not command.writes:
        assert ended.code == ExitCode.DONE, ended.err
        assert "Traceback" not in ended.out + ended.err and ended.err == ""
        return
    line = one_line(ended.out, ended.err)
    assert ended.code == ExitCode.RUNTIME_FAILURE, line
    assert "the output folder is on a read-only file system" in line
    (log,) = (tmp_path / "tmp").glob("papers-*.log")
    assert f"(traceback in {log})" in line
    assert "Traceback (most recent call last):" in log.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", cases("locked"))
def test_a_locked_output_folder(
    command: Command, published: Published, tmp_path: Path, prefect_server
) -> None:
    """Writing commands: exit 5, one line naming the holder; reading commands take no lock: their answer."""
    out = published.copy(tmp_path / "out")
    env = env_for(command, tmp_path / "tmp", prefect_server)
    with lock_held(out, env) as holder:
        ended = papers([*command.argv(published), "--out", str(out)], env)
    if not command.writes:
        assert ended.code == ExitCode.DONE, ended.err
        assert "Traceback" not in ended.out + ended.err and ended.err == ""
        return
    line = one_line(ended.out, ended.err)
    assert ended.code == ExitCode.OUTPUT_LOCKED == 5, line
    assert f"locked by another run (pid {holder} " in line
    assert not crash_records(out)


@pytest.mark.parametrize("command", cases("sigint"))
def test_ctrl_c_to_the_process_group(
    command: Command, published: Published, tmp_path: Path, prefect_server
) -> None:
    """Exit 130, one line, no crash record, and nothing of the command left running."""
    out = published.copy(tmp_path / "out")
    env = env_for(command, tmp_path / "tmp", prefect_server)
    held: list[int] = []
    marker: Callable[[], bool]
    argv = [*command.argv(published), "--out", str(out)]
    running: Running | None = None
    try:
        if command.block is not None:
            fifo = command.block(out, published)
            running = Running(argv, env)
            marker, what = reader_blocked(fifo, running.pid, held), f"blocked reading {fifo}"
        elif command.name == "run":
            running = Running(argv, env)  # its own temporary Prefect API (no PREFECT_API_URL)
            lines = running.out_lines
            marker, what = (lambda: any(line.startswith("ingest ") for line in lines)), "its ingest line"
        else:
            running = Running(argv, env)
            name = argv[argv.index("--name") + 1]
            marker, what = (
                deployment_registered(prefect_server.api_url, name),
                f"deployment {name} registered",
            )
        running.wait_until(marker, what)
        below = descendants(running.pid)
        started = [" ".join(_cmdline(process)) for process in below]
        os.killpg(running.pid, signal.SIGINT)
        ended = running.finish()
        leftovers = left_alive(below, running.pid)
    finally:
        for fd in held:
            os.close(fd)
        if running is not None:
            running.stop()
    line = one_line(ended.out, ended.err)
    assert ended.code == ExitCode.INTERRUPTED == 130, line
    assert line.startswith(f"papers {command.name}: interrupted"), line
    assert not crash_records(out) and not list((tmp_path / "tmp").glob("papers-*.log"))
    assert not leftovers, leftovers
    if command.name == "run":  # its temporary API, in a session of its own, was among them: stopped too
        assert any("uvicorn" in started_as for started_as in started), started


def deployment_registered(api_url: str, name: str) -> Callable[[], bool]:
    def reached() -> bool:
        try:
            found = httpx.post(
                f"{api_url}/deployments/filter", json={"deployments": {"name": {"any_": [name]}}}, timeout=30
            )
        except httpx.HTTPError:
            return False
        return found.status_code == 200 and bool(found.json())

    return reached


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []
