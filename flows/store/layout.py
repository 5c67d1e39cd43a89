"""Where everything lives under an output folder ``OUT/``, and how versions are named.

::

    OUT/
      .papers.lock                     the output lock (flows/store/lock.py)
      trending-papers/                 the dataset: one immutable folder per version
        <version>/
          data/train-0000i-of-0000N-<version>.parquet          papers, range shards by paper_id
          listings/train-0000i-of-0000N-<version>.parquet      one row per (paper, day, source), one per papers shard
          index/dedup-keys-0000i-of-0000N-<version>.parquet    dedup lookup keys, range shards by paper_id
          quarantine/quarantine-0000i-of-0000N.parquet
          ledger.parquet  manifest.json  README.md  CHANGELOG.md  report.html  validation/
          digest/feed.xml  digest/index.html  digest/<profile>/    the daily digest (flows/render/digest.py)
        latest -> <version>            relative symlink, swapped atomically
        README.md                      root card: load_dataset on this folder reads the version latest points at
        journal.jsonl                  every publish, rollback, retraction and prune
        retractions.json               papers kept out of every later run
      failed-runs/<version>/           quarantine and ledger of a run that published nothing
      failed-runs/<id>-crashed/        traceback of a command that crashed
      raw/<source>/<day>/              every fetched response, verbatim (flows/store/raw_zone.py)
      releases/<version>/              the folder a Hub release uploads; releases.jsonl logs them

Version ids are UTC timestamps (``20261127T183000.123456Z``): they sort in time order.

A range shard's name ends with the version of the folder it is in, also when the file is a hard link of an
earlier version's: ``datasets.load_dataset`` keys its cache of a local folder on the folder's name and its card's
``data_files`` patterns, not on the files they match, so the card of each version (and the root card) names files
no other version has (:func:`version_table_files`). Versions written before this carry no suffix.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from transforms.schema import DATASET_NAME

LATEST = "latest"
DATA_FOLDER, DATA_STEM = "data", "train"
LISTINGS_FOLDER = "listings"
"""The ``listings`` table: one shard per papers shard, named as it (``listings/train-0000i-of-0000N.parquet``)."""
INDEX_FOLDER, INDEX_STEM = "index", "dedup-keys"
RELEASED_TABLES = (DATA_FOLDER, LISTINGS_FOLDER)
"""The tables a Hub release uploads (the card's ``papers`` and ``listings`` configs), one folder each."""
QUARANTINE_FOLDER, QUARANTINE_STEM = "quarantine", "quarantine"
LEDGER_FILE = "ledger.parquet"
MANIFEST_FILE = "manifest.json"
CARD_FILE = "README.md"
CHANGELOG_FILE = "CHANGELOG.md"
REPORT_FILE = "report.html"
VALIDATION_HTML = "validation/index.html"
VALIDATION_JSON = "validation/results.json"
JOURNAL_FILE = "journal.jsonl"
RETRACTIONS_FILE = "retractions.json"
RELEASE_LOG = "releases.jsonl"
STAGING_PREFIX = ".staging-"
PRUNING_PREFIX = ".pruning-"
CRASHED_SUFFIX = "-crashed"
METADATA_PREFIX = "trending_papers"
"""Key prefix of the key-value metadata every Parquet file carries (``trending_papers.version``...)."""


def keyed_metadata(metadata: dict[str, str]) -> dict[str, str]:
    """A version's metadata (``version``, ``schema_version``...) as the keys its Parquet files carry."""
    return {f"{METADATA_PREFIX}.{key}": value for key, value in metadata.items()}


VERSION_FORMAT = "%Y%m%dT%H%M%S.%fZ"


def shard_file(stem: str, index: int, count: int, version: str | None) -> str:
    """``stem-0000i-of-0000N-<version>.parquet``; without a version (a Hub release's files, whose cache the Hub
    keys on the commit) ``stem-0000i-of-0000N.parquet``."""
    suffix = f"-{version}" if version else ""
    return f"{stem}-{index:05d}-of-{count:05d}{suffix}.parquet"


def version_table_files(folder: str, version: str) -> str:
    """The files of a table (``data``, ``listings``) of version ``version``, as its card's ``data_files`` pattern
    (relative to its folder)."""
    return f"{folder}/{DATA_STEM}-*-{version}.parquet"


def dataset_root(out_dir: Path) -> Path:
    return out_dir / DATASET_NAME


def failed_runs_root(out_dir: Path) -> Path:
    return out_dir / "failed-runs"


def raw_root(out_dir: Path) -> Path:
    return out_dir / "raw"


def releases_root(out_dir: Path) -> Path:
    return out_dir / "releases"


def new_version_id(now: datetime, previous: str | None = None) -> str:
    """A UTC timestamp id that sorts in time order, after ``previous``."""
    candidate = now.astimezone(UTC).strftime(VERSION_FORMAT)
    if previous is not None and candidate <= previous:
        stamp = datetime.strptime(previous, VERSION_FORMAT).replace(tzinfo=UTC)
        candidate = (stamp + timedelta(microseconds=1)).strftime(VERSION_FORMAT)
    return candidate


def looks_like_version(name: str) -> bool:
    """Whether ``name`` is a version id (a Hub tag, a folder name)."""
    try:
        datetime.strptime(name, VERSION_FORMAT)
    except ValueError:
        return False
    return True
