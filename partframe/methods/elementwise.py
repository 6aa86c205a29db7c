"""Elementwise methods of DataFrame and Series (mixed into the facades).

Every method here works partition by partition: output partition ``i``
needs only input partition ``i`` (and, for ``isin``/``map`` with a lazy
Series, the whole of that Series, computed once and passed to every
partition). Plans are only built here; nothing is computed. Errors the user
deserves (unknown columns, a dtype that cannot support an operation) are
raised while the plan is built, and name the column and its dtype.

This module holds replacing values
(``replace``/``where``/``mask``/``clip``/``round``/``abs``), ``isin``,
column renaming and dropping, and the ``.str``/``.dt``/``.cat`` accessors.
Other families live next to it: operator methods (``add``, ``eq``...) in
:mod:`partframe.methods.operators`, missing values in
:mod:`partframe.methods.missing`, ``astype`` in
:mod:`partframe.methods.casting`, expression strings and user functions
(``query``/``eval``/``apply``/``map``) in :mod:`partframe.methods.apply`;
the helpers they share in :mod:`partframe.methods.columnwise`.

The expression nodes these methods build beyond the core ones
(:class:`~partframe.expr.elementwise.ColumnwiseCall` and friends) are in
:mod:`partframe.expr.elementwise`.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd

from ..collection._core import as_expr, new_collection
from ..expr.base import Expr
from ..expr.blockwise import MapPartitions, MethodCall, Projection, call_method
from ..expr.elementwise import (
    ColumnwiseCall,
    NonemptyCall,
    RenameColumns,
    WholeOf,
)
from ..expr.meta import make_meta, meta_nonempty
from ..expr.sources import DelayedValue
from ..kernels import elementwise as kernels
from .accessors import CategoricalAccessor, DatetimeAccessor, StringAccessor
from .alike import upcast_alike, widens
from .columnwise import (
    NO_DEFAULT,
    check_columns,
    columnwise_call,
    guarded,
    is_lazy,
    is_lazy_frame,
    listify,
    method_call,
    sub_operand,
)

if TYPE_CHECKING:
    from ..collection import DataFrame, Series
    from .accessors import CategoricalAccessor, DatetimeAccessor, StringAccessor

__all__ = [
    "ColumnwiseCall",
    "DataFrameMethods",
    "FrameMethods",
    "NonemptyCall",
    "RenameColumns",
    "SeriesMethods",
    "WholeOf",
]


def _replaced_meta(obj: Any, name: str, args: list, kwargs: dict) -> Any:
    """The schema of ``where``/``mask`` when some values are replaced."""
    try:
        sample, cond = _sample_and_cond(obj._meta)
        rest = [_nonempty_operand(a) for a in args[1:]]
        return make_meta(getattr(sample, name)(cond, *rest, **kwargs))
    except Exception:
        return None


def _replaces_by_missing(other: Any) -> bool:
    """Whether ``where``/``mask`` put missing values where they replace."""
    if other is NO_DEFAULT or other is None:
        return True
    return pd.api.types.is_scalar(other) and bool(pd.isna(other))


def _clipped_meta(obj: Any, lower: Any, upper: Any, kwargs: dict) -> Any:
    """The schema of ``clip`` when some values are clipped to each bound.

    pandas clips with ``where`` (lower bound first), which upcasts a column
    only where a value is replaced: the same ``where`` on a stand-in with
    replaced values gives that dtype.
    """
    bounds = [
        _nonempty_operand(b)
        for b in (lower, upper)
        if not (b is None or (pd.api.types.is_scalar(b) and pd.isna(b)))
    ]  # None and NaN: pandas' "no bound"
    meta = obj._meta
    if isinstance(meta, pd.DataFrame) and all(map(pd.api.types.is_scalar, bounds)):
        # Column by column: one that takes no such bound at all (2.5 into
        # Int64) keeps its dtype (pandas raises if a value must be clipped)
        # without hiding the others.
        wide = meta.copy()
        for j in range(meta.shape[1]):
            wide.isetitem(j, _clipped_sample(meta.iloc[:, j], bounds, {}))
        return wide
    return _clipped_sample(meta, bounds, kwargs)


def _clipped_sample(meta: Any, bounds: list, kwargs: dict) -> Any:
    try:
        out, cond = _sample_and_cond(meta)
        for bound in bounds:
            out = out.where(cond, bound, **kwargs)
        return make_meta(out)
    except Exception:
        return meta if isinstance(meta, pd.Series) else None


def _sample_and_cond(meta: Any) -> tuple:
    """A non-empty stand-in of ``meta`` and a condition that keeps every
    other row of it (so ``where`` replaces some values)."""
    sample = meta_nonempty(meta)
    pattern = np.array([True, False] * len(sample))[: len(sample)]
    if isinstance(sample, pd.DataFrame):
        cond = pd.DataFrame(
            {c: pattern for c in range(sample.shape[1])}, index=sample.index
        )
        cond.columns = sample.columns
    else:
        cond = pd.Series(pattern, index=sample.index)
    return sample, cond


def _nonempty_operand(x: Any) -> Any:
    return meta_nonempty(as_expr(x)._meta) if is_lazy(x) else x


def _as_values(values: Any, what: str) -> Any:
    """A plain list-like of values for ``isin`` (lazy Series handled apart)."""
    if isinstance(values, str) or not pd.api.types.is_list_like(values):
        raise TypeError(
            f"{what} needs a list-like of values, got {type(values).__name__} "
            f"{values!r}"
        )
    if isinstance(values, set | frozenset | tuple | range):
        return list(values)
    return values


def _lazy_elements(values: Any) -> Any:
    """``values`` with its lazy elements (a delayed value, a lazy scalar) made
    inputs of the plan, computed once and passed whole to every partition;
    left as they are, each would be compared as an object."""
    from ..base import is_collection
    from ..delayed import Delayed

    if not isinstance(values, list) or not any(is_collection(v) for v in values):
        return values
    out = []
    for v in values:
        if is_lazy_frame(v):
            raise TypeError(
                "isin(): a list of values cannot hold a lazy DataFrame or "
                "Series; pass the Series itself (s.isin(other))"
            )
        if is_lazy(v):
            out.append(v.expr)
        elif isinstance(v, Delayed):
            out.append(DelayedValue(v, None))
        elif is_collection(v):
            raise TypeError(
                f"isin(): a {type(v).__name__} among the values is neither a "
                "partframe delayed value nor a lazy scalar; compute it first"
            )
        else:
            out.append(v)
    return out


# -- mixins ------------------------------------------------------------------
def _renamed_meta(rename: Any, meta: Any, labels: Any) -> Any:
    """The meta after renaming index labels: a function's labels have the
    dtype it returns on the stand-in's (``str`` for a prefix); a mapping's
    depend on which labels the data holds, so the index dtype stays."""
    if not callable(labels) or isinstance(labels, Mapping | pd.Series):
        return meta
    return make_meta(rename(meta_nonempty(meta), labels))


def _affix(prefix: str, suffix: str, label: Any) -> str:
    return f"{prefix}{label}{suffix}"


class FrameMethods:
    """Methods shared by DataFrame and Series."""

    expr: Expr
    _meta: Any

    # Replacing values ---------------------------------------------------------
    def replace(
        self, to_replace: Any = None, value: Any = NO_DEFAULT, *, regex: bool = False
    ) -> Self:
        """Replace values, as pandas' ``replace`` (partition by partition).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        >>> s.replace(2, 20).compute().tolist()
        [1, 20, 3]
        """
        kwargs: dict = {"to_replace": to_replace, "regex": regex}
        if value is not NO_DEFAULT:
            kwargs["value"] = value
        return columnwise_call(self, call_method, ("replace",), kwargs)

    def where(self, cond: Any, other: Any = NO_DEFAULT, *, axis: Any = None) -> Self:
        """Keep values where ``cond`` is True, else use ``other``.

        Parameters
        ----------
        cond : lazy boolean Series/DataFrame, or a callable of this object
            Aligned with this object first.
        other : scalar, lazy Scalar, Series or DataFrame, optional
            Replacement values (missing values by default).
        axis : optional
            As in pandas, for a Series ``cond``/``other`` against a DataFrame.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        >>> s.where(s > 1, 0).compute().tolist()
        [0, 2, 3]
        """
        return self._where_mask("where", cond, other, axis)

    def mask(self, cond: Any, other: Any = NO_DEFAULT, *, axis: Any = None) -> Self:
        """Replace values where ``cond`` is True by ``other``.

        The opposite of :meth:`where`; same arguments.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        >>> s.mask(s > 1, 0).compute().tolist()
        [1, 0, 0]
        """
        return self._where_mask("mask", cond, other, axis)

    def _where_mask(self, name: str, cond: Any, other: Any, axis: Any) -> Any:
        if callable(cond) and not is_lazy(cond):
            cond = cond(self)
        if callable(other) and not is_lazy(other):
            other = other(self)
        for label, x in (("cond", cond), ("other", other)):
            if isinstance(x, pd.DataFrame | pd.Series | np.ndarray | list):
                raise TypeError(
                    f"{name}(): {label} is an in-memory {type(x).__name__} that "
                    "cannot be aligned with the partitions; build it from this "
                    "frame or wrap it with partframe.from_pandas"
                )
        args = [cond] if other is NO_DEFAULT else [cond, other]
        kwargs = {} if axis is None else {"axis": axis}

        def build(obj: Any) -> Any:
            a = [a if obj is self else sub_operand(a, obj) for a in args]
            out = method_call(obj, name, *a, **kwargs)
            # pandas upcasts a column when some of its values are replaced
            # (int64 -> float64 for missing values): decided over the whole
            # data, as pandas, the partitions are cast alike. Replaced by
            # missing values, the meta stays the dtype pandas keeps when
            # nothing is replaced (as for accessors): a merge or a concat
            # above then keeps int64 where pandas does.
            wide = _replaced_meta(obj, name, a, kwargs)
            narrow = _replaces_by_missing(other) and widens(out._meta, wide)
            return upcast_alike(out, wide, narrow_meta=narrow)

        return guarded(self, f"{name}()", build)

    def clip(self, lower: Any = None, upper: Any = None, *, axis: Any = None) -> Self:
        """Trim values at ``lower`` and ``upper`` (scalars or lazy values).

        pandas upcasts a column that cannot hold a bound (``2.5`` on
        integers) when some value is clipped to it, and keeps the dtype
        when none is. The plan's dtype assumes some value is; the
        partitions wait for one small reduction that tells whether any
        partition clipped such a value, and hold pandas' dtype for the
        whole data.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 5, 9]), npartitions=2)
        >>> s.clip(2, 8).compute().tolist()
        [2, 5, 8]
        >>> s.clip(2.5, 8).compute().tolist()
        [2.5, 5.0, 8.0]
        """
        kwargs = {} if axis is None else {"axis": axis}

        def build(obj: Any) -> Any:
            out = method_call(obj, "clip", lower, upper, **kwargs)
            return upcast_alike(out, _clipped_meta(obj, lower, upper, kwargs))

        return guarded(self, "clip()", build)

    def round(self, decimals: Any = 0) -> Self:
        """Round to ``decimals`` places (an int, or a dict per column).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.26, 2.71]), npartitions=2)
        >>> s.round(1).compute().tolist()
        [1.3, 2.7]
        """
        return guarded(self, "round()", lambda obj: method_call(obj, "round", decimals))

    def abs(self) -> Self:
        """Absolute values.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([-1, 2]), npartitions=2)
        >>> s.abs().compute().tolist()
        [1, 2]
        """
        return guarded(self, "abs()", lambda obj: method_call(obj, "abs"))

    def isin(self, values: Any) -> Self:
        """Is each value in ``values`` (a list-like, or a lazy Series)?

        A lazy Series is computed as part of the same graph: its partitions
        are concatenated once and passed to every partition.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        >>> s.isin([1, 3]).compute().tolist()
        [True, False, True]
        >>> other = partframe.from_pandas(pd.Series([3, 4]), npartitions=2)
        >>> s.isin(other).compute().tolist()
        [False, False, True]
        """
        if is_lazy(values):
            if not isinstance(values._meta, pd.Series | pd.Index) or not isinstance(
                self._meta, pd.Series | pd.Index
            ):
                raise TypeError(
                    "isin() with a lazy argument needs a Series on both sides "
                    "(DataFrame.isin(frame) aligns by index; use where/eq)"
                )
            whole = WholeOf(values.expr)
            return new_collection(
                ColumnwiseCall(self.expr, kernels.isin_whole, (whole,))
            )
        if isinstance(values, Mapping):
            return columnwise_call(self, call_method, ("isin", dict(values)))
        if isinstance(values, pd.DataFrame):
            raise TypeError(
                "isin(DataFrame) aligns by index; wrap it with partframe.from_pandas"
            )
        values = _lazy_elements(_as_values(values, "isin()"))
        return columnwise_call(self, call_method, ("isin", values))

    # Binary operator methods are added below the class.


class DataFrameMethods:
    """DataFrame-only methods."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Expr
    _meta: Any
    if TYPE_CHECKING:

        def _method(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    def drop(
        self,
        labels: Any = None,
        *,
        axis: Any = 0,
        index: Any = None,
        columns: Any = None,
        errors: str = "raise",
    ) -> DataFrame:
        """Drop columns (or, with ``errors="ignore"``, index labels).

        Dropping columns is a projection: the dropped columns are never read.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1], "y": [2]}),
        ...                            npartitions=1)
        >>> df.drop(columns="y").columns.tolist()
        ['x']
        >>> df.drop(columns="z")
        Traceback (most recent call last):
        ...
        KeyError: "drop(): column(s) not found: 'z'; available columns: 'x', 'y'"
        """
        if labels is not None:
            if axis in (1, "columns"):
                columns = labels
            else:
                index = labels
        out: Any = self
        if columns is not None:
            cols = listify(columns)
            if errors == "raise":
                check_columns(self, cols, "drop()")
            keep = [c for c in self._meta.columns if c not in set(cols)]
            out = new_collection(Projection(self.expr, keep))
        if index is not None:
            if errors != "ignore":
                raise NotImplementedError(
                    "dropping index labels would need to check every partition "
                    "for them; pass errors='ignore'"
                )
            out = out._method("drop", index=listify(index), errors="ignore")
        return out

    def rename(
        self,
        mapper: Any = None,
        *,
        index: Any = None,
        columns: Any = None,
        axis: Any = None,
        errors: str = "ignore",
    ) -> DataFrame:
        """Rename columns (a mapping or a function) or index labels.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1]}), npartitions=1)
        >>> df.rename(columns={"x": "y"}).columns.tolist()
        ['y']
        >>> df.rename(columns=str.upper).columns.tolist()
        ['X']
        """
        if mapper is not None:
            if axis in (1, "columns"):
                columns = mapper
            else:
                index = mapper
        out: Any = self
        if columns is not None:
            current = list(self._meta.columns)
            if isinstance(columns, Mapping | pd.Series):
                given = dict(columns)
                if errors == "raise":
                    check_columns(self, list(given), "rename()")
                mapping = {c: given.get(c, c) for c in current}
            elif callable(columns):
                mapping = {c: columns(c) for c in current}
            else:
                raise TypeError(
                    f"rename(columns=) takes a mapping or a function, "
                    f"got {type(columns).__name__}"
                )
            out = new_collection(RenameColumns(self.expr, mapping))
        if index is not None:
            meta = _renamed_meta(kernels.rename_index, out._meta, index)
            node = MapPartitions(kernels.rename_index, meta, [out.expr, index])
            out = new_collection(node)
        return out

    def add_prefix(self, prefix: str, axis: Any = None) -> DataFrame:
        """Column labels (or, with ``axis=0``, row labels) prefixed.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1]}), npartitions=1)
        >>> df.add_prefix("col_").columns.tolist()
        ['col_x']
        """
        return self._affixed(prefix, "", axis)

    def add_suffix(self, suffix: str, axis: Any = None) -> DataFrame:
        """Column labels (or, with ``axis=0``, row labels) suffixed."""
        return self._affixed("", suffix, axis)

    def _affixed(self, prefix: str, suffix: str, axis: Any) -> DataFrame:
        label = functools.partial(_affix, prefix, suffix)
        if axis in (0, "index", "rows"):
            return self.rename(index=label)
        return self.rename(columns=label)

    def select_dtypes(self, include: Any = None, exclude: Any = None) -> DataFrame:
        """The columns whose dtypes match (decided from the meta).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1], "s": ["a"]}),
        ...                            npartitions=1)
        >>> df.select_dtypes("number").columns.tolist()
        ['x']
        """
        cols = list(self._meta.select_dtypes(include=include, exclude=exclude).columns)
        return new_collection(Projection(self.expr, cols))


class SeriesMethods:
    """Series-only methods."""

    expr: Expr
    _meta: Any

    @property
    def str(self) -> StringAccessor:
        """String methods (``.str``), as in pandas.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series(["a", "b"]), npartitions=1)
        >>> s.str.upper().compute().tolist()
        ['A', 'B']
        """

        return StringAccessor(self)

    @property
    def dt(self) -> DatetimeAccessor:
        """Datetime and timedelta methods (``.dt``), as in pandas.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series(pd.date_range("2024", periods=2)),
        ...                           npartitions=1)
        >>> s.dt.year.compute().tolist()
        [2024, 2024]
        """

        return DatetimeAccessor(self)

    @property
    def cat(self) -> CategoricalAccessor:
        """Categorical methods (``.cat``), as in pandas.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series(["a", "b"], dtype="category"),
        ...                           npartitions=1)
        >>> s.cat.categories.tolist()
        ['a', 'b']
        """

        return CategoricalAccessor(self)

    def between(
        self, left: Any, right: Any, inclusive: builtins.str = "both"
    ) -> Series:
        """Is each value within ``[left, right]`` (bounds may be lazy scalars)?

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        >>> s.between(2, 3).compute().tolist()
        [False, True, True]
        """
        return guarded(
            self,
            "between()",
            lambda obj: method_call(obj, "between", left, right, inclusive=inclusive),
        )

    def add_prefix(self, prefix: builtins.str, axis: Any = None) -> Series:
        """Row labels prefixed (a Series' labels are its index).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2]), npartitions=1)
        >>> s.add_prefix("r").index.compute().tolist()
        ['r0', 'r1']
        """
        return self.rename(index=functools.partial(_affix, prefix, ""))

    def add_suffix(self, suffix: builtins.str, axis: Any = None) -> Series:
        """Row labels suffixed."""
        return self.rename(index=functools.partial(_affix, "", suffix))

    def rename(self, index: Any = None, **kwargs: Any) -> Series:
        """Set the name (a scalar) or rename index labels (mapping/function).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2], name="x"), npartitions=1)
        >>> s.rename("y").name
        'y'
        >>> s.rename({0: 10}).compute().index.tolist()
        [10, 1]
        """
        if kwargs:
            raise TypeError(f"rename() got unsupported arguments {sorted(kwargs)}")
        if callable(index) or isinstance(index, Mapping | pd.Series):
            if isinstance(index, pd.Series):
                index = index.to_dict()
            meta = _renamed_meta(kernels.rename_series_index, self._meta, index)
            return new_collection(
                MapPartitions(kernels.rename_series_index, meta, [self.expr, index])
            )
        return new_collection(MethodCall(self.expr, "rename", (index,)))
