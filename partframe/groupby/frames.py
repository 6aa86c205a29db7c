"""``DataFrameGroupBy``, ``SeriesGroupBy`` and ``crosstab``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

import numpy as np
import pandas as pd

from .core import GROUPBY_CLASSES
from .whole_groups import GroupByWholeGroups

if TYPE_CHECKING:
    from ..collection.frame import DataFrame, Series

__all__ = ["DataFrameGroupBy", "SeriesGroupBy", "crosstab"]


class DataFrameGroupBy(GroupByWholeGroups["DataFrame"]):
    """A lazy ``DataFrame.groupby``: aggregate, transform or apply per group.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> pdf = pd.DataFrame({"k": [2, 1, 2, 1], "x": [1.0, 2.0, 3.0, 4.0]})
    >>> df = partframe.from_pandas(pdf, npartitions=2)
    >>> df.groupby("k").mean().compute()  # doctest: +NORMALIZE_WHITESPACE
         x
    k
    1  3.0
    2  2.0
    """

    @overload
    def __getitem__(self, key: list[Any]) -> DataFrameGroupBy: ...
    @overload
    def __getitem__(self, key: Any) -> SeriesGroupBy | DataFrameGroupBy: ...
    def __getitem__(self, key: Any) -> SeriesGroupBy | DataFrameGroupBy:
        if isinstance(key, list | tuple | pd.Index | pd.Series | np.ndarray):
            # pandas selects the labels a list-like holds (a Series' values)
            key = list(key)
            self._check_columns(key)
            return self._copy(key)
        self._check_columns([key])
        return self._copy(key)

    def __getattr__(self, key: str) -> SeriesGroupBy | DataFrameGroupBy:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            cols = self._selectable_columns()
        except Exception:
            raise AttributeError(key) from None
        if key in cols:
            return self[key]
        raise AttributeError(f"'DataFrameGroupBy' object has no attribute {key!r}")


class SeriesGroupBy(GroupByWholeGroups["Series | DataFrame"]):
    """A lazy ``Series.groupby`` (or one column of a DataFrameGroupBy).

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> s = pd.Series([1, 2, 3, 4], index=[1, 1, 2, 2], name="x")
    >>> partframe.from_pandas(s, npartitions=2).groupby(level=0).max().compute()
    1    2
    2    4
    Name: x, dtype: int64
    """

    def value_counts(self, **kwargs: Any) -> Series | DataFrame:
        """Counts of each value per group (through a shuffle by key)."""
        return self._keyed("value_counts", key_levels=self._nkeys(), **kwargs)

    def unique(self) -> Series | DataFrame:
        """The distinct values of each group (through a shuffle by key)."""
        return self._keyed("unique")

    def nlargest(self, n: int = 5) -> Series | DataFrame:
        """The ``n`` largest values per group, on whole partitions."""
        return self._keyed("nlargest", n, key_levels=self._nkeys())

    def nsmallest(self, n: int = 5) -> Series | DataFrame:
        """The ``n`` smallest values per group, on whole partitions."""
        return self._keyed("nsmallest", n, key_levels=self._nkeys())


GROUPBY_CLASSES.update(frame=DataFrameGroupBy, series=SeriesGroupBy)


def crosstab(
    index: Series, columns: Series, column_values: Any = None, observed: bool = True
) -> DataFrame:
    """Counts of each (``index``, ``columns``) pair, as ``pandas.crosstab``.

    Both are partframe Series of the same frame (aligned). Built on
    :meth:`DataFrame.pivot_table` with ``aggfunc="size"``: a single-partition
    result; the values of ``columns`` must be known as ``pivot_table``
    explains (categorical with ``observed=False``, ``column_values=[...]``
    or ``column_values="compute"``).

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> pdf = pd.DataFrame({"a": [1, 1, 2], "b": ["x", "y", "x"]})
    >>> df = partframe.from_pandas(pdf, npartitions=2)
    >>> crosstab(df.a, df.b, column_values=["x", "y"]).compute()
    ... # doctest: +NORMALIZE_WHITESPACE
    b  x  y
    a
    1  1  1
    2  1  0
    """
    ni = index.name if index.name is not None else "row_0"
    nc = columns.name if columns.name is not None else "col_0"
    if ni == nc:
        raise ValueError("crosstab of two Series with the same name: rename one")
    if not isinstance(nc, str):
        raise TypeError("crosstab needs Series with string (or no) names")
    frame = index.to_frame(ni).assign(**{nc: columns})
    out = frame.pivot_table(
        index=ni,
        columns=nc,
        aggfunc="size",
        fill_value=0,
        observed=observed,
        column_values=column_values,
    )
    return out
