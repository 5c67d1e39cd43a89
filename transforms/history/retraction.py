"""Retracted papers stay out: a tag-then-split rule over a run's papers, by id, arXiv id or title.

A retraction (``papers retract``) names papers of a published version. A later run may meet the same paper
again under the same ``paper_id`` or, when it was published under a ``title:`` id, with an arXiv id it lacked;
so a paper of the run is withheld when its ``paper_id``, its arXiv id or its normalised title (of at least
``MIN_TITLE_WORDS`` words, as the dedup title rule) equals a retracted paper's. Withheld papers' records get
the reason ``retracted`` and go to quarantine: accounted for, never dropped.
"""

from __future__ import annotations

import polars as pl

from transforms.dedup.identity import known_arxiv_id, normalise_title
from transforms.routing import reason_when, reject_failed_papers, tag, with_reasons

RETRACTED = "retracted"
MIN_TITLE_WORDS = 3

RETRACTION_SCHEMA = {
    "paper_id": pl.String,
    "arxiv_id": pl.String,
    "title_key": pl.String,
    "title": pl.String,
    "reason": pl.String,
    "retracted_at": pl.String,
    "retracted_in": pl.String,
}
"""One row per retracted paper, as ``retractions.json`` stores it (``title_key``: the normalised title)."""


def empty_retractions() -> pl.DataFrame:
    return pl.DataFrame(schema=RETRACTION_SCHEMA)


def title_key_expr(title: str = "title") -> pl.Expr:
    """The normalised title when it has enough words to identify a paper, else null."""
    normalised = normalise_title(pl.col(title))
    words = normalised.str.split(" ").list.eval(pl.element().filter(pl.element() != "")).list.len()
    return pl.when(words >= MIN_TITLE_WORDS).then(normalised).otherwise(None)


def retraction_rows(papers: pl.DataFrame, reason: str, retracted_at: str, retracted_in: str) -> pl.DataFrame:
    """Retraction rows for ``papers`` (a version's rows), in ``RETRACTION_SCHEMA``."""
    return papers.select(
        "paper_id",
        known_arxiv_id(pl.col("arxiv_id")).alias("arxiv_id"),
        title_key_expr().alias("title_key"),
        "title",
        pl.lit(reason).alias("reason"),
        pl.lit(retracted_at).alias("retracted_at"),
        pl.lit(retracted_in).alias("retracted_in"),
    ).cast(pl.Schema(RETRACTION_SCHEMA))


def retracted_condition(retractions: pl.DataFrame) -> pl.Expr:
    """True for a paper row that is one of ``retractions`` (by paper_id, arXiv id or normalised title)."""
    ids = retractions.get_column("paper_id").drop_nulls().implode()
    arxiv = retractions.get_column("arxiv_id").drop_nulls().implode()
    titles = retractions.get_column("title_key").drop_nulls().implode()
    return (
        pl.col("paper_id").is_in(ids)
        | known_arxiv_id(pl.col("arxiv_id")).is_in(arxiv)
        | title_key_expr().is_in(titles)
    )


def tag_retracted(papers: pl.LazyFrame, retractions: pl.DataFrame) -> pl.LazyFrame:
    """Add the reason ``retracted`` to papers that are retracted (rule only: nothing is removed here)."""
    if retractions.height == 0:
        return with_reasons(papers)
    return tag(papers, [reason_when(retracted_condition(retractions), RETRACTED)])


def withhold_retracted(
    records: pl.DataFrame, papers: pl.DataFrame, retractions: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Route retracted papers of a run: their member records gain ``retracted``; the other papers pass.

    ``papers`` has ``member_record_ids`` (from dedup). Returns the records and the papers not retracted.
    """
    tagged = tag_retracted(papers.select("paper_id", "arxiv_id", "title").lazy(), retractions).collect()
    failures = (
        tagged.with_row_index("gate_row")
        .filter(pl.col("reasons").list.len() > 0)
        .select("gate_row", "reasons")
    )
    return reject_failed_papers(records, papers, failures)
