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
# # Venues
#
# Questions answered on one published version of the dataset:
#
# 1. How many papers say where they appear, and how sure is that (published, accepted, under review...)?
# 2. How many papers were accepted at each venue, and in which year?
# 3. Workshop or main track: how do the accepted papers of each venue split?
# 4. What do papers with several venue hints look like?
#
# `venue`, `venue_year`, `venue_status` and `venue_workshop` are the strongest of a paper's `venue_hints`
# (status published > accepted > under-review > submitted > mentioned; among equals the first hint, structured
# fields such as `journal_ref` first). The full list stays in `venue_hints`, with the evidence text.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import polars as pl

VERSION = Path(os.environ.get("PAPERS_VERSION", "../output/trending-papers/latest")).resolve()
papers = pl.read_parquet(VERSION / "data" / "*.parquet")


def short(label: str, width: int = 40) -> str:
    """Journals outside the venue lexicon come through as written: cut long names for the charts."""
    return label if len(label) <= width else label[: width - 1] + "…"


accepted = papers.filter(pl.col("venue_status").is_in(["published", "accepted"]))
print(f"version {VERSION.name}: {papers.height} papers, {accepted.height} accepted or published at a venue")

# %% [markdown]
# ## 1. Venue status

# %%
status = (
    papers.with_columns(pl.col("venue_status").fill_null("no venue"))
    .group_by("venue_status")
    .agg(pl.len().alias("papers"))
    .sort("papers", descending=True)
)
fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(status["venue_status"].to_list()[::-1], status["papers"].to_list()[::-1])
ax.set_xlabel("papers")
ax.set_title("Strongest venue status of each paper")
plt.show()
status

# %% [markdown]
# ## 2. Accepted papers per venue and year

# %%
per_venue_year = (
    accepted.with_columns(pl.col("venue_year").cast(pl.String).fill_null("year unknown"))
    .group_by("venue", "venue_year")
    .agg(pl.len().alias("papers"))
    .sort(["papers", "venue", "venue_year"], descending=[True, False, False])
)
top_venues = (
    (
        per_venue_year.group_by("venue")
        .agg(pl.col("papers").sum())
        .sort(["papers", "venue"], descending=[True, False])
    )["venue"]
    .head(12)
    .to_list()
)
years = sorted(per_venue_year["venue_year"].unique().to_list())
fig, ax = plt.subplots(figsize=(8, max(2.0, 0.35 * len(top_venues) + 0.8)))
left = {venue: 0 for venue in top_venues}
for year in years:
    counts = dict(per_venue_year.filter(pl.col("venue_year") == year).select("venue", "papers").iter_rows())
    values = [counts.get(venue, 0) for venue in top_venues]
    ax.barh(
        [short(v) for v in top_venues[::-1]],
        values[::-1],
        left=[left[v] for v in top_venues[::-1]],
        label=year,
    )
    for venue, value in zip(top_venues, values, strict=True):
        left[venue] += value
ax.set_xlabel("accepted or published papers")
ax.set_title("Papers per venue and year")
if years:
    ax.legend(fontsize=7, loc="lower right")
plt.show()
per_venue_year.head(20)

# %% [markdown]
# ## 3. Workshop versus main track

# %%
tracks = (
    accepted.group_by("venue")
    .agg(
        (~pl.col("venue_workshop")).sum().alias("main_track"),
        pl.col("venue_workshop").sum().alias("workshop"),
    )
    .with_columns((pl.col("main_track") + pl.col("workshop")).alias("papers"))
    .sort(["papers", "venue"], descending=[True, False])
    .head(12)
)
fig, ax = plt.subplots(figsize=(8, max(2.0, 0.35 * tracks.height + 0.8)))
venues = [short(v) for v in tracks["venue"].to_list()[::-1]]
main = tracks["main_track"].to_list()[::-1]
ax.barh(venues, main, label="main track")
ax.barh(venues, tracks["workshop"].to_list()[::-1], left=main, label="workshop")
ax.set_xlabel("papers")
ax.set_title("Main track and workshop papers per venue")
ax.legend(fontsize=7, loc="lower right")
plt.show()
tracks

# %% [markdown]
# ## 4. Papers with several hints
# The strongest hint is the one flattened into `venue`; the others remain in `venue_hints`.

# %%
several = papers.filter(pl.col("venue_hints").list.len() > 1)
print(f"{several.height} papers have more than one venue hint")
several.select("title", "venue", "venue_status", "venue_hints").explode("venue_hints").unnest(
    "venue_hints", separator="."
).head(12)
