"""What changed between two versions of the papers table: added, removed, and changed papers per field.

Pure: two frames in ``PAPER_SCHEMA`` in, a JSON-ready summary out (counts plus a few examples, so a person can
see what a number means). Used for the manifest's ``changes``, each version's ``CHANGELOG.md``, the card's
"changes since the previous release", and ``papers diff``.
"""

from __future__ import annotations

from typing import Any

import polars as pl

EXAMPLES = 3
"""Examples kept per kind of change."""

_MAX_VALUE_CHARS = 160


def diff_papers(
    old: pl.DataFrame, new: pl.DataFrame, examples: int = EXAMPLES, unchanged_elsewhere: int = 0
) -> dict[str, Any]:
    """Papers added (ids only in ``new``), removed (only in ``old``), and changed, per column, with examples.

    ``unchanged_elsewhere``: papers present, unchanged, in both versions but in neither frame (the carried shards
    of a daily run: ``old``/``new`` are then the rows of the shards it rewrote); counted in ``papers_before``,
    ``papers_after`` and ``unchanged``.

    ``fields`` maps every column that changed in at least one paper to the number of papers it changed in and
    up to ``examples`` of them (``paper_id``, ``before``, ``after``, values rendered as short text). Examples
    are the smallest paper ids, so the summary is deterministic.
    """
    old_ids, new_ids = old.select("paper_id"), new.select("paper_id")
    added = new_ids.join(old_ids, on="paper_id", how="anti").sort("paper_id")
    removed = old_ids.join(new_ids, on="paper_id", how="anti").sort("paper_id")
    columns = [name for name in new.columns if name != "paper_id" and name in old.columns]
    both = old.select("paper_id", *columns).join(
        new.select("paper_id", *columns), on="paper_id", how="inner", suffix="__new"
    )
    flags = both.select(
        "paper_id", *[pl.col(name).ne_missing(pl.col(f"{name}__new")).alias(name) for name in columns]
    )
    fields: dict[str, Any] = {}
    for name in columns:
        changed_here = flags.get_column(name)
        count = int(changed_here.sum())
        if count == 0:
            continue
        # Only this column's pair, and only the first ``examples`` ids: a copy of every changed row of the
        # whole joined frame, per column, held gigabytes for a run that touched most of a large history.
        hits = both.select("paper_id", name, f"{name}__new").filter(changed_here)
        fields[name] = {
            "papers": count,
            "examples": [
                {"paper_id": pid, "before": _short(before), "after": _short(after)}
                for pid, before, after in hits.bottom_k(examples, by="paper_id").sort("paper_id").iter_rows()
            ],
        }
    changed = (
        int(flags.select(pl.any_horizontal(columns)).to_series().sum()) if columns and both.height else 0
    )
    return {
        "papers_before": old.height + unchanged_elsewhere,
        "papers_after": new.height + unchanged_elsewhere,
        "added": added.height,
        "removed": removed.height,
        "changed": changed,
        "unchanged": both.height - changed + unchanged_elsewhere,
        "added_examples": added.head(examples).get_column("paper_id").to_list(),
        "removed_examples": removed.head(examples).get_column("paper_id").to_list(),
        "fields": dict(sorted(fields.items(), key=lambda item: (-item[1]["papers"], item[0]))),
    }


def _short(value: object) -> str:
    """A value as one line of text, cut to a readable length."""
    text = "null" if value is None else str(value)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 1] + "…"


def combined_changes(
    parts: list[dict[str, Any]], examples: int = EXAMPLES, unchanged_elsewhere: int = 0
) -> dict[str, Any]:
    """What :func:`diff_papers` says of frames laid end to end, from what it said of each pair of ``parts``.

    Each part is the diff of the old and new rows of one key range, the ranges disjoint (a daily run's rewritten
    shards, one at a time): counts add up, and the examples of the whole are the smallest ids among the parts'
    examples (each part kept its smallest). ``unchanged_elsewhere`` as in :func:`diff_papers`.
    """
    fields: dict[str, dict[str, Any]] = {}
    for part in parts:
        for name, field in part["fields"].items():
            entry = fields.setdefault(name, {"papers": 0, "examples": []})
            entry["papers"] += field["papers"]
            entry["examples"].extend(field["examples"])
    for entry in fields.values():
        entry["examples"] = sorted(entry["examples"], key=lambda example: example["paper_id"])[:examples]

    def total(key: str) -> int:
        return sum(int(part[key]) for part in parts)

    def smallest(key: str) -> list[str]:
        return sorted(paper_id for part in parts for paper_id in part[key])[:examples]

    return {
        "papers_before": total("papers_before") + unchanged_elsewhere,
        "papers_after": total("papers_after") + unchanged_elsewhere,
        "added": total("added"),
        "removed": total("removed"),
        "changed": total("changed"),
        "unchanged": total("unchanged") + unchanged_elsewhere,
        "added_examples": smallest("added_examples"),
        "removed_examples": smallest("removed_examples"),
        "fields": dict(sorted(fields.items(), key=lambda item: (-item[1]["papers"], item[0]))),
    }
