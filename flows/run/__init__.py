"""The curation run: its configuration, the stages and the flow, partitions, manifest, backfill, retraction and
the daily deployment.
"""
