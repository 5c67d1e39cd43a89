"""Our MinHash + LSH candidate search against datasketch's ``MinHashLSH`` on the same shingles, side by side.

    .venv/bin/pip install datasketch        # bench only: not a project dependency
    .venv/bin/python bench/dedup_speed.py /tmp/corpus-100k [--limit 20000] [--repeat 3]

Both sides get the same word 3-shingles of the same abstracts (the corpus's raw summaries, normalised by
``transforms.identity.normalise_text`` as the pipeline does) and the same 64 permutations in 16 bands x 4 rows.
Timed: ours = ``shared_band_frame`` + bucket grouping (signatures, band keys, candidate pairs); datasketch =
``MinHash`` per document from the shingle bytes + ``MinHashLSH.insert`` + ``query`` of every document (its
shingle strings are built outside the timer). Not timed: both candidate sets are verified by the pipeline's
exact Jaccard rule, and recall is the share of planted near-duplicates (``truth.parquet``) linked to a record
of their own paper by a verified candidate pair.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import polars as pl

from transforms.dedup import (
    DedupParams,
    _bucket_pairs,
    prepare_docs,
    score_pairs,
    shared_band_frame,
    verified,
)
from transforms.identity import normalise_text


def load(corpus: Path, limit: int | None) -> pl.DataFrame:
    rows = []
    for day in sorted((corpus / "days").glob("*.json")):
        rows += [
            {"title": item["paper"]["title"], "abstract": " ".join(item["paper"]["summary"].split())}
            for item in json.loads(day.read_text(encoding="utf-8"))
        ]
        if limit and len(rows) >= limit:
            break
    truth = pl.read_parquet(corpus / "truth.parquet").sort("index")
    frame = pl.concat([pl.DataFrame(rows), truth.drop("index").head(len(rows))], how="horizontal")
    return frame.head(limit) if limit else frame


def ours(frame: pl.DataFrame, params: DedupParams) -> pl.DataFrame:
    bands = shared_band_frame(frame["abstract"], params)
    return _bucket_pairs(bands, ["band", "key"], params.max_bucket)


def shingle_bytes(frame: pl.DataFrame, size: int) -> list[list[bytes]]:
    words = frame.select(normalise_text(pl.col("abstract")).str.split(" ")).to_series().to_list()
    out = []
    for tokens in words:
        tokens = [t for t in tokens if t]
        out.append([" ".join(tokens[i : i + size]).encode() for i in range(max(len(tokens) - size + 1, 1))])
    return out


def theirs(shingles: list[list[bytes]], params: DedupParams) -> pl.DataFrame:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(num_perm=params.num_perm, params=(params.bands, params.rows))
    hashes = []
    for doc, grams in enumerate(shingles):
        minhash = MinHash(num_perm=params.num_perm, seed=1)
        minhash.update_batch(grams)
        lsh.insert(doc, minhash)
        hashes.append(minhash)
    pairs = [
        (doc, other) for doc, minhash in enumerate(hashes) for other in lsh.query(minhash) if doc < other
    ]
    return pl.DataFrame(pairs, schema={"a": pl.UInt32, "b": pl.UInt32}, orient="row")


def recall(frame: pl.DataFrame, pairs: pl.DataFrame, params: DedupParams) -> dict[str, float]:
    docs = prepare_docs(
        frame.with_columns(
            pl.lit(None, pl.String).alias("arxiv_id"),
            pl.lit("").alias("record_id"),
            pl.lit(None, pl.Datetime("us", "UTC")).alias("captured_at"),
        ),
        params,
    )
    good = score_pairs(docs, pairs.select(pl.col("a", "b").cast(pl.UInt32)), params).filter(verified(params))
    truth = frame.with_row_index("doc").select("doc", "true_paper", "planted")
    linked = (
        good.join(truth.rename({"doc": "a", "true_paper": "ta", "planted": "pa"}), on="a")
        .join(truth.rename({"doc": "b", "true_paper": "tb", "planted": "pb"}), on="b")
        .filter(pl.col("ta") == pl.col("tb"))
    )
    found = pl.concat([linked.filter("pa")["a"], linked.filter("pb")["b"]]).unique()
    planted = int(truth["planted"].sum())
    wrong = good.height - linked.height
    return {
        "candidates": pairs.height,
        "recall": round(found.len() / max(planted, 1), 4),
        "false_merges": wrong,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        help="instead of timing: our recall under each of these hash-family seeds (the spread of the figure)",
    )
    parser.add_argument("--bands", type=int, default=DedupParams().bands, help="(both sides) LSH bands")
    parser.add_argument("--rows", type=int, default=DedupParams().rows, help="(both sides) rows per band")
    args = parser.parse_args()
    params = DedupParams(num_perm=args.bands * args.rows, bands=args.bands, rows=args.rows)
    frame = load(args.corpus, args.limit)
    if args.seeds:
        for seed in args.seeds:
            seeded = DedupParams(num_perm=params.num_perm, bands=params.bands, rows=params.rows, seed=seed)
            print(json.dumps({"seed": seed, "ours": recall(frame, ours(frame, seeded), seeded)}))
        return
    shingles = shingle_bytes(frame, params.shingle_size)
    ours(frame.head(100), params)
    times: dict[str, list[float]] = {"ours": [], "datasketch": []}
    for _ in range(args.repeat):
        started = time.perf_counter()
        our_pairs = ours(frame, params)
        times["ours"].append(time.perf_counter() - started)
        started = time.perf_counter()
        their_pairs = theirs(shingles, params)
        times["datasketch"].append(time.perf_counter() - started)
    medians = {name: statistics.median(values) for name, values in times.items()}
    result = {
        "docs": frame.height,
        "planted": int(frame["planted"].sum()),
        "ours_seconds": round(medians["ours"], 2),
        "datasketch_seconds": round(medians["datasketch"], 2),
        "speedup": round(medians["datasketch"] / medians["ours"], 1),
        "ratios_per_repeat": [
            round(t / o, 1) for o, t in zip(times["ours"], times["datasketch"], strict=True)
        ],
        "ours": recall(frame, our_pairs, params),
        "datasketch": recall(frame, their_pairs, params),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
