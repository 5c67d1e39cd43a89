# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Reading the dataset: polars, pandas, DuckDB and `datasets`, side by side
#
# Questions answered:
#
# 1. How do I load a version in each library, with the contract's types intact?
# 2. How do I reach into the nested columns (`venue_hints`, `sources`, `topic_scores`) in each?
# 3. Which pandas call keeps nullable integers (`arxiv_version`) and nested types, and what goes wrong without it?
# 4. Do all four readers agree? (Papers per topic, computed four times, then drawn.)

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt

VERSION = Path(os.environ.get("PAPERS_VERSION", "../output/trending-papers/latest")).resolve()
FILES = str(VERSION / "data" / "*.parquet")
print(VERSION.name)

# %% [markdown]
# ## polars
# Lists and structs are native: `list.eval` works inside a list, `explode` + `unnest` flattens it.

# %%
import polars as pl

papers_pl = pl.read_parquet(FILES)
print(papers_pl.schema["arxiv_version"], papers_pl.schema["venue_hints"])
hints_pl = (
    papers_pl.select("paper_id", "venue_hints")
    .explode("venue_hints")
    .drop_nulls("venue_hints")
    .unnest("venue_hints")
)
captures_pl = papers_pl.select("paper_id", pl.col("sources").list.len().alias("captures"))
topics_pl = papers_pl.group_by("topic").len().sort(["len", "topic"], descending=[True, False])
hints_pl.select("paper_id", "venue", "year", "status", "workshop").head(5)

# %% [markdown]
# ## pandas
# The default conversion turns `arxiv_version` (int32 with nulls) into float64, and list columns into numpy
# arrays of Python dicts. Ask for Arrow-backed dtypes instead: `dtype_backend="pyarrow"` in `pd.read_parquet`,
# or `types_mapper=pd.ArrowDtype` in pyarrow's `to_pandas`. Nulls stay `<NA>`, integers stay integers, and
# lists and structs keep their Arrow types (`.list` and `.struct` accessors).

# %%
import pandas as pd
import pyarrow.parquet as pq

default = pd.read_parquet(VERSION / "data")
arrow = pd.read_parquet(VERSION / "data", dtype_backend="pyarrow")
same = pq.read_table(VERSION / "data").to_pandas(types_mapper=pd.ArrowDtype)
assert (arrow.dtypes == same.dtypes).all()
pd.DataFrame(
    {
        "default": default.dtypes.astype(str),
        'dtype_backend="pyarrow"': arrow.dtypes.astype(str),
    }
).loc[["arxiv_version", "upvotes", "published_at", "authors", "venue_hints", "venue_year", "has_code"]]

# %%
hints_pd = arrow[["paper_id", "venue_hints"]].explode("venue_hints").dropna(subset=["venue_hints"])
hints_pd = pd.concat(
    [
        hints_pd[["paper_id"]].reset_index(drop=True),
        hints_pd["venue_hints"].struct.explode().reset_index(drop=True),
    ],
    axis=1,
)
captures_pd = arrow["sources"].list.len()
topics_pd = arrow.groupby("topic").size().sort_values(ascending=False)
hints_pd[["paper_id", "venue", "year", "status", "workshop"]].head(5)

# %% [markdown]
# ## DuckDB
# SQL straight on the files; `unnest` flattens a list of structs, and the Parquet key-value metadata tells the
# version and schema version.

# %%
import duckdb

con = duckdb.connect()
hints_db = con.sql(
    f"select paper_id, h.venue, h.year, h.status, h.workshop "
    f"from (select paper_id, unnest(venue_hints) as h from '{FILES}') order by paper_id"
).pl()
captures_db = con.sql(f"select paper_id, len(sources) as captures from '{FILES}' order by paper_id").pl()
topics_db = con.sql(f"select topic, count(*) as n from '{FILES}' group by topic order by n desc, topic").pl()
metadata = con.sql(
    f"select decode(key) as key, decode(value) as value from parquet_kv_metadata('{FILES}') "
    "where decode(key) like 'trending_papers.%'"
).pl()
metadata.unique().sort("key")

# %% [markdown]
# ## `datasets`
# The version folder's `README.md` front matter maps `data/train-*-<version>.parquet` to the `train` split.
# Nested columns come back as lists of dicts in Python, and as Arrow types with `with_format("arrow")`.

# %%
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm without ipywidgets: plain progress
import datasets

datasets.disable_progress_bars()
papers_ds = datasets.load_dataset(str(VERSION), split="train")
print(papers_ds.features["venue_hints"])
first_hints = [row for row in papers_ds["venue_hints"] if row][:1]
topics_ds = pl.from_arrow(papers_ds.with_format("arrow")[:]).group_by("topic").len()
first_hints

# %% [markdown]
# ## Do the four readers agree?

# %%
per_topic = (
    topics_pl.rename({"len": "polars"})
    .join(pl.DataFrame({"topic": topics_pd.index, "pandas": topics_pd.to_numpy()}), on="topic")
    .join(topics_db.rename({"n": "duckdb"}), on="topic")
    .join(topics_ds.rename({"len": "datasets"}), on="topic")
)
counts_agree = (
    per_topic.select(
        (pl.col("polars") == pl.col("pandas"))
        & (pl.col("polars") == pl.col("duckdb"))
        & (pl.col("polars") == pl.col("datasets"))
    )
    .to_series()
    .all()
)
assert counts_agree and per_topic.height == topics_pl.height, per_topic
assert hints_pl.height == len(hints_pd) == hints_db.height
assert captures_pl["captures"].sum() == captures_pd.sum() == captures_db["captures"].sum()
print(
    "polars, pandas, DuckDB and datasets agree on", per_topic.height, "topics and", hints_pl.height, "hints"
)

fig, ax = plt.subplots(figsize=(7, max(2.0, 0.3 * per_topic.height + 0.8)))
width = 0.2
for i, reader in enumerate(["polars", "pandas", "duckdb", "datasets"]):
    ax.barh(
        [y + i * width for y in range(per_topic.height)],
        per_topic[reader].to_list(),
        height=width,
        label=reader,
    )
ax.set_yticks([y + 1.5 * width for y in range(per_topic.height)], per_topic["topic"].to_list(), fontsize=7)
ax.invert_yaxis()
ax.set_xlabel("papers")
ax.set_title("Papers per topic, read four ways")
ax.legend(fontsize=7)
plt.show()
per_topic
