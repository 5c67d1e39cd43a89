"""Splitting a duplicate component that holds two known arXiv ids (see :func:`split_arxiv_conflicts`).

Split out of :mod:`transforms.dedup.clusters` (which re-exports these names); :mod:`transforms.dedup.matching` uses
:func:`most_similar` for the same rule against history.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["SPLIT_ARXIV_CONFLICT", "most_similar", "split_arxiv_conflicts"]

SPLIT_ARXIV_CONFLICT = "dedup:split_arxiv_conflict"
"""``decisions`` tag of every record of a component that held two known arXiv ids and was split (see
:func:`split_arxiv_conflicts`)."""


def most_similar(frame: pl.DataFrame, group: str, choice: str, alias: str) -> pl.DataFrame:
    """Per ``group``, the ``choice`` of its row closest by ``abstract_sim``, then ``title_sim`` (missing scores
    last), then the smaller ``choice``: how an arXiv-id conflict is settled, in a run and against history."""
    return (
        frame.sort(
            group, "abstract_sim", "title_sim", choice, descending=[False, True, True, False], nulls_last=True
        )
        .group_by(group, maintain_order=True)
        .agg(pl.col(choice).first().alias(alias))
    )


def split_arxiv_conflicts(
    docs: pl.DataFrame, edges: pl.DataFrame, component: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Components relabelled so that none holds two known arXiv ids, and a mask of the records that were split.

    Records with different known ids are never linked, but records without an id can still join them into one
    component. Each such component is cut into one cluster per id (its anchor):

    * a record with an id belongs to that id's anchor;
    * records without an id that are linked to one another form blobs; a blob linked to records of one id only
      joins that id's anchor;
    * the rest (bridges: blobs linked to two ids or more) are assigned outward from the anchors, round by round:
      an unassigned record joins the anchor of the assigned record it is linked to most closely, by the
      link's abstract Jaccard, then its title Jaccard (missing scores last), then the smaller arXiv id.

    Every key is a property of the records, so the result does not depend on input order. Only the conflicting
    components are looked at; ``edges`` needs ``a``, ``b``, ``abstract_sim`` and ``title_sim``.
    """
    arxiv = docs["arxiv_key"]
    per_component = (
        pl.DataFrame({"component": component, "arxiv": arxiv})
        .drop_nulls("arxiv")
        .group_by("component")
        .agg(pl.col("arxiv").n_unique().alias("ids"))
        .filter(pl.col("ids") > 1)
    )
    split = np.isin(component, per_component["component"].to_numpy())
    if not split.any():
        return component, split
    members = np.flatnonzero(split)
    local = np.full(len(component), -1, dtype=np.int64)
    local[members] = np.arange(len(members))
    a_all, b_all = edges["a"].to_numpy(), edges["b"].to_numpy()
    inside = split[a_all]  # both ends of an edge are in one component
    a, b = local[a_all[inside]], local[b_all[inside]]
    scores = edges.filter(pl.Series(inside, dtype=pl.Boolean)).select("abstract_sim", "title_sim")
    key = arxiv.gather(members)
    has_id = key.is_not_null().to_numpy()

    idless = ~has_id[a] & ~has_id[b]
    m = len(members)
    blob_graph = coo_matrix((np.ones(int(idless.sum()), dtype=np.int8), (a[idless], b[idless])), shape=(m, m))
    _, blob = connected_components(blob_graph, directed=False)
    touching = pl.concat(
        [
            pl.DataFrame(
                {"blob": blob[a[~has_id[a] & has_id[b]]], "anchor": key.gather(b[~has_id[a] & has_id[b]])}
            ),
            pl.DataFrame(
                {"blob": blob[b[~has_id[b] & has_id[a]]], "anchor": key.gather(a[~has_id[b] & has_id[a]])}
            ),
        ]
    )
    single = (
        touching.group_by("blob")
        .agg(pl.col("anchor").unique().alias("anchors"))
        .filter(pl.col("anchors").list.len() == 1)
        .select("blob", pl.col("anchors").list.first().alias("anchor"))
    )
    anchors = (
        pl.DataFrame({"doc": np.arange(m), "blob": blob, "key": key})
        .join(single, on="blob", how="left", maintain_order="left")
        .select("doc", pl.coalesce("key", "anchor").alias("anchor"))
    )
    links = pl.concat(
        [
            pl.DataFrame({"src": a, "dst": b}).with_columns(scores),
            pl.DataFrame({"src": b, "dst": a}).with_columns(scores),
        ]
    )
    while anchors["anchor"].null_count():
        assigned = anchors.drop_nulls("anchor").rename({"doc": "dst"})
        open_docs = anchors.filter(pl.col("anchor").is_null()).select(pl.col("doc").alias("src"))
        best = most_similar(links.join(open_docs, on="src").join(assigned, on="dst"), "src", "anchor", "best")
        if best.height == 0:  # every record of a component is linked to it, so this cannot happen
            raise RuntimeError("split_arxiv_conflicts: a record is linked to no anchor")
        anchors = anchors.join(
            best.rename({"src": "doc"}), on="doc", how="left", maintain_order="left"
        ).select("doc", pl.coalesce("anchor", "best").alias("anchor"))
    labels = (
        pl.DataFrame({"component": component[members], "anchor": anchors["anchor"]})
        .select(pl.struct("component", "anchor").rank("dense").cast(pl.Int64).alias("label"))["label"]
        .to_numpy()
    )
    relabelled = component.copy()
    relabelled[members] = component.max() + labels
    return relabelled, split
