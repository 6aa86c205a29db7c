"""Groupby methods of DataFrame and Series (mixed into the facades)."""

from __future__ import annotations

from typing import Any

__all__ = ["DataFrameMethods", "FrameMethods", "SeriesMethods"]


class FrameMethods:
    """Methods shared by DataFrame and Series."""

    def groupby(
        self,
        by: Any = None,
        level: Any = None,
        *,
        sort: bool = True,
        dropna: bool = True,
        observed: bool = True,
        as_index: bool = True,
        group_keys: bool = True,
        split_every: int | None = None,
        split_out: int | bool | None = None,
    ) -> Any:
        """Group rows by columns, aligned Series or index levels, as pandas.

        Parameters
        ----------
        by : label, list of labels, or partframe Series
            Key columns, or Series aligned with this frame.
        level : int, label or list, optional
            Group by index level(s) instead.
        sort, dropna, observed, as_index, group_keys : bool
            As in pandas (pandas 3 defaults).
        split_every : int, optional
            Fan-in of the combine tree of aggregations.
        split_out : int or True, optional
            Output partitions of aggregations; see :mod:`partframe.groupby`.

        Returns
        -------
        DataFrameGroupBy or SeriesGroupBy

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": ["b", "a", "b"], "x": [1, 2, 3]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.groupby("k").x.sum().compute()
        k
        a    2
        b    4
        Name: x, dtype: int64
        """
        from ..collection import Series
        from ..groupby import DataFrameGroupBy, SeriesGroupBy

        cls = SeriesGroupBy if isinstance(self, Series) else DataFrameGroupBy
        return cls(
            self, by, level, sort=sort, dropna=dropna, observed=observed,
            as_index=as_index, group_keys=group_keys, split_every=split_every,
            split_out=split_out,
        )  # fmt: skip


class DataFrameMethods:
    """DataFrame-only methods."""


class SeriesMethods:
    """Series-only methods."""
