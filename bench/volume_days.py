"""Which real Daily Papers days the volume check would mark provisional, with the default thresholds or others.

    .venv/bin/python bench/volume_days.py --shared ../shared
    .venv/bin/python bench/volume_days.py --shared ../shared --min-share 0.3 --min-papers 5

Each folder's day files are parsed by the pipeline's own parsers (``hf-scraped-2024`` is another scraper's copy
of the same lists, weekends included), counted per listing day (``transforms.history.volume.day_counts``), and
every day is checked against the median of its weekday over the weeks before it in the same folder
(``check_volume``), as a daily run that had published the days before it would see it (the 2026 days also
after the 2024-2025 ones, as one history). Prints, per folder, the
days judged, the days far below their median (those a run would mark provisional), and the late-January-2025
days (3 to 7 papers) with their medians.
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from datetime import date
from pathlib import Path

import polars as pl

from flows.sources.local import LocalCaptures
from transforms.history.volume import VolumeSettings, check_volume, day_counts
from transforms.parse import parse_capture
from transforms.parse.listing import date_listings

FOLDERS = ("hf-daily-api", "hf-daily-api-2026", "hf-scraped-2024")


def counts_of(folder: Path) -> pl.DataFrame:
    """Papers per listing day of a folder of day files (whatever source the parser names them by)."""
    frames = [
        parse_capture(capture).lazy().pipe(date_listings).collect() for capture in LocalCaptures([folder])
    ]
    records = pl.concat(frames, how="diagonal_relaxed")
    source = records.get_column("source").mode().item(0)
    return day_counts(records, source)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    defaults = VolumeSettings()
    for field in fields(VolumeSettings):
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=type(getattr(defaults, field.name)))
    args = parser.parse_args()
    chosen = {
        f.name: getattr(args, f.name) for f in fields(VolumeSettings) if getattr(args, f.name) is not None
    }
    settings = VolumeSettings(**chosen)
    print(f"settings: {settings}")
    pl.Config.set_tbl_rows(100)
    counted = {name: counts_of(args.shared / "data" / name) for name in FOLDERS}
    counted["hf-daily-api + hf-daily-api-2026"] = pl.concat([counted[name] for name in FOLDERS[:2]])
    for name, counts in counted.items():
        checks = check_volume(counts, counts, settings)
        judged = checks.filter(pl.col("below").is_not_null())
        below = checks.filter(pl.col("below").fill_null(False))
        print(
            f"\n{name}: {counts.height} days, {judged.height} judged, {below.height} far below their median"
        )
        for row in below.iter_rows(named=True):
            print(
                f"  {row['listed_on']} ({row['listed_on']:%a}): {row['papers']} papers, weekday median "
                f"{row['weekday_median']:g} over {row['history_days']} days, threshold {row['threshold']:.2f}"
            )
        late_january = checks.filter(pl.col("listed_on").is_between(date(2025, 1, 20), date(2025, 1, 31)))
        if late_january.height:
            print("  late January 2025 (day papers/median, *: far below):")
            print(
                "   "
                + ", ".join(
                    f"{r['listed_on']:%m-%d} {r['papers']}/{_median(r['weekday_median'])}"
                    + ("*" if r["below"] else "")
                    for r in late_january.iter_rows(named=True)
                )
            )


def _median(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


if __name__ == "__main__":
    main()
