"""The one typed configuration object of a run (it is the flow's only parameter)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from flows.ingest import BUNDLED_SAMPLE
from flows.sources import SourceSettings
from transforms.dedup import DedupParams
from transforms.parse import InputLimits
from transforms.quality import QualitySettings


class RunConfig(BaseModel):
    """Everything a curation run depends on; defaults reproduce ``make run`` on the bundled sample."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inputs: list[Path] = Field(default_factory=lambda: [BUNDLED_SAMPLE])
    """Local files or folders to read (format recognised from content)."""
    limits: InputLimits = InputLimits()
    """Bounds on what one input may cost (file size, JSON depth, items per file, text length)."""
    sources: SourceSettings = Field(default_factory=SourceSettings)
    """Network sources to fetch (Hugging Face daily API and pages, arXiv enrichment) and politeness settings."""
    out_dir: Path = Path("output")
    """Root of the output: versions are written under ``OUT/trending-papers/``."""
    allowed_languages: tuple[str, ...] = ("en",)
    """Languages published; others are quarantined as ``language:<code>``."""
    quality: QualitySettings = QualitySettings()
    """Thresholds of the quality reasons (``abstract:too-short`` ...)."""
    dedup: DedupParams = DedupParams()
    """Near-duplicate parameters (shingles, MinHash/LSH banding, verification thresholds)."""
    language_workers: int = 0
    """Processes for language detection on large inputs (0: one per core)."""
    incremental: bool = True
    """Merge into the latest published version (False starts a fresh history in the same folder)."""
