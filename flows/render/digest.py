"""The daily digest of a version as an Atom 1.0 feed, an e-mail-ready page and plain text.

The entries are :func:`transforms.report.digest.digest_entries`'s; here they become ``digest/feed.xml`` (Atom:
read by any feed reader, one entry per paper and day, its id fixed forever), ``digest/index.html`` (the page an
e-mail carries: inline styles, no script, no remote image, one section per day) and the plain-text part of that
e-mail (also what ``papers digest`` prints). Every value from the data is escaped by the templates
(``flows/render/pages.py``); characters XML 1.0 cannot carry at all (control characters) are dropped before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from flows.render.escape import one_line
from flows.render.pages import render_page
from flows.store.layout import VERSION_FORMAT
from transforms.history.volume import OPEN
from transforms.report.digest import (
    DIGEST_READS,
    ENTRY_SCHEMA,
    FEED_ID_PREFIX,
    Selection,
    digest_entries,
    entries_per_day,
    newest_day,
    window,
)

DIGEST_FOLDER = "digest"
FEED_FILE, PAGE_FILE = "feed.xml", "index.html"
NAMESPACE = "tag:trending-papers,2026:digest-fields"
"""The namespace of the feed's own elements (``tp:day``, ``tp:upvotes``, ``tp:stars``, ``tp:venue``...)."""
TOPIC_SCHEME = "tag:trending-papers,2026:topics"
DAY_SCHEME = "tag:trending-papers,2026:day-status"
AUTHORS_SHOWN = 6
"""Authors named on the page and in the text before "and N more" (the feed names every author)."""
_NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Digest:
    """The digest of one version (and profile): its entries and what it is called."""

    version: str
    entries: pl.DataFrame
    first: date | None
    last: date | None
    selection: Selection
    profile: str | None = None

    @property
    def title(self) -> str:
        name = f"Trending papers ({self.profile})" if self.profile else "Trending papers"
        if self.last is None or self.first is None:
            return name
        return f"{name}, {self.first.isoformat()} to {self.last.isoformat()}"

    @property
    def subtitle(self) -> str:
        kept = []
        if self.selection.topics:
            kept.append("topics " + ", ".join(self.selection.topics))
        if self.selection.min_upvotes:
            kept.append(f"at least {self.selection.min_upvotes} upvotes")
        if self.selection.top is not None:
            kept.append(f"the top {self.selection.top} a day")
        filters = f" ({'; '.join(kept)})" if kept else ""
        return (
            f"{self.entries.height} entries on {len(self.per_day)} listing day(s), each day ranked by its "
            f"upvotes{filters}; "
            f"dataset version {self.version}"
        )

    @property
    def per_day(self) -> dict[str, int]:
        return entries_per_day(self.entries)

    @property
    def feed_id(self) -> str:
        return f"{FEED_ID_PREFIX}/{self.profile}" if self.profile else FEED_ID_PREFIX


def build_digest(
    papers: pl.LazyFrame,
    version: str,
    selection: Selection,
    provisional: tuple[date, ...] = (),
    profile: str | None = None,
) -> Digest:
    """The digest of a version's papers (lazily read: only the digest's columns and recent papers load)."""
    newest = newest_day(papers)
    if newest is None:
        return Digest(version, _no_entries(), None, None, selection, profile)
    first, last = window(newest, selection.days)
    entries = digest_entries(papers, selection, newest, provisional)
    return Digest(version, entries, first, last, selection, profile)


def _no_entries() -> pl.DataFrame:
    return pl.DataFrame(schema=ENTRY_SCHEMA)


def provisional_days(manifest: Mapping[str, Any]) -> tuple[date, ...]:
    """The days a version's manifest marks as provisional (``volume.provisional``, still open)."""
    rows = (manifest.get("volume") or {}).get("provisional") or []
    return tuple(sorted({date.fromisoformat(row["listed_on"]) for row in rows if row.get("status") == OPEN}))


def digest_documents(
    papers: pl.LazyFrame,
    version: str,
    selection: Selection,
    profiles: Mapping[str, Selection],
    provisional: tuple[date, ...],
) -> dict[str, str]:
    """``digest/feed.xml`` and ``digest/index.html``, and ``digest/<profile>/`` the same for every profile: the
    documents a version lists in its manifest."""
    documents: dict[str, str] = {}
    newest = newest_day(papers)
    if newest is not None:  # the recent papers read once (their abstracts among them), not once per profile
        days = max(chosen.days for chosen in [selection, *profiles.values()])
        recent = papers.select(DIGEST_READS).filter(pl.col("last_listed_on") >= window(newest, days)[0])
        papers = recent.collect().lazy()
    for name, chosen in [(None, selection), *profiles.items()]:
        digest = build_digest(papers, version, chosen, provisional, name)
        folder = f"{DIGEST_FOLDER}/{name}" if name else DIGEST_FOLDER
        documents[f"{folder}/{FEED_FILE}"] = render_feed(digest)
        documents[f"{folder}/{PAGE_FILE}"] = render_html(digest)
    return documents


# ----- the three forms -----


def render_feed(digest: Digest) -> str:
    """The digest as an Atom 1.0 feed (RFC 4287)."""
    entries = [_feed_entry(entry) for entry in _entries(digest)]
    return render_page(
        "digest.atom.xml.j2",
        namespace=NAMESPACE,
        feed_id=digest.feed_id,
        title=digest.title,
        subtitle=digest.subtitle,
        updated=_version_time(digest.version),
        version=digest.version,
        entries=entries,
        topic_scheme=TOPIC_SCHEME,
        day_scheme=DAY_SCHEME,
    )


def render_html(digest: Digest) -> str:
    """The digest as a page that reads well in an e-mail client: one section per day, newest first."""
    return render_page(
        "digest.html.j2",
        title=digest.title,
        subtitle=digest.subtitle,
        days=_days(digest),
        filtered=bool(digest.selection.topics or digest.selection.min_upvotes),
        footer=_footer(digest),
    )


def render_text(digest: Digest) -> str:
    """The digest as plain text (the e-mail's text part, and what ``papers digest`` prints)."""
    lines = [digest.title, digest.subtitle, ""]
    days = _days(digest)
    for day in days:
        mark = " (provisional: the day's list may still grow)" if day["provisional"] else ""
        lines += [f"== {day['heading']}{mark} ==", ""]
        for entry in day["entries"]:
            lines.append(f"{entry['position']}. {entry['title']}")
            if entry["link"]:
                lines.append(f"   {entry['link']}")
            if entry["authors_line"]:
                lines.append(f"   {entry['authors_line']}")
            facts = entry["facts"] + ([f"code: {entry['code_url']}"] if entry["code_url"] else [])
            if facts:
                lines.append("   " + " · ".join(facts))
            if entry["summary"]:
                lines.append(f"   {entry['summary']}")
            lines.append("")
    if not days:
        lines += ["No paper was listed in these days.", ""]
    lines.append(_footer(digest))
    return "\n".join(lines) + "\n"


def _footer(digest: Digest) -> str:
    return (
        f"From the trending-papers dataset, version {digest.version}: each version folder holds this digest "
        "as digest/feed.xml (Atom) and digest/index.html."
    )


# ----- entries as the templates read them -----


def _entries(digest: Digest) -> list[dict[str, Any]]:
    """Every entry as plain values, text cleaned of what XML or HTML cannot carry."""
    rows = []
    for row in digest.entries.iter_rows(named=True):
        entry = {key: _clean(value) for key, value in row.items()}
        entry["day"] = row["day"].isoformat()
        entry["day_time"] = f"{entry['day']}T00:00:00Z"
        entry["authors_line"] = _authors_line(entry["authors"])
        entry["facts"] = _facts(entry)
        rows.append(entry)
    return rows


def _feed_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry of the feed: its content is the page's entry (HTML, escaped once more by the feed)."""
    return entry | {"content": render_page("digest_entry.html.j2", entry=entry).strip()}


def _days(digest: Digest) -> list[dict[str, Any]]:
    days: dict[str, dict[str, Any]] = {}
    for entry in _entries(digest):
        day = days.setdefault(
            entry["day"],
            {
                "date": entry["day"],
                "heading": date.fromisoformat(entry["day"]).strftime("%A %Y-%m-%d"),
                "provisional": entry["provisional"],
                "entries": [],
            },
        )
        day["entries"].append(entry)
    return list(days.values())


def _facts(entry: dict[str, Any]) -> list[str]:
    facts = []
    if entry["upvotes"] is not None:
        facts.append(f"{entry['upvotes']:,} upvotes")
    if entry["stars"] is not None:
        facts.append(f"{entry['stars']:,} stars")
    if entry["venue"]:
        facts.append(entry["venue"])
    if entry["organization"]:
        facts.append(entry["organization"])
    if entry["topics"]:
        facts.append(", ".join(entry["topics"]))
    return facts


def _authors_line(authors: list[str]) -> str:
    if len(authors) <= AUTHORS_SHOWN:
        return ", ".join(authors)
    return ", ".join(authors[:AUTHORS_SHOWN]) + f" and {len(authors) - AUTHORS_SHOWN} more"


def _clean(value: Any) -> Any:
    """Text on one line without control characters (nor anything XML 1.0 forbids); lists item by item."""
    if isinstance(value, str):
        return _NOT_XML.sub("", one_line(value, limit=2000))
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _version_time(version: str) -> str:
    """A version id as an RFC 3339 time (the feed's ``updated``)."""
    try:
        moment = datetime.strptime(version, VERSION_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return "1970-01-01T00:00:00Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
