"""The output folder: the only code that writes under OUT (layout, files, lock, the one Parquet writer, the
catalog of versions, shards, publish, journal, retractions, releases log, raw zone, crash logs, maintenance).
"""
