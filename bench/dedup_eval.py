"""Evaluate deduplication on real captures and measure its cost; the report goes to stdout (or ``--out``).

Run from the repository root:

    PYTHONPATH=. .venv/bin/python bench/dedup_eval.py --shared ../shared [--scale 100000 1000000]

Sections:

* ``hf``: hf-daily-api + hf-scraped-2024 as text records with arXiv ids hidden, clusters scored pairwise
  against the true ids (precision, recall).
* ``conference``: conference-papers (no duplicates expected apart from re-submissions): merges listed.
* ``incremental``: day-by-day match_previous + upsert over the hf-daily-api days against one run over all of
  them (ids hidden and visible): same papers, same ids.
* ``scale``: time and peak RSS of signatures + LSH candidate generation on resampled abstracts (each size in a
  fresh subprocess so peak memory is per size).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import resource
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from transforms.dedup.clusters import _bucket_pairs, find_clusters
from transforms.dedup.collapse import collapse_clusters
from transforms.dedup.index import build_index, update_index
from transforms.dedup.matching import match_previous
from transforms.dedup.minhash import DedupParams, band_frame
from transforms.history.merge import upsert
from transforms.schema import PAPER_SCHEMA, polars_schema

REPO = Path(__file__).resolve().parents[1]
_ARXIV_IN_URL = re.compile(r"(\d{4}\.\d{4,5})")


def collapse_whitespace(text: str | None) -> str:
    """The minimal cleaning the clean stage would do before dedup: collapse whitespace runs, strip."""
    return " ".join((text or "").split())


def _record(source: str, sha: str, index: int, day: str, title: str, abstract: str, true_id: str) -> dict:
    return {
        "record_id": hashlib.sha256(f"{sha}:{index}".encode()).hexdigest()[:16],
        "source": source,
        "raw_sha256": sha,
        "raw_index": index,
        "captured_at": datetime.fromisoformat(day).replace(tzinfo=UTC),
        "listed_on": datetime.fromisoformat(day).date(),
        "title_raw": title,
        "abstract_raw": abstract,
        "title": collapse_whitespace(title),
        "abstract": collapse_whitespace(abstract),
        "true_id": true_id,
        "day": day,
    }


def load_daily_api(folder: Path) -> list[dict]:
    """hf-daily-api: one JSON list a day; some days hold Python-repr strings or a {status,...,data}
    wrapper."""
    rows: list[dict] = []
    for path in sorted(folder.glob("*.json")):
        raw = path.read_bytes()
        sha = hashlib.sha256(raw).hexdigest()
        payload = json.loads(raw)
        if isinstance(payload, dict):
            payload = payload.get("data", [])
        for index, item in enumerate(payload):
            entry = ast.literal_eval(item) if isinstance(item, str) else item
            paper = entry["paper"]
            rows.append(
                _record("hf-daily-api", sha, index, path.stem, paper["title"], paper["summary"], paper["id"])
            )
    return rows


def load_scraped(folder: Path) -> list[dict]:
    """hf-scraped-2024: {date, papers: [{title, url, abstract (hard-wrapped), ...}]}; the id is in the url."""
    rows: list[dict] = []
    for path in sorted(folder.glob("*.json")):
        raw = path.read_bytes()
        sha = hashlib.sha256(raw).hexdigest()
        for index, paper in enumerate(json.loads(raw)["papers"]):
            match = _ARXIV_IN_URL.search(paper.get("url") or "")
            true_id = match.group(1) if match else f"unknown:{sha}:{index}"
            rows.append(
                _record("hf-scraped", sha, index, path.stem, paper["title"], paper.get("abstract"), true_id)
            )
    return rows


def to_frame(rows: list[dict], visible_ids: bool = False) -> pl.DataFrame:
    frame = pl.DataFrame(rows).with_columns(
        pl.col("raw_index").cast(pl.Int32), pl.col("captured_at").cast(pl.Datetime("us", "UTC"))
    )
    arxiv = pl.col("true_id") if visible_ids else pl.lit(None, dtype=pl.String)
    return frame.with_columns(arxiv.alias("arxiv_id"))


def pair_count(sizes: pl.Expr) -> pl.Expr:
    return (sizes * (sizes - 1) // 2).sum()


def pairwise_scores(clustered: pl.DataFrame) -> dict[str, float]:
    """Pairwise precision/recall of ``cluster_id`` against ``true_id`` (pairs counted from group sizes)."""
    predicted = clustered.group_by("cluster_id").len().select(pair_count(pl.col("len"))).item()
    actual = clustered.group_by("true_id").len().select(pair_count(pl.col("len"))).item()
    correct = clustered.group_by("cluster_id", "true_id").len().select(pair_count(pl.col("len"))).item()
    return {
        "records": clustered.height,
        "true_papers": clustered["true_id"].n_unique(),
        "clusters": clustered["cluster_id"].n_unique(),
        "predicted_pairs": predicted,
        "true_pairs": actual,
        "correct_pairs": correct,
        "precision": correct / predicted if predicted else 1.0,
        "recall": correct / actual if actual else 1.0,
    }


def cluster_errors(clustered: pl.DataFrame, limit: int = 8) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Examples of false merges (clusters with several true ids) and misses (true ids in several clusters)."""
    false_merges = (
        clustered.group_by("cluster_id")
        .agg(
            pl.col("true_id").n_unique().alias("ids"),
            pl.col("title").unique().alias("titles"),
            pl.col("similarity").min().alias("min_similarity"),
        )
        .filter(pl.col("ids") > 1)
        .head(limit)
    )
    misses = (
        clustered.group_by("true_id")
        .agg(
            pl.col("cluster_id").n_unique().alias("clusters"),
            pl.col("title").unique().alias("titles"),
            pl.col("source").unique().alias("sources"),
        )
        .filter(pl.col("clusters") > 1)
        .head(limit)
    )
    return false_merges, misses


def perturb(rows: list[dict], rate: float, seed: int = 11) -> list[dict]:
    """Copies of rows with ``rate`` of abstract words replaced by random words of the corpus, and titles
    reworded the same way: a stress test of the near-duplicate rule beyond the real captures' differences."""
    rng = np.random.default_rng(seed)
    vocabulary = sorted({w for r in rows for w in r["abstract"].split()})
    out = []
    for row in rows:
        edited = dict(row)
        for field in ("abstract", "title"):
            words = row[field].split()
            swap = rng.random(len(words)) < rate
            edited[field] = " ".join(
                vocabulary[rng.integers(len(vocabulary))] if s else w
                for w, s in zip(words, swap, strict=True)
            )
        out.append(edited)
    return out


def as_papers(collapsed: pl.DataFrame) -> pl.DataFrame:
    """Fill the PAPER_SCHEMA columns the derive stage would add, so upsert can run in the bench."""
    target = polars_schema(PAPER_SCHEMA)
    fills = [
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in target.items()
        if name not in collapsed.columns and name not in ("first_seen", "last_seen", "times_seen")
    ]
    return collapsed.with_columns(fills)


def run_incremental(rows: list[dict], params: DedupParams, visible_ids: bool) -> dict[str, object]:
    """Day by day vs all at once over the same records: compare the record -> paper_id assignment."""
    frame = to_frame(rows, visible_ids)
    days = sorted(frame["day"].unique().to_list())
    previous: pl.DataFrame | None = None
    index = build_index(
        pl.DataFrame(
            schema={"paper_id": pl.String, "title": pl.String, "abstract": pl.String, "arxiv_id": pl.String}
        ),
        params,
    )
    assignment: list[pl.DataFrame] = []
    started = time.perf_counter()
    for day in days:
        batch = frame.filter(pl.col("day") == day)
        papers = as_papers(collapse_clusters(find_clusters(batch, params)))
        matched = match_previous(papers, previous, params, index=index if previous is not None else None)
        assignment.append(matched.select("paper_id", "member_record_ids").explode("member_record_ids"))
        previous = upsert(previous, matched.drop("is_new"), datetime.fromisoformat(day).replace(tzinfo=UTC))
        index = update_index(index, matched, params)
    daily_seconds = time.perf_counter() - started
    started = time.perf_counter()
    whole = as_papers(collapse_clusters(find_clusters(frame, params)))
    whole = match_previous(whole, None, params)
    once_seconds = time.perf_counter() - started
    once_assignment = whole.select("paper_id", "member_record_ids").explode("member_record_ids")
    daily_assignment = pl.concat(assignment)
    compared = daily_assignment.join(once_assignment, on="member_record_ids", suffix="_once")
    differing = compared.filter(pl.col("paper_id") != pl.col("paper_id_once"))
    assert previous is not None
    return {
        "ids": "visible" if visible_ids else "hidden",
        "days": len(days),
        "records": frame.height,
        "papers_daily": previous.height,
        "papers_once": whole.height,
        "same_paper_ids": set(previous["paper_id"].to_list()) == set(whole["paper_id"].to_list()),
        "records_with_different_id": differing.height,
        "times_seen_max": previous["times_seen"].max(),
        "daily_seconds": round(daily_seconds, 2),
        "once_seconds": round(once_seconds, 2),
        "differences": differing.head(5),
    }


def load_conference(path: Path) -> pl.DataFrame:
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    rows = []
    for index, line in enumerate(raw.decode().splitlines()):
        item = json.loads(line)
        record = _record(
            "conference",
            sha,
            index,
            "2025-01-01",
            item.get("title") or "",
            item.get("abstract") or "",
            f"{item.get('conf')}{item.get('year')}:{index}",
        )
        record["venue"] = f"{item.get('conf')} {item.get('year')} {item.get('status') or ''}".strip()
        rows.append(record)
    return to_frame(rows)


def scale_child(size: int, shared: Path, params: DedupParams) -> dict[str, float]:
    """Signatures + LSH candidate pairs on ``size`` abstracts resampled from the real ones (words shuffled
    within a donor abstract, so each synthetic text is distinct but has real length and vocabulary)."""
    donors = [r["abstract"] for r in load_daily_api(shared / "data" / "hf-daily-api")]
    donors += to_frame_texts(shared / "data" / "conference-papers" / "papers.jsonl")
    rng = np.random.default_rng(7)
    words = [d.split() for d in donors if d]
    texts = []
    for i in range(size):
        donor = words[i % len(words)]
        texts.append(" ".join(donor[j] for j in rng.permutation(len(donor))))
    series = pl.Series("abstract", texts)
    del texts
    mean_chars = series.str.len_chars().mean()
    rss_before = _current_rss_mb()
    started = time.perf_counter()
    bands = band_frame(series, params)
    signed = time.perf_counter() - started
    pairs = _bucket_pairs(bands, ["band", "key"], params.max_bucket)
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Peak RSS covers generating the texts too; rss_before_mb is what the texts alone held.
    return {
        "size": size,
        "mean_chars": round(mean_chars, 1),
        "signature_seconds": round(signed, 2),
        "signature_lsh_seconds": round(total, 2),
        "candidate_pairs": pairs.height,
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(peak, 1),
    }


def _current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def to_frame_texts(path: Path) -> list[str]:
    return [collapse_whitespace(json.loads(line).get("abstract")) for line in path.read_text().splitlines()]


def markdown_table(frame: pl.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    lines = [header, rule]
    for row in frame.iter_rows():
        lines.append("| " + " | ".join(str(v).replace("|", "/") for v in row) + " |")
    return "\n".join(lines)


def emit(text: str, path: Path | None) -> None:
    """A report on stdout, or in ``path`` (the figures worth keeping go to bench/RESULTS.md by hand)."""
    if path is None:
        print(text)
    else:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=REPO / ".." / "shared")
    parser.add_argument("--scale", type=int, nargs="*", default=[100_000])
    parser.add_argument("--scale-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="write the quality report here (default: stdout)")
    parser.add_argument("--scale-out", type=Path, help="write the scale report here (default: stdout)")
    args = parser.parse_args()
    params = DedupParams()
    if args.scale_child:
        print(json.dumps(scale_child(args.scale_child, args.shared, params)))
        return

    report: list[str] = [
        f"Generated by `bench/dedup_eval.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, params `{params}`.\n"
    ]
    data = args.shared / "data"
    api_rows = load_daily_api(data / "hf-daily-api")
    scraped_rows = load_scraped(data / "hf-scraped-2024")
    frame = to_frame(api_rows + scraped_rows)
    without_title = replace(params, min_title_words=10**6)
    started = time.perf_counter()
    clustered = find_clusters(frame, params)
    seconds = time.perf_counter() - started
    scores = pairwise_scores(clustered)
    scores["seconds"] = round(seconds, 2)
    false_merges, misses = cluster_errors(clustered)
    rules = clustered.group_by("match_rule").len().sort("match_rule")
    stress = []
    for rate in (0.02, 0.05, 0.1, 0.2):
        noisy = to_frame(api_rows + perturb(scraped_rows, rate))
        stress.append({"word_swap_rate": rate, **pairwise_scores(find_clusters(noisy, without_title))})
        print("stress", stress[-1])
    print("hf", scores)
    print(false_merges, misses, rules, sep="\n")
    alone = pairwise_scores(find_clusters(frame, without_title))
    print("hf, exact-title rule disabled", alone)
    report += [
        "## hf-daily-api + hf-scraped-2024, arXiv ids hidden\n",
        markdown_table(pl.DataFrame([scores])),
        "",
        "With the exact-title rule disabled (near-duplicate rule alone):\n",
        markdown_table(pl.DataFrame([alone])),
        "",
        "Stress test: hf-scraped copies with a share of title and abstract words swapped for random corpus "
        "words, exact-title rule disabled (so every merge must come from the near-duplicate rule):\n",
        markdown_table(pl.DataFrame(stress)),
        "",
        "Merged records by rule:\n",
        markdown_table(rules),
        "",
        "False merges (clusters holding several true ids):\n",
        markdown_table(false_merges),
        "",
        "Misses (true ids split over clusters):\n",
        markdown_table(misses),
        "",
    ]

    conference = load_conference(data / "conference-papers" / "papers.jsonl")
    started = time.perf_counter()
    conf_clustered = find_clusters(conference, params)
    conf_seconds = time.perf_counter() - started
    merged = conf_clustered.filter(pl.col("cluster_id").is_duplicated())
    merges = (
        merged.sort("cluster_id", pl.col("match_rule") != "kept")
        .group_by("cluster_id", maintain_order=True)
        .agg(
            pl.col("title").str.slice(0, 70),
            pl.col("venue"),
            pl.col("match_rule"),
            pl.col("similarity").round(3),
        )
    )
    conf_rules = conf_clustered.group_by("match_rule").len().sort("match_rule")
    print("conference", conference.height, conf_clustered["cluster_id"].n_unique(), conf_rules)
    report += [
        "## conference-papers\n",
        f"{conference.height} records -> {conf_clustered['cluster_id'].n_unique()} clusters "
        f"({conf_seconds:.2f} s); merged records by rule:\n",
        markdown_table(conf_rules),
        "",
        "All merged clusters (kept record first):\n",
        markdown_table(merges.drop("cluster_id")),
        "",
    ]

    report.append("## Incremental (day by day) vs one run over the same records\n")
    inputs = (("hf-daily-api", api_rows), ("hf-daily-api + hf-scraped-2024", api_rows + scraped_rows))
    for label, rows in inputs:
        for visible in (False, True):
            result = {"input": label, **run_incremental(rows, params, visible)}
            differences = result.pop("differences")
            print("incremental", result, differences)
            report += [markdown_table(pl.DataFrame([result])), ""]
            if differences.height:
                report += ["Differing assignments (first 5):\n", markdown_table(differences), ""]

    emit("\n".join(report), args.out)
    if not args.scale:
        return
    report = ["## Scale: signatures + LSH candidates on resampled abstracts\n"]
    results = []
    for size in args.scale:
        output = subprocess.run(
            [sys.executable, __file__, "--shared", str(args.shared), "--scale-child", str(size)],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
        ).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        print("scale", results[-1])
    report += [markdown_table(pl.DataFrame(results)), ""]
    emit("\n".join(report), args.scale_out)


if __name__ == "__main__":
    main()
