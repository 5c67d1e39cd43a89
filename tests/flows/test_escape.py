"""Text from the data printed safely: markdown that renders as the literal text, a terminal that is not driven."""

from __future__ import annotations

import re
from pathlib import Path

from huggingface_hub import DatasetCard
from hypothesis import given
from hypothesis import strategies as st

from flows.render.card import build_card
from flows.render.escape import UNPRINTABLE, code_span, markdown_text, one_line, terminal_text
from flows.render.run_summary import run_markdown
from flows.render.text import paper_text
from flows.run.results import RunSummary
from flows.store.inspect import PaperStory, Provenance
from tests.support.paper_rows import paper_row, papers_frame
from tests.support.release_fixtures import V1, V2, manifest_for
from transforms.history.changes import diff_papers
from transforms.report.summary import paper_counts

HOSTILE = (
    "Evil | cell [click](javascript:alert(1)) <img src=x onerror=alert(1)> `code` "
    "\x1b[2J\x1b]0;pwned\x07 \u202eoff"
)


def unescaped(text: str, character: str) -> int:
    """Occurrences of ``character`` not preceded by a backslash."""
    return len(re.findall(r"(?<!\\)" + re.escape(character), text))


def test_markdown_text_escapes_every_character_markdown_reads_as_syntax() -> None:
    text = markdown_text(HOSTILE)
    for character in "|[]<>`":
        assert unescaped(text, character) == 0, character
    assert not UNPRINTABLE.search(text) and "\n" not in text
    assert markdown_text("x" * 1000, limit=10) == "x" * 9 + "…"
    assert code_span("a`b|c\nd") == "`a'b\\|c d`"


def test_terminal_text_shows_escapes_instead_of_sending_them() -> None:
    shown = terminal_text(HOSTILE)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\\x1b[2J" in shown and "\\u202e" in shown


@given(st.text())
def test_no_control_character_survives_any_helper(text: str) -> None:
    for shown in (one_line(text), markdown_text(text), code_span(text), terminal_text(text)):
        assert not UNPRINTABLE.search(shown) and "\n" not in shown and "\r" not in shown


def test_the_cards_source_table_keeps_its_columns_whatever_the_folder_and_provenance_say() -> None:
    papers = papers_frame(paper_row())
    manifest = manifest_for(V2, papers, V1)
    manifest["provenance"] = [
        {"name": "dump | x", "origin": HOSTILE, "licence": "<script>alert(1)</script>", "inputs": 1}
    ]
    for extra, counts in ((0, {}), (1, {"source_papers": {"dump | x": 1}, "unlicensed": 0})):
        card = build_card(manifest, paper_counts(papers), **counts)
        row = next(line for line in card.splitlines() if line.startswith("| dump"))
        assert unescaped(row, "|") == 6 + extra and unescaped(row, "<") == 0 and "\x1b" not in row


def test_topics_reasons_and_changed_titles_from_the_data_cannot_inject_markdown_into_the_card() -> None:
    hostile = ["| pipes |", "<script>alert(1)</script>", "[link](javascript:alert(1))", "# heading", HOSTILE]
    before = papers_frame(paper_row(paper_id="arxiv:1", arxiv_id="1", title="Plain"))
    after = papers_frame(
        paper_row(paper_id="arxiv:1", arxiv_id="1", title=HOSTILE),
        *(
            paper_row(paper_id=f"arxiv:{n}", arxiv_id=str(n), topic=topic)
            for n, topic in enumerate(hostile, 2)
        ),
    )
    manifest = manifest_for(V2, after, V1)
    manifest["counts"]["quarantined_by_reason"] = {"title:<script>|`x`": 1}
    card = build_card(
        manifest, paper_counts(after), changes=diff_papers(before, after), since=V1, repo_id="o/n"
    )

    assert DatasetCard(card).data.pretty_name == "Trending ML papers"  # the front matter still parses
    body = card.split("\n---\n", 1)[1]
    outside_code = re.sub(r"(?<!\\)`[^`]*`", "", body.split("## Citation")[0])
    assert unescaped(outside_code, "<") == 0 and unescaped(outside_code, "](") == 0
    assert "\x1b" not in card and "\u202e" not in card
    topics = card.split("## Topics")[1].split("## Columns")[0]
    rows = [line for line in topics.splitlines() if line.startswith("| ")]
    assert len(rows) == 3 + len(hostile) and all(unescaped(row, "|") == 3 for row in rows)  # + general-ml
    assert "| \\<script\\>alert(1)\\</script\\> | 1 |" in rows
    assert "| `title:<script>\\|'x'` | 1 |" in card  # a code span shows it literally, in one cell
    assert not any(line.startswith("# heading") for line in card.splitlines())


def test_the_run_summary_and_papers_show_escape_titles_and_paths() -> None:
    summary = RunSummary(
        "v", Path("/out/v"), {}, [{"source": "hf-page", "target": HOSTILE, "reason": HOSTILE}]
    )
    markdown = run_markdown(
        summary,
        [],
        papers_frame(paper_row(title=HOSTILE)).select("paper_id", "title").with_columns(is_new=True),
        None,
    )
    outside_code = re.sub(r"(?<!\\)`[^`]*`", "", markdown)  # a code span shows its text literally
    assert "\x1b" not in markdown and unescaped(outside_code, "<") == 0 and unescaped(outside_code, "](") == 0
    story = PaperStory(
        paper_id="arxiv:1",
        version="v",
        fields={"title": HOSTILE},
        history=[],
        provenance=[Provenance("v", "r1", "text", "published", None, f"/in/{HOSTILE}", 0)],
    )
    shown = paper_text(story)
    assert "\x1b" not in shown and "\u202e" not in shown and "\\x1b" in shown
