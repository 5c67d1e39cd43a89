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
# # What is trending
#
# Questions answered on one published version of the dataset:
#
# 1. How many new papers were listed each week?
# 2. Which topics do the new papers of each week belong to?
# 3. Which papers stayed on the list longest?
# 4. How did the upvotes of papers grow from one published version to the next?
#
# The version read is `$PAPERS_VERSION`, by default `output/trending-papers/latest` (run `make run` first).
#
# **Listing dates.** Every paper carries its trending history from the data itself (schema 2.0.0):
# `first_listed_on` / `last_listed_on` (the days of the listings it was on, not when a file was copied),
# `days_listed` (distinct listing days) and `listings` (one entry per day and source, with that day's upvotes,
# comments and rank). They do not depend on how runs were batched: a backfill gives the same as daily runs.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import polars as pl

VERSION = Path(os.environ.get("PAPERS_VERSION", "../output/trending-papers/latest")).resolve()
papers = pl.read_parquet(VERSION / "data" / "*.parquet")
papers = papers.with_columns(pl.col("first_listed_on").alias("listed_on")).with_columns(
    pl.col("listed_on").dt.truncate("1w").alias("week")
)
first, last = papers["listed_on"].min(), papers["listed_on"].max()
print(f"version {VERSION.name}: {papers.height} papers, listed {first} .. {last}")
# Papers read only from inputs that are not listings (arXiv feeds, Papers with Code, a paper's own page) have no
# listing day: no week counts them.
listed = papers.filter(pl.col("week").is_not_null())
print(f"{papers.height - listed.height} papers have no listing day and are in no weekly count")

# %% [markdown]
# ## 1. New papers per week
# Weeks start on Monday; a paper counts in the week it was first listed.

# %%
weekly = listed.group_by("week").agg(pl.len().alias("new_papers")).sort("week")
fig, ax = plt.subplots(figsize=(8, 3))
ax.bar(weekly["week"].to_list(), weekly["new_papers"].to_list(), width=5)
ax.set_ylabel("new papers")
ax.set_title("New papers per week (first listed)")
fig.autofmt_xdate()
plt.show()
weekly

# %% [markdown]
# ## 2. New papers per week and topic
# The six largest topics of the version, the rest as `other`.

# %%
top_topics = papers["topic"].value_counts(sort=True).head(6)["topic"].to_list()
by_topic = (
    listed.with_columns(
        pl.when(pl.col("topic").is_in(top_topics))
        .then("topic")
        .otherwise(pl.lit("other"))
        .alias("topic_group")
    )
    .group_by("week", "topic_group")
    .agg(pl.len().alias("papers"))
    .pivot(on="topic_group", index="week", values="papers")
    .sort("week")
    .fill_null(0)
)
groups = [t for t in [*top_topics, "other"] if t in by_topic.columns]
fig, ax = plt.subplots(figsize=(8, 3.5))
bottom = [0] * by_topic.height
for group in groups:
    values = by_topic[group].to_list()
    ax.bar(by_topic["week"].to_list(), values, width=5, bottom=bottom, label=group)
    bottom = [b + v for b, v in zip(bottom, values, strict=True)]
ax.set_ylabel("new papers")
ax.set_title("New papers per week (first listed), by primary topic")
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
fig.autofmt_xdate()
plt.show()
by_topic

# %% [markdown]
# ## 3. Longest-listed papers
# `days_listed`: distinct days on which a listing had the paper (from `listings`), then upvotes.

# %%
longest = papers.sort(["days_listed", "upvotes"], descending=True, nulls_last=True).select(
    "title", "topic", "first_listed_on", "last_listed_on", "days_listed", "upvotes"
)
fig, ax = plt.subplots(figsize=(6, 2.5))
distribution = papers["days_listed"].value_counts().sort("days_listed")
ax.bar(distribution["days_listed"].to_list(), distribution["count"].to_list())
ax.set_xticks(distribution["days_listed"].to_list())
ax.set_xlabel("days on which the paper was listed")
ax.set_ylabel("papers")
ax.set_title("How long papers stay listed")
plt.show()
longest.head(10)

# %% [markdown]
# ## 4. Upvote growth
# Within one version, `listings` has a paper's upvotes on each day it was listed:

# %%
per_day = (
    papers.select("paper_id", "title", "listings")
    .explode("listings")
    .unnest("listings")
    .drop_nulls("upvotes")
    .sort("paper_id", "listed_on")
)
listed_growth = (
    per_day.group_by("paper_id", maintain_order=True)
    .agg(
        pl.col("title").first(),
        pl.col("upvotes").first().alias("first"),
        pl.col("upvotes").last().alias("last"),
    )
    .with_columns((pl.col("last") - pl.col("first")).alias("growth"))
    .sort("growth", descending=True)
)
print(
    f"{per_day.height} listing days with upvotes; {listed_growth.filter(pl.col('growth') > 0).height} papers grew"
)
listed_growth.head(10)

# %% [markdown]
# Captures of a day taken later (a re-scrape) update the counts of a paper that is not listed again; every
# version folder beside this one is immutable and holds the upvotes known when it was published, so reading
# them all gives each paper's upvotes over time. Only versions up to this one are read.

# %%
root = VERSION.parent
versions = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and p.name[:1].isdigit())
versions = [v for v in versions if v.name <= VERSION.name]
history = pl.concat(
    [
        pl.read_parquet(v / "data" / "*.parquet", columns=["paper_id", "title", "upvotes"]).with_columns(
            pl.lit(v.name).alias("version")
        )
        for v in versions
    ]
)
growth = (
    history.sort("version")
    .group_by("paper_id", maintain_order=True)
    .agg(
        pl.col("title").last(),
        pl.col("upvotes").first().alias("first_upvotes"),
        pl.col("upvotes").last().alias("latest_upvotes"),
        pl.len().alias("versions"),
    )
    .with_columns((pl.col("latest_upvotes") - pl.col("first_upvotes")).alias("growth"))
    .sort("growth", descending=True, nulls_last=True)
)
print(f"{len(versions)} versions read; {growth.filter(pl.col('growth') > 0).height} papers gained upvotes")
fig, ax = plt.subplots(figsize=(8, 3.5))
for row in growth.filter(pl.col("growth") > 0).head(8).iter_rows(named=True):
    series = history.filter(pl.col("paper_id") == row["paper_id"]).sort("version")
    ax.plot(series["version"].to_list(), series["upvotes"].to_list(), marker="o", label=row["title"][:40])
ax.set_ylabel("upvotes")
ax.set_title("Upvotes of the fastest-growing papers, per published version")
ax.tick_params(axis="x", labelrotation=30, labelsize=7)
if ax.lines:
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
plt.show()
growth.head(10)
