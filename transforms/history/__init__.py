"""A paper's history across versions: a run merged into a version (merge, incremental), retractions, and what
changed between two versions (changes).
"""
