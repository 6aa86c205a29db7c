"""Groupby methods of DataFrame and Series (mixed into the facades)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ..collection._core import is_series, new_collection
from ..kernels.group_call import pivot_finish

if TYPE_CHECKING:
    from ..collection import DataFrame, Series
    from ..groupby import DataFrameGroupBy, SeriesGroupBy

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
    ) -> DataFrameGroupBy | SeriesGroupBy:
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
        from ..groupby import DataFrameGroupBy, SeriesGroupBy

        cls = SeriesGroupBy if is_series(self) else DataFrameGroupBy
        return cls(
            self, by, level, sort=sort, dropna=dropna, observed=observed,
            as_index=as_index, group_keys=group_keys, split_every=split_every,
            split_out=split_out,
        )  # fmt: skip


_PIVOT_FUNCS = ("sum", "mean", "count", "size", "min", "max")


# For the type checker the DataFrame-only methods derive from the shared
# ones they use (at run time the collection classes combine them).
if TYPE_CHECKING:
    _Shared = FrameMethods
else:
    _Shared = object


class DataFrameMethods(_Shared):
    """DataFrame-only methods."""

    # Provided by the collection this is mixed into (DataFrame).
    _meta: Any
    if TYPE_CHECKING:

        def __getitem__(self, key: Any) -> Any: ...

    def pivot_table(
        self,
        values: Any = None,
        index: Any = None,
        columns: Any = None,
        aggfunc: str = "mean",
        fill_value: Any = None,
        observed: bool = True,
        column_values: Any = None,
        split_every: int | None = None,
    ) -> DataFrame:
        """A spreadsheet-style pivot table, equal to pandas' ``pivot_table``.

        The aggregation is a groupby tree reduction by ``index + [columns]``
        (one row per cell); the last step runs pandas' ``pivot_table`` on
        that small table, so the result is a single partition, equal to
        pandas' result (layout, dropped all-NaN rows, int or float dtypes).

        The result's columns must be known when the plan is built:

        - ``columns`` is categorical (known categories) and
          ``observed=False``: the categories;
        - ``column_values=[...]``: the values you give;
        - ``column_values="compute"``: the distinct values are computed now
          (one pass over ``columns``; the only eager step, and only on
          request);
        - otherwise a ``ValueError`` names these options (unlike pandas,
          partframe does not read the data while building a plan).

        The meta lists all those values; as in pandas, a value that never
        occurs (or whose cells are all missing) is absent from the computed
        result, and an integer table with empty cells becomes float.

        Parameters
        ----------
        values : label or list, optional
            Columns to aggregate (default: all others).
        index : label or list
            Row keys.
        columns : label
            The column whose values become columns.
        aggfunc : {"mean", "sum", "count", "size", "min", "max"}
        fill_value : scalar, optional
            Replaces missing cells.
        observed : bool
            As in pandas, for categorical keys.
        column_values : list or "compute", optional
            See above.
        split_every : int, optional
            Fan-in of the tree reduction.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"a": [1, 1, 2], "b": ["x", "y", "x"], "v": [1, 2, 3]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.pivot_table("v", "a", "b", "sum", column_values="compute").compute()
        ... # doctest: +NORMALIZE_WHITESPACE
        b    x    y
        a
        1  1.0  2.0
        2  3.0  NaN
        """
        import pandas as pd

        from ..expr.blockwise import MapPartitions
        from ..expr.meta import make_meta, meta_nonempty

        if index is None or columns is None:
            raise TypeError("pivot_table needs index= and columns=")
        if isinstance(columns, list | tuple):
            if len(columns) != 1:
                raise NotImplementedError("pivot_table supports one columns= key")
            columns = columns[0]
        if not isinstance(aggfunc, str) or aggfunc not in _PIVOT_FUNCS:
            raise NotImplementedError(
                f"pivot_table aggfunc must be one of {_PIVOT_FUNCS}, got {aggfunc!r}"
            )
        index = list(index) if isinstance(index, list | tuple) else [index]
        keys = [*index, columns]
        meta = self._meta
        missing = [k for k in keys if k not in meta.columns]
        if missing:
            raise KeyError(f"pivot_table keys not found: {missing}")
        if values is None:
            value_cols = [c for c in meta.columns if c not in keys]
        else:
            value_cols = list(values) if isinstance(values, list | tuple) else [values]
        cv = self._pivot_column_values(columns, observed, column_values)
        # meta: pandas' pivot_table on a complete stand-in holding every value
        sample = meta_nonempty(meta[[*index, *value_cols]]).iloc[:1]
        sample = sample.loc[sample.index.repeat(len(cv))].reset_index(drop=True)
        col = pd.Series(cv, dtype=meta[columns].dtype) if len(cv) else None
        sample[columns] = col if col is not None else meta[columns].iloc[:0]
        pmeta = make_meta(
            pd.pivot_table(
                sample, values=values, index=index, columns=columns,
                aggfunc=aggfunc, fill_value=fill_value, observed=observed,
            )
        )  # fmt: skip
        # a DataFrame's groupby
        g = cast(
            "DataFrameGroupBy",
            self.groupby(keys, observed=observed, split_every=split_every),
        )
        if aggfunc == "size":
            # keys in the index (as_index=True): a Series
            agged: DataFrame = cast("Series", g.size()).to_frame("__pf_size")
            finish_values = "__pf_size"
        else:
            agged = g[value_cols].agg(aggfunc)
            finish_values = values
        expr = MapPartitions(
            pivot_finish,
            pmeta,
            [agged.expr, finish_values, index, columns, fill_value],
        )
        return new_collection(expr)

    def _pivot_column_values(
        self, columns: Any, observed: bool, column_values: Any
    ) -> list:
        import pandas as pd

        dtype = self._meta[columns].dtype
        if isinstance(column_values, str) and column_values == "compute":
            uniq = self[columns].drop_duplicates().compute()
            return sorted(v for v in uniq.tolist() if not pd.isna(v))
        if column_values is not None:
            return list(column_values)
        if isinstance(dtype, pd.CategoricalDtype) and not observed:
            return list(dtype.categories)
        raise ValueError(
            f"pivot_table needs the values of column {columns!r} to build its "
            "plan: make it categorical with known categories and pass "
            "observed=False, give column_values=[...], or pass "
            "column_values='compute' to compute them now"
        )


class SeriesMethods:
    """Series-only methods."""
