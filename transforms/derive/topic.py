"""Topic assignment from a versioned taxonomy (``transforms/data/taxonomy.toml``).

Every topic scores the title and abstract by the taxonomy terms they contain (title terms count more) plus the
arXiv categories that imply it. Topics at or above the taxonomy threshold go to ``topics``; the best one is
``topic``; ``general-ml`` is the fallback. ``topic_scores`` keeps every non-zero score with the matched
terms, so a reader can see why.

A term means the regex ``terms_regex`` builds (ASCII word boundaries, spaces/hyphens between words, ``*`` to
continue the last word, longest term first). Running that regex per topic, field and tier was 36 passes over
every text, so the scorer reproduces it on tokens instead: each text is split once into ASCII word runs (what
the ASCII ``\b`` separates), the runs and the 2- to 4-word sequences joined only by spaces/hyphens are joined
to the terms, the regex's leftmost-first choice and non-overlapping scan are replayed on the candidates, and
scores are group_by aggregates. The output equals the regex scorer's (tests/transforms/test_topic_equivalence.py).
"""

from __future__ import annotations

import polars as pl

from transforms.derive.taxonomy import (
    FALLBACK_TOPIC,
    STRONG,
    WEAK,
    Taxonomy,
    TermTables,
    load_taxonomy,
    term_tables,
)
from transforms.derive.topic_choice import ROW, choose
from transforms.derive.topic_model import load_model
from transforms.schema import PAPER_SCHEMA, polars_schema

WORD_RUN = r"[0-9A-Za-z_]+"  # (?-u:\w)+
WORD_AND_GAP = r"[0-9A-Za-z_]+[^0-9A-Za-z_]*"  # a word run and the non-word text up to the next one
LINKED = r"^[0-9A-Za-z_]+[\s\-]+$"  # ... where that text is spaces/hyphens only: a term may continue
# Overlapping multi-word candidates ("semantic segmentation" then "segmentation") are resolved in this many
# vectorised passes; a text whose overlaps chain further (only repeated phrases do) is matched by the regex.
RESOLVE_PASSES = 4
TITLE, ABSTRACT = 0, 1
TOPIC_SCORES_DTYPE: pl.DataType = polars_schema(PAPER_SCHEMA)["topic_scores"]
assert isinstance(TOPIC_SCORES_DTYPE, pl.List) and isinstance(TOPIC_SCORES_DTYPE.inner, pl.DataType)
TOPIC_SCORE_DTYPE: pl.DataType = TOPIC_SCORES_DTYPE.inner


def _texts(indexed: pl.LazyFrame) -> pl.LazyFrame:
    """``ROW``, field (title/abstract) and the lower-cased text the terms are matched in."""
    return pl.concat(
        [
            indexed.select(
                ROW,
                pl.lit(field, dtype=pl.Int32).alias("field"),
                pl.col(column).fill_null("").str.to_lowercase().alias("text"),
            )
            for field, column in ((TITLE, "title"), (ABSTRACT, "abstract"))
        ]
    )


def _tokens(texts: pl.LazyFrame, tables: TermTables) -> pl.LazyFrame:
    """The words that can be part of a match, in text order: ``tid`` (position among all words), ``word``,
    ``forms`` (the word itself if a term has it, ``w*`` for each open-ended term word it continues),
    ``chunk`` (the word plus the gap after it) and ``linked`` (the gap is spaces/hyphens and the next word of
    the text follows it). Word, forms and gap are worked out once per distinct chunk."""
    chunks = (
        texts.select(ROW, "field", pl.col("text").str.extract_all(WORD_AND_GAP).alias("chunk"))
        .explode("chunk")
        .with_row_index("tid")
        .with_columns(pl.col("tid").cast(pl.Int64))
        .cache()
    )
    distinct = (
        chunks.select("chunk")
        .unique()
        .with_columns(
            pl.col("chunk").str.extract(f"^({WORD_RUN})", 1).alias("word"),
            pl.col("chunk").str.contains(LINKED).alias("gap_links"),
        )
        .cache()
    )
    vocabulary = distinct.select("word").unique()
    lengths = pl.lit(list(tables.prefix_lengths), dtype=pl.List(pl.Int32))
    continued = (
        vocabulary.with_columns(lengths.alias("length"))
        .explode("length")
        .filter(pl.col("word").str.len_bytes() >= pl.col("length"))
        .select("word", (pl.col("word").str.slice(0, pl.col("length")) + "*").alias("form"))
        .filter(pl.col("form").is_in(tables.open_forms))
    )
    forms = (
        pl.concat(
            [vocabulary.filter(pl.col("word").is_in(tables.words)).select("word", form="word"), continued]
        )
        .group_by("word")
        .agg(pl.col("form").alias("forms"))
    )
    next_follows = (
        (pl.col("tid").shift(-1) == pl.col("tid") + 1)
        & (pl.col(ROW).shift(-1) == pl.col(ROW))
        & (pl.col("field").shift(-1) == pl.col("field"))
    )
    return (
        chunks.join(distinct.join(forms, on="word"), on="chunk")
        .sort("tid")
        .with_columns((pl.col("gap_links") & next_follows).fill_null(False).alias("linked"))
        .drop("gap_links")
    )


def _candidates(tokens: pl.LazyFrame, tables: TermTables) -> pl.LazyFrame:
    """Every term match at every word: ``start``/``end`` word ids, matched text, topic, tier, rank."""
    previous: dict[str, pl.Expr] = {}
    link = pl.lit(True)
    for back in range(1, tables.max_words):
        link = link & pl.col("linked").shift(back)
        previous[f"w{back}"] = pl.when(link).then(pl.col("word").shift(back))
        previous[f"c{back}"] = pl.col("chunk").shift(back)
    forms = tokens.with_columns(**previous).explode("forms").rename({"forms": "form"}).cache()
    single = forms.select(
        ROW, "field", pl.col("tid").alias("start"), pl.col("tid").alias("end"), "form", mtext="word"
    )
    ends = forms.filter(pl.col("form").is_in(tables.multi_last_forms) & pl.col("w1").is_not_null())
    multi = [
        ends.select(
            ROW,
            "field",
            (pl.col("tid") - (words - 1)).alias("start"),
            pl.col("tid").alias("end"),
            pl.concat_str([*(pl.col(f"w{b}") for b in range(words - 1, 0, -1)), "form"], separator=" ").alias(
                "form"
            ),
            pl.concat_str([*(pl.col(f"c{b}") for b in range(words - 1, 0, -1)), "word"]).alias("mtext"),
        ).drop_nulls("form")
        for words in range(2, tables.max_words + 1)
    ]
    return pl.concat([single, *multi]).join(tables.terms.lazy(), left_on="form", right_on="key")


def _matches(texts: pl.LazyFrame, tokens: pl.LazyFrame, tables: TermTables) -> pl.LazyFrame:
    """What ``str.extract_all(terms_regex(...))`` returns per text, topic and tier, one row per match:
    ``ROW``, field, topic, tier, ``pos`` (order within the text) and ``mtext`` (the matched text).

    The regex takes, at the leftmost word where any term matches, the first term of the alternation, then
    goes on after it. So per start word the lowest rank wins, and a candidate is kept when no kept
    candidate before it covers its start word."""
    group = (
        (pl.col(ROW).cast(pl.Int64) * 2 + pl.col("field")) * len(tables.topic_ids) + pl.col("topic")
    ) * 2 + pl.col("tier")
    first_at_start = (pl.col("gid") != pl.col("gid").shift(1)) | (pl.col("start") != pl.col("start").shift(1))
    chosen = (
        _candidates(tokens, tables)
        .with_columns(group.alias("gid"))
        .sort("gid", "start", "rank")
        .filter(first_at_start.fill_null(True))
    )
    behind = range(1, tables.max_words)
    covers = {  # the candidate ``back`` rows before, same text, topic and tier, reaches this one's start
        f"covers{back}": (
            (pl.col("gid").shift(back) == pl.col("gid")) & (pl.col("end").shift(back) >= pl.col("start"))
        ).fill_null(False)
        for back in behind
    }
    # Undecided (null) until every candidate that reaches this start is decided; none there: kept.
    chosen = chosen.with_columns(**covers).with_columns(
        pl.when(~pl.any_horizontal(list(covers) or [pl.lit(False)])).then(True).alias("kept")
    )
    for _ in range(RESOLVE_PASSES):
        covered = pl.any_horizontal(
            [pl.col(f"covers{b}") & pl.col("kept").shift(b).fill_null(False) for b in behind]
            or [pl.lit(False)]
        )
        free = pl.all_horizontal(
            [~pl.col(f"covers{b}") | ~pl.col("kept").shift(b).fill_null(True) for b in behind]
            or [pl.lit(True)]
        )
        chosen = chosen.with_columns(
            pl.when(covered).then(False).when(free).then(True).otherwise(None).alias("kept")
        )
    keys = [ROW, "field", "topic", "tier"]
    chosen = chosen.cache()
    unresolved = chosen.filter(pl.col("kept").is_null()).select(keys).unique().cache()
    resolved = (
        chosen.filter(pl.col("kept"))
        .join(unresolved, on=keys, how="anti")
        .select(*keys, pl.col("start").alias("pos"), "mtext")
    )
    regex = (
        unresolved.join(texts, on=[ROW, "field"])
        .join(tables.patterns.lazy(), on=["topic", "tier"])
        .select(*keys, pl.col("text").str.extract_all(pl.col("pattern")).alias("mtext"))
        .with_columns(pl.int_ranges(0, pl.col("mtext").list.len(), dtype=pl.Int64).alias("pos"))
        .explode(["mtext", "pos"])
        .select(*keys, "pos", "mtext")
    )
    return pl.concat([resolved, regex])


def _text_scores(matches: pl.LazyFrame, taxonomy: Taxonomy) -> pl.LazyFrame:
    """Per ``ROW`` and topic: the term score and the matched terms (title strong, abstract strong, title weak,
    abstract weak, each in text order)."""
    keys = [ROW, "topic"]
    distinct = pl.col("distinct").cast(pl.Float64)
    weight = pl.when(pl.col("tier") == STRONG).then(2.0).otherwise(1.0)
    tiers = (
        matches.group_by(*keys, "field", "tier")
        .agg(pl.col("mtext").n_unique().alias("distinct"), pl.len().alias("total"))
        .select(
            *keys,
            "field",
            "tier",
            (
                weight * distinct
                + taxonomy.repeat_weight
                * (pl.col("total").cast(pl.Float64) - distinct).clip(0, taxonomy.repeat_cap)
            ).alias("tier_score"),
        )
    )

    def part(field: int, tier: int) -> pl.Expr:
        """The score of one field and tier (0.0 when nothing matched there)."""
        return pl.col("tier_score").filter((pl.col("field") == field) & (pl.col("tier") == tier)).sum()

    scores = tiers.group_by(keys).agg(
        (
            taxonomy.title_weight * (part(TITLE, STRONG) + part(TITLE, WEAK))
            + part(ABSTRACT, STRONG)
            + part(ABSTRACT, WEAK)
        ).alias("score")
    )
    # Evidence order: strong before weak, title before abstract, then text order (a group keeps row order).
    evidence = (
        matches.sort(*keys, "tier", "field", "pos")
        .group_by(keys, maintain_order=True)
        .agg(pl.col("mtext").alias("evidence"))
    )
    return scores.join(evidence, on=keys)


def _topic_scores(
    indexed: pl.LazyFrame, matches: pl.LazyFrame, taxonomy: Taxonomy, tables: TermTables, nested: bool = True
) -> pl.LazyFrame:
    """Per ``ROW`` with a positive topic: ``_topic_scores``, the ``List[TOPIC_SCORE]`` highest first (ties:
    taxonomy order), each with its evidence: terms, then implying categories, then the cross-modal bonus.
    ``nested=False``: the same entries as rows instead (``ROW``, ``topic``, ``score``, ``evidence``), unordered."""
    keys = [ROW, "topic"]
    categories = tables.categories.lazy()
    hits = (
        indexed.select(ROW, pl.col("categories").alias("category"))
        .explode("category")
        .join(categories, on="category")
        .group_by(keys)
        .agg(pl.col("category").unique().sort().alias("hits"))
    )
    primary = (
        indexed.select(ROW, pl.col("primary_category").alias("category"))
        .join(categories, on="category")
        .select(*keys, pl.lit(True).alias("primary"))
    )
    empty = pl.lit([], dtype=pl.List(pl.String))
    topics = (
        _text_scores(matches, taxonomy)
        .join(hits, on=keys, how="full", coalesce=True)
        .join(primary, on=keys, how="full", coalesce=True)
        .select(
            *keys,
            (
                pl.col("score").fill_null(0.0)
                + taxonomy.category_weight
                * pl.col("hits").list.len().fill_null(0).clip(0, 1).cast(pl.Float64)
                + pl.when(pl.col("primary").fill_null(False))
                .then(taxonomy.primary_category_weight)
                .otherwise(0.0)
            ).alias("score"),
            pl.concat_list(
                pl.col("evidence").fill_null(empty),
                pl.col("hits").fill_null(empty).list.eval(pl.lit("category:") + pl.element()),
            ).alias("evidence"),
        )
    )
    cross = taxonomy.cross_modal
    index = {topic_id: i for i, topic_id in tables.topic_ids.items() if topic_id != FALLBACK_TOPIC}
    if cross is not None and cross.topic in index:
        modalities = [index[m] for m in cross.modalities if m in index]
        second = pl.col("score").sort(descending=True).get(1, null_on_oob=True).fill_null(0.0)
        bonus = (
            topics.filter(pl.col("topic").is_in(modalities))
            .group_by(ROW)
            .agg(second.alias("second"))
            .filter(pl.col("second") >= cross.min_score)
            .select(
                ROW,
                pl.lit(index[cross.topic], dtype=pl.Int32).alias("topic"),
                (cross.weight * pl.col("second")).alias("bonus"),
            )
            .filter(pl.col("bonus") > 0)
        )
        topics = topics.join(bonus, on=keys, how="full", coalesce=True).select(
            *keys,
            (pl.col("score").fill_null(0.0) + pl.col("bonus").fill_null(0.0)).alias("score"),
            pl.concat_list(
                pl.col("evidence").fill_null(empty),
                pl.when(pl.col("bonus").is_not_null())
                .then(pl.lit(["cross-modal: second-strongest modality"], dtype=pl.List(pl.String)))
                .otherwise(empty),
            ).alias("evidence"),
        )
    order = {topic_id: i for i, topic_id in tables.topic_ids.items()}
    rounded = pl.col("score").round(4)
    long = topics.filter(rounded > 0).select(
        ROW,
        pl.col("topic").replace_strict(tables.topic_ids, return_dtype=pl.String).alias("topic"),
        rounded.alias("score"),
        pl.col("evidence").list.unique(maintain_order=True).alias("evidence"),
    )
    if not nested:
        return long
    return (
        long.sort(
            pl.col(ROW),
            "score",
            pl.col("topic").replace_strict(order, return_dtype=pl.Int32),
            descending=[False, True, False],
        )
        .group_by(ROW, maintain_order=True)
        .agg(pl.struct("topic", "score", "evidence").alias("_topic_scores"))
        .with_columns(pl.col("_topic_scores").cast(TOPIC_SCORES_DTYPE))
    )


def keyword_topics(papers: pl.LazyFrame) -> pl.LazyFrame:
    """The keyword scorer alone (the method of schema 2.3.0 and before): add ``topic``, ``topics``,
    ``topic_scores`` (needs title, abstract, categories, primary_category). Kept as the measured baseline
    (``bench/topic_arxiv.py``) and as the text evidence of :func:`assign_topics`."""
    taxonomy = load_taxonomy()
    tables = term_tables()
    # Each of these feeds several branches of the plan: cached so it runs once.
    indexed = papers.with_row_index(ROW).cache()
    texts = _texts(indexed).cache()
    matches = _matches(texts, _tokens(texts, tables), tables).cache()
    scored = (
        indexed.join(
            _topic_scores(indexed, matches, taxonomy, tables), on=ROW, how="left", maintain_order="left"
        )
        .with_columns(
            pl.col("_topic_scores").fill_null(pl.lit([], dtype=TOPIC_SCORES_DTYPE)).alias("topic_scores")
        )
        .drop(ROW, "_topic_scores")
    )
    return choose_topics(scored, taxonomy)


def choose_topics(scored: pl.LazyFrame, taxonomy: Taxonomy) -> pl.LazyFrame:
    """``topics`` (scores at the threshold and at ``relative_threshold`` of the best), ``topic`` (the best) and
    the fallback from a ``topic_scores`` column sorted highest first."""
    score = pl.element().struct.field("score")
    cutoff = pl.max_horizontal(pl.lit(taxonomy.threshold), taxonomy.relative_threshold * score.max())
    above = pl.col("topic_scores").list.eval(pl.element().filter(score >= cutoff).struct.field("topic"))
    fallback = pl.lit([FALLBACK_TOPIC], dtype=pl.List(pl.String))
    topics = pl.when(above.list.len() > 0).then(above).otherwise(fallback)
    fallback_score = pl.lit(
        [{"topic": FALLBACK_TOPIC, "score": 0.0, "evidence": ["fallback: no topic reached the threshold"]}],
        dtype=TOPIC_SCORES_DTYPE,
    )
    return scored.with_columns(
        topics.alias("topics"),
        topics.list.first().alias("topic"),
        pl.when(above.list.len() > 0)
        .then(pl.col("topic_scores"))
        .otherwise(pl.concat_list(pl.col("topic_scores"), fallback_score))
        .alias("topic_scores"),
    )


def assign_topics(papers: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``topic``, ``topics``, ``topic_scores`` and ``topic_method`` by the adopted method
    (:mod:`transforms.derive.topic_choice`; needs title, abstract, categories, primary_category).

    The keyword scorer runs once, on the text alone (categories hidden, as the model was trained); the
    categories are joined in afterwards, as the authors' own label."""
    taxonomy = load_taxonomy()
    tables = term_tables()
    derived = ["topic", "topics", "topic_scores", "topic_method"]  # a paper derived before is derived again
    indexed = papers.drop(derived, strict=False).with_row_index(ROW).cache()
    texts = _texts(indexed).cache()
    matches = _matches(texts, _tokens(texts, tables), tables).cache()
    hidden = indexed.select(
        ROW,
        pl.lit(None, dtype=pl.List(pl.String)).alias("categories"),
        pl.lit(None, dtype=pl.String).alias("primary_category"),
    )
    text_scores = _topic_scores(hidden, matches, taxonomy, tables, nested=False)
    chosen = choose(indexed, text_scores, tables, taxonomy, load_model(), TOPIC_SCORES_DTYPE)
    return indexed.join(chosen, on=ROW, how="left", maintain_order="left").drop(ROW)
