"""Inputs: source settings and dates, the network adapters and gathering, local files, the raw-zone replay, and
every input parsed to records.
"""
