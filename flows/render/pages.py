"""The Jinja2 environments every page is rendered with: templates in ``flows/render/templates/``, values escaped
for the page's language unless a renderer marks them as a finished fragment.

* ``*.html.j2`` (``report.html``, ``validation/index.html``): Jinja2's HTML autoescaping. A title, topic or
  venue from the data is text on the page, never markup.
* ``*.xml.j2`` (the digest's Atom feed): the same autoescaping, which XML reads alike (``&amp;``, ``&lt;``,
  ``&#34;``...); the renderer keeps characters XML 1.0 forbids out of the values (``flows/render/digest.py``).
* ``*.md.j2`` (the dataset card): every plain ``str`` (or number, or ``None``) a template prints goes through
  :func:`~flows.render.escape.markdown_text`, so a ``|`` cannot split a table cell and ``<script>`` or
  ``[x](javascript:…)`` cannot become markup or a link on the Hub. A fragment a renderer built from escaped
  values (a table, the changes list) is passed as :class:`~markupsafe.Markup` (:func:`markdown_fragment`) and
  printed as it is; the filters ``code``, ``verbatim`` and ``bibtex`` print a value as a code span, inside a
  fenced block, or as a BibTeX field's braced value.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from flows.render.escape import code_span, markdown_text, one_line

_BIBTEX_SPECIAL = re.compile(r"[{}\\]")

TEMPLATES = Path(__file__).with_name("templates")
"""Packaged with ``flows.render`` (pyproject: ``[tool.setuptools.package-data]``)."""


def markdown_fragment(text: str) -> Markup:
    """Markdown that is already safe (built from escaped values or written here): a card template prints it
    as it is."""
    return Markup(text)


def _markdown_value(value: object) -> object:
    """What a card template prints for ``{{ value }}``: a fragment as it is, anything else as literal text."""
    return value if isinstance(value, Markup) else markdown_text(value)


def _code(value: object, limit: int = 120) -> Markup:
    return Markup(code_span(value, limit))


def _verbatim(value: object) -> Markup:
    """A value inside a fenced code block, where markdown shows every character literally: on one line (so it
    cannot close the fence), without control characters."""
    return Markup(one_line(value, limit=500))


def _bibtex(value: object, url: bool = False) -> Markup:
    """A BibTeX field's value in its braces (``url``: as ``\\url{…}``): on one line, without a brace or
    backslash that would end it."""
    text = _BIBTEX_SPECIAL.sub("", one_line(value, limit=500))
    return Markup("{" + (f"\\url{{{text}}}" if url else text) + "}")


def _number(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True)


_HTML = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_HTML.filters |= {"number": _number, "json": _json}

_MARKDOWN = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=False,  # markdown, not HTML: escaping is _markdown_value's, as finalize
    finalize=_markdown_value,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_MARKDOWN.filters |= {"code": _code, "verbatim": _verbatim, "bibtex": _bibtex}


def render_page(name: str, **values: Any) -> str:
    """Render ``templates/<name>`` (``*.html.j2``, ``*.xml.j2`` or ``*.md.j2``) with ``values``, escaped for its
    language."""
    if name.endswith((".html.j2", ".xml.j2")):
        environment = _HTML
    elif name.endswith(".md.j2"):
        environment = _MARKDOWN
    else:
        raise ValueError(f"not a page template (*.html.j2, *.xml.j2 or *.md.j2): {name}")
    return environment.get_template(name).render(**values)
