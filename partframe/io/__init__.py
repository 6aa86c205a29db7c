"""Sources and sinks: in-memory data, CSV and Parquet (fsspec)."""

from .csv import read_csv, to_csv
from .memory import from_dict, from_pandas
from .parquet import read_parquet, to_parquet

__all__ = [
    "from_dict",
    "from_pandas",
    "read_csv",
    "read_parquet",
    "to_csv",
    "to_parquet",
]
