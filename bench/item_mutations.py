"""One-item mutants per format: how many mutants cost siblings, how many siblings, how many items vanished.

    .venv/bin/python bench/item_mutations.py

Every format the parsers read x every item position of a five-paper listing x every corruption one item can
carry (``tests/support/item_mutations.py``; the suite asserts the same cases lose nothing). Prints one row per
format and the total.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.item_mutations import FORMATS, damage, mutants


def main() -> int:
    rows: dict[str, Counter[str]] = {name: Counter() for name in FORMATS}
    for mutant in mutants():
        found = damage(mutant)
        row = rows[mutant.format]
        row["mutants"] += 1
        row["mutants losing siblings"] += found.siblings_lost > 0
        row["siblings lost"] += found.siblings_lost
        row["items vanished"] += found.item_vanished
    columns = ["mutants", "mutants losing siblings", "siblings lost", "items vanished"]
    print("| format | " + " | ".join(columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    total: Counter[str] = Counter()
    for name, row in rows.items():
        total.update(row)
        print(f"| {name} | " + " | ".join(str(row[column]) for column in columns) + " |")
    print("| **all** | " + " | ".join(str(total[column]) for column in columns) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
