"""partframe: partitioned, lazy, parallel pandas DataFrames.

Only the public API is defined here; see ``docs/architecture.md`` for the
layers behind it.
"""

from . import config, diagnostics, testing
from .aggregation import Aggregation
from .base import compute, persist
from .callbacks import Callback
from .collection import Array, DataFrame, Index, Scalar, Series
from .delayed import Delayed, delayed
from .diagnostics import ProgressBar
from .groupby import crosstab
from .io import (
    from_delayed,
    from_dict,
    from_map,
    from_pandas,
    read_csv,
    read_parquet,
    read_table,
    to_csv,
    to_parquet,
)
from .methods.concat import concat
from .methods.merge import merge
from .methods.reshape import isna, notna
from .methods.windows import map_overlap
from .scheduler import get

__version__ = "0.1.0"

__all__ = [
    "Aggregation",
    "Array",
    "Callback",
    "DataFrame",
    "Delayed",
    "Index",
    "ProgressBar",
    "Scalar",
    "Series",
    "compute",
    "concat",
    "config",
    "crosstab",
    "delayed",
    "diagnostics",
    "from_delayed",
    "from_dict",
    "from_map",
    "from_pandas",
    "get",
    "isna",
    "map_overlap",
    "merge",
    "notna",
    "persist",
    "read_csv",
    "read_parquet",
    "read_table",
    "testing",
    "to_csv",
    "to_parquet",
]
