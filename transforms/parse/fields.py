"""The field table of the generic listing reader: which columns of a scraper's records become which record fields.

:data:`FIELDS` is the one place the names live (``docs/reference/scraper-fields.md`` is generated from it). A
record's nested objects are flattened to dotted names (``details.abstract``); a column matches a field when the
last part of its name, lower-cased without ``_``, ``-``, spaces or dots, is one of the field's names. Several
matching columns are read in the order of the names (then shallower first, then in file order) and the first
value present wins, so ``title`` and ``details.title`` complement each other. A user's mapping file names the
columns of a field itself (:func:`resolve_fields`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

KINDS: dict[str, str] = {
    "text": "the first non-blank text",
    "list": "a list, or a text split at `;` (else `,`; categories and keywords also at spaces); `['a', 'b']`"
    " as pandas writes lists is read as a list",
    "arxiv-id": "an arXiv id (`2503.02130`, `2503.02130v2`, `arXiv:…`) or an arXiv or Hugging Face paper URL;"
    " the version goes to `arxiv_version`",
    "day": "a `YYYY-MM-DD` date, or the date part of a date-time",
    "count": 'a whole number: `7`, `"7"`, `1,234`, `1.2k`, `3M`; anything else is counted per field in the'
    " input's mapping (`unparsed_counts`) and left empty, never read as 0",
    "link": "an http(s) URL, or the first of a list of them",
}
"""How a column's values are read, by the ``kind`` of :class:`FieldSpec`."""


@dataclass(frozen=True)
class FieldSpec:
    """One field the generic reader fills: the record column, how values are read, the names it matches."""

    field: str
    """The name used in mapping files and in the manifest's ``mapping``."""
    column: str
    """The ``RECORD_SCHEMA`` column it fills."""
    kind: str
    names: tuple[str, ...]
    """Column names it matches (compared lower-cased, without ``_``, ``-``, spaces and dots)."""
    meaning: str


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("title", "title_raw", "text", ("title", "paper_title", "papertitle"), "the paper's title"),
    FieldSpec(
        "abstract",
        "abstract_raw",
        "text",
        ("abstract", "summary", "description", "abstract_text", "paper_abstract"),
        "the abstract",
    ),
    FieldSpec(
        "arxiv_id",
        "arxiv_id",
        "arxiv-id",
        ("arxiv_id", "arxiv", "id", "paper_id", "entry_id"),
        "the arXiv id; after these, any other column holding arXiv (`arxiv.org/abs/…`, `/pdf/…`) or Hugging"
        " Face paper URLs (`huggingface.co/papers/…`), in file order (never the title, abstract or comment)",
    ),
    FieldSpec(
        "url",
        "url",
        "link",
        ("url", "paper_url", "page_url", "link", "hf_url", "abs_url"),
        "the paper's page",
    ),
    FieldSpec(
        "authors", "authors", "list", ("authors", "author", "author_names", "creators"), "the author names"
    ),
    FieldSpec(
        "listed_on",
        "listed_on",
        "day",
        (
            "listed_on",
            "listing_date",
            "scraped_date",
            "scrape_date",
            "crawl_date",
            "trending_date",
            "date",
            "day",
        ),
        "the day the paper was listed (evidence `item:<column>`); a file is a listing only when every record has"
        " one, or its file name has a `YYYY-MM-DD` day",
    ),
    FieldSpec(
        "published_at",
        "published_at",
        "day",
        ("published_at", "published", "publication_date", "published_date"),
        "the day the paper was published (its arXiv date): never a listing day",
    ),
    FieldSpec("categories", "categories", "list", ("categories", "category", "subjects"), "arXiv categories"),
    FieldSpec("primary_category", "primary_category", "text", ("primary_category",), "the primary category"),
    FieldSpec(
        "comment", "arxiv_comment", "text", ("comment", "comments", "arxiv_comment"), "the arXiv comment"
    ),
    FieldSpec("journal_ref", "journal_ref", "text", ("journal_ref",), "the journal reference"),
    FieldSpec("doi", "doi", "text", ("doi",), "the DOI"),
    FieldSpec(
        "code_url",
        "source_code_url",
        "link",
        ("code_url", "github_url", "github", "github_links", "github_repo", "code", "repo", "repository"),
        "a code repository",
    ),
    FieldSpec(
        "project_url",
        "source_project_url",
        "link",
        ("project_page", "project_url", "homepage"),
        "a project page",
    ),
    FieldSpec("keywords", "keywords", "list", ("keywords", "tags", "ai_keywords"), "keywords"),
    FieldSpec("upvotes", "upvotes", "count", ("upvotes", "likes", "votes", "upvote_count"), "upvotes, likes"),
    FieldSpec(
        "github_stars",
        "github_stars",
        "count",
        ("github_stars", "stars", "stargazers"),
        "the repository's stars",
    ),
    FieldSpec("num_comments", "num_comments", "count", ("num_comments", "comments_count"), "comments"),
    FieldSpec("rank", "rank", "count", ("rank", "position"), "the position in the listing"),
)
"""The fields of the generic reader, in the order the table shows them."""

BY_FIELD: dict[str, FieldSpec] = {spec.field: spec for spec in FIELDS}

MIN_MAPPED_SHARE = 0.9
"""A file maps when this share of its records has a title and an abstract or an arXiv id."""


def normalised(name: str) -> str:
    """``Paper_Title`` -> ``papertitle``: how column names and table names are compared."""
    return re.sub(r"[\s_.\-]", "", name.lower())


def resolve_fields(
    columns: Sequence[str], mapping: Mapping[str, Sequence[str]] | None = None
) -> dict[str, list[str]]:
    """The columns each field reads, in the order they are tried (fields no column matches are left out).

    ``columns`` are the flattened column names of a file in file order; ``mapping`` (from a mapping file) names a
    field's columns itself and overrides the table for that field. Columns used by one field are not matched by a
    later one (a ``summary`` column is the abstract, not a second title).
    """
    given = {field: [name for name in names if name in columns] for field, names in (mapping or {}).items()}
    taken = {name for names in given.values() for name in names}
    found: dict[str, list[str]] = {}
    for spec in FIELDS:
        if spec.field in given:
            chosen = given[spec.field]
        else:
            rank = {normalised(name): position for position, name in enumerate(spec.names)}
            matches = [
                (rank[last], column.count("."), order, column)
                for order, column in enumerate(columns)
                if (last := normalised(column.rsplit(".", 1)[-1])) in rank and column not in taken
            ]
            chosen = [column for *_, column in sorted(matches)]
        if chosen:
            found[spec.field] = chosen
            taken.update(chosen)
    return found


def mapping_problems(mapping: Mapping[str, object]) -> list[str]:
    """What is wrong with a mapping file's ``[fields]`` table: unknown fields, values that are not column names."""
    problems = []
    for field, value in mapping.items():
        if field not in BY_FIELD:
            problems.append(f"unknown field {field!r} (known: {', '.join(BY_FIELD)})")
        elif not (
            isinstance(value, str)
            or (isinstance(value, list) and value and all(isinstance(v, str) for v in value))
        ):
            problems.append(f"field {field!r}: give a column name or a list of column names")
    return problems


def mapping_from_table(table: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    """A checked ``[fields]`` table as field -> column names (a single name becomes a one-name tuple)."""
    return {
        field: (value,) if isinstance(value, str) else tuple(str(v) for v in value)  # type: ignore[attr-defined]
        for field, value in table.items()
    }


def fields_table() -> str:
    """The markdown table of :data:`FIELDS` and of how each kind of value is read."""
    lines = [
        "| field | record column | kind | column names matched | what |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| `{spec.field}` | `{spec.column}` | {spec.kind} | {', '.join(f'`{name}`' for name in spec.names)} "
        f"| {spec.meaning} |"
        for spec in FIELDS
    ]
    lines += ["", "| kind | a value is read as |", "| --- | --- |"]
    lines += [f"| {kind} | {meaning} |" for kind, meaning in KINDS.items()]
    return "\n".join(lines)
