"""The flow's stages by name, for benches that run them in order without Prefect's orchestration (a task through
``.fn``; the chunked stages with the inline runner of ``tests/support/inline_runner.py``)."""

from __future__ import annotations

from types import SimpleNamespace


def stage_tasks() -> SimpleNamespace:
    """``ingest``, ``clean``, ``language``, ``dedup``, ``derive``, ``validate``, ``publish`` (Prefect tasks)."""
    from flows.run.publish import publish
    from flows.run.stages import clean, dedup, derive, ingest, language
    from flows.run.validate import validate

    return SimpleNamespace(
        ingest=ingest,
        clean=clean,
        language=language,
        dedup=dedup,
        derive=derive,
        validate=validate,
        publish=publish,
    )
