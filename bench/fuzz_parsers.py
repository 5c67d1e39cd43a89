"""The parser fuzzer at scale: many seeds of mutated real captures (the suite runs 2,000 cases of one seed).

    .venv/bin/python bench/fuzz_parsers.py --cases 20000 --seeds 5

Prints cases, crashes (must be 0), records and the most frequent reasons; exits 1 on any crash.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.mutations import fuzz


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000, help="cases per seed")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    total = crashes = records = 0
    reasons: dict[str, int] = {}
    started = time.perf_counter()
    for seed in range(args.seeds):
        result = fuzz(args.cases, seed=seed)
        total += result.cases
        crashes += len(result.crashes)
        records += result.records
        for reason, count in result.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + count
        for line in result.crashes[:5]:
            print(line)
    print(f"cases {total}  crashes {crashes}  records {records}  ({time.perf_counter() - started:.0f} s)")
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1])[:25]:
        print(f"  {reason:<45} {count}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
