"""Every real capture in the shared data folder parses or is reported with a reason (skipped when absent).

The folder is ``$PAPERS_SHARED`` or ``../shared`` next to the repository; its files are read at test time and
never copied into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from flows.sources.local import read_local_captures
from transforms.parse import detect_format, parse_capture

SHARED = Path(os.environ.get("PAPERS_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
DATA = SHARED / "data"

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"no shared captures at {DATA}")


def _parse_folder(name: str) -> tuple[list[str | None], pl.DataFrame]:
    captures, _ = read_local_captures([DATA / name])
    return [detect_format(c.content) for c in captures], pl.concat([parse_capture(c) for c in captures])


def test_every_hf_daily_file_parses_without_failures() -> None:
    formats, records = _parse_folder("hf-daily-api")
    assert len(formats) == 183 and set(formats) == {"hf-daily"}
    assert records["parse_error"].null_count() == records.height
    assert records["arxiv_id"].null_count() == 0
    assert records["title_raw"].null_count() == 0 and records["abstract_raw"].null_count() == 0
    assert records["arxiv_id"].str.contains(r"^\d{4}\.\d{4,5}$").all()


def test_arxiv_feeds_parse_or_are_reported() -> None:
    formats, records = _parse_folder("arxiv-api")
    assert set(formats) == {"arxiv"}, "sidecar .meta.json files are not inputs"
    failures = records.filter(pl.col("parse_error").is_not_null())
    assert failures["parse_error"].to_list() == ["parse:arxiv:api-error:incorrect-id-format"]
    assert records.filter(pl.col("parse_error").is_null())["arxiv_id"].null_count() == 0


def test_pwc_paper_responses_parse_and_others_are_reported() -> None:
    _, records = _parse_folder("pwc-api")
    reasons = records["parse_error"].drop_nulls().to_list()
    assert reasons == ["parse:pwc:not-a-paper-listing"] * 2
    assert records.filter(pl.col("parse_error").is_null()).height == 51


def test_hf_paper_page_uses_embedded_json() -> None:
    _, records = _parse_folder("hf-paper-page")
    assert records["arxiv_id"].to_list() == ["2509.24002"]
    assert records["abstract_raw"][0] and records["keywords"][0].len() > 0
