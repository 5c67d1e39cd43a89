"""Pure transformations over polars frames: no network, no Prefect, no logging."""
