"""A user's mapping file: which columns of a scraper's records hold which fields, when the table of
``transforms/parse/fields.py`` does not find them.

It is TOML with one table, ``[fields]``: a field of the table (``title``, ``abstract``, ``arxiv_id``...) and the
column (a dotted name for nested objects) or list of columns (tried in order) to read it from::

    [fields]
    title = "headline"
    abstract = ["body.text", "teaser"]
    listed_on = "crawl.day"
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from flows.errors import UsageError
from transforms.parse.fields import mapping_from_table, mapping_problems


def load_mapping(path: Path) -> dict[str, tuple[str, ...]]:
    """The ``[fields]`` of the mapping file at ``path``; :class:`UsageError` (one line) when it is not usable."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"mapping file {path}: cannot be read ({error.strerror or 'error'})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"mapping file {path}: not TOML ({' '.join(str(error).split())})") from None
    fields = document.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise UsageError(f'mapping file {path}: give a [fields] table, e.g. title = "headline"')
    unknown = sorted(set(document) - {"fields"})
    problems = mapping_problems(fields) + [f"unknown table {name!r}" for name in unknown]
    if problems:
        raise UsageError(f"mapping file {path}: {'; '.join(problems)}")
    return mapping_from_table(fields)
