"""Sources and sinks: in-memory data, delayed values, CSV and Parquet (fsspec)."""

from .csv import read_csv, read_table
from .csv_write import to_csv
from .delayed import from_delayed, from_map
from .memory import from_dict, from_pandas
from .parquet import read_parquet, to_parquet
from .snapshot import DatasetChangedError, vacuum

__all__ = [
    "DatasetChangedError",
    "from_delayed",
    "from_dict",
    "from_map",
    "from_pandas",
    "read_csv",
    "read_parquet",
    "read_table",
    "to_csv",
    "to_parquet",
    "vacuum",
]
