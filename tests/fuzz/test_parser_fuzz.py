"""The mutation fuzzer over every parser (``tests/support/mutations.py``; a bigger run: ``bench/fuzz_parsers.py``)."""

from __future__ import annotations

from tests.support.mutations import fuzz

CASES = 2_000
SEED = 1
"""With the bundled samples only (no ``../shared``), so the cases are the same on every machine."""


def test_thousands_of_mutated_real_captures_never_crash_and_account_for_every_item() -> None:
    result = fuzz(CASES, seed=SEED, shared=False)
    assert result.cases == CASES
    assert result.crashes == [], "\n".join(result.crashes[:5])
    seen = {reason.rsplit(":", 1)[-1] for reason in result.reasons}
    # the hostile mutations reached the parsers (otherwise this test would prove nothing)
    assert {"too-deep", "number-out-of-range", "invalid-unicode", "date-out-of-range"} <= seen, seen
    assert result.records > result.quarantined > 0
