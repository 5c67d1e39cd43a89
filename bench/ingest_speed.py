"""Ingest speed: each capture's JSON parsed once per capture against once per call (limit check, every
recogniser, the parser), side by side in one process.

    .venv/bin/python bench/ingest_speed.py /tmp/scale-corpus/10k 3

Prints the records read, the median seconds of ``read_inputs`` for both, and the ratio per repetition.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

import transforms.parse.common as common
from flows.run.config import RunConfig
from flows.sources.inputs import read_inputs


class EachCall:
    """Stands in for the per-capture memo: every load_json call parses again (the code before)."""

    def get(self) -> None:
        return None

    def set(self, value: object) -> None:
        return None

    def reset(self, token: object) -> None:
        return None


def main() -> None:
    corpus, repeat = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 3
    once = common._PARSED
    seconds: dict[str, list[float]] = {"once": [], "each call": []}
    records = 0
    for _ in range(repeat):
        for name, memo in (("once", once), ("each call", EachCall())):
            common._PARSED = memo
            config = RunConfig(inputs=[corpus / "days"], out_dir=Path(tempfile.mkdtemp()))
            start = time.perf_counter()
            read = read_inputs(
                config.inputs, config.sources, config.out_dir / "raw", run="bench", limits=config.limits
            )
            seconds[name].append(time.perf_counter() - start)
            records = read.records.height
    common._PARSED = once
    ratios = [round(b / a, 2) for a, b in zip(seconds["once"], seconds["each call"], strict=True)]
    medians = {name: round(statistics.median(values), 2) for name, values in seconds.items()}
    print(records, medians, ratios)


if __name__ == "__main__":
    main()
