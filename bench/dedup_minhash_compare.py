"""Compare our vectorised MinHash with the datasketch library on the same texts (is a dependency worth it?).

datasketch is not a project dependency; install it anywhere importable and point to it, e.g.:

    pip install --target /tmp/dsk datasketch
    PYTHONPATH=.:/tmp/dsk python bench/dedup_minhash_compare.py --shared /work/shared
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import polars as pl

from transforms.dedup.minhash import DedupParams, minhash_signatures

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=REPO / ".." / "shared")
    args = parser.parse_args()
    from datasketch import MinHash

    path = args.shared / "data" / "conference-papers" / "papers.jsonl"
    texts = [json.loads(line).get("abstract") or "" for line in path.read_text().splitlines()]
    params = DedupParams()
    series = pl.Series(texts)
    minhash_signatures(series.head(100), params)  # warm up polars' regex and thread pool
    started = time.perf_counter()
    minhash_signatures(series, params)
    ours = time.perf_counter() - started

    started = time.perf_counter()
    shingle_sets = []
    for text in texts:
        words = re.sub(r"\W+", " ", text.lower()).split()
        size = params.shingle_size
        shingle_sets.append(
            [" ".join(words[i : i + size]).encode() for i in range(max(len(words) - size + 1, 1))]
        )
    shingling = time.perf_counter() - started
    started = time.perf_counter()
    MinHash.bulk(shingle_sets, num_perm=params.num_perm)
    library = time.perf_counter() - started
    print(
        json.dumps(
            {
                "docs": len(texts),
                "ours_seconds": round(ours, 2),
                "datasketch_python_shingling_seconds": round(shingling, 2),
                "datasketch_bulk_minhash_seconds": round(library, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
