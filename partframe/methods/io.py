"""IO methods of DataFrame and Series (mixed into the facades)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..collection import Scalar

__all__ = ["DataFrameMethods", "FrameMethods", "SeriesMethods"]


class FrameMethods:
    """Methods shared by DataFrame and Series."""

    def to_csv(self, path: str, **kwargs: Any) -> list[str] | Scalar:
        """Write CSV files, all or nothing: see :func:`partframe.to_csv`.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2]}), npartitions=1)
        >>> df.to_csv("memory://doc/m.csv", single_file=True)
        ['/doc/m.csv']
        >>> partframe.read_csv("memory://doc/m.csv").x.compute().tolist()
        [1, 2]
        """
        from ..io.csv_write import to_csv

        return to_csv(self, path, **kwargs)


class DataFrameMethods:
    """DataFrame-only methods."""

    def to_parquet(self, path: str, **kwargs: Any) -> Scalar | None:
        """Write Parquet files, all or nothing: see :func:`partframe.to_parquet`.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2]}), npartitions=1)
        >>> df.to_parquet("memory://doc/m.parquet")
        >>> partframe.read_parquet("memory://doc/m.parquet").x.compute().tolist()
        [1, 2]
        """
        from ..io.parquet import to_parquet

        return to_parquet(self, path, **kwargs)


class SeriesMethods:
    """Series-only methods."""
