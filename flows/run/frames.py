"""What each row-wise stage does to a frame of records or papers: one partition of one chunk at a time.

The partition tasks (``flows/run/partitions.py``) call these; a row-wise stage gives the same rows whatever
frame it sees, and the blocks below say where it puts each row, so the chunks' outputs are put back in the
order one frame of the whole run would have had.
"""

from __future__ import annotations

import polars as pl

from flows.run.language import detect_languages
from flows.runtime.progress import progress
from transforms.clean.quality import QualitySettings, tag_quality
from transforms.clean.rules import clean_records
from transforms.derive import CAPTURED_INPUTS, DERIVE_INPUTS, derive_fields
from transforms.language.detect import tag_language
from transforms.language.scripts import tag_mixed_script
from transforms.language.title import tag_foreign_title
from transforms.routing import pending as is_pending
from transforms.routing import reason_when, split, tag, with_reasons


def clean_frame(records: pl.DataFrame, quality: QualitySettings) -> pl.DataFrame:
    """Clean titles and abstracts; tag unparseable records, and among the parsed low-quality ones and those whose
    title is in another script or language than their abstract (``title:foreign-script``,
    ``title:foreign-language``)."""
    parsed, unparsed = split(
        with_reasons(records)
        .pipe(tag, [reason_when(pl.col("parse_error").is_not_null(), pl.col("parse_error"))])
        .collect()
    )
    checked = parsed.lazy().pipe(clean_records).pipe(tag_quality, quality).pipe(tag_foreign_title)
    return pl.concat([checked, unparsed.lazy().pipe(clean_records)], how="vertical_relaxed").collect()


def clean_block(records: pl.DataFrame) -> pl.Expr:
    """Which block of :func:`clean_frame`'s output a record lands in: the unparsed (or already tagged) last."""
    unparsed = pl.col("parse_error").is_not_null()
    return unparsed | (~is_pending()) if "reasons" in records.columns else unparsed


LANGUAGE_BLOCK = ~is_pending()
"""Which block of :func:`language_frame`'s output a record lands in: those already tagged last."""


def language_frame(
    records: pl.DataFrame,
    known: pl.DataFrame | pl.LazyFrame | None,
    allowed_languages: tuple[str, ...],
    workers: int,
    report_progress: bool = True,
) -> pl.DataFrame:
    """Detect the abstract's language (reusing ``known`` results), tag disallowed ones and abstracts that mix
    two scripts (``language:mixed``)."""
    pending = is_pending()
    detected = detect_languages(
        records.filter(pending),
        known=known,
        workers=workers,
        progress=(lambda done, total: progress("language", done, total)) if report_progress else None,
    )
    rest = records.filter(~pending).with_columns(
        pl.lit(None, pl.String).alias("language"), pl.lit(None, pl.Float64).alias("language_score")
    )
    return (
        pl.concat([detected, rest], how="vertical_relaxed")
        .lazy()
        .pipe(tag_language, allowed_languages)
        .pipe(tag_mixed_script)
        .collect()
    )


DERIVE_BATCH_ROWS = 10_000
"""Papers derived at a time: the topic scorer holds a row per word of every abstract it scores (~150 a paper),
so one batch bounds that, not the run (the fields are per paper: batches give the same frame). Chosen with
``bench/derive_batch.py`` on 180,325 papers: 10,000 a batch peaks 492 MiB above the papers in 13.6 s, 20,000
1,073 MiB in 13.4 s, 5,000 396 MiB in 15.5 s (``bench/RESULTS.md``)."""


def derive_frame(papers: pl.DataFrame) -> pl.DataFrame:
    """Topic, venue hints and code links for this run's papers, :data:`DERIVE_BATCH_ROWS` at a time.

    The scorer sees only the columns it reads (``DERIVE_INPUTS``, ``CAPTURED_INPUTS``) and its new columns are
    added to ``papers``: handed the whole frame, it copied every column (the raw and cleaned texts too) to add a
    few.
    """
    read = [*DERIVE_INPUTS, *(name for name in CAPTURED_INPUTS if name in papers.columns)]
    inputs = papers.select(read)
    if papers.height <= DERIVE_BATCH_ROWS:
        derived = inputs.lazy().pipe(derive_fields).collect()
    else:
        derived = pl.concat(
            [batch.lazy().pipe(derive_fields).collect() for batch in inputs.iter_slices(DERIVE_BATCH_ROWS)]
        )
    return papers.with_columns(derived.drop(read))
