"""The process a command runs in: Prefect's settings and API, the reaper of child processes, stage timings and
progress.
"""
