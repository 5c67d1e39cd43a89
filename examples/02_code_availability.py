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
# # Code availability
#
# Questions answered on one published version of the dataset:
#
# 1. What share of papers link a code repository, and how many only claim or plan to release code?
# 2. How many papers link only a Hugging Face checkpoint (a model or dataset), which is not code?
# 3. Which topics share code most often?
# 4. Is the share of papers with code changing over time?
# 5. Where is the code hosted?
#
# `has_code` is true when a paper links a source repository; `code_status` also says whether code is claimed
# ("our code is publicly available") or planned ("will be released") without a link.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import polars as pl

VERSION = Path(os.environ.get("PAPERS_VERSION", "../output/trending-papers/latest")).resolve()
papers = pl.read_parquet(VERSION / "data" / "*.parquet").with_columns(
    pl.col("first_listed_on").dt.truncate("1w").alias("week")  # the listing day, never the capture day
)
print(f"version {VERSION.name}: {papers.height} papers, {papers['has_code'].sum()} with a code repository")

# %% [markdown]
# ## 1. Code status

# %%
status = (
    papers.group_by("code_status", "has_code")
    .agg(pl.len().alias("papers"))
    .with_columns((100 * pl.col("papers") / papers.height).round(1).alias("percent"))
    .sort("papers", descending=True)
)
fig, ax = plt.subplots(figsize=(6, 2.5))
labels = [
    f"{s} ({'repo' if c else 'no repo'})" for s, c in status.select("code_status", "has_code").iter_rows()
]
ax.barh(labels[::-1], status["papers"].to_list()[::-1])
ax.set_xlabel("papers")
ax.set_title("Code status of the papers")
plt.show()
status

# %% [markdown]
# ## 2. Checkpoints are not code
# `code_status` is `linked` for any link in `code_urls`, Hub models included; `has_code` counts repositories only.

# %%
hub_only = papers.filter((pl.col("code_status") == "linked") & ~pl.col("has_code"))
print(f"{hub_only.height} papers link only a Hub model or dataset")
hub_only.select("title", "code_urls").head(10)

# %% [markdown]
# ## 3. Share with code by topic

# %%
by_topic = (
    papers.group_by("topic")
    .agg(pl.len().alias("papers"), pl.col("has_code").mean().mul(100).round(1).alias("percent_with_code"))
    .sort(["percent_with_code", "papers"], descending=True)
)
fig, ax = plt.subplots(figsize=(7, max(2.0, 0.3 * by_topic.height + 0.8)))
ax.barh(by_topic["topic"].to_list()[::-1], by_topic["percent_with_code"].to_list()[::-1])
for y, (share, n) in enumerate(
    zip(by_topic["percent_with_code"][::-1], by_topic["papers"][::-1], strict=True)
):
    ax.text(share, y, f" {n} papers", va="center", fontsize=7)
ax.set_xlim(0, 110)
ax.set_xlabel("% of the topic's papers with a repository")
ax.set_title("Code availability by topic")
plt.show()
by_topic

# %% [markdown]
# ## 4. Over time
# Share of each week's new papers that link a repository (week of first listing).

# %%
weekly = (
    papers.filter(pl.col("week").is_not_null())
    .group_by("week")
    .agg(pl.len().alias("papers"), pl.col("has_code").mean().mul(100).round(1).alias("percent_with_code"))
    .sort("week")
)
fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(weekly["week"].to_list(), weekly["percent_with_code"].to_list(), marker="o")
ax.set_ylim(0, 100)
ax.set_ylabel("% with a repository")
ax.set_title("Share of new papers with code, per week (first listed)")
fig.autofmt_xdate()
plt.show()
weekly

# %% [markdown]
# ## 5. Code hosts

# %%
hosts = (
    papers.select(pl.col("code_urls").explode().alias("url"))
    .drop_nulls()
    .with_columns(pl.col("url").str.extract(r"^https?://([^/]+)", 1).alias("host"))
    .group_by("host")
    .agg(pl.len().alias("links"))
    .sort("links", descending=True)
)
hosts
