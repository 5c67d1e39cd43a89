"""The hand-labelled venue-hint set (tests/data/venue_hints_labelled.jsonl) and its precision/recall scoring.

Shared by tests/transforms/test_venues.py and bench/derive_eval.py. Four kinds of cases:

* strings from the arXiv API captures (``arxiv:comment`` / ``arxiv:journal_ref``; MIT, lukasschwab/arxiv.py);
* rows of ``../shared/data/conference-papers`` (no licence: only keys are stored, conf + year + sha256 of the
  title; the venue_field string "{CONF} {year} {status} {track}" is rebuilt from the row at run time);
* abstracts and comments of ``../shared/data/arxiv-daily`` that name a venue (issue 30; the abstracts are their
  authors', so only keys are stored: the arXiv id and sha256 of the text, read back at run time; every abstract
  with a lexicon mention, most of them naming a venue as a challenge host, a citation or a study's corpus);
* pitfall strings written for this test;
* ``audit`` strings in arXiv-comment / journal_ref style, written for this test and labelled before the
  extractor was run on them (an independent check on labels that began as reviewed extractor output).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

REPO_ROOT = Path(__file__).resolve().parents[2]
LABELS_FILE = REPO_ROOT / "tests" / "data" / "venue_hints_labelled.jsonl"
VENUE_INPUT_FIELDS = ("journal_ref", "venue_field", "arxiv_comment", "abstract")
Hint = tuple[str, int | None, str, bool]


def shared_dir() -> Path:
    """The shared data folder: ``$SHARED_DATA_DIR`` if set, else ``../shared`` next to the repository."""
    return Path(os.environ.get("SHARED_DATA_DIR", REPO_ROOT / ".." / "shared"))


@dataclass(frozen=True)
class LabelledCase:
    """One labelled string: the field it stands for, its text, and the expected hints."""

    field: str
    text: str
    expected: tuple[Hint, ...]
    source: str


def conference_venue_string(row: dict[str, object]) -> str:
    """How a structured venue field looks for a conference-papers row: "{CONF} {year} {status} {track}"."""
    parts = [str(row["conf"]).upper(), str(row["year"])]
    if row.get("status"):
        parts.append(str(row["status"]))
    if row.get("track") and row["track"] != "main":
        parts.append(str(row["track"]))
    return " ".join(parts)


def _conference_rows(shared: Path) -> dict[tuple[str, int, str], dict[str, object]] | None:
    path = shared / "data" / "conference-papers" / "papers.jsonl"
    if not path.exists():
        return None
    rows: dict[tuple[str, int, str], dict[str, object]] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            digest = hashlib.sha256(row["title"].encode("utf-8")).hexdigest()
            rows[(row["conf"], row["year"], digest)] = row
    return rows


ARXIV_DAILY_FIELDS = {"abstract": "summary", "arxiv_comment": "comment"}


def _arxiv_daily_texts(shared: Path) -> dict[tuple[str, str], str] | None:
    """(field, arXiv id) -> text of ``../shared/data/arxiv-daily``, None when the file is absent."""
    path = shared / "data" / "arxiv-daily" / "papers-2025.jsonl"
    if not path.exists():
        return None
    texts: dict[tuple[str, str], str] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            for field, key in ARXIV_DAILY_FIELDS.items():
                if row.get(key):
                    texts[(field, row["id"])] = row[key]
    return texts


def load_labelled_cases(shared: Path | None = None) -> tuple[list[LabelledCase], int]:
    """The labelled cases whose text is available, and how many key-only cases were skipped (their data absent).

    A key-only arXiv-daily case whose text no longer has the stored sha256 is an error, not a skip.
    """
    conference = _conference_rows(shared or shared_dir())
    arxiv_daily: dict[tuple[str, str], str] | None = None
    cases: list[LabelledCase] = []
    skipped = 0
    for line in LABELS_FILE.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        expected = tuple(
            (hint["venue"], hint["year"], hint["status"], hint["workshop"]) for hint in item["expected"]
        )
        if "text" in item:
            cases.append(LabelledCase(item["field"], item["text"], expected, item["source"]))
            continue
        if "arxiv_id" in item:
            arxiv_daily = (
                arxiv_daily if arxiv_daily is not None else _arxiv_daily_texts(shared or shared_dir())
            )
            text = None if arxiv_daily is None else arxiv_daily.get((item["field"], item["arxiv_id"]))
            if text is None:
                skipped += 1
                continue
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != item["text_sha256"]:
                raise ValueError(
                    f"arxiv-daily {item['arxiv_id']} {item['field']}: text changed since labelled"
                )
            cases.append(LabelledCase(item["field"], text, expected, item["source"]))
            continue
        row = (
            None if conference is None else conference.get((item["conf"], item["year"], item["title_sha256"]))
        )
        if row is None:
            skipped += 1
            continue
        cases.append(LabelledCase(item["field"], conference_venue_string(row), expected, item["source"]))
    return cases, skipped


def cases_frame(cases: list[LabelledCase]) -> pl.LazyFrame:
    """One input row per case, the text in its field and the other venue fields null."""
    rows = [
        {name: (case.text if name == case.field else None) for name in VENUE_INPUT_FIELDS} for case in cases
    ]
    return pl.DataFrame(rows, schema=dict.fromkeys(VENUE_INPUT_FIELDS, pl.String)).lazy()


def score_hints(cases: list[LabelledCase], predicted: list[list[dict[str, object]]]) -> dict[str, object]:
    """Micro precision/recall over (venue, year, status, workshop) tuples, plus the disagreeing cases."""
    true_positive = false_positive = false_negative = 0
    errors: list[tuple[str, list[Hint], list[Hint]]] = []
    for case, hints in zip(cases, predicted, strict=True):
        got = [(h["venue"], h["year"], h["status"], h["workshop"]) for h in hints]
        expected = list(case.expected)
        matched = [hint for hint in got if hint in expected]
        true_positive += len(matched)
        false_positive += len(got) - len(matched)
        false_negative += len([hint for hint in expected if hint not in got])
        if sorted(map(repr, got)) != sorted(map(repr, expected)):
            errors.append((case.text, expected, got))
    predicted_total = true_positive + false_positive
    expected_total = true_positive + false_negative
    return {
        "cases": len(cases),
        "expected_hints": expected_total,
        "predicted_hints": predicted_total,
        "precision": true_positive / predicted_total if predicted_total else 1.0,
        "recall": true_positive / expected_total if expected_total else 1.0,
        "errors": errors,
    }
