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
# **Listing date.** A paper's listing date is its Hugging Face Daily Papers date (`submitted_on_daily_at`) when
# the source gave one, else its first capture (`first_seen`). The trending-history columns (`first_listed_on`,
# `days_listed`, `listings`) will replace both once they are in the published schema.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import polars as pl

VERSION = Path(os.environ.get("PAPERS_VERSION", "../output/trending-papers/latest")).resolve()
papers = pl.read_parquet(VERSION / "data" / "*.parquet")
papers = papers.with_columns(
    pl.coalesce("submitted_on_daily_at", "first_seen").dt.date().alias("listed_on"),
).with_columns(pl.col("listed_on").dt.truncate("1w").alias("week"))
first, last = papers["listed_on"].min(), papers["listed_on"].max()
print(f"version {VERSION.name}: {papers.height} papers, listed {first} .. {last}")

# %% [markdown]
# ## 1. New papers per week
# Weeks start on Monday; a paper counts in the week it was first listed.

# %%
weekly = papers.group_by("week").agg(pl.len().alias("new_papers")).sort("week")
fig, ax = plt.subplots(figsize=(8, 3))
ax.bar(weekly["week"].to_list(), weekly["new_papers"].to_list(), width=5)
ax.set_ylabel("new papers")
ax.set_title("New papers per week")
fig.autofmt_xdate()
plt.show()
weekly

# %% [markdown]
# ## 2. New papers per week and topic
# The six largest topics of the version, the rest as `other`.

# %%
top_topics = papers["topic"].value_counts(sort=True).head(6)["topic"].to_list()
by_topic = (
    papers.with_columns(
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
ax.set_title("New papers per week, by primary topic")
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
fig.autofmt_xdate()
plt.show()
by_topic

# %% [markdown]
# ## 3. Longest-listed papers
# Distinct days on which a capture listed the paper (from `sources[].captured_at`), then upvotes.

# %%
listed = papers.with_columns(
    pl.col("sources")
    .list.eval(pl.element().struct.field("captured_at").dt.date())
    .list.n_unique()
    .alias("days_captured")
)
longest = listed.sort(["days_captured", "upvotes"], descending=True, nulls_last=True).select(
    "title", "topic", "listed_on", "days_captured", "times_seen", "upvotes"
)
fig, ax = plt.subplots(figsize=(6, 2.5))
distribution = listed["days_captured"].value_counts().sort("days_captured")
ax.bar(distribution["days_captured"].to_list(), distribution["count"].to_list())
ax.set_xticks(distribution["days_captured"].to_list())
ax.set_xlabel("days on which the paper was captured")
ax.set_ylabel("papers")
ax.set_title("How long papers stay listed")
plt.show()
longest.head(10)

# %% [markdown]
# ## 4. Upvote growth across published versions
# Every version folder beside this one is immutable and holds the upvotes known when it was published, so
# reading them all gives each paper's upvotes over time. Only versions up to this one are read.

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
