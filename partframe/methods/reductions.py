"""Reductions and cumulative methods of DataFrame and Series.

Column-wise reductions are tree reductions (kernels in
:mod:`partframe.kernels.reductions`): a DataFrame reduction gives a lazy
Series with one partition, a Series reduction a lazy Scalar. The result's
meta comes from running the real pandas method on a small stand-in of the
input, so invalid calls (``mean`` of a string column) raise here, naming the
column, before anything runs. ``axis=1`` reductions are partition-wise.

Distinct-value reductions, quantiles, ``describe`` and ``memory_usage`` are
mixed in from :mod:`partframe.methods.statistics`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd

from ..collection._core import new_collection
from ..expr.blockwise import MapPartitions, MethodCall, Projection
from ..expr.cumulative import CumulativeCarry
from ..expr.meta import make_meta, meta_nonempty
from ..expr.reductions import TreeReduction
from ..kernels import reductions as K
from .reduction_meta import check_axis as _check_axis
from .reduction_meta import describe_meta as _describe
from .reduction_meta import run_meta as _run_meta
from .reduction_meta import scalar_like as _scalar_like
from .statistics import DataFrameStatistics, FrameStatistics, SeriesStatistics

__all__ = ["DataFrameMethods", "FrameMethods", "SeriesMethods"]


def _result_dtype(meta: Any, result: Any, op: str, kwargs: dict) -> Any:
    """The dtype of a DataFrame-shaped result (a Series or Index input as a
    frame)."""
    if isinstance(meta, pd.Series | pd.Index):
        dtype = meta.dtype
        if (
            isinstance(result, np.generic)
            and isinstance(dtype, np.dtype)
            and dtype.kind in K.SCALAR_KINDS
        ):
            return result.dtype  # a numpy column's frame result: the same dtype
        # ``numeric_only`` would drop a frame's non-numeric column, which the
        # Series keeps (pandas has already accepted it for the Series).
        kwargs = {k: v for k, v in kwargs.items() if k != "numeric_only"}
        if isinstance(meta, pd.Index):
            frame = meta.to_frame(index=False)
        else:
            frame = meta.to_frame()
        return _run_meta(frame, op, kwargs).dtype
    return result.dtype


# Reductions pandas runs over every value of a DataFrame with ``axis=None``.
_ALL_AXES = frozenset(
    ["sum", "prod", "min", "max", "any", "all", "mean", "var", "std", "sem"]
)


def _scalar_fast(meta: Any, op: str) -> bool:
    """Does a Series reduction take the scalar-partial fast path?"""
    if not isinstance(meta, pd.Series):
        return False
    dtype = meta.dtype
    if op == "count":
        return True
    return isinstance(dtype, np.dtype) and dtype.kind in K.SCALAR_KINDS


def _dtype_groups(meta: pd.DataFrame) -> list[list[int]]:
    groups: dict[Any, list[int]] = {}
    for j, dtype in enumerate(meta.dtypes):
        groups.setdefault(dtype, []).append(j)
    return list(groups.values())


class FrameMethods(FrameStatistics):
    """Methods shared by DataFrame and Series."""

    # Provided by the collection this is mixed into (FrameBase; DataFrame).
    if TYPE_CHECKING:

        def _method(self, name: str, *args: Any, **kwargs: Any) -> Any: ...
        def select_dtypes(self, include: Any = None, exclude: Any = None) -> Any: ...

    # -- building blocks --------------------------------------------------
    def _reduction_input(self, result: Any) -> tuple[Any, list | None]:
        """The input to reduce (projected to the result's columns) and them."""
        expr = self.expr
        meta = expr._meta
        if not isinstance(meta, pd.DataFrame):
            return expr, None
        used = list(result.index) if isinstance(result, pd.Series) else None
        if used is None or not meta.columns.is_unique:
            return expr, list(meta.columns)
        if used != list(meta.columns):
            expr = Projection(expr, used)
        return expr, used

    def _tree(
        self,
        frame: Any,
        chunk: Any,
        combine: Any,
        aggregate: Any,
        meta: Any,
        chunk_kwargs: dict | None,
        combine_kwargs: dict | None,
        aggregate_kwargs: dict | None,
        split_every: int | None,
        label: str,
        columns: list | None,
    ) -> Any:
        node = TreeReduction(
            frame, chunk, combine, aggregate, make_meta(meta), chunk_kwargs,
            combine_kwargs, aggregate_kwargs, split_every, label, columns,
        )  # fmt: skip
        return new_collection(node)

    def _simple_reduction(
        self,
        op: str,
        kwargs: dict,
        chunk_kwargs: dict,
        combine_op: str,
        combine_kwargs: dict,
        split_every: int | None,
        axis: Any = 0,
        min_count: int = 0,
    ) -> Any:
        if axis is None and isinstance(self._meta, pd.DataFrame):
            flat, kwargs = self._all_values(op, kwargs)
            return flat._simple_reduction(
                op, kwargs, chunk_kwargs, combine_op, combine_kwargs, split_every,
                0, min_count,
            )  # fmt: skip
        if _check_axis(axis, op):
            return self._rowwise(op, kwargs)
        meta = self._meta
        result = _run_meta(meta, op, kwargs)
        if _scalar_fast(meta, op):
            skipna = chunk_kwargs.get("skipna", True)
            return self._tree(
                self.expr, K.scalar_chunk, K.scalar_combine, K.scalar_aggregate,
                result,
                {"op": op, "kwargs": chunk_kwargs, "count": min_count > 0},
                {"op": combine_op, "skipna": skipna},
                {"op": op, "kwargs": kwargs, "combine_op": combine_op,
                 "empty": meta, "dtype": getattr(result, "dtype", None),
                 "skipna": skipna, "min_count": min_count,
                 "like": _scalar_like(result)},
                split_every, op, None,
            )  # fmt: skip
        frame, used = self._reduction_input(result)
        groups = _dtype_groups(frame._meta) if used is not None else [[0]]
        dtype = _result_dtype(meta, result, op, kwargs)
        return self._tree(
            frame, K.reduce_chunk, K.reduce_combine, K.reduce_aggregate, result,
            {"op": op, "kwargs": chunk_kwargs, "groups": groups,
             "count": min_count > 0},
            {"op": combine_op, "kwargs": combine_kwargs},
            {"op": op, "kwargs": kwargs, "combine_op": combine_op,
             "combine_kwargs": combine_kwargs, "empty": frame._meta,
             "dtype": dtype, "min_count": min_count,
             "like": _scalar_like(result)},
            split_every, op, used,
        )  # fmt: skip

    def _all_values(self, op: str, kwargs: dict) -> tuple[Any, dict]:
        """``axis=None`` on a DataFrame: every value as one lazy Series (of
        the columns' common dtype, as pandas reduces ``DataFrame.values``),
        and the reduction's keywords for it. pandas takes ``axis=None`` for
        these reductions only (``count(axis=None)`` raises)."""
        if op not in _ALL_AXES:
            raise ValueError(
                f"DataFrame.{op}(): No axis named None for object type DataFrame "
                "(as pandas); pass axis=0 or axis=1"
            )
        frame = self
        kwargs = dict(kwargs)
        if kwargs.pop("numeric_only", False):
            frame = self.select_dtypes(include=["number", "bool"])
        if kwargs.pop("bool_only", False):
            frame = self.select_dtypes(include=["bool"])
        meta = frame._meta
        _run_meta(meta, op, {**kwargs, "axis": None})  # pandas' errors, now
        stand_in = meta_nonempty(meta)
        columns = [stand_in.iloc[:, j] for j in range(stand_in.shape[1])]
        dtype = pd.concat(columns).dtype if columns else np.dtype("float64")
        numeric = all(
            pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t)
            for t in meta.dtypes
        )
        if (
            pd.api.types.is_object_dtype(dtype)
            and numeric
            and op not in ("sum", "min", "max", "any", "all")
        ):
            # Numbers mixed with bools: pandas' object values give the same
            # numbers as ints or floats (an object stand-in could not say so).
            ints = all(np.dtype(t).kind in "iub" for t in meta.dtypes)
            dtype = np.dtype("int64" if ints else "float64")
        node = MapPartitions(
            K.all_values, pd.Series([], dtype=dtype), [frame.expr, dtype], None, False
        )
        return new_collection(node), kwargs

    def _rowwise(self, op: str, kwargs: dict) -> Any:
        """``axis=1``: a partition-wise call, its meta from non-empty data."""
        kwargs = {**kwargs, "axis": 1}
        meta = make_meta(_run_meta(self._meta, op, kwargs))
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
    ) -> Any:
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
    ) -> Any:
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
        return self._simple_reduction(
            op, kwargs, {"skipna": skipna, "min_count": 0}, op,
            {"skipna": skipna, "min_count": 0}, split_every, axis, min_count,
        )  # fmt: skip

    def min(
        self,
        axis: Any = 0,
        skipna: bool = True,
        numeric_only: bool = False,
        split_every: int | None = None,
    ) -> Any:
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
    ) -> Any:
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
        return self._simple_reduction(
            op, kwargs, {"skipna": skipna}, op, {"skipna": skipna}, split_every, axis
        )

    def count(
        self, axis: Any = 0, numeric_only: bool = False, split_every: int | None = None
    ) -> Any:
        """Number of non-missing values, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, None, 2.0]), npartitions=2)
        >>> s.count().compute()
        np.int64(2)
        """
        kwargs = self._opts(numeric_only)
        return self._simple_reduction("count", kwargs, {}, "sum", {}, split_every, axis)

    def any(
        self,
        axis: Any = 0,
        bool_only: bool = False,
        skipna: bool = True,
        split_every: int | None = None,
    ) -> Any:
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
    ) -> Any:
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
        return self._simple_reduction(
            op, kwargs, {"skipna": skipna}, op, {"skipna": skipna}, split_every, axis
        )

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
        if axis is None and isinstance(self._meta, pd.DataFrame):
            flat, kwargs = self._all_values(op, kwargs)
            return flat._moment(op, 0, skipna, False, split_every, ddof)
        if _check_axis(axis, op):
            return self._rowwise(op, kwargs)
        result = _run_meta(self._meta, op, kwargs)
        frame, used = self._reduction_input(result)
        dtype = _result_dtype(self._meta, result, op, kwargs)
        kernels = (
            (K.mean_chunk, K.mean_combine, K.mean_aggregate)
            if op == "mean"
            else (K.moments_chunk, K.moments_combine, K.moments_aggregate)
        )
        return self._tree(
            frame, *kernels, result, None, None,
            {"op": op, "kwargs": kwargs, "empty": frame._meta, "dtype": dtype,
             "skipna": skipna, "ddof": 1 if ddof is None else ddof,
             "like": _scalar_like(result)},
            split_every, op, used,
        )  # fmt: skip

    def mean(
        self,
        axis: Any = 0,
        skipna: bool = True,
        numeric_only: bool = False,
        split_every: int | None = None,
    ) -> Any:
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
    ) -> Any:
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
    ) -> Any:
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
    ) -> Any:
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
        if _check_axis(axis, op):
            return self._rowwise(op, kwargs)
        result = _run_meta(self._meta, op, kwargs)
        frame, used = self._reduction_input(result)
        dtype = getattr(result, "dtype", None)
        return self._tree(
            frame, K.idx_chunk, K.idx_combine, K.idx_aggregate, result,
            {"op": op}, {"op": op},
            {"op": op, "kwargs": kwargs, "empty": frame._meta, "dtype": dtype,
             "like": _scalar_like(result)},
            split_every, op, used,
        )  # fmt: skip

    def idxmin(
        self,
        axis: Any = 0,
        skipna: bool = True,
        numeric_only: bool = False,
        split_every: int | None = None,
    ) -> Any:
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
    ) -> Any:
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
        if _check_axis(axis, method):
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
            raise TypeError(f"{_describe(meta)}: {method}() failed: {err}") from err
        cum = MethodCall(self.expr, method, (), {"skipna": skipna})
        return new_collection(CumulativeCarry(cum, method, skipna))

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
