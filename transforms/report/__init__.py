"""What a run accounts for and a version reports: the ledger, quarantine and counts (accounting), the report's
tables (summary), the dedup audit (audit).
"""
