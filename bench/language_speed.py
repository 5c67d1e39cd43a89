"""The language stage against naive langdetect on every abstract, side by side: speed and agreement.

    .venv/bin/python bench/language_speed.py --shared ../shared [--corpus /tmp/corpus-100k] [--repeat 3] [--sample K]

Abstracts: every distinct abstract of the real captures (``hf-daily-api`` and ``conference-papers``), plus the
non-English abstracts of a ``bench/corpus.py`` corpus when given, each cleaned by ``clean_records`` as the
pipeline does. Naive: ``transforms.language.detect.detect_language`` (seeded langdetect) on every abstract, in this
process. Ours: ``flows.run.language.detect_languages`` (English gate, then langdetect on the rest; serial: the
rest is below the parallel threshold). Agreement is on the language code; every disagreement is printed with
langdetect's own top candidates.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import polars as pl
from langdetect import detect_langs

from flows.run.language import detect_languages
from transforms.clean.rules import clean_records
from transforms.language.detect import clearly_english, detect_language

REPO = Path(__file__).resolve().parents[1]


def abstracts(shared: Path, corpus: Path | None) -> pl.Series:
    texts: list[str] = []
    for path in sorted((shared / "data" / "hf-daily-api").glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        items = document.get("data", []) if isinstance(document, dict) else document
        texts += [
            item["paper"].get("summary") or "" for item in items if isinstance(item, dict) and "paper" in item
        ]
    conference = shared / "data" / "conference-papers" / "papers.jsonl"
    texts += [json.loads(line).get("abstract") or "" for line in conference.read_text("utf-8").splitlines()]
    if corpus is not None:
        truth = pl.read_parquet(corpus / "truth.parquet").filter(pl.col("language").is_not_null())
        wanted = set(truth["index"].to_list())
        index = 0
        for day in sorted((corpus / "days").glob("*.json")):
            for item in json.loads(day.read_text("utf-8")):
                if index in wanted:
                    texts.append(item["paper"]["summary"])
                index += 1
    raw = pl.DataFrame({"title_raw": [""] * len(texts), "abstract_raw": texts}).unique(
        "abstract_raw", maintain_order=True
    )
    return raw.lazy().pipe(clean_records).collect()["abstract"].fill_null("")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=REPO / ".." / "shared")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--sample", type=int, help="every k-th abstract only (a quicker run on a busy machine)"
    )
    args = parser.parse_args()
    texts = abstracts(args.shared, args.corpus)
    if args.sample:
        texts = texts.gather_every(args.sample)
    frame = pl.DataFrame({"abstract": texts})
    ours_times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        ours = detect_languages(frame, workers=1)
        ours_times.append(time.perf_counter() - started)
    started = time.perf_counter()
    naive = [detect_language(text) for text in texts.to_list()]
    naive_seconds = time.perf_counter() - started
    compared = ours.with_columns(
        pl.Series("naive", [code for code, _ in naive]),
        pl.Series("naive_score", [score for _, score in naive]),
        clearly_english(pl.col("abstract")).alias("gated"),
    )
    disagreements = compared.filter(pl.col("language") != pl.col("naive"))
    gated = compared.filter("gated")
    result = {
        "abstracts": frame.height,
        "settled_by_gate": gated.height,
        "naive_seconds": round(naive_seconds, 2),
        "ours_seconds_median": round(statistics.median(ours_times), 2),
        "speedup": round(naive_seconds / statistics.median(ours_times), 1),
        "agreement": round(1 - disagreements.height / frame.height, 6),
        "disagreements": disagreements.height,
        "lowest_naive_score_where_gated": gated["naive_score"].min(),
        "naive_languages": dict(compared.group_by("naive").len().sort("len", descending=True).iter_rows()),
    }
    print(json.dumps(result))
    for row in disagreements.iter_rows(named=True):
        candidates = (
            [f"{c.lang}:{c.prob:.3f}" for c in detect_langs(row["abstract"])]
            if row["abstract"].strip()
            else []
        )
        print(f"- ours {row['language']} / langdetect {row['naive']} {candidates}: {row['abstract'][:160]!r}")


if __name__ == "__main__":
    main()
