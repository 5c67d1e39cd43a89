"""Evaluate cleaning and language detection on real captures, and time serial vs process-parallel detection.

Run from the repository root (reads captures from the shared data folder; nothing is copied into the repo):

    PYTHONPATH=. python bench/language_eval.py --shared /work/shared

Prints (or writes to ``--out``) a report with:

1. ``hf-daily-api``: share of cleaned abstracts detected ``en`` and every other one with its text, cleaning
   flag counts and quality reasons;
2. the bundled trending-papers page: every abstract ``en``, no TeX markup, TeX quotes or citation keys left;
3. throughput of ``detect_languages`` in one process vs a process pool on ~5,000 distinct abstracts.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import resource
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from flows.run.language import detect_languages
from transforms.clean.quality import QualitySettings, tag_quality
from transforms.clean.rules import clean_records
from transforms.language.detect import tag_language

REPO_ROOT = Path(__file__).resolve().parents[1]

# TeX command names used as markup, TeX quotes, and author+year+word citation keys.
TEX_LEFTOVERS = re.compile(
    r"\\[A-Za-z]+|\b(?:mathcal|mathbb|mathbf|mathrm|widetilde|widehat|rightarrow|leftarrow|textbf|textit|emph"
    r"|texttt|textsc|cdot|infty|leq|geq)\b|``|''|\b[A-Z]?[a-z]+(?:19|20)\d\d[A-Za-z]{4,}\b"
)


URL = re.compile(r"(?:https?://|www\.)\S+|\S+\.(?:com|org|net|io|ai)\b\S*")


def tex_leftovers(text: str) -> list[str]:
    """TeX markup left in a cleaned text (URLs are not text: "eccv2024tcan.github.io" is no citation key)."""
    return [match.group(0) for match in TEX_LEFTOVERS.finditer(URL.sub(" ", text))]


def hf_daily_items(folder: Path) -> Iterator[dict[str, Any]]:
    """Items of the HF daily-papers API captures, whatever the file's serialisation quirk."""
    for path in sorted(folder.glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(payload, dict):  # one day is wrapped in {status, date, count, data}
            payload = payload["data"]
        for item in payload:
            # 2024-12-11..2025-01-09: items are Python-repr strings
            yield ast.literal_eval(item) if isinstance(item, str) else item


def hf_daily_frame(shared: Path) -> pl.DataFrame:
    rows = [
        {
            "paper_id": item["paper"]["id"],
            "title_raw": item["paper"]["title"],
            "abstract_raw": item["paper"]["summary"],
        }
        for item in hf_daily_items(shared / "data" / "hf-daily-api")
    ]
    return pl.DataFrame(rows).unique(subset="paper_id", keep="first", maintain_order=True)


def seed_page_frame(shared: Path) -> pl.DataFrame:
    """The bundled page: two newsletter lines, then title line / abstract line pairs."""
    lines = (shared / "seed" / "trending-papers-page.txt").read_text(encoding="utf-8").splitlines()[2:]
    lines = [line for line in lines if line.strip()]
    return pl.DataFrame({"title_raw": lines[0::2], "abstract_raw": lines[1::2]})


def conference_abstracts(shared: Path, limit: int) -> list[str]:
    """Distinct conference abstracts (local evaluation only: the capture states no licence)."""
    seen: dict[str, None] = {}
    with (shared / "data" / "conference-papers" / "papers.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            abstract = (json.loads(line).get("abstract") or "").strip()
            if abstract:
                seen.setdefault(abstract)
            if len(seen) >= limit * 2:
                break
    return list(seen)


def process(frame: pl.DataFrame, workers: int) -> pl.DataFrame:
    """Clean, tag quality, detect and tag language: the stages as the flow runs them."""
    cleaned = clean_records(frame.lazy()).pipe(tag_quality, QualitySettings()).collect()
    detected = detect_languages(cleaned, workers=workers)
    return tag_language(detected.lazy()).collect()


def counts_table(series: pl.Series, header: str) -> list[str]:
    counts = series.value_counts(sort=True)
    lines = [f"| {header} | rows |", "|---|---|"]
    lines += [f"| `{value}` | {count} |" for value, count in counts.iter_rows()]
    return lines


def evaluate_hf(shared: Path, workers: int) -> list[str]:
    frame = hf_daily_frame(shared)
    result = process(frame, workers)
    total = result.height
    english = result.filter(pl.col("language") == "en").height
    others = result.filter(pl.col("language") != "en")
    leftovers = sorted(
        {
            left
            for text in result["title"].to_list() + result["abstract"].to_list()
            for left in tex_leftovers(text)
        }
    )
    share = 100 * english / total
    raw = detect_languages(
        frame.select(pl.col("abstract_raw").str.replace_all(r"\s+", " ").str.strip_chars().alias("abstract")),
        workers=workers,
    )
    raw_english = raw.filter(pl.col("language") == "en").height
    lowest = result.sort("language_score").head(3)
    published = result.filter(pl.col("reasons").list.len() == 0).height
    lines = [
        "## hf-daily-api (Hugging Face daily papers API, Apache-2.0 capture)",
        "",
        f"- distinct papers: {total}",
        f"- cleaned abstracts detected `en`: **{english} / {total} = {share:.2f} %** (target ≥ 99.5 %)",
        f"- same detection on the raw summaries (whitespace collapsed only): {raw_english} / {total} `en`",
        "- lowest `language_score` after cleaning: "
        + ", ".join(f"{row['language']} {row['language_score']:.6f}" for row in lowest.iter_rows(named=True)),
        f"- published after quality and language reasons: {published}",
        f"- TeX markup names, TeX quotes or citation keys left in titles/abstracts: {leftovers or 'none'}",
        "",
        "Abstracts not detected `en`:",
        "",
    ]
    if others.height == 0:
        lines.append("(none)")
    for row in others.iter_rows(named=True):
        lines.append(
            f"- `{row['paper_id']}` `{row['language']}` ({row['language_score']:.3f}): {row['abstract']}"
        )
    lines += ["", "Cleaning flags (rows):", ""]
    lines += counts_table(result["cleaning_flags"].explode().drop_nulls(), "flag")
    lines += ["", "Quarantine reasons (rows):", ""]
    reasons = result["reasons"].explode().drop_nulls()
    lines += counts_table(reasons, "reason") if reasons.len() else ["(none)"]
    return lines


# The damage examples as they appear in the bundled page, and what must replace them.
SEED_DAMAGE = {
    "SubscribeLearning": "Learning Hierarchical Polynomials",
    "mathcal{O}(d^k)": "O(d^k)",
    "widetilde Theta(d^{kq})": "Θ̃(d^{kq})",
    "R^d rightarrow R": "R^d → R",
    "g circ p": "g ∘ p",
    "6.5times speed-up": "6.5× speed-up",
    "ell_2": "ℓ_2",
    "{\\em dynamical stability}": "dynamical stability",
    "work~nichani2023provable": "prior work requiring",
    "Belkin2018ReconcilingMM": "theory and practice. Additionally",
    "``XOR''": "“XOR”",
    "networks.Given": "networks. Given",
    "inputs.Project page:": "inputs. Project page:",
    "hand- written": "handwritten",
}


def code(text: str) -> str:
    """Markdown code span that survives backticks in the text."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def evaluate_seed(shared: Path, workers: int) -> list[str]:
    result = process(seed_page_frame(shared), workers)
    english = result.filter(pl.col("language") == "en").height
    texts = result["title"].to_list() + result["abstract"].to_list()
    leftovers = sorted({left for text in texts for left in tex_leftovers(text)})
    raw = " ".join(result["title_raw"].to_list() + result["abstract_raw"].to_list())
    joined = " ".join(texts)
    damage_rows = [
        f"| {code(before)} | {'yes' if before in raw else 'no'} | {'no' if before in joined else 'yes'} "
        f"| {'yes' if after in joined else 'no'} |"
        for before, after in SEED_DAMAGE.items()
    ]
    return [
        "## Bundled trending-papers page",
        "",
        f"- entries: {result.height}; abstracts detected `en`: **{english} / {result.height}**",
        f"- quarantine reasons: {result['reasons'].explode().drop_nulls().to_list() or 'none'}",
        f"- TeX markup names, TeX quotes or citation keys left in titles/abstracts: {leftovers or 'none'}",
        "",
        "| damage in the capture | present raw | gone after cleaning | repaired text present |",
        "|---|---|---|---|",
        *damage_rows,
    ]


def _timed(run: Callable[[], pl.DataFrame]) -> tuple[pl.DataFrame, float, float]:
    """The result of ``run``, its wall seconds and its CPU seconds (this process and finished children)."""
    start, cpu = time.perf_counter(), _cpu_seconds()
    result = run()
    return result, time.perf_counter() - start, _cpu_seconds() - cpu


def evaluate_throughput(shared: Path, workers: int, size: int, repeats: int) -> list[str]:
    abstracts = conference_abstracts(shared, size)
    cleaned = clean_records(
        pl.LazyFrame({"title_raw": [""] * len(abstracts), "abstract_raw": abstracts})
    ).collect()
    frame = cleaned.select("abstract").unique(maintain_order=True).head(size)
    load_before = os.getloadavg()[0]
    serial_runs = []
    parallel_runs = []
    for _ in range(repeats):  # alternate, so background load hits both paths alike; keep the median
        serial_runs.append(_timed(lambda: detect_languages(frame, parallel_threshold=frame.height + 1)))
        parallel_runs.append(_timed(lambda: detect_languages(frame, workers=workers, parallel_threshold=0)))
    serial, serial_seconds, serial_cpu = sorted(serial_runs, key=lambda run: run[1])[repeats // 2]
    _, parallel_seconds, parallel_cpu = sorted(parallel_runs, key=lambda run: run[1])[repeats // 2]
    rerun, rerun_seconds, _ = _timed(lambda: detect_languages(frame, known=serial))
    load_after = os.getloadavg()[0]
    processes = workers or os.cpu_count() or 1
    identical = all(run[0].equals(serial) for run in serial_runs + parallel_runs) and rerun.equals(serial)
    return [
        "## Throughput of detect_languages",
        "",
        f"{frame.height} distinct cleaned abstracts (conference-papers capture, read at run time), "
        f"machine with {os.cpu_count()} CPUs; median of {repeats} alternating runs:",
        "",
        "| path | wall s | abstracts/s (wall) | CPU s (this process + workers) | CPU ms/abstract |",
        "|---|---|---|---|---|",
        f"| serial (one process) | {serial_seconds:.1f} | {frame.height / serial_seconds:.0f} "
        f"| {serial_cpu:.1f} | {1000 * serial_cpu / frame.height:.2f} |",
        f"| process pool ({processes} workers, spawn start-up included) | {parallel_seconds:.1f} "
        f"| {frame.height / parallel_seconds:.0f} | {parallel_cpu:.1f} "
        f"| {1000 * parallel_cpu / frame.height:.2f} |",
        f"| re-run with `known` = the serial results (nothing left to detect) | {rerun_seconds:.2f} | | | |",
        "",
        f"Wall-clock speed-up: {serial_seconds / parallel_seconds:.2f}×; "
        f"results identical to serial (parallel and re-run): {identical}. "
        f"1-minute load average before/after: {load_before:.1f}/{load_after:.1f} (on a shared machine, other "
        "work competes for the same cores: compare the CPU columns, and rerun on an idle machine).",
    ]


def _cpu_seconds() -> float:
    """User+system CPU of this process and its finished children (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=REPO_ROOT / ".." / "shared", help="shared data folder")
    parser.add_argument("--out", type=Path, help="write the report here (default: stdout)")
    parser.add_argument("--workers", type=int, default=0, help="processes for the parallel path (0: CPUs)")
    parser.add_argument("--size", type=int, default=5000, help="abstracts for the throughput measurement")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each path (median reported)")
    args = parser.parse_args()
    shared = args.shared.resolve()
    sections = [
        "# Cleaning and language detection: measurements",
        "",
        "Generated by `PYTHONPATH=. python bench/language_eval.py --shared /work/shared` "
        "(rerun to refresh; the numbers below are from the last run).",
        "",
        *evaluate_seed(shared, args.workers),
        "",
        *evaluate_hf(shared, args.workers),
        "",
        *evaluate_throughput(shared, args.workers, args.size, args.repeats),
        "",
    ]
    if args.out is not None:
        args.out.write_text("\n".join(sections), encoding="utf-8")
    print("\n".join(sections))


if __name__ == "__main__":
    main()
