"""No secret at rest: a run fetching with URL credentials and tokens writes them nowhere (grep of every file)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.net.scrub import redact_text, redact_url
from flows.run.config import RunConfig
from flows.run.flow import curate
from flows.sources.settings import SourceSettings
from tests.support.capture_server import Reply, serving

DATA = Path(__file__).resolve().parent.parent / "data"
PASSWORD = "pw-7f3a9c1e"
TOKEN = "tok-52be0d44"


def test_redaction_of_urls_and_text() -> None:
    assert redact_url(f"https://user:{PASSWORD}@h.example/p?a=1&token={TOKEN}") == (
        "https://REDACTED@h.example/p?a=1&token=REDACTED"
    )
    assert redact_url("https://h.example/p?date=2025-01-01&p=0") == "https://h.example/p?date=2025-01-01&p=0"
    for name in (
        "pass",
        "password",
        "pwd",
        "token",
        "key",
        "api_key",
        "apikey",
        "secret",
        "sig",
        "signature",
    ):
        for spelled in (name, name.upper()):
            assert redact_url(f"https://h.example/p?{spelled}={TOKEN}&page=2") == (
                f"https://h.example/p?{spelled}=REDACTED&page=2"
            ), spelled
    assert redact_url("https://h.example/p?passage=3&keyword=x") == "https://h.example/p?passage=3&keyword=x"
    text = f"failed: http://u:{PASSWORD}@x/y?api_key={TOKEN} with Bearer abcdefghijklmnop and hf_{'a' * 30}"
    assert PASSWORD not in redact_text(text) and TOKEN not in redact_text(text)
    assert "abcdefghijklmnop" not in redact_text(text) and "hf_aaaa" not in redact_text(text)


def every_file_as_text(root: Path) -> dict[Path, str]:
    texts = {}
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            texts[path] = json.dumps(pq.read_table(path).to_pylist(), default=str)
        else:
            texts[path] = path.read_bytes().decode("utf-8", errors="replace")
    return texts


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_harness")
def test_a_run_with_credentials_in_its_urls_writes_them_nowhere(tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    excerpt = (DATA / "hf-daily" / "2025-07-03-excerpt.json").read_bytes()
    page = (DATA / "hf-page" / "listing-embedded.html").read_bytes()
    with serving() as server:
        server.route("/api/daily_papers", Reply(200, excerpt), date="2025-07-03", p="0")
        server.route("/papers", Reply(200, page, {"Content-Type": "text/html"}))
        server.route("/gone", Reply(404, b"no"))
        with_user = server.base_url.replace("http://", f"http://reader:{PASSWORD}@")
        sources = SourceSettings(
            hf_base_url=with_user,
            hf_daily="2025-07-03",
            hf_pages=[
                f"{server.base_url}/papers?token={TOKEN}",
                f"{with_user}/gone?access_token={TOKEN}",
                f"{server.base_url}/gone?user=me&pass={TOKEN}",
                f"{server.base_url}/gone?PWD={TOKEN}&Signature={TOKEN}",
            ],
            min_interval=0,
            max_retries=0,
            task_retries=0,
            read_timeout=5,
        )
        summary = curate(RunConfig(inputs=[], sources=sources, out_dir=tmp_path / "out"))
        assert any(seen.headers.get("Authorization", "").startswith("Basic ") for seen in server.requests)
    assert summary.version is not None and summary.source_failures
    written = every_file_as_text(tmp_path / "out")
    assert any(p.name == "responses.jsonl" for p in written) and any(p.suffix == ".parquet" for p in written)
    leaks = [str(path) for path, text in written.items() if PASSWORD in text or TOKEN in text]
    assert leaks == []
    database = Path(str(PREFECT_API_DATABASE_CONNECTION_URL.value()).split("///", 1)[-1])
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert stored and PASSWORD.encode() not in stored and TOKEN.encode() not in stored


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_harness")
def test_a_deployment_reads_the_sources_credentials_from_a_secret_block(tmp_path: Path) -> None:
    """The credentials live in a Prefect Secret block: the run's parameters name the block only, the requests
    carry the login, and no file the run writes holds the password."""
    import base64
    from urllib.parse import urlsplit

    from prefect.blocks.system import Secret

    from flows.errors import UsageError
    from flows.run.deployment import daily_parameters
    from flows.sources.gather import load_credentials

    excerpt = (DATA / "hf-daily" / "2025-07-03-excerpt.json").read_bytes()
    with serving() as server:
        server.route("/api/daily_papers", Reply(200, excerpt), date="2025-07-03", p="0")
        Secret(value={urlsplit(server.base_url).netloc: f"reader:{PASSWORD}"}).save(
            "papers-sources", overwrite=True
        )
        sources = SourceSettings(
            hf_base_url=server.base_url,
            hf_daily="2025-07-03",
            credentials_block="papers-sources",
            min_interval=0,
            max_retries=0,
            task_retries=0,
            read_timeout=5,
        )
        config = RunConfig(inputs=[], sources=sources, out_dir=tmp_path / "out")
        parameters = json.dumps(config.model_dump(mode="json"))
        assert '"credentials_block": "papers-sources"' in parameters and PASSWORD not in parameters
        summary = curate(config)
        login = "Basic " + base64.b64encode(f"reader:{PASSWORD}".encode()).decode()
        assert server.requests and all(seen.headers.get("Authorization") == login for seen in server.requests)
    assert summary.version is not None and not summary.source_failures
    leaks = [str(path) for path, text in every_file_as_text(tmp_path / "out").items() if PASSWORD in text]
    assert leaks == []
    daily = json.dumps(daily_parameters(credentials_block="papers-sources"))
    assert '"credentials_block": "papers-sources"' in daily
    with pytest.raises(UsageError, match="no Prefect Secret block named 'nowhere'"):
        load_credentials("nowhere")
    Secret(value="not json").save("papers-broken", overwrite=True)
    with pytest.raises(UsageError, match="does not hold"):
        load_credentials("papers-broken")
