"""The journal against the version folders: a publish killed after its rename is journaled by the next run."""

from __future__ import annotations

from pathlib import Path

from flows.store.journal import journal_path, read_journal
from flows.store.layout import dataset_root
from flows.store.maintenance import reconcile_journal
from tests.support.paper_rows import paper_row, papers_frame
from tests.support.release_fixtures import V1, V2, publish


def test_a_version_the_journal_missed_is_reconciled_once(tmp_path: Path) -> None:
    papers = papers_frame(paper_row())
    publish(tmp_path, V1, papers)
    publish(tmp_path, V2, papers)
    journal = journal_path(dataset_root(tmp_path))
    lines = journal.read_text().splitlines()
    journal.write_text(lines[0] + "\n" + lines[1][: len(lines[1]) // 2])  # V2's line torn by a kill
    assert [event["latest"] for event in read_journal(dataset_root(tmp_path))] == [V1]

    assert reconcile_journal(tmp_path) == [V2]
    last = read_journal(dataset_root(tmp_path))[-1]
    assert (last["action"], last["version"], last["previous_version"], last["latest"]) == (
        "reconcile",
        V2,
        V1,
        V2,
    )
    assert reconcile_journal(tmp_path) == []  # recorded once
