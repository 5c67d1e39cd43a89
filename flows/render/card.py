"""The dataset card (``README.md``) of a version and of a Hub release, generated from the manifest.

The front matter is built with ``huggingface_hub``'s ``DatasetCardData``, so it has the fields and shapes the Hub
reads: licence (``other`` with a name and a link to the card's per-source table), languages from the run's
settings, task and size categories, pretty name, tags, ``configs`` (``papers`` and ``listings``) mapping the
version's files (:func:`_configs`) to the ``train`` split, and ``dataset_info`` with each config's features and
split sizes (:class:`CardConfig`). The body,
``templates/card.md.j2``, is the description, how to load a version, this version's counts, the curation steps
with their counts, the columns, sources and licences, known limitations, the changes since the previous version
(or release) and a BibTeX entry. Values from the data are escaped as markdown text (``flows/render/pages.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
import pyarrow as pa
from huggingface_hub import DatasetCard, DatasetCardData

from flows.render.changelog import render_changes
from flows.render.dataset_info import dataset_info
from flows.render.pages import markdown_fragment, render_page
from flows.store.layout import DATA_FOLDER, LISTINGS_FOLDER, version_table_files
from transforms.report.provenance import UNRECORDED, licence_known
from transforms.report.summary import topic_distribution, total_listings, total_papers
from transforms.schema import DATASET_NAME, LISTING_ROW_SCHEMA, PAPER_SCHEMA, SCHEMA_VERSION, column_table

PRETTY_NAME = "Trending ML papers"
DATA_FILES = "data/train-*.parquet"
LISTINGS_FILES = "listings/train-*.parquet"
"""A Hub release's tables; a version folder's card names its version's files (``version_table_files``)."""
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
_RUN_COUNTS = (
    "inputs",
    "published",
    "new_papers",
    "updated_papers",
    "duplicates",
    "quarantined",
    "papers_total",
)
"""The run's counts the card states (0 when a manifest lacks one)."""
HUB_DATASETS = "https://huggingface.co/datasets/"
_BIBTEX_KEY = re.compile(r"[^\w.:-]")
"""What a BibTeX key may not hold (replaced by ``_``)."""


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


@dataclass(frozen=True)
class CardConfig:
    """A config of the dataset: its name, the files of its one split, their Arrow schema and their row count.
    The card's ``configs`` (which files ``datasets`` reads) and ``dataset_info`` (their features and split
    sizes) are written from these."""

    name: str
    data_files: str
    schema: pa.Schema
    rows: int
    split: str = "train"
    default: bool = False
    """The config ``datasets.load_dataset`` reads when it is given no config name."""


def card_configs(counts: pl.DataFrame, version: str | None = None) -> list[CardConfig]:
    """The version's configs: ``papers`` (the default: one row per paper) and ``listings`` (one row per paper,
    day and source: the papers' ``listings`` as a long table). With ``version``, the files of that version
    folder (a local card); without, a Hub release's."""
    papers, listings = (
        (version_table_files(DATA_FOLDER, version), version_table_files(LISTINGS_FOLDER, version))
        if version
        else (DATA_FILES, LISTINGS_FILES)
    )
    return [
        CardConfig("papers", papers, PAPER_SCHEMA, total_papers(counts), default=True),
        CardConfig("listings", listings, LISTING_ROW_SCHEMA, total_listings(counts)),
    ]


def card_data(
    manifest: dict[str, Any], counts: pl.DataFrame, configs: list[CardConfig] | None = None
) -> DatasetCardData:
    languages = card_languages(manifest, counts)
    configs = card_configs(counts) if configs is None else configs
    infos = [dataset_info(config.name, config.schema, config.rows, config.split) for config in configs]
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
        configs=[
            {
                "config_name": config.name,
                **({"default": True} if config.default else {}),
                "data_files": [{"split": config.split, "path": config.data_files}],
            }
            for config in configs
        ],
        dataset_info=infos[0] if len(infos) == 1 else infos,  # one config: a mapping, as datasets writes it
    )


def _configs(counts: pl.DataFrame, version: str, repo_id: str | None) -> list[CardConfig]:
    """A version folder's card maps its version's files (``datasets`` keys a local folder's cache on its name and
    these patterns: ``latest/`` keeps its name); a Hub release's, ``data/train-*.parquet`` and
    ``listings/train-*.parquet``."""
    return card_configs(counts, None if repo_id else version)


def build_card(
    manifest: dict[str, Any],
    counts: pl.DataFrame,
    *,
    changes: dict[str, Any] | None = None,
    since: str | None = None,
    since_kind: str = "version",
    repo_id: str | None = None,
    source_papers: dict[str, int] | None = None,
    unlicensed: int | None = None,
) -> str:
    """The README.md of a version (``since_kind="version"``) or of a Hub release (``"release"``), rendered from
    ``templates/card.md.j2``.

    ``counts``: the version's paper counts (:func:`~transforms.report.summary.paper_counts`). ``source_papers``
    (papers per source) and ``unlicensed`` (papers no source of which states a licence) are counted where every
    paper is read (a release, :mod:`transforms.report.provenance`); a version's own card lists its sources
    without them."""
    version = manifest["version"]
    run = manifest["counts"]
    by_reason: dict[str, int] = run.get("quarantined_by_reason", {})
    papers = total_papers(counts)
    topics = topic_distribution(counts).select("topic", "papers").head(10).rows() if papers else []
    return render_page(
        "card.md.j2",
        front=markdown_fragment(card_data(manifest, counts, _configs(counts, version, repo_id)).to_yaml()),
        pretty_name=PRETTY_NAME,
        version=version,
        schema_version=str(manifest.get("schema_version", SCHEMA_VERSION)),
        previous_version=str(manifest.get("previous_version")),
        code_version=_code(manifest),
        repo_id=repo_id,
        papers=papers,
        run={key: run.get(key, 0) for key in _RUN_COUNTS},
        input_files=sum(1 for item in manifest.get("inputs", []) if not item.get("duplicate_of")),
        quarantine_steps=[
            {
                "stage": stage,
                "prefix": prefix,
                "meaning": meaning,
                "records": sum(n for reason, n in by_reason.items() if reason.split(":", 1)[0] == prefix),
            }
            for prefix, stage, meaning in _STAGES
        ],
        quarantine_reasons=by_reason,
        topics=topics,
        columns=markdown_fragment(column_table()),
        provenance=_provenance(manifest, source_papers),
        paper_counts=source_papers or {},
        unlicensed=unlicensed,
        changes=None if changes is None or since is None else markdown_fragment(render_changes(changes)),
        since=since,
        since_kind=since_kind,
        citation=_citation(manifest, repo_id),
    )


def _provenance(manifest: dict[str, Any], source_papers: dict[str, int] | None) -> list[dict[str, Any]]:
    """The manifest's sources, each marked whether its licence states terms; plus, when papers were counted by
    source, a row for papers whose captures no manifest names (versions written before sources were carried)."""
    sources = [
        {**entry, "known": licence_known(entry.get("licence"))} for entry in manifest.get("provenance") or []
    ]
    if source_papers and source_papers.get(UNRECORDED):
        sources.append(
            {
                "name": UNRECORDED,
                "origin": "captures read before sources were carried",
                "licence": "unknown",
                "known": False,
                "inputs": "",
            }
        )
    return sources


def parse_card(text: str) -> DatasetCard:
    """The card as ``huggingface_hub`` reads it (used by tests and before a release)."""
    return DatasetCard(text)


def _code(manifest: dict[str, Any]) -> str:
    code = manifest.get("code_version") or {}
    return str(code.get("git_commit") or code.get("package") or "unknown")


def _citation(manifest: dict[str, Any], repo_id: str | None) -> dict[str, str | None]:
    """The BibTeX entry's fields: the year the version was made (none when the manifest does not say), and
    where it is published: the Hub repository's ``url``, else the version's ``folder`` under the output folder."""
    version = str(manifest["version"])
    created = manifest.get("created_at")
    try:
        year = str(datetime.fromisoformat(created).year) if isinstance(created, str) else None
    except ValueError:
        year = None
    return {
        "key": _BIBTEX_KEY.sub("_", f"{DATASET_NAME}-{version}"),
        "title": f"{PRETTY_NAME}, version {version}",
        "year": year,
        "version": version,
        "url": f"{HUB_DATASETS}{repo_id}" if repo_id else None,
        "folder": f"{DATASET_NAME}/{version}",
    }
