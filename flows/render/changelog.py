"""The changes of a version against the one before it, for a person: ``CHANGELOG.md`` and the card's section.

``changes`` is what :func:`transforms.history.changes.diff_papers` returns (counts, examples, changed fields).
"""

from __future__ import annotations

from typing import Any

from flows.render.escape import code_span


def render_changelog(version: str, since: str | None, changes: dict[str, Any]) -> str:
    """``CHANGELOG.md`` of a version: what changed against the version before it."""
    if since is None:
        return f"# {version}\n\nFirst version: {changes['added']} papers.\n"
    return f"# {version}\n\nChanges since `{since}`:\n\n{render_changes(changes)}\n"


def render_changes(changes: dict[str, Any]) -> str:
    """Markdown lines for a diff from ``transforms.history.changes.diff_papers``."""
    lines = [
        f"- papers: {changes['papers_before']} → {changes['papers_after']}",
        f"- added: {changes['added']}" + _examples(changes["added_examples"]),
        f"- removed: {changes['removed']}" + _examples(changes["removed_examples"]),
        f"- changed: {changes['changed']} (unchanged: {changes['unchanged']})",
    ]
    for field, detail in changes["fields"].items():
        example = detail["examples"][0]
        lines.append(
            f"  - `{field}`: {detail['papers']} papers, e.g. {code_span(example['paper_id'])}: "
            f"{_code_span(example['before'])} → {_code_span(example['after'])}"
        )
    return "\n".join(lines)


def _examples(ids: list[str]) -> str:
    return f", e.g. {', '.join(code_span(pid) for pid in ids)}" if ids else ""


def _code_span(text: str) -> str:
    return code_span(text, limit=60)
