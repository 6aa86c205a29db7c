"""Distinct-value, quantile and describe methods (mixed into the reductions).

Distinct-value reductions (``nunique``, ``value_counts``, ``mode``,
``unique``) carry per-partition value counts in order of appearance
(kernels in :mod:`partframe.kernels.distinct`); ``quantile`` and
``describe`` carry sorted value counts and are exact (kernels in
:mod:`partframe.kernels.quantile`). Their memory is bounded by the number of
distinct values, not of rows. ``memory_usage`` is here too.

Each method builds one :class:`~partframe.expr.reductions.Reduction` node
through the building blocks of
:class:`partframe.methods.reductions.FrameMethods` (``_reduce``,
``_rowwise``), which inherits from these mixins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import numpy as np
import pandas as pd

from ..expr.base import Expr
from ..expr.meta import meta_nonempty
from ..expr.reduction_plan import (
    describe_kind,
    reduced_columns,
    repeated_label_positions,
    run_meta,
)
from ..expr.reduction_plan import describe_meta as _describe
from ..kernels.arrays import is_masked_dtype
from .reduction_meta import check_axis as _check_axis

if TYPE_CHECKING:
    from ..collection import DataFrame, Scalar, Series

__all__ = ["DataFrameStatistics", "FrameStatistics", "R", "SeriesStatistics"]

#: The type of a column-wise reduction's result: a lazy Series for a
#: DataFrame, a lazy Scalar for a Series or an Index.
R = TypeVar("R")


def _narrowed_meta(meta: Any, result: Any, op: str, kwargs: dict) -> Any:
    """The input's meta narrowed to the columns the reduction reads."""
    positions = repeated_label_positions(meta, op, kwargs)
    if positions is not None:
        return meta.iloc[:, positions]
    cols = reduced_columns(meta, result, op)
    return meta if cols is None or cols == list(meta.columns) else meta[cols]


def _unsupported_quantile(dtype: Any) -> bool:
    """Dtypes whose quantiles are not computed from sorted value counts."""
    if isinstance(dtype, pd.CategoricalDtype | pd.ArrowDtype | pd.SparseDtype):
        return True
    if isinstance(dtype, pd.DatetimeTZDtype):
        return False
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return not is_masked_dtype(dtype)
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


class FrameStatistics(Generic[R]):
    """Distinct values, quantiles, describe and memory_usage (both kinds)."""

    # Provided by the collection this is mixed into (FrameBase) and by
    # reductions.FrameMethods, which derives from this class.
    expr: Expr
    _meta: Any
    _reduce: Callable[..., Any]
    _rowwise: Callable[..., Any]

    # -- distinct values, quantiles, describe ---------------------------------
    def _nunique(self, dropna: bool, split_every: int | None) -> Any:
        return self._reduce("nunique", {"dropna": dropna}, split_every)

    def _mode(self, kwargs: dict, split_every: int | None) -> Any:
        return self._reduce("mode", kwargs, split_every)

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
            _check_quantile_strings(self._meta)
        result = run_meta(self._meta, "quantile", kwargs)
        narrowed = _narrowed_meta(self._meta, result, "quantile", kwargs)
        _check_quantile_dtypes(narrowed, "quantile")
        return self._reduce("quantile", kwargs, split_every, result)

    def memory_usage(
        self, index: bool = True, deep: bool = False, split_every: int | None = None
    ) -> R:
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
        return self._reduce("memory_usage", kwargs, split_every)

    def describe(
        self,
        percentiles: Any = None,
        include: Any = None,
        exclude: Any = None,
        split_every: int | None = None,
    ) -> Self:
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
        meta = self._meta
        kwargs: dict = {}
        if percentiles is not None:
            percentiles = [float(p) for p in percentiles]
            kwargs["percentiles"] = percentiles
        if isinstance(meta, pd.DataFrame):
            if include is not None:
                kwargs["include"] = include
            if exclude is not None:
                kwargs["exclude"] = exclude
        result = run_meta(meta, "describe", kwargs)
        described = _narrowed_meta(meta, result, "describe", kwargs)
        dtypes = described.dtypes if isinstance(meta, pd.DataFrame) else [meta.dtype]
        for dtype in dtypes:
            if describe_kind(dtype) != "categorical" and _unsupported_quantile(dtype):
                _check_quantile_dtypes(described, "describe")
        return self._reduce("describe", kwargs, split_every, result)


# The DataFrame-only and Series-only mixins use the shared ones: for the
# type checker they derive from them, with their reductions' result type
# (at run time the collection classes combine them).
if TYPE_CHECKING:
    _FrameShared = FrameStatistics["Series"]
    _SeriesShared = FrameStatistics["Scalar"]
else:
    _FrameShared = _SeriesShared = object


class DataFrameStatistics(_FrameShared):
    """DataFrame-only distinct-value and quantile methods."""

    def nunique(
        self, axis: Any = 0, dropna: bool = True, split_every: int | None = None
    ) -> Series:
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
            return self._rowwise("nunique", {"dropna": dropna})
        return self._nunique(dropna, split_every)

    def mode(
        self,
        axis: Any = 0,
        numeric_only: bool = False,
        dropna: bool = True,
        split_every: int | None = None,
    ) -> DataFrame:
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
        return self._mode(kwargs, split_every)

    def quantile(
        self,
        q: Any = 0.5,
        axis: Any = 0,
        numeric_only: bool = False,
        interpolation: str = "linear",
        split_every: int | None = None,
    ) -> Series | DataFrame:
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
        return self._quantile(q, interpolation, kwargs, split_every, axis)


class SeriesStatistics(_SeriesShared):
    """Series-only distinct-value and quantile methods."""

    def nunique(
        self,
        dropna: bool = True,
        split_every: int | None = None,
        split_out: int | None = None,
    ) -> Scalar:
        """Number of distinct values, as in pandas (lazy Scalar).

        ``split_out=k > 1`` counts through a hash shuffle into ``k``
        partitions, for very many distinct values.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 1, None]), npartitions=2)
        >>> s.nunique().compute(), s.nunique(dropna=False).compute()
        (2, 3)
        """
        if split_out is not None and split_out > 1:
            from .shuffle import nunique_split_out

            return nunique_split_out(self, split_out, dropna=dropna)
        return self._nunique(dropna, split_every)

    def mode(self, dropna: bool = True, split_every: int | None = None) -> Series:
        """The most frequent values, sorted, as in pandas (lazy Series).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([3, 1, 3, 1, 2]), npartitions=2)
        >>> s.mode().compute().tolist()
        [1, 3]
        """
        return self._mode({"dropna": dropna}, split_every)

    def quantile(
        self,
        q: Any = 0.5,
        interpolation: str = "linear",
        split_every: int | None = None,
    ) -> Scalar | Series:
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
        return self._quantile(q, interpolation, {}, split_every)

    def unique(self, split_every: int | None = None) -> Scalar:
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
        meta = self._meta
        result = meta_nonempty(meta).unique()[:0]
        return self._reduce("unique", None, split_every, result)

    def value_counts(
        self,
        sort: bool = True,
        ascending: bool = False,
        normalize: bool = False,
        bins: Any = None,
        dropna: bool = True,
        split_every: int | None = None,
        split_out: int | None = None,
    ) -> Series:
        """Counts of distinct values, as in pandas (lazy one-partition Series).

        The result is named ``"count"`` (``"proportion"`` with
        ``normalize``) and its index takes the Series' name. Ties are in
        pandas' order: pandas sorts by count with a stable sort over the
        order of first appearance, which the merge of partials (in
        partition order) keeps.

        With ``split_out=k > 1`` (for very many distinct values) the values
        are hash-partitioned into ``k`` partitions and counted there, so no
        task holds all of them; each output partition is then sorted on its
        own (sort the computed result for pandas' global order).

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
        if split_out is not None and split_out > 1:
            from .shuffle import value_counts_split_out

            return value_counts_split_out(
                self, split_out, sort=sort, ascending=ascending,
                normalize=normalize, dropna=dropna,
            )  # fmt: skip
        kwargs = {"sort": sort, "ascending": ascending, "normalize": normalize,
                  "dropna": dropna}  # fmt: skip
        return self._reduce("value_counts", kwargs, split_every)
