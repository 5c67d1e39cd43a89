"""The generic reader on real captures (skipped when the shared data folder is absent; nothing is copied into the
repository): the arXiv digest maps whole, and daily-papers days reshaped as other scrapers write them (JSON Lines,
CSV, nested, renamed fields) give the records their original format gives."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from tests.support.golden_runs import SHARED_DATA
from transforms.parse import Capture, parse_capture_as
from transforms.parse.listing import NOT_A_LISTING

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"no shared captures at {SHARED_DATA}")

DAYS = ("2024-06-03", "2024-06-04", "2024-06-05")
COMPARED = ("arxiv_id", "title_raw", "abstract_raw", "authors")


def capture(path: Path | str, content: bytes) -> Capture:
    return Capture("auto", str(path), content, datetime(2025, 1, 15, tzinfo=UTC), "file-mtime")


def test_every_arxiv_digest_record_maps_with_the_files_fields_and_no_listing_day() -> None:
    path = SHARED_DATA / "arxiv-daily" / "papers-2025.jsonl"
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    parsed = parse_capture_as(capture(path, path.read_bytes()))
    records = parsed.records
    assert parsed.format == "generic" and records.height == len(lines) == 24_000
    assert records.get_column("parse_error").null_count() == records.height
    assert parsed.mapping is not None and parsed.mapping["mapped_share"] == 1.0
    assert parsed.mapping["listing"] is False
    assert set(records.get_column("listed_on_evidence")) == {NOT_A_LISTING}
    assert records.get_column("listed_on").null_count() == records.height
    expected = pl.DataFrame(
        {
            "arxiv_id": [line["id"] for line in lines],
            "title_raw": [line["title"] or None for line in lines],
            "abstract_raw": [line["summary"] or None for line in lines],
            "arxiv_comment": [line["comment"] or None for line in lines],
            "authors": [line["authors"] for line in lines],
            "categories": [line["categories"] for line in lines],
        }
    )
    assert records.select(expected.columns).equals(expected)


def daily_items() -> list[dict[str, object]]:
    items = []
    for day in DAYS:
        for item in json.loads((SHARED_DATA / "hf-daily-api" / f"{day}.json").read_text("utf-8")):
            paper = item["paper"]
            items.append(
                {
                    "id": paper["id"],
                    "title": paper["title"],
                    "summary": paper["summary"],
                    "authors": [a["name"] for a in paper["authors"] if a.get("name", "").strip()],
                    "upvotes": paper["upvotes"],
                    "day": day,
                }
            )
    return items


def original() -> pl.DataFrame:
    frames = [
        parse_capture_as(capture(path, path.read_bytes())).records
        for path in (SHARED_DATA / "hf-daily-api" / f"{day}.json" for day in DAYS)
    ]
    return pl.concat(frames).select(*COMPARED, "upvotes")


def as_csv(items: list[dict[str, object]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(items[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows({**item, "authors": "; ".join(item["authors"])} for item in items)  # type: ignore[arg-type]
    return out.getvalue()


def reshaped() -> dict[str, str]:
    items = daily_items()
    return {
        "days.jsonl": "\n".join(json.dumps(item) for item in items) + "\n",
        "days.csv": as_csv(items),
        "days.tsv": as_csv(items, "\t"),
        "nested.json": json.dumps(
            {
                "scraper": "x",
                "entries": [
                    {
                        "meta": {
                            "title": i["title"],
                            "people": i["authors"],
                            "stats": {"likes": str(i["upvotes"])},
                        },
                        "content": {"abstract": i["summary"]},
                        "links": {"arxiv": f"https://arxiv.org/abs/{i['id']}"},
                        "date": i["day"],
                    }
                    for i in items
                ],
            }
        ),
        "renamed.json": json.dumps(
            [
                {
                    "paper_title": i["title"],
                    "description": i["summary"],
                    "arxiv": i["id"],
                    "author_names": ", ".join(i["authors"]),  # type: ignore[arg-type]
                    "votes": i["upvotes"],
                    "listing_date": i["day"],
                }
                for i in items
            ]
        ),
    }


@pytest.mark.parametrize("name", ["days.jsonl", "days.csv", "days.tsv", "nested.json", "renamed.json"])
def test_daily_days_reshaped_give_the_same_records(name: str) -> None:
    content = reshaped()[name]
    mapping = {"authors": ("meta.people",)} if name == "nested.json" else None
    parsed = parse_capture_as(capture(name, content.encode()), mapping=mapping)
    assert parsed.format == "generic", parsed.records.get_column("parse_error").to_list()[:1]
    assert parsed.mapping is not None and parsed.mapping["listing"] is True
    expected = original()
    if name == "renamed.json":  # authors as one comma-separated text: names holding a comma are split
        expected = expected.with_columns(
            pl.col("authors").list.join(", ").str.split(",").list.eval(pl.element().str.strip_chars())
        )
    assert parsed.records.select(*COMPARED, "upvotes").equals(expected)
    assert parsed.records.get_column("listed_on").drop_nulls().len() == parsed.records.height
