"""Dedup stage: clusters within a run (clusters, collapse), MinHash signatures and LSH bands (minhash, kernels),
words changed between abstracts (similarity), ids and normalised text (identity), the per-version lookup index
(index) and matching against earlier versions (matching).
"""
