"""Which source each paper came from, and whether its terms are known: the card's licence table and the release's
licence check.

A version's manifest names its sources (one per input folder with a ``PROVENANCE.txt``, or per fetched host) with
the licence each states and the sha256 of every capture read from it, carried from version to version. A paper's
``sources`` name the captures it was found in, so the sources of every paper follow, without rereading any input.
"""

from __future__ import annotations

import polars as pl

UNKNOWN_LICENCES = ("", "unknown", "none", "none stated", "not stated", "no licence", "no license")
"""Licence texts that state no terms (compared lower-cased, up to the first ``:`` or ``;``)."""

UNRECORDED = "not recorded"
"""The source of a capture the manifests do not name (read by a version written before sources were carried)."""


def licence_known(licence: str | None) -> bool:
    """Whether a source's licence text states terms (``Apache-2.0``, ``CC0 1.0 ...``), not their absence
    (``none stated``, ``not stated: the Hugging Face terms of service apply``, ``unknown``)."""
    if licence is None:
        return False
    head = licence.strip().lower()
    for separator in (":", ";"):
        head = head.split(separator, 1)[0].strip()
    return head not in UNKNOWN_LICENCES


def capture_sources(provenance: list[dict[str, object]]) -> pl.DataFrame:
    """``raw_sha256`` -> ``source_name`` and ``licence_known``, from a manifest's ``provenance`` entries (each
    with ``name``, ``licence`` and ``captures``). A capture named by two sources (the same bytes in two folders)
    counts for both."""
    rows = [
        (str(sha), str(entry["name"]), licence_known(str(entry.get("licence") or "")))
        for entry in provenance
        for sha in entry.get("captures") or []  # type: ignore[attr-defined]
    ]
    return pl.DataFrame(
        rows,
        schema={"raw_sha256": pl.String, "source_name": pl.String, "licence_known": pl.Boolean},
        orient="row",
    ).unique(maintain_order=True)


def papers_by_source(papers: pl.DataFrame, captures: pl.DataFrame) -> pl.DataFrame:
    """How many of ``papers`` (``paper_id``, ``sources``) each source holds (``source_name``, ``papers``), and
    ``UNRECORDED`` for papers with a capture no source names; sorted by papers, then name."""
    return (
        _paper_sources(papers, captures)
        .unique(["paper_id", "source_name"])
        .group_by("source_name")
        .agg(pl.len().cast(pl.Int64).alias("papers"))
        .sort(["papers", "source_name"], descending=[True, False])
    )


def papers_without_licence(papers: pl.DataFrame, captures: pl.DataFrame) -> pl.DataFrame:
    """The ``paper_id`` of papers no source of which states a licence (their terms are unknown): a paper found
    in a source with stated terms is covered by them, whatever else also listed it."""
    known = (
        _paper_sources(papers, captures)
        .group_by("paper_id")
        .agg(pl.col("licence_known").any())
        .filter(pl.col("licence_known"))
    )
    return papers.select("paper_id").join(known, on="paper_id", how="anti").sort("paper_id")


def _paper_sources(papers: pl.DataFrame, captures: pl.DataFrame) -> pl.DataFrame:
    """One row per (paper, capture, source naming it): the capture's source, or ``UNRECORDED``."""
    return (
        papers.select(
            "paper_id", pl.col("sources").list.eval(pl.element().struct.field("raw_sha256")).alias("sha")
        )
        .explode("sha")
        .join(captures, left_on="sha", right_on="raw_sha256", how="left")
        .with_columns(
            pl.col("source_name").fill_null(UNRECORDED),
            pl.col("licence_known").fill_null(False),
        )
        .select("paper_id", "source_name", "licence_known")
    )
