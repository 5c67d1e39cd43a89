"""Orchestration (Prefect flows and tasks) and I/O."""
