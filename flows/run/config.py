"""The one typed configuration object of a run (it is the flow's only parameter)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flows.run.digest_config import DigestSettings
from flows.sources.local import BUNDLED_SAMPLE
from flows.sources.settings import SourceSettings
from transforms.clean.quality import QualitySettings
from transforms.dedup.minhash import DedupParams
from transforms.history.volume import VolumeSettings
from transforms.parse import InputLimits


class RunConfig(BaseModel):
    """Everything a curation run depends on; defaults reproduce ``make run`` on the bundled sample."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inputs: list[Path] = Field(default_factory=lambda: [BUNDLED_SAMPLE])
    """Local files or folders to read (format recognised from content)."""
    mapping: Path | None = None
    """A mapping file (TOML, ``[fields]``) naming the columns of fields the generic reader's table does not find
    in a scraper's records (see ``docs/scrapers.md``); None: the table alone."""
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
    volume: VolumeSettings = VolumeSettings()
    """Run-level checks of the Daily Papers listing: a day far below the median of its weekday is provisional
    and fetched again until it settles; no new paper for too many days fails the freshness check."""
    digest: DigestSettings = DigestSettings()
    """The daily digest each version holds (``digest/``), its subscription profiles, and who it is sent to after
    publishing (``flows/run/digest.py``)."""
    language_workers: int = 0
    """Processes for language detection on large inputs (0: one per core)."""
    incremental: bool = True
    """Merge into the latest published version (False starts a fresh history in the same folder)."""
    chunk_records: int = Field(default=25_000, ge=1)
    """Records read, cleaned and language-tagged at a time (whole input files at a time: a chunk holds at least
    this many records, or the rest), each chunk spilled to the run's work folder before the next is read; after
    dedup, papers derived, gated and merged into the version at a time (a range of ``paper_id``). 25,000:
    at 100,000 records the front took 2 % longer than in one chunk and held 526 MiB less; 10,000 held 123 MiB
    less again but took 11 % longer than 25,000 (``bench/chunk_size.py``, ``bench/RESULTS.md``)."""
    partitions: int = Field(default=1, ge=1)
    """Partitions that clean, language, MinHash signatures and derive run in, one task each (1: one frame, the
    stages run in the flow's process). Dedup's grouping by band key stays global; the gate and the merge run
    range by range in the flow's process."""
    dask_address: str | None = None
    """Scheduler of an existing Dask cluster (``tcp://host:8786``): the partition tasks run on its workers."""
    dask_workers: int | None = Field(default=None, ge=1)
    """Start a local Dask cluster of this many worker processes for the run (instead of ``dask_address``)."""

    @model_validator(mode="after")
    def _one_cluster(self) -> RunConfig:
        if self.dask_address and self.dask_workers:
            raise ValueError(
                "give dask_address (an existing cluster) or dask_workers (a local one), not both"
            )
        return self

    @property
    def on_dask(self) -> bool:
        return bool(self.dask_address or self.dask_workers)

    @property
    def partitioned(self) -> bool:
        """The per-partition path: several partitions, or any on a Dask cluster."""
        return self.partitions > 1 or self.on_dask
