"""Reductions and cumulative methods of DataFrame, Series and Index.

A column-wise reduction is one logical
:class:`~partframe.expr.reductions.Reduction` node (lowered to a tree in
:mod:`partframe.expr.reduction_plan`): a DataFrame reduction gives a lazy
Series with one partition, a Series or Index reduction a lazy Scalar. The
result's meta comes from running the real pandas method on a small
stand-in of the input, so invalid calls (``mean`` of a string column) raise
here, naming the column, before anything runs. ``axis=1`` reductions are
partition-wise; ``axis=None`` reduces every value of the frame as one
Series. A cumulative method is one
:class:`~partframe.expr.cumulative.Cumulative` node.

Distinct-value reductions, quantiles, ``describe`` and ``memory_usage`` are
mixed in from :mod:`partframe.methods.statistics`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import pandas as pd

from ..collection._core import new_collection
from ..expr.blockwise import MapPartitions
from ..expr.cumulative import Cumulative
from ..expr.meta import make_meta, meta_nonempty
from ..expr.reduction_plan import (
    ALL_VALUES_OPS,
    all_values_input,
    describe_meta,
    run_meta,
)
from ..expr.reductions import Reduction
from ..kernels import reductions as K
from .reduction_meta import check_axis
from .statistics import DataFrameStatistics, FrameStatistics, R, SeriesStatistics

if TYPE_CHECKING:
    from ..collection import Scalar

__all__ = ["DataFrameMethods", "FrameMethods", "SeriesMethods"]


class FrameMethods(FrameStatistics[R]):
    """Methods shared by DataFrame, Series and Index.

    ``R`` is the type of a column-wise reduction's result: a lazy Series
    for a DataFrame, a lazy Scalar for a Series or an Index.
    """

    # Provided by the collection this is mixed into (FrameBase; DataFrame).
    if TYPE_CHECKING:

        def _method(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    # -- building blocks --------------------------------------------------
    def _reduce(
        self, op: str, kwargs: dict | None, split_every: int | None, result: Any = None
    ) -> Any:
        """``op`` over all partitions: one :class:`Reduction` node. Its meta
        is ``result``, by default pandas' answer on a stand-in (errors raise
        here, naming the column)."""
        if result is None:
            result = run_meta(self._meta, op, kwargs or {})
        return new_collection(Reduction(self.expr, op, kwargs, result, split_every))

    def _column_reduction(
        self, op: str, kwargs: dict, split_every: int | None, axis: Any
    ) -> Any:
        """``op`` along ``axis``: every value (``None``), per column (0) or
        per row (1)."""
        if axis is None and isinstance(self._meta, pd.DataFrame):
            return self._all_values(op, kwargs, split_every)
        if check_axis(axis, op):
            return self._rowwise(op, kwargs)
        return self._reduce(op, kwargs, split_every)

    def _all_values(self, op: str, kwargs: dict, split_every: int | None) -> Any:
        """``axis=None`` on a DataFrame: ``op`` over every value, as pandas
        reduces ``DataFrame.values`` (the columns' common dtype). pandas
        takes ``axis=None`` for these reductions only (``count(axis=None)``
        raises)."""
        if op not in ALL_VALUES_OPS:
            raise ValueError(
                f"DataFrame.{op}(): No axis named None for object type DataFrame "
                "(as pandas); pass axis=0 or axis=1"
            )
        kwargs = {**kwargs, "axis": None}
        run_meta(self._meta, op, kwargs)  # pandas' errors, now
        flat, flat_kwargs, _ = all_values_input(self._meta, op, kwargs)
        result = run_meta(flat, op, flat_kwargs)
        return self._reduce(op, kwargs, split_every, result)

    def _rowwise(self, op: str, kwargs: dict) -> Any:
        """``axis=1``: a partition-wise call, its meta from non-empty data."""
        kwargs = {**kwargs, "axis": 1}
        meta = make_meta(run_meta(self._meta, op, kwargs))
        if isinstance(meta, pd.DataFrame):  # cumulative ops keep the frame
            return self._method(op, **kwargs)
        args = [self.expr, op, kwargs, meta.dtype]
        node = MapPartitions(K.rowwise, meta, args, None, True)
        return new_collection(node)

    def _opts(self, numeric_only: bool, **kwargs: Any) -> dict:
        if numeric_only:
            kwargs["numeric_only"] = True
        return kwargs

    # -- sum, prod, min, max, count, any, all ---------------------------
    def sum(
        self,
        axis: Any = 0,
        skipna: bool = True,
        numeric_only: bool = False,
        min_count: int = 0,
        split_every: int | None = None,
    ) -> R | Scalar:
        """Sum of the values, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2, 3]}), npartitions=2)
        >>> df.x.sum().compute()
        np.int64(6)
        >>> df.sum().compute().to_dict()
        {'x': 6}
        """
        return self._additive("sum", axis, skipna, numeric_only, min_count, split_every)

    def prod(
        self,
        axis: Any = 0,
        skipna: bool = True,
        numeric_only: bool = False,
        min_count: int = 0,
        split_every: int | None = None,
    ) -> R | Scalar:
        """Product of the values, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3, 4]), npartitions=2)
        >>> s.prod().compute()
        np.int64(24)
        """
        return self._additive(
            "prod", axis, skipna, numeric_only, min_count, split_every
        )

    product = prod

    def _additive(
        self,
        op: str,
        axis: Any,
        skipna: bool,
        numeric_only: bool,
        min_count: int,
        split_every: int | None,
    ) -> Any:
        kwargs = self._opts(numeric_only, skipna=skipna, min_count=min_count)
        return self._column_reduction(op, kwargs, split_every, axis)

    def min(
        self,
        axis: Any = 0,
        skipna: bool = True,
        numeric_only: bool = False,
        split_every: int | None = None,
    ) -> R | Scalar:
        """Minimum of the values, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([3.0, None, 1.0]), npartitions=2)
        >>> s.min().compute(), s.min(skipna=False).compute()
        (np.float64(1.0), np.float64(nan))
        """
        return self._extreme("min", axis, skipna, numeric_only, split_every)

    def max(
        self,
        axis: Any = 0,
        skipna: bool = True,
        numeric_only: bool = False,
        split_every: int | None = None,
    ) -> R | Scalar:
        """Maximum of the values, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series(["b", "c", "a"]), npartitions=2)
        >>> s.max().compute()
        'c'
        """
        return self._extreme("max", axis, skipna, numeric_only, split_every)

    def _extreme(
        self,
        op: str,
        axis: Any,
        skipna: bool,
        numeric_only: bool,
        split_every: int | None,
    ) -> Any:
        kwargs = self._opts(numeric_only, skipna=skipna)
        return self._column_reduction(op, kwargs, split_every, axis)

    def count(
        self, axis: Any = 0, numeric_only: bool = False, split_every: int | None = None
    ) -> R:
        """Number of non-missing values, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, None, 2.0]), npartitions=2)
        >>> s.count().compute()
        np.int64(2)
        """
        kwargs = self._opts(numeric_only)
        return self._column_reduction("count", kwargs, split_every, axis)

    def any(
        self,
        axis: Any = 0,
        bool_only: bool = False,
        skipna: bool = True,
        split_every: int | None = None,
    ) -> R | Scalar:
        """Whether any value is true, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([0, 0, 1]), npartitions=3)
        >>> s.any().compute()
        np.True_
        """
        return self._logical("any", axis, bool_only, skipna, split_every)

    def all(
        self,
        axis: Any = 0,
        bool_only: bool = False,
        skipna: bool = True,
        split_every: int | None = None,
    ) -> R | Scalar:
        """Whether all values are true, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 1, 0]), npartitions=3)
        >>> s.all().compute()
        np.False_
        """
        return self._logical("all", axis, bool_only, skipna, split_every)

    def _logical(
        self,
        op: str,
        axis: Any,
        bool_only: bool,
        skipna: bool,
        split_every: int | None,
    ) -> Any:
        kwargs: dict = {"skipna": skipna}
        if bool_only:
            kwargs["bool_only"] = True
        return self._column_reduction(op, kwargs, split_every, axis)

    # -- moments ------------------------------------------------------------
    def _moment(
        self,
        op: str,
        axis: Any,
        skipna: bool,
        numeric_only: bool,
        split_every: int | None,
        ddof: int | None = None,
    ) -> Any:
        kwargs = self._opts(numeric_only, skipna=skipna)
        if ddof is not None:
            kwargs["ddof"] = ddof
        return self._column_reduction(op, kwargs, split_every, axis)

    def mean(
        self,
        axis: Any = 0,
        skipna: bool = True,
        numeric_only: bool = False,
        split_every: int | None = None,
    ) -> R | Scalar:
        """Mean of the values, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3, 4]), npartitions=2)
        >>> s.mean().compute()
        np.float64(2.5)
        """
        return self._moment("mean", axis, skipna, numeric_only, split_every)

    def var(
        self,
        axis: Any = 0,
        skipna: bool = True,
        ddof: int = 1,
        numeric_only: bool = False,
        split_every: int | None = None,
    ) -> R | Scalar:
        """Variance (numerically stable: Chan's parallel merge of moments).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.Series([1e9 + 0.1, 1e9 + 0.2, 1e9 + 0.3, 1e9 + 0.4])
        >>> s = partframe.from_pandas(pdf, npartitions=2)
        >>> bool(abs(s.var().compute() - pdf.var()) < 1e-9)
        True
        """
        return self._moment("var", axis, skipna, numeric_only, split_every, ddof)

    def std(
        self,
        axis: Any = 0,
        skipna: bool = True,
        ddof: int = 1,
        numeric_only: bool = False,
        split_every: int | None = None,
    ) -> R | Scalar:
        """Standard deviation, as in pandas (lazy; see :meth:`var`).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([2.0, 4.0, 4.0, 6.0]), npartitions=2)
        >>> round(float(s.std(ddof=0).compute()), 6)
        1.414214
        """
        return self._moment("std", axis, skipna, numeric_only, split_every, ddof)

    def sem(
        self,
        axis: Any = 0,
        skipna: bool = True,
        ddof: int = 1,
        numeric_only: bool = False,
        split_every: int | None = None,
    ) -> R | Scalar:
        """Standard error of the mean, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, 3.0]), npartitions=2)
        >>> float(s.sem().compute())
        1.0
        """
        return self._moment("sem", axis, skipna, numeric_only, split_every, ddof)

    # -- idxmin / idxmax ----------------------------------------------------
    def _idx(
        self,
        op: str,
        axis: Any,
        skipna: bool,
        numeric_only: bool,
        split_every: int | None,
    ) -> Any:
        kwargs = self._opts(numeric_only, skipna=skipna)
        if check_axis(axis, op):
            return self._rowwise(op, kwargs)
        return self._reduce(op, kwargs, split_every)

    def idxmin(
        self,
        axis: Any = 0,
        skipna: bool = True,
        numeric_only: bool = False,
        split_every: int | None = None,
    ) -> R:
        """Index label of the first minimum, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([3, 1, 1, 2]), npartitions=2)
        >>> s.idxmin().compute()
        1
        """
        return self._idx("idxmin", axis, skipna, numeric_only, split_every)

    def idxmax(
        self,
        axis: Any = 0,
        skipna: bool = True,
        numeric_only: bool = False,
        split_every: int | None = None,
    ) -> R:
        """Index label of the first maximum, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([3, 1, 3, 2]), npartitions=2)
        >>> s.idxmax().compute()
        0
        """
        return self._idx("idxmax", axis, skipna, numeric_only, split_every)

    # -- cumulative -----------------------------------------------------------
    def _cumulative(self, method: str, axis: Any, skipna: bool) -> Any:
        if check_axis(axis, method):
            return self._rowwise(method, {"skipna": skipna})
        meta = self._meta
        try:
            getattr(meta_nonempty(meta), method)(skipna=skipna)
        except TypeError as err:
            if isinstance(meta, pd.DataFrame):
                sample = meta_nonempty(meta)
                for j, col in enumerate(meta.columns):
                    try:
                        getattr(sample.iloc[:, j], method)(skipna=skipna)
                    except TypeError as col_err:
                        raise TypeError(
                            f"DataFrame.{method}() cannot accumulate column {col!r} "
                            f"of dtype {meta.dtypes.iloc[j]}: {col_err}"
                        ) from err
            raise TypeError(f"{describe_meta(meta)}: {method}() failed: {err}") from err
        return new_collection(Cumulative(self.expr, method, skipna))

    def cumsum(self, axis: Any = 0, skipna: bool = True) -> Self:
        """Cumulative sum across partitions, as in pandas (lazy, keeps divisions).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3, 4]), npartitions=2)
        >>> s.cumsum().compute().tolist()
        [1, 3, 6, 10]
        """
        return self._cumulative("cumsum", axis, skipna)

    def cumprod(self, axis: Any = 0, skipna: bool = True) -> Self:
        """Cumulative product across partitions, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3, 4]), npartitions=2)
        >>> s.cumprod().compute().tolist()
        [1, 2, 6, 24]
        """
        return self._cumulative("cumprod", axis, skipna)

    def cummin(self, axis: Any = 0, skipna: bool = True) -> Self:
        """Cumulative minimum across partitions, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([3, 4, 1, 2]), npartitions=2)
        >>> s.cummin().compute().tolist()
        [3, 3, 1, 1]
        """
        return self._cumulative("cummin", axis, skipna)

    def cummax(self, axis: Any = 0, skipna: bool = True) -> Self:
        """Cumulative maximum across partitions, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 4, 2, 5]), npartitions=2)
        >>> s.cummax().compute().tolist()
        [1, 4, 4, 5]
        """
        return self._cumulative("cummax", axis, skipna)


class DataFrameMethods(DataFrameStatistics):
    """DataFrame-only methods."""


class SeriesMethods(SeriesStatistics):
    """Series-only methods."""
