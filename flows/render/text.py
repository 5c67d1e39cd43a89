"""The text the inspecting commands print: ``papers versions``, ``diff``, ``show``, ``dedup-report`` and ``inspect``.

Each view is a pure function of plain values (``flows/store/inspect.py``, ``transforms.history.changes.diff_papers``,
``transforms.report.audit``); the command line prints it, or the same values as JSON with ``--json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from flows.render.escape import terminal_text
from flows.store.inspect import PaperStory, VersionRow
from flows.store.verify import FileCheck

_TITLE_WIDTH = 70


def versions_text(rows: Sequence[VersionRow]) -> str:
    """One line per version, newest last, ``*`` on ``latest``."""
    lines = [
        f"  {'version':<26} {'created (UTC)':<20} {'papers':>7} {'new':>6} {'updated':>7} {'quarant.':>8}  released"
    ]
    for row in rows:
        created = row.created_at[:19].replace("T", " ")
        lines.append(
            f"{'*' if row.latest else ' '} {row.version:<26} {created:<20} {row.papers:>7} "
            f"{row.new_papers:>6} {row.updated_papers:>7} {row.quarantined:>8}  {', '.join(row.released_to) or 'no'}"
        )
    return "\n".join([*lines, "(* latest)"])


def diff_text(old: str, new: str, changes: dict[str, Any]) -> str:
    """Papers added, removed and changed between two versions, with examples per changed column."""
    lines = [
        f"diff {old} -> {new}",
        f"papers     {changes['papers_before']} -> {changes['papers_after']}",
        f"added      {changes['added']}" + _ids(changes["added_examples"]),
        f"removed    {changes['removed']}" + _ids(changes["removed_examples"]),
        f"changed    {changes['changed']} (unchanged {changes['unchanged']})",
    ]
    for name, detail in changes["fields"].items():
        lines.append(f"  {name:<24} {detail['papers']:>7} papers")
        lines += [
            f"      {terminal_text(example['paper_id'])}: {terminal_text(example['before'])} -> "
            f"{terminal_text(example['after'])}"
            for example in detail["examples"]
        ]
    return "\n".join(lines)


def paper_text(story: PaperStory) -> str:
    """Every field of the paper, its history across versions and its provenance down to the input files."""
    lines = [f"{story.paper_id} in version {story.version}", ""]
    lines += [f"  {name:<22} {value_text(value)}" for name, value in story.fields.items()]
    lines += ["", "history (versions that hold it, oldest first):"]
    for seen in story.history:
        if seen.status == "first-appears":
            lines.append(f"  {seen.version}  first appears (times_seen {seen.times_seen})")
        elif seen.status == "changed":
            lines.append(f"  {seen.version}  changed: {', '.join(seen.changed)}")
        else:
            lines.append(f"  {seen.version}  {seen.status}")
    lines += ["", "provenance (input records of each run that went into it):"]
    lines += [
        f"  {record.version}  record {record.record_id} ({record.source}) {record.outcome}"
        + (f", merged into {terminal_text(record.merged_into)}" if record.merged_into else "")
        + f"  from {terminal_text(record.input, limit=500)} #{record.raw_index}"
        for record in story.provenance
    ] or ["  none recorded"]
    return "\n".join(lines)


def value_text(value: object) -> str:
    """A field's value on one line, as a person reads it: lists and records as JSON-like text, not Python reprs;
    control characters shown as escapes (:func:`~flows.render.escape.terminal_text`), never sent to the terminal."""
    if value is None:
        text = "null"
    elif isinstance(value, list):
        text = "[" + ", ".join(value_text(item) for item in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{key}: {value_text(item)}" for key, item in value.items()) + "}"
    else:
        text = str(value)
    return terminal_text(text)


def _ids(ids: list[str]) -> str:
    return f"  e.g. {', '.join(ids)}" if ids else ""


def _short(text: str | None, width: int = _TITLE_WIDTH) -> str:
    return terminal_text(text or "", limit=width)


def dedup_report_text(version: str, papers: pl.DataFrame, merges: pl.DataFrame) -> str:
    """Cluster sizes, then every merge under a different title (least similar first), then same-title merges
    whose abstracts differ (``papers``/``merges`` from :func:`transforms.report.audit.dedup_merges`)."""
    lines = [
        f"Dedup report for {version}",
        f"papers: {papers.height}; merged records: {merges.height}; "
        f"papers with merges: {papers.filter(pl.col('cluster_size') > 1).height}",
        "",
        "Cluster sizes (records per paper):",
    ]
    sizes = papers.group_by("cluster_size").len().sort("cluster_size")
    lines += [f"  {size:>4} record(s): {count} paper(s)" for size, count in sizes.iter_rows()]

    retitled = merges.filter(pl.col("title_differs")).sort("similarity", "paper_id", nulls_last=False)
    lines += [
        "",
        "Merges under a different title (near-duplicate or arXiv id), least similar first: "
        f"{retitled.height}",
    ]
    for row in retitled.iter_rows(named=True):
        similarity = "n/a" if row["similarity"] is None else f"{row['similarity']:.3f}"
        lines += [
            f"  {similarity}  {row['paper_id']}",
            f"      kept:   {_short(row['kept_title'])}",
            f"      merged: {_short(row['title'])}  [{row['source']} {(row['raw_sha256'] or '')[:12]}]",
        ]
    same_title = merges.filter(~pl.col("title_differs") & (pl.col("similarity") < 1.0)).sort("similarity")
    lines += ["", f"Same-title merges whose abstracts differ, least similar first: {same_title.height}"]
    for row in same_title.iter_rows(named=True):
        lines.append(
            f"  {row['similarity']:.3f}  {row['paper_id']}  {_short(row['kept_title'])}  [{row['source']}]"
        )
    return "\n".join(lines) + "\n"


def verify_text(checked: dict[str, list[FileCheck]]) -> str:
    """Per version: ``ok`` with its file count, or each file that differs from the manifest and how."""
    lines = []
    for version, checks in checked.items():
        problems = [check for check in checks if check.problem is not None]
        if not problems:
            lines.append(f"{version}  ok ({len(checks)} files as the manifest lists them)")
            continue
        lines.append(f"{version}  {len(problems)} of {len(checks)} files differ from the manifest:")
        lines += [f"  {check.problem:<16} {terminal_text(check.path)}" for check in problems]
    return "\n".join(lines)


def inspect_text(document: dict[str, Any]) -> str:
    """``papers inspect``: the format, the mapping of a generic file, the failures and a sample record."""
    lines = [f"{terminal_text(document['file'])}: {document['format'] or 'no format reads it'}"]
    if document["reason"]:
        lines.append(f"  reason: {terminal_text(document['reason'])}")
    mapping = document.get("mapping")
    if mapping:
        lines.append(
            f"  {mapping['shape']}: {mapping['records']} records, {mapping['mapped_share']:.1%} with a title and an"
            f" abstract or arXiv id; {'a listing' if mapping['listing'] else 'not a listing (no day per record)'}"
        )
        for field, columns in mapping["fields"].items():
            named = ", ".join(columns) if isinstance(columns, list) else columns
            lines.append(f"  {field:<16} <- {terminal_text(named)}")
        for field, count in mapping["unparsed_counts"].items():
            lines.append(f"  {field}: {count} values are not a count (left empty)")
    elif document["records"]:
        lines.append(f"  {document['records']} records")
    if document["columns"] and not mapping:
        lines.append(f"  columns: {terminal_text(', '.join(document['columns']), limit=2000)}")
    for reason, count in document["item_failures"].items():
        lines.append(f"  {count} x {terminal_text(reason)}")
    if document["sample"]:
        lines.append("  first record:")
        lines += [
            f"    {name}: {_short(value_text(value), 100)}" for name, value in document["sample"].items()
        ]
    return "\n".join(lines)
