"""Reductions and cumulative methods of DataFrame and Series.

Column-wise reductions are tree reductions (kernels in
:mod:`partframe.kernels.reductions`): a DataFrame reduction gives a lazy
Series with one partition, a Series reduction a lazy Scalar. The result's
meta comes from running the real pandas method on a small stand-in of the
input, so invalid calls (``mean`` of a string column) raise here, naming the
column, before anything runs. ``axis=1`` reductions are partition-wise.

Distinct-value reductions (``nunique``, ``value_counts``, ``mode``,
``unique``) carry per-partition value counts in order of appearance;
``quantile`` and ``describe`` carry sorted value counts and are exact. Their
memory is bounded by the number of distinct values, not of rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.core.dtypes.dtypes import BaseMaskedDtype

from ..expr.blockwise import MapPartitions, MethodCall, Projection
from ..expr.cumulative import CumulativeCarry
from ..expr.meta import make_meta, meta_nonempty
from ..expr.reductions import TreeReduction
from ..kernels import reductions as K

__all__ = ["DataFrameMethods", "FrameMethods", "SeriesMethods"]


def _describe(meta: Any) -> str:
    if isinstance(meta, pd.Series):
        return f"Series {meta.name!r} of dtype {meta.dtype}"
    return "DataFrame"


def _run_meta(meta: Any, op: str, kwargs: dict) -> Any:
    """Run pandas' ``op`` on a stand-in of ``meta``; blame a column on error."""
    sample = meta_nonempty(meta)
    try:
        return getattr(sample, op)(**kwargs)
    except TypeError as err:
        if isinstance(meta, pd.DataFrame):
            for j, col in enumerate(sample.columns):
                try:
                    getattr(sample.iloc[:, [j]], op)(**kwargs)
                except TypeError as col_err:
                    dtype = meta.dtypes.iloc[j]
                    raise TypeError(
                        f"DataFrame.{op}() cannot reduce column {col!r} of dtype "
                        f"{dtype}: {col_err}. Select supported columns or pass "
                        "numeric_only=True"
                    ) from err
        raise TypeError(f"{_describe(meta)}: {op}() is not supported: {err}") from err


def _result_dtype(meta: Any, result: Any, op: str, kwargs: dict) -> Any:
    """The dtype of a DataFrame-shaped result (a Series input as a frame)."""
    if isinstance(meta, pd.Series):
        dtype = meta.dtype
        if (
            isinstance(result, np.generic)
            and isinstance(dtype, np.dtype)
            and dtype.kind in K.SCALAR_KINDS
        ):
            return result.dtype  # a numpy column's frame result: the same dtype
        return _run_meta(meta.to_frame(), op, kwargs).dtype
    return result.dtype


def _scalar_like(result: Any) -> Any:
    return None if isinstance(result, pd.Series) else result


def _check_axis(axis: Any, op: str) -> bool:
    """True for a row-wise (``axis=1``) call."""
    if axis in (0, "index", None):
        return False
    if axis in (1, "columns"):
        return True
    raise ValueError(f"{op}(): no axis named {axis!r}")


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


def _projected(frame: Any, used: list) -> tuple[Any, list | None]:
    """``frame`` projected to ``used`` columns (and them); all columns: as is."""
    meta = frame._meta
    if not isinstance(meta, pd.DataFrame):
        return frame, None
    if not meta.columns.is_unique or used == list(meta.columns):
        return frame, list(meta.columns)
    return Projection(frame, used), used


def _unsupported_quantile(dtype: Any) -> bool:
    """Dtypes whose quantiles are not computed from sorted value counts."""
    if isinstance(dtype, pd.CategoricalDtype | pd.ArrowDtype | pd.SparseDtype):
        return True
    if isinstance(dtype, pd.DatetimeTZDtype):
        return False
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return not isinstance(dtype, BaseMaskedDtype)
    return np.dtype(dtype).kind not in "iufbmM"


def _check_quantile_dtypes(meta: Any, op: str) -> None:
    frame = meta.to_frame() if isinstance(meta, pd.Series) else meta
    for col, dtype in frame.dtypes.items():
        if _unsupported_quantile(dtype):
            what = (
                _describe(meta)
                if isinstance(meta, pd.Series)
                else (f"column {col!r} of dtype {dtype}")
            )
            raise NotImplementedError(
                f"{op}() of {what} is not supported by partframe (exact quantiles "
                "need sortable numpy, nullable or datetime values); convert it "
                "with astype() first"
            )


def _check_quantile_strings(meta: Any) -> None:
    """pandas cannot take quantiles of text: say which column, before pyarrow."""
    frame = meta.to_frame() if isinstance(meta, pd.Series) else meta
    for col, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.StringDtype) or dtype == np.dtype(object):
            if isinstance(meta, pd.Series):
                raise TypeError(f"{_describe(meta)}: quantile() is not supported")
            raise TypeError(
                f"DataFrame.quantile() cannot reduce column {col!r} of dtype "
                f"{dtype}. Select supported columns or pass numeric_only=True"
            )


def _describe_kind(dtype: Any) -> str:
    """Which pandas describe function a column of ``dtype`` gets."""
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if dtype.kind == "M" or isinstance(dtype, pd.DatetimeTZDtype):
        return "timestamp"
    if dtype.kind == "m":
        return "numeric"
    return "categorical"


def _describe_columns(meta: pd.DataFrame, include: Any, exclude: Any) -> list:
    """The columns pandas' DataFrame.describe describes (its _select_data)."""
    if include is None and exclude is None:
        data = meta.select_dtypes(include=[np.number, "datetime"])
        if len(data.columns) == 0:
            data = meta
    elif isinstance(include, str) and include == "all":
        data = meta
    else:
        data = meta.select_dtypes(include=include, exclude=exclude)
    return list(data.columns)


class FrameMethods:
    """Methods shared by DataFrame and Series."""

    # -- building blocks --------------------------------------------------
    def _reduction_input(self, result: Any) -> tuple[Any, list | None]:
        """The input to reduce (projected to the result's columns) and them."""
        expr = self.expr  # type: ignore[attr-defined]
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
        from ..collection import new_collection

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
        if _check_axis(axis, op):
            return self._rowwise(op, kwargs)
        meta = self._meta  # type: ignore[attr-defined]
        result = _run_meta(meta, op, kwargs)
        if _scalar_fast(meta, op):
            skipna = chunk_kwargs.get("skipna", True)
            return self._tree(
                self.expr, K.scalar_chunk, K.scalar_combine, K.scalar_aggregate,  # type: ignore[attr-defined]
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

    def _rowwise(self, op: str, kwargs: dict) -> Any:
        """``axis=1``: a partition-wise call, its meta from non-empty data."""
        from ..collection import new_collection

        kwargs = {**kwargs, "axis": 1}
        meta = make_meta(_run_meta(self._meta, op, kwargs))  # type: ignore[attr-defined]
        if isinstance(meta, pd.DataFrame):  # cumulative ops keep the frame
            return self._method(op, **kwargs)  # type: ignore[attr-defined]
        args = [self.expr, op, kwargs, meta.dtype]  # type: ignore[attr-defined]
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
        if _check_axis(axis, op):
            return self._rowwise(op, kwargs)
        result = _run_meta(self._meta, op, kwargs)  # type: ignore[attr-defined]
        frame, used = self._reduction_input(result)
        dtype = _result_dtype(self._meta, result, op, kwargs)  # type: ignore[attr-defined]
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
        result = _run_meta(self._meta, op, kwargs)  # type: ignore[attr-defined]
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

    # -- distinct values, quantiles, describe ---------------------------------
    def _nunique(self, dropna: bool, split_every: int | None) -> Any:
        result = _run_meta(self._meta, "nunique", {"dropna": dropna})  # type: ignore[attr-defined]
        frame, used = self._reduction_input(result)
        return self._tree(
            frame, K.vc_chunk, K.vc_combine, K.nunique_aggregate, result,
            {"dropna": dropna}, None,
            {"empty": frame._meta, "dropna": dropna, "like": _scalar_like(result)},
            split_every, "nunique", used,
        )  # fmt: skip

    def _mode(self, kwargs: dict, split_every: int | None) -> Any:
        dropna = kwargs.get("dropna", True)
        result = _run_meta(self._meta, "mode", kwargs)  # type: ignore[attr-defined]
        frame, used = self.expr, None  # type: ignore[attr-defined]
        if isinstance(result, pd.DataFrame):
            frame, used = _projected(frame, list(result.columns))
        return self._tree(
            frame, K.vc_chunk, K.vc_combine, K.mode_aggregate, result,
            {"dropna": dropna}, None, {"empty": frame._meta, "dropna": dropna},
            split_every, "mode", used,
        )  # fmt: skip

    def _quantile(
        self,
        q: Any,
        interpolation: str,
        kwargs: dict,
        split_every: int | None,
        axis: Any = 0,
    ) -> Any:
        if pd.api.types.is_list_like(q):
            q = [float(x) for x in q]
        kwargs = {"q": q, "interpolation": interpolation, **kwargs}
        if _check_axis(axis, "quantile"):
            if isinstance(q, list):
                raise NotImplementedError(
                    "quantile(axis=1) with a list of quantiles is not supported; "
                    "call it once per quantile"
                )
            return self._rowwise("quantile", kwargs)
        if interpolation not in ("linear", "lower", "higher", "nearest", "midpoint"):
            raise ValueError(f"quantile(): unknown interpolation {interpolation!r}")
        if not kwargs.get("numeric_only"):
            _check_quantile_strings(self._meta)  # type: ignore[attr-defined]
        result = _run_meta(self._meta, "quantile", kwargs)  # type: ignore[attr-defined]
        frame, used = self.expr, None  # type: ignore[attr-defined]
        if isinstance(frame._meta, pd.DataFrame):
            cols = result.columns if isinstance(result, pd.DataFrame) else result.index
            frame, used = _projected(frame, list(cols))
        _check_quantile_dtypes(frame._meta, "quantile")
        extra = {k: v for k, v in kwargs.items() if k == "numeric_only"}
        return self._tree(
            frame, K.quantile_chunk, K.quantile_combine, K.quantile_aggregate,
            result, None, None,
            {"empty": frame._meta, "q": q, "interpolation": interpolation,
             "kwargs": extra},
            split_every, "quantile", used,
        )  # fmt: skip

    def memory_usage(
        self, index: bool = True, deep: bool = False, split_every: int | None = None
    ) -> Any:
        """Memory used by the values, summed over partitions (lazy).

        Each column sums its partitions' bytes, as pandas' ``memory_usage``
        on the whole frame does; the categories of a categorical column are
        counted once. For the index, partitions with a ``RangeIndex`` count
        one RangeIndex (its size is constant), as pandas does for a frame
        whose partitions are slices of one range; any other index sums its
        partitions, exactly like the concatenated index. So the result
        equals pandas' whenever the partitions' indexes concatenate to an
        index of the same kind (a frame from ``from_pandas`` does).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"x": range(4), "y": list("abcd")})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.memory_usage().compute().to_dict() == pdf.memory_usage().to_dict()
        True
        >>> df.x.memory_usage(deep=True).compute() == pdf.x.memory_usage(deep=True)
        True
        """
        kwargs = {"index": index, "deep": deep}
        result = _run_meta(self._meta, "memory_usage", kwargs)  # type: ignore[attr-defined]
        return self._tree(
            self.expr, K.memory_chunk, K.memory_combine, K.memory_aggregate,  # type: ignore[attr-defined]
            result, kwargs, None, {"empty": self._meta, **kwargs},  # type: ignore[attr-defined]
            split_every, "memory-usage", None,
        )  # fmt: skip

    def describe(
        self,
        percentiles: Any = None,
        include: Any = None,
        exclude: Any = None,
        split_every: int | None = None,
    ) -> Any:
        """Summary statistics as pandas' ``describe``, in one pass (lazy).

        Numeric and datetime columns get count, mean, std, min, the
        percentiles and max; the percentiles are exact (see
        :meth:`quantile`). Other columns get count, unique, top and freq,
        with ties for ``top`` broken as pandas does (first appearance).
        ``include``/``exclude`` select columns as in pandas.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "s": list("abba")})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.describe().compute().loc[["count", "50%", "max"], "x"].tolist()
        [4.0, 2.5, 4.0]
        >>> df.s.describe().compute().equals(pdf.s.describe())
        True
        """
        meta = self._meta  # type: ignore[attr-defined]
        kwargs: dict = {}
        if percentiles is not None:
            percentiles = [float(p) for p in percentiles]
            kwargs["percentiles"] = percentiles
        if isinstance(meta, pd.DataFrame):
            if include is not None:
                kwargs["include"] = include
            if exclude is not None:
                kwargs["exclude"] = exclude
        result = _run_meta(meta, "describe", kwargs)
        pct = [0.25, 0.5, 0.75] if percentiles is None else np.unique(percentiles)
        frame, used = self.expr, None  # type: ignore[attr-defined]
        if isinstance(meta, pd.DataFrame):
            frame, used = _projected(frame, _describe_columns(meta, include, exclude))
        fmeta = frame._meta
        dtypes = fmeta.dtypes if isinstance(fmeta, pd.DataFrame) else [fmeta.dtype]
        kinds = [_describe_kind(dtype) for dtype in dtypes]
        for dtype, kind in zip(dtypes, kinds):
            if kind != "categorical" and _unsupported_quantile(dtype):
                _check_quantile_dtypes(fmeta, "describe")
        return self._tree(
            frame, K.describe_chunk, K.describe_combine, K.describe_aggregate,
            result, {"kinds": kinds}, {"kinds": kinds},
            {"kinds": kinds, "empty": fmeta, "percentiles": [float(p) for p in pct],
             "kwargs": {"percentiles": percentiles}},
            split_every, "describe", used,
        )  # fmt: skip

    # -- cumulative -----------------------------------------------------------
    def _cumulative(self, method: str, axis: Any, skipna: bool) -> Any:
        from ..collection import new_collection

        if _check_axis(axis, method):
            return self._rowwise(method, {"skipna": skipna})
        meta = self._meta  # type: ignore[attr-defined]
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
        cum = MethodCall(self.expr, method, (), {"skipna": skipna})  # type: ignore[attr-defined]
        return new_collection(CumulativeCarry(cum, method, skipna))

    def cumsum(self, axis: Any = 0, skipna: bool = True) -> Any:
        """Cumulative sum across partitions, as in pandas (lazy, keeps divisions).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3, 4]), npartitions=2)
        >>> s.cumsum().compute().tolist()
        [1, 3, 6, 10]
        """
        return self._cumulative("cumsum", axis, skipna)

    def cumprod(self, axis: Any = 0, skipna: bool = True) -> Any:
        """Cumulative product across partitions, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3, 4]), npartitions=2)
        >>> s.cumprod().compute().tolist()
        [1, 2, 6, 24]
        """
        return self._cumulative("cumprod", axis, skipna)

    def cummin(self, axis: Any = 0, skipna: bool = True) -> Any:
        """Cumulative minimum across partitions, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([3, 4, 1, 2]), npartitions=2)
        >>> s.cummin().compute().tolist()
        [3, 3, 1, 1]
        """
        return self._cumulative("cummin", axis, skipna)

    def cummax(self, axis: Any = 0, skipna: bool = True) -> Any:
        """Cumulative maximum across partitions, as in pandas (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 4, 2, 5]), npartitions=2)
        >>> s.cummax().compute().tolist()
        [1, 4, 4, 5]
        """
        return self._cumulative("cummax", axis, skipna)


class DataFrameMethods:
    """DataFrame-only methods."""

    def nunique(
        self, axis: Any = 0, dropna: bool = True, split_every: int | None = None
    ) -> Any:
        """Number of distinct values per column, as in pandas (lazy Series).

        Partials are the distinct values of each partition with their
        counts, merged ``split_every`` at a time: memory is bounded by the
        number of distinct values.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"x": [1, 2, 1, None], "y": list("aaba")})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.nunique().compute().to_dict()
        {'x': 2, 'y': 2}
        >>> df.nunique(dropna=False).compute().to_dict()
        {'x': 3, 'y': 2}
        """
        if _check_axis(axis, "nunique"):
            return self._rowwise("nunique", {"dropna": dropna})  # type: ignore[attr-defined]
        return self._nunique(dropna, split_every)  # type: ignore[attr-defined]

    def mode(
        self,
        axis: Any = 0,
        numeric_only: bool = False,
        dropna: bool = True,
        split_every: int | None = None,
    ) -> Any:
        """The most frequent values of each column, as in pandas (lazy).

        Values and dtypes are pandas': columns with fewer modes are padded
        with missing values, which (as in pandas) turns an int column into
        float64 and a bool column into object. That dtype depends on the
        data, so the plan's meta (the column's own dtype) can differ from
        the computed result's for such columns.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"x": [1, 2, 2, 1, 3], "y": list("abbbc")})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.mode().compute().equals(pdf.mode())
        True
        """
        if _check_axis(axis, "mode"):
            raise NotImplementedError("mode(axis=1) is not supported")
        kwargs: dict = {"dropna": dropna}
        if numeric_only:
            kwargs["numeric_only"] = True
        return self._mode(kwargs, split_every)  # type: ignore[attr-defined]

    def quantile(
        self,
        q: Any = 0.5,
        axis: Any = 0,
        numeric_only: bool = False,
        interpolation: str = "linear",
        split_every: int | None = None,
    ) -> Any:
        """Exact quantiles of each column, as in pandas (lazy).

        Each partition contributes its sorted distinct values with their
        counts (memory bounded by the number of distinct values); the last
        step finds the order statistics numpy would use on the whole column
        and repeats numpy's interpolation on them, so results are identical
        to pandas', not approximations. ``interpolation`` may be
        ``"linear"``, ``"lower"``, ``"higher"``, ``"nearest"`` or
        ``"midpoint"``. Numeric, nullable and datetime columns are supported.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"x": [4.0, 1.0, 3.0, 2.0], "y": [1, 5, 5, 2]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.quantile(0.5).compute().to_dict()
        {'x': 2.5, 'y': 3.5}
        >>> df.quantile([0.1, 0.9], interpolation="lower").compute().equals(
        ...     pdf.quantile([0.1, 0.9], interpolation="lower"))
        True
        """
        kwargs = {"numeric_only": True} if numeric_only else {}
        return self._quantile(q, interpolation, kwargs, split_every, axis)  # type: ignore[attr-defined]


class SeriesMethods:
    """Series-only methods."""

    def nunique(self, dropna: bool = True, split_every: int | None = None) -> Any:
        """Number of distinct values, as in pandas (lazy Scalar).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 1, None]), npartitions=2)
        >>> s.nunique().compute(), s.nunique(dropna=False).compute()
        (2, 3)
        """
        return self._nunique(dropna, split_every)  # type: ignore[attr-defined]

    def mode(self, dropna: bool = True, split_every: int | None = None) -> Any:
        """The most frequent values, sorted, as in pandas (lazy Series).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([3, 1, 3, 1, 2]), npartitions=2)
        >>> s.mode().compute().tolist()
        [1, 3]
        """
        return self._mode({"dropna": dropna}, split_every)  # type: ignore[attr-defined]

    def quantile(
        self,
        q: Any = 0.5,
        interpolation: str = "linear",
        split_every: int | None = None,
    ) -> Any:
        """Exact quantile(s), as in pandas (lazy; see DataFrame.quantile).

        A scalar ``q`` gives a lazy Scalar, a list a lazy Series indexed by
        ``q``.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series(range(11)), npartitions=3)
        >>> s.quantile(0.25).compute()
        np.float64(2.5)
        >>> s.quantile([0.5, 0.75], interpolation="nearest").compute().tolist()
        [5, 8]
        """
        return self._quantile(q, interpolation, {}, split_every)  # type: ignore[attr-defined]

    def unique(self, split_every: int | None = None) -> Any:
        """Distinct values in order of first appearance (lazy Scalar).

        Partitions are taken in order, so the order is pandas'. ``compute()``
        gives what pandas' ``Series.unique`` gives for the dtype: a numpy
        array for numpy dtypes, else the same ExtensionArray type
        (``ArrowStringArray`` for ``str``, ``Categorical``, ``DatetimeArray``
        for time zones, ``IntegerArray`` for ``Int64``...).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([3, 1, 3, 2, 1]), npartitions=3)
        >>> s.unique().compute()
        array([3, 1, 2])
        """
        meta = self._meta  # type: ignore[attr-defined]
        result = meta_nonempty(meta).unique()[:0]
        return self._tree(  # type: ignore[attr-defined]
            self.expr, K.unique_chunk, K.unique_combine, K.unique_aggregate,  # type: ignore[attr-defined]
            result, None, None, {"empty": meta}, split_every, "unique", None,
        )  # fmt: skip

    def value_counts(
        self,
        sort: bool = True,
        ascending: bool = False,
        normalize: bool = False,
        bins: Any = None,
        dropna: bool = True,
        split_every: int | None = None,
    ) -> Any:
        """Counts of distinct values, as in pandas (lazy one-partition Series).

        The result is named ``"count"`` (``"proportion"`` with
        ``normalize``) and its index takes the Series' name. Ties are in
        pandas' order: pandas sorts by count with a stable sort over the
        order of first appearance, which the merge of partials (in
        partition order) keeps.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series(list("abcbca"), name="x"),
        ...                           npartitions=3)
        >>> s.value_counts().compute().to_dict()
        {'a': 2, 'b': 2, 'c': 2}
        >>> s.value_counts(normalize=True, ascending=True).compute().name
        'proportion'
        """
        if bins is not None:
            raise NotImplementedError(
                "value_counts(bins=...) is not supported; use "
                "partframe's cut on the partitions, then value_counts()"
            )
        kwargs = {"sort": sort, "ascending": ascending, "normalize": normalize,
                  "dropna": dropna}  # fmt: skip
        meta = self._meta  # type: ignore[attr-defined]
        result = _run_meta(meta, "value_counts", kwargs)
        dtype = _run_meta(meta, "value_counts", {"dropna": dropna}).dtype
        return self._tree(  # type: ignore[attr-defined]
            self.expr, K.vc_chunk, K.vc_combine, K.value_counts_aggregate,  # type: ignore[attr-defined]
            result, {"dropna": dropna}, None,
            {"empty": meta, "kwargs": kwargs, "dtype": dtype},
            split_every, "value-counts", None,
        )  # fmt: skip
