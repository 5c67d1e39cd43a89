"""Our MinHash + LSH candidate search against datasketch's ``MinHashLSH`` on the same shingles, side by side.

    .venv/bin/pip install datasketch        # bench only: not a project dependency
    .venv/bin/python bench/dedup_speed.py /tmp/corpus-100k [--limit 20000] [--repeat 3] [--explain]

Both sides get the same word 3-shingles of the same abstracts (the corpus's raw summaries, normalised by
``transforms.dedup.identity.normalise_text`` as the pipeline does) and 64 permutations in bands of 4 rows: ours in
``DedupParams``' 32 bands (every permutation in two bands), datasketch's ``MinHashLSH`` in its 16 disjoint bands
(it takes ``bands x rows <= num_perm``; ``--their-perms 128 --their-bands 32`` gives it 32 bands on 128).
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

from transforms.dedup.clusters import _bucket_pairs, prepare_docs
from transforms.dedup.identity import normalise_text
from transforms.dedup.minhash import DedupParams, shared_band_frame
from transforms.dedup.pair_scores import score_pairs, verified


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

    lsh = MinHashLSH(num_perm=params.num_perm, params=(params.bands, params.rows))  # disjoint bands
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


def _planted_pairs(frame: pl.DataFrame, params: DedupParams) -> pl.DataFrame:
    """Every pair of records of one paper with a planted record in it, scored and verified as the pipeline
    does."""
    docs = prepare_docs(
        frame.with_columns(pl.lit(None, pl.String).alias("arxiv_id"), pl.lit("").alias("record_id")), params
    )
    truth = frame.with_row_index("doc").select("doc", "true_paper", "planted")
    pairs = (
        truth.join(truth, on="true_paper", suffix="_b")
        .filter((pl.col("doc") < pl.col("doc_b")) & (pl.col("planted") | pl.col("planted_b")))
        .select(pl.col("doc").alias("a"), pl.col("doc_b").alias("b"), "planted", "planted_b")
    )
    scored = score_pairs(docs, pairs.select("a", "b"), params)
    return pairs.join(scored, on=["a", "b"]).with_columns(verified(params).alias("verified"))


def explain(frame: pl.DataFrame, params: DedupParams, their_params: DedupParams) -> None:
    """Print, for each planted record that one side does not link to its paper, its pairs with that paper's
    records: exact abstract and title Jaccard, whether verification passes, how many of our bands they share
    and whether each side proposed them. A verified pair no side proposed, or one side only, is lost to
    banding; a pair proposed but not verified is lost to the verification rule."""
    from transforms.dedup.minhash import band_keys, minhash_signatures

    pairs = _planted_pairs(frame, params)
    keys = band_keys(minhash_signatures(frame["abstract"], params)[0], params)
    a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    proposed = {"ours": ours(frame, params), "datasketch": theirs(shingle_bytes(frame, 3), their_params)}
    pairs = pairs.with_columns(pl.Series("bands_shared", (keys[a] == keys[b]).sum(axis=1)))
    for name, candidates in proposed.items():
        flag = candidates.select(pl.col("a", "b").cast(pl.UInt32), pl.lit(True).alias(name))
        pairs = pairs.join(flag, on=["a", "b"], how="left").with_columns(pl.col(name).fill_null(False))

    def found(side: str) -> set[int]:
        good = pairs.filter(pl.col(side) & pl.col("verified"))
        return set(good.filter("planted")["a"].to_list()) | set(good.filter("planted_b")["b"].to_list())

    planted = set(frame.with_row_index("doc").filter("planted")["doc"].to_list())
    mine, their = found("ours"), found("datasketch")
    groups = {"datasketch only": their - mine, "ours only": mine - their, "neither": planted - mine - their}
    print(json.dumps({"planted": len(planted), "ours": len(mine), "datasketch": len(their)}))
    columns = ["a", "b", "abstract_sim", "title_sim", "verified", "bands_shared", "ours", "datasketch"]
    with pl.Config(tbl_rows=200, tbl_cols=20, tbl_width_chars=200):
        for label, records in groups.items():
            missed = list(records)
            rows = pairs.filter(
                (pl.col("planted") & pl.col("a").is_in(missed))
                | (pl.col("planted_b") & pl.col("b").is_in(missed))
            )
            print(f"{label}: {len(records)} planted records")
            print(rows.select(columns).sort("a", "b"))


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
    default = DedupParams()
    parser.add_argument("--bands", type=int, default=default.bands, help="our LSH bands")
    parser.add_argument("--rows", type=int, default=default.rows, help="(both sides) rows per band")
    parser.add_argument("--perms", type=int, default=default.num_perm, help="our permutations")
    parser.add_argument("--their-perms", type=int, help="datasketch's permutations (default: ours)")
    parser.add_argument("--their-bands", type=int, help="datasketch's bands (default: perms / rows)")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="instead of timing: which step loses each planted record either side misses",
    )
    args = parser.parse_args()
    params = DedupParams(num_perm=args.perms, bands=args.bands, rows=args.rows)
    their_perms = args.their_perms or params.num_perm
    their_params = DedupParams(
        num_perm=their_perms, bands=args.their_bands or their_perms // args.rows, rows=args.rows
    )
    frame = load(args.corpus, args.limit)
    if args.explain:
        explain(frame, params, their_params)
        return
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
        their_pairs = theirs(shingles, their_params)
        times["datasketch"].append(time.perf_counter() - started)
    medians = {name: statistics.median(values) for name, values in times.items()}
    result = {
        "ours_bands": f"{params.bands}x{params.rows} of {params.num_perm}",
        "their_bands": f"{their_params.bands}x{their_params.rows} of {their_params.num_perm}",
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
