"""``report.html`` of a version: one static, self-contained page (charts as embedded PNG, no script, no URL to
fetch), written by ``flows/store/publish.py`` into the version folder so it can be opened from disk.

This module computes the page's values (counts, tables, the charts' PNG bytes); ``templates/report.html.j2``
lays them out, with Jinja2's HTML autoescaping: a title, topic or venue from the data is text, never markup.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

from flows.render.pages import render_page
from transforms.report.summary import (
    ACCEPTED_STATUSES,
    MIN_TOPIC_PAPERS,
    VersionSummary,
    papers_where,
    total_papers,
)
from transforms.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CHART_FIRST_DAY = date(2015, 1, 1)
"""The weekly chart starts here (the row gate's first listing day)."""
CHART_COLOR = "#3b6ea5"
ACCENT_COLOR = "#e08a2c"
_WEB_URL = re.compile(r"https?://", re.IGNORECASE)


@dataclass(frozen=True)
class Chart:
    """A chart as the page embeds it: PNG bytes in base64 and the text that stands for them."""

    alt: str
    png: str


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool = False
    href: str | None = None


@dataclass(frozen=True)
class Table:
    """A table of the page (no rows: the page says "None.")."""

    columns: list[str]
    rows: list[list[Cell]]


@dataclass(frozen=True)
class Section:
    """A section of the page: a chart with notes under it, then a table with notes under it."""

    title: str
    chart: Chart | None = None
    chart_notes: list[str] = field(default_factory=list)
    table: Table | None = None
    notes: list[str] = field(default_factory=list)


def render_report(
    version: str, manifest: dict[str, Any], paper_counts: pl.DataFrame, summary: VersionSummary
) -> str:
    """The page: counts, charts (topic distribution, code share by topic, top venues, weekly new papers,
    quarantine reasons) with their tables, and the papers this run added. Rendered from
    ``templates/report.html.j2`` with HTML autoescaping.

    ``paper_counts``: the version's (:func:`~transforms.report.summary.paper_counts`)."""
    counts = manifest["counts"]
    papers = total_papers(paper_counts)
    with_code = papers_where(paper_counts, pl.col("has_code").fill_null(False))
    with_venue = papers_where(paper_counts, pl.col("venue_status").is_in(ACCEPTED_STATUSES))
    new = counts.get("new_papers", 0)
    rows = [
        ("papers in this version", papers),
        ("new papers in this run", new),
        ("updated papers", counts.get("updated_papers", 0)),
        ("input records of this run", counts["inputs"]),
        ("merged as duplicates", counts["duplicates"]),
        ("quarantined records", counts["quarantined"]),
        ("papers with a code repository", f"{with_code} ({_percent(with_code, papers)})"),
        ("papers accepted or published at a venue", f"{with_venue} ({_percent(with_venue, papers)})"),
    ]
    sections = [
        Section(
            "Topics",
            _bar_chart(summary.topics, "topic", "papers", "papers", "Papers per primary topic"),
            table=_table(summary.topics.with_columns(_share("share"))),
        ),
        _code_section(summary.code_by_topic),
    ]  # a section with nothing to show is left out, not printed as "None."
    if summary.venues.height:
        sections.append(
            Section(
                "Top venues (accepted or published)",
                _stacked_venues(summary.venues),
                table=_table(summary.venues),
            )
        )
    if summary.weekly.height or summary.unlisted:
        chart, notes = _weekly_chart(summary.weekly, _created(manifest), summary.unlisted)
        sections.append(Section("New papers per week (first listed)", chart, notes))
    if summary.quarantine_reasons.height:
        sections.append(
            Section(
                "Quarantine reasons of this run",
                _bar_chart(summary.quarantine_reasons, "reason", "records", "records", "Quarantined records"),
                table=_table(summary.quarantine_reasons),
            )
        )
    if summary.new_papers.height:
        shown = summary.new_papers.height
        sections.append(
            Section(
                f"New papers of this run ({new})",
                table=_table(summary.new_papers, link="url"),
                notes=[f"The {shown} most upvoted of {new} are shown."] if new > shown else [],
            )
        )
    return render_page(
        "report.html.j2",
        version=version,
        schema_version=SCHEMA_VERSION,
        previous_version=str(manifest.get("previous_version")),
        created_at=str(manifest["created_at"]),
        counts=rows,
        sections=sections,
    )


def _code_section(code_by_topic: pl.DataFrame) -> Section:
    """The share of each topic's papers with a repository, beside its counts. Topics of fewer than
    ``MIN_TOPIC_PAPERS`` papers are listed after the others, marked, and not drawn (one paper with code is 100 %)."""
    drawn = code_by_topic.filter(pl.col("enough"))
    small = code_by_topic.height - drawn.height
    chart = _bar_chart(
        drawn.with_columns(
            (pl.col("share") * 100).alias("percent"),
            pl.format("{} ({})", "topic", "papers").alias("label"),
        ),
        "label",
        "percent",
        "% of the topic's papers with a repository",
        "Share of papers with a code repository",
        percent=True,
    )
    table = _table(
        code_by_topic.with_columns(
            _share("share"),
            pl.when(pl.col("enough")).then(pl.col("topic")).otherwise(pl.col("topic") + " *").alias("topic"),
        ).drop("enough")
    )
    note = (
        [f"* {small} topics with fewer than {MIN_TOPIC_PAPERS} papers: listed last, not drawn."]
        if small
        else []
    )
    return Section("Code availability by topic", chart, table=table, notes=note)


def _short(label: object, width: int = 40) -> str:
    """A chart's label: journals outside the venue lexicon come through as written, so long names are cut; a
    missing value is named."""
    text = "(none)" if label is None else str(label)
    return text if len(text) <= width else text[: width - 1] + "…"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def _share(column: str) -> pl.Expr:
    return (pl.col(column) * 100).round(1).cast(pl.String).add(" %").alias(column)


def _created(manifest: dict[str, Any]) -> date:
    """The day the version was made (its manifest's ``created_at``; today when it has none)."""
    created = manifest.get("created_at")
    return datetime.fromisoformat(created).date() if isinstance(created, str) else datetime.now(UTC).date()


def _table(frame: pl.DataFrame, link: str | None = None) -> Table:
    """``frame`` as a table; with ``link``, each title links to that column's URL when it is a web address
    (``http``/``https``: a ``javascript:`` URL in the data is not made a link)."""
    columns = [c for c in frame.columns if c != link]
    rows = []
    for row in frame.iter_rows(named=True):
        cells = []
        for column in columns:
            value = row[column]
            href = row.get(link) if link and column == "title" else None
            cells.append(
                Cell(
                    "" if value is None else str(value),
                    numeric=isinstance(value, int | float) and not isinstance(value, bool),
                    href=href if isinstance(href, str) and _WEB_URL.match(href) else None,
                )
            )
        rows.append(cells)
    return Table(columns, rows)


class _Pyplot(Protocol):
    """What the charts use of ``matplotlib.pyplot`` (imported on the first chart, then passed along)."""

    def close(self, fig: Figure) -> None: ...


def _figure(height: float) -> tuple[_Pyplot, Figure, Axes]:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["text.parse_math"] = (
        False  # a label with "$" is text, not a formula that may not parse
    )
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, height), dpi=100)
    return plt, figure, axes


def _image(plt: _Pyplot, figure: Figure, alt: str) -> Chart:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(figure)
    return Chart(alt, base64.b64encode(buffer.getvalue()).decode("ascii"))


def _empty_chart(title: str) -> Chart:
    plt, figure, axes = _figure(1.2)
    axes.axis("off")
    axes.text(0.5, 0.5, f"{title}: nothing to show", ha="center", va="center", color="#666")
    return _image(plt, figure, f"{title}: nothing to show")


def _bar_chart(
    frame: pl.DataFrame, label: str, value: str, xlabel: str, title: str, percent: bool = False
) -> Chart:
    """Horizontal bars, largest on top (``percent``: the axis runs from 0 to 100)."""
    if frame.height == 0:
        return _empty_chart(title)
    labels = [_short(v) for v in frame.get_column(label).to_list()][::-1]
    values = frame.get_column(value).to_list()[::-1]
    plt, figure, axes = _figure(max(1.6, 0.28 * len(labels) + 0.9))
    axes.barh(labels, values, color=CHART_COLOR)
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    if percent:
        axes.set_xlim(0, 100)
    axes.tick_params(axis="y", labelsize=8)
    return _image(plt, figure, title)


def _stacked_venues(venues: pl.DataFrame) -> Chart:
    title = "Papers per venue: main track and workshops"
    if venues.height == 0:
        return _empty_chart(title)
    labels = [_short(v) for v in venues.get_column("venue").to_list()[::-1]]
    main = venues.get_column("main_track").to_list()[::-1]
    workshop = venues.get_column("workshop").to_list()[::-1]
    plt, figure, axes = _figure(max(1.6, 0.28 * len(labels) + 0.9))
    axes.barh(labels, main, color=CHART_COLOR, label="main track")
    axes.barh(labels, workshop, left=main, color=ACCENT_COLOR, label="workshop")
    axes.set_xlabel("papers")
    axes.set_title(title)
    axes.legend(loc="lower right", fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    return _image(plt, figure, title)


def _weekly_chart(weekly: pl.DataFrame, created: date, unlisted: int = 0) -> tuple[Chart, list[str]]:
    """Papers per week first listed (``first_listed_on``), drawn from ``CHART_FIRST_DAY`` to a week after the
    version was ``created``: weeks outside are counted under the chart, not drawn (a year like 1 or 9999 cannot be
    drawn at all), and so are the ``unlisted`` papers, which no listing dates."""
    title = "New papers per week (first listed)"
    drawn = weekly.filter(
        pl.col("week").is_between(CHART_FIRST_DAY - timedelta(days=6), created + timedelta(days=7))
    )
    outside = int(weekly.get_column("papers").sum()) - int(drawn.get_column("papers").sum())
    notes = []
    if outside:
        notes.append(
            f"{outside} papers first listed before {CHART_FIRST_DAY.isoformat()} or after "
            f"{created.isoformat()} are not drawn."
        )
    if unlisted:
        notes.append(f"{unlisted} papers have no listing day (their inputs are not listings).")
    if drawn.height == 0:
        return _empty_chart(title), notes
    plt, figure, axes = _figure(2.8)
    axes.bar(
        drawn.get_column("week").to_list(), drawn.get_column("papers").to_list(), width=5, color=CHART_COLOR
    )
    axes.set_ylabel("papers first listed")
    axes.set_title(title)
    figure.autofmt_xdate()
    return _image(plt, figure, title), notes
