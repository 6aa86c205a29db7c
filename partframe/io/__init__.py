"""Sources and sinks: in-memory data now; CSV and Parquet through fsspec."""

from .memory import from_dict, from_pandas

__all__ = ["from_dict", "from_pandas"]
