"""The dataset card (``README.md``) of a version and of a Hub release, generated from the manifest.

The front matter is built with ``huggingface_hub``'s ``DatasetCardData``, so it has the fields and shapes the Hub
reads: licence (``other`` with a name and a link to the card's per-source table), languages from the run's
settings, task and size categories, pretty name, tags, and ``configs`` mapping ``data/train-*.parquet`` to the
``train`` split. The body is the description, how to load a version, this version's counts, the curation steps
with their counts, the columns, sources and licences, known limitations, and the changes since the previous
version (or release).
"""

from __future__ import annotations

from typing import Any

import polars as pl
from huggingface_hub import DatasetCard, DatasetCardData

from flows.render.changelog import render_changes
from flows.render.escape import code_span, markdown_text
from transforms.report.summary import topic_distribution, total_papers
from transforms.schema import SCHEMA_VERSION, column_table

PRETTY_NAME = "Trending ML papers"
DATA_FILES = "data/train-*.parquet"
TASK_CATEGORIES = ["text-classification", "text-retrieval", "summarization"]
TAGS = ["arxiv", "papers", "machine-learning", "scientific-papers", "metadata"]
LICENCE_ANCHOR = "sources-and-licences"

_SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
]

_STAGES = [
    ("parse", "ingest", "inputs that could not be parsed"),
    ("abstract", "clean", "abstracts missing, too short, or not an abstract"),
    ("title", "clean", "titles missing, too short or long, page chrome, placeholders"),
    ("language", "language", "abstracts not in the published languages"),
    ("expectation", "validate", "papers failing a Great Expectations row check"),
]
"""Quarantine reason prefix -> the stage that sets it, and what it means."""

LIMITATIONS = [
    "Language is detected on the cleaned abstract with langdetect (seeded); titles are not checked, and a "
    "paper whose abstract mixes languages gets the dominant one.",
    "Topics, venue hints and code links are rule-based (`transforms/derive/`): they are evidence-backed hints, "
    "not labels; `topic_scores` and `venue_hints` keep the evidence.",
    "Near-duplicates are merged above fixed similarity thresholds (MinHash/LSH then exact Jaccard): two versions "
    "of one paper under very different abstracts stay apart, and merges are listed in `duplicates`.",
    "Upvotes and comments are the highest values seen in the captures, not live counts.",
    "Only what the sources captured is known: papers never listed by a captured page or API day are absent, and "
    "`first_seen`/`last_seen` are capture times, not publication times.",
    "Titles and abstracts are the authors' own text, under the licences they chose on arXiv: check a paper's "
    "licence before redistributing its text.",
]


def size_category(rows: int) -> str:
    for bound, label in _SIZE_CATEGORIES:
        if rows < bound:
            return label
    return "n>1T" if rows > 10**12 else "1B<n<10B"


def card_languages(manifest: dict[str, Any], counts: pl.DataFrame) -> list[str]:
    """The run's published languages (``--languages``) and any language older runs left in the data."""
    settings = manifest.get("config", {}).get("allowed_languages") or ["en"]
    present = counts.filter(pl.col("papers") > 0).get_column("language").drop_nulls().unique().to_list()
    return sorted({*settings, *present})


def card_data(manifest: dict[str, Any], counts: pl.DataFrame) -> DatasetCardData:
    languages = card_languages(manifest, counts)
    return DatasetCardData(
        pretty_name=PRETTY_NAME,
        license="other",
        license_name="per-source-licences",
        license_link=f"README.md#{LICENCE_ANCHOR}",
        language=languages,
        multilinguality="monolingual" if len(languages) == 1 else "multilingual",
        language_creators=["found"],
        annotations_creators=["machine-generated"],
        source_datasets=["original"],
        task_categories=TASK_CATEGORIES,
        size_categories=[size_category(total_papers(counts))],
        tags=TAGS,
        configs=[{"config_name": "default", "data_files": [{"split": "train", "path": DATA_FILES}]}],
    )


def build_card(
    manifest: dict[str, Any],
    counts: pl.DataFrame,
    *,
    changes: dict[str, Any] | None = None,
    since: str | None = None,
    since_kind: str = "version",
    repo_id: str | None = None,
) -> str:
    """The README.md of a version (``since_kind="version"``) or of a Hub release (``"release"``).

    ``counts``: the version's paper counts (:func:`~transforms.report.summary.paper_counts`)."""
    version = manifest["version"]
    front = card_data(manifest, counts).to_yaml()
    body = "\n\n".join(
        [
            f"# {PRETTY_NAME}, version `{version}`",
            _description(manifest),
            _loading(version, repo_id),
            _this_version(manifest["counts"], total_papers(counts)),
            _curation(manifest),
            _topics(counts),
            "## Columns\n\n" + column_table(),
            _sources(manifest),
            "## Known limitations\n\n" + "\n".join(f"- {line}" for line in LIMITATIONS),
            _changes_section(changes, since, since_kind),
        ]
    )
    return f"---\n{front}\n---\n\n{body}\n"


def parse_card(text: str) -> DatasetCard:
    """The card as ``huggingface_hub`` reads it (used by tests and before a release)."""
    return DatasetCard(text)


def _description(manifest: dict[str, Any]) -> str:
    return (
        "Curated listings of trending machine-learning papers: cleaned titles and abstracts, one row per paper "
        "(duplicates merged, their titles kept in `aliases`), with topic, venue hints and code links, and an audit "
        "trail from every row back to the raw capture it came from (`sources`, with each capture's sha256).\n\n"
        f"Schema version `{manifest.get('schema_version', SCHEMA_VERSION)}`; previous version "
        f"`{manifest.get('previous_version')}`; built by code `{_code(manifest)}`. Each version holds every paper "
        "of the previous one plus the papers of its run; a paper keeps its `paper_id` across versions."
    )


def _code(manifest: dict[str, Any]) -> str:
    code = manifest.get("code_version") or {}
    return str(code.get("git_commit") or code.get("package") or "unknown")


def _loading(version: str, repo_id: str | None) -> str:
    if repo_id is None:
        return f"""## Loading

This folder is version `{version}`; `papers release {version} --repo-id OWNER/NAME` publishes it on the Hub.

```python
import datasets
import polars as pl

papers = datasets.load_dataset("path/to/this/folder", split="train")  # reads the front matter's configs
papers = pl.read_parquet("path/to/this/folder/data/*.parquet")
```"""
    repo = repo_id
    return f"""## Loading

Every release is a git tag named after its version, so a version can be pinned:

```python
import datasets

papers = datasets.load_dataset("{repo}", revision="{version}", split="train")
```

```python
import polars as pl

papers = pl.read_parquet("hf://datasets/{repo}@{version}/data/*.parquet")
```

```sql
-- DuckDB
select topic, count(*) from 'hf://datasets/{repo}@{version}/data/*.parquet' group by 1 order by 2 desc;
```

Each Parquet file carries key-value metadata `trending_papers.version` (the version that wrote the file: a shard
whose papers did not change is shared with earlier versions and keeps the id of the first) and
`trending_papers.schema_version`."""


def _this_version(counts: dict[str, Any], papers: int) -> str:
    new, updated = counts.get("new_papers", 0), counts.get("updated_papers", 0)
    return f"""## This version

| | |
| --- | --- |
| papers | {papers} |
| input records of this run | {counts.get("inputs", 0)} |
| published (new / updated) | {counts.get("published", 0)} ({new} / {updated}) |
| merged as duplicates | {counts.get("duplicates", 0)} |
| quarantined | {counts.get("quarantined", 0)} |"""


def _curation(manifest: dict[str, Any]) -> str:
    counts = manifest["counts"]
    by_reason: dict[str, int] = counts.get("quarantined_by_reason", {})
    inputs = manifest.get("inputs", [])
    files = sum(1 for item in inputs if not item.get("duplicate_of"))
    lines = [
        "## Curation steps",
        "",
        "Counts are this version's run. Every input record ends published, merged into a named record, or "
        "quarantined with a machine-readable reason (`inputs = published + duplicates + quarantined`).",
        "",
        "| step | what it does | this run |",
        "| --- | --- | --- |",
        f"| ingest | reads the inputs, recognises formats from content, parses records | {files} files, "
        f"{counts.get('inputs', 0)} records |",
    ]
    for prefix, stage, meaning in _STAGES:
        rejected = sum(n for reason, n in by_reason.items() if reason.split(":", 1)[0] == prefix)
        lines.append(f"| {stage} (`{prefix}:*`) | quarantines {meaning} | {rejected} records |")
    lines += [
        f"| dedup | merges exact and near duplicates, matches the previous version | {counts.get('duplicates', 0)} "
        "records merged |",
        "| derive | topic, venue hints, code links | every published paper |",
        f"| publish | new papers and updates of known papers | {counts.get('new_papers', 0)} new, "
        f"{counts.get('updated_papers', 0)} updated, {counts.get('papers_total', 0)} in total |",
    ]
    if by_reason:
        lines += ["", "Quarantine reasons of this run:", "", "| reason | records |", "| --- | --- |"]
        lines += [f"| {code_span(reason)} | {n} |" for reason, n in by_reason.items()]
    return "\n".join(lines)


def _topics(counts: pl.DataFrame) -> str:
    if not total_papers(counts):
        return "## Topics\n\nNo papers."
    rows = topic_distribution(counts).select("topic", "papers").head(10).iter_rows()
    return "## Topics\n\n| topic | papers |\n| --- | --- |\n" + "\n".join(f"| {t} | {n} |" for t, n in rows)


def _sources(manifest: dict[str, Any]) -> str:
    provenance = manifest.get("provenance") or []
    lines = [
        "## Sources and licences",
        "",
        "This card says `license: other` because the rows come from several sources under different terms. Per "
        "source of this version's run (earlier versions' manifests list theirs):",
        "",
        "| source | origin | licence | inputs |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {markdown_text(item['name'])} | {markdown_text(item['origin'])} | {markdown_text(item['licence'])} "
        f"| {item['inputs']} |"
        for item in provenance
    ] or ["| unknown | not recorded by this version's manifest | unknown | |"]
    lines += [
        "",
        "The curation (cleaning, deduplication, derived fields) is this project's work, under its Apache-2.0 "
        "licence. Titles and abstracts remain under their authors' licences.",
    ]
    return "\n".join(lines)


def _changes_section(changes: dict[str, Any] | None, since: str | None, since_kind: str) -> str:
    title = f"## Changes since the previous {since_kind}"
    if changes is None or since is None:
        return f"{title}\n\nThis is the first {since_kind}."
    return f"{title} (`{since}`)\n\n" + render_changes(changes)
