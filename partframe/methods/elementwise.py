"""Elementwise methods of DataFrame and Series (mixed into the facades).

Every method here works partition by partition: output partition ``i``
needs only input partition ``i`` (and, for ``isin``/``map`` with a lazy
Series, the whole of that Series, computed once and passed to every
partition). Plans are only built here; nothing is computed. Errors the user
deserves (unknown columns, a dtype that cannot support an operation) are
raised while the plan is built, and name the column and its dtype.

This module holds the shared helpers, operators and operator methods,
replacing values (``replace``/``where``/``mask``/``clip``/``round``/``abs``),
``isin``, column renaming and dropping, and the ``.str``/``.dt``/
``.cat`` accessors. Other families live next to it: missing values in
:mod:`partframe.methods.missing`, ``astype`` in :mod:`partframe.methods.casting`,
expression strings and user functions
(``query``/``eval``/``apply``/``map``) in :mod:`partframe.methods.apply`.

The expression nodes these methods build beyond the core ones
(:class:`~partframe.expr.elementwise.ColumnwiseCall` and friends) are in
:mod:`partframe.expr.elementwise`.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd

from ..collection._core import (
    FrameBase,
    _Lazy,
    align,
    along_columns,
    as_expr,
    lazy_operand,
    new_collection,
)
from ..expr.base import Expr
from ..expr.blockwise import (
    MapPartitions,
    MethodCall,
    Projection,
    _unknown_columns_message,
    call_method,
)
from ..expr.elementwise import (
    CastAlike,
    ColumnwiseCall,
    NonemptyCall,
    RenameColumns,
    WholeOf,
)
from ..expr.meta import emulate, make_meta, meta_nonempty
from ..expr.reductions import TreeReduction
from ..expr.sources import DelayedValue
from ..kernels import elementwise as kernels
from .accessors import CategoricalAccessor, DatetimeAccessor, StringAccessor

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

_NO_DEFAULT: Any = object()


# -- helpers ---------------------------------------------------------------
def _is_lazy(x: Any) -> bool:
    return isinstance(x, _Lazy)


def _is_lazy_frame(x: Any) -> bool:
    return isinstance(x, FrameBase)


def _check_columns(frame: Any, wanted: Any, what: str) -> None:
    """Raise ``KeyError`` naming unknown columns and the closest matches."""
    available = list(frame._meta.columns)
    missing = [c for c in wanted if c not in available]
    if missing:
        raise KeyError(f"{what}: {_unknown_columns_message(missing, available)}")


def _listify(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, str) or not isinstance(
        x, list | tuple | set | pd.Index | np.ndarray
    ):
        return [x]
    return list(x)


def _dtype_error(
    obj: Any, what: str, exc: Exception, build: Callable | None
) -> Exception:
    """A TypeError that names the column(s) and dtype(s) an operation cannot use."""
    meta = obj._meta
    if isinstance(meta, pd.DataFrame) and build is not None:
        bad = []
        for col in meta.columns:
            try:
                build(obj[[col]])
            except Exception:
                bad.append(col)
        if bad:
            cols = ", ".join(f"{c!r} (dtype {meta[c].dtype})" for c in bad)
            return TypeError(f"{what} is not supported for column(s) {cols}: {exc}")
    if isinstance(meta, pd.Series):
        return TypeError(
            f"{what} is not supported for Series {meta.name!r} of dtype "
            f"{meta.dtype}: {exc}"
        )
    return TypeError(f"{what}: {exc}")


def _guarded(obj: Any, what: str, build: Callable[[Any], Any]) -> Any:
    """``build(obj)``, with dtype errors from the meta naming columns and dtypes.

    pyarrow-backed strings report an unsupported operation as
    ``ArrowNotImplementedError``; it becomes a ``TypeError`` as for numpy.
    """
    try:
        return build(obj)
    except (TypeError, NotImplementedError) as exc:
        raise _dtype_error(obj, what, exc, build) from exc


_ORDERING = frozenset([operator.lt, operator.le, operator.gt, operator.ge])


def _check_operator(obj: Any, other: Any, op: Callable, reflect: bool) -> None:
    """Raise the TypeError an ordering of values would, which empty data hides.

    ``<`` between strings and numbers succeeds on empty data; the check
    runs on non-empty stand-ins, and only for non-numeric dtypes.
    """
    if op not in _ORDERING:
        return
    o = as_expr(other)
    o = o._meta if hasattr(o, "_meta") else o
    metas = [m for m in (obj._meta, o) if isinstance(m, pd.DataFrame | pd.Series)]
    if all(_numeric_or_object(m) for m in metas):
        return  # numbers order with numbers; object stand-ins are guesses
    args = [o, obj._meta] if reflect else [obj._meta, o]
    emulate(op, *args, check=True)


def _numeric_or_object(meta: Any) -> bool:
    dtypes = meta.dtypes if isinstance(meta, pd.DataFrame) else [meta.dtype]
    return all(
        pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_object_dtype(dt)
        for dt in dtypes
    )


def _sub_operand(other: Any, obj: Any) -> Any:
    """``other`` restricted to the columns of ``obj`` (a column subset of the
    frame being checked), so a per-column check does not fail on others."""
    if (
        _is_lazy_frame(other)
        and isinstance(other._meta, pd.DataFrame)
        and isinstance(obj._meta, pd.DataFrame)
    ):
        return other[[c for c in obj._meta.columns if c in other._meta.columns]]
    return other


def _columnwise(
    obj: Any,
    func: Callable,
    args: tuple = (),
    kwargs: dict | None = None,
    extra: Any = (),
) -> Any:
    args = tuple(as_expr(a) for a in args)
    if isinstance(obj._meta, pd.DataFrame):
        node = ColumnwiseCall(obj.expr, func, args, kwargs or None, tuple(extra))
    else:
        node = ColumnwiseCall(obj.expr, func, args, kwargs or None)
    return new_collection(node)


def _method_call(obj: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """``obj.<name>(*args, **kwargs)`` per partition; lazy args are aligned."""
    aligned = []
    for a in args:
        if _is_lazy_frame(a):
            obj, a = align(obj, a)
        aligned.append(a)
    return _columnwise(obj, call_method, (name, *aligned), kwargs)


def _replaced_meta(obj: Any, name: str, args: list, kwargs: dict) -> Any:
    """The schema of ``where``/``mask`` when some values are replaced."""
    try:
        sample, cond = _sample_and_cond(obj._meta)
        rest = [_nonempty_operand(a) for a in args[1:]]
        return make_meta(getattr(sample, name)(cond, *rest, **kwargs))
    except Exception:
        return None


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


def _upcast_alike(out: Any, wide: Any) -> Any:
    """``out`` (partitions as pandas makes them, its meta the dtypes pandas
    keeps) cast alike: to ``wide``'s dtype for each column that some
    partition upcast, else to the kept one (see :class:`CastAlike`)."""
    kept = out._meta
    frame = isinstance(kept, pd.DataFrame)
    if wide is None or _same_schema(wide, kept):
        return out
    if frame and not kept.columns.is_unique:
        # Flags are kept per column label: with repeated labels each
        # partition keeps the dtypes pandas gave it.
        return out
    if frame:
        watch = [c for c in kept.columns if kept[c].dtype != wide[c].dtype]
        kept_dtypes: Any = {c: kept[c].dtype for c in watch}
        wide_dtypes: Any = {c: wide[c].dtype for c in watch}
    else:
        kept_dtypes, wide_dtypes = kept.dtype, wide.dtype
    flags = TreeReduction(
        out.expr, kernels.upcast_flags, kernels.any_upcast, kernels.any_upcast,
        {} if frame else False, chunk_kwargs={"kept": kept_dtypes},
        label="upcast-flags", columns=watch if frame else None,
    )  # fmt: skip
    return new_collection(
        CastAlike(
            out.expr, kernels.cast_alike, (flags, wide_dtypes, kept_dtypes),
            None, (), wide,
        )
    )  # fmt: skip


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
    return meta_nonempty(as_expr(x)._meta) if _is_lazy(x) else x


def _same_schema(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame):
        return isinstance(b, pd.DataFrame) and a.dtypes.equals(b.dtypes)
    return isinstance(b, pd.Series) and a.dtype == b.dtype


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
        if _is_lazy_frame(v):
            raise TypeError(
                "isin(): a list of values cannot hold a lazy DataFrame or "
                "Series; pass the Series itself (s.isin(other))"
            )
        if _is_lazy(v):
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


_ARITHMETIC = [
    "add", "sub", "mul", "div", "truediv", "floordiv", "mod", "pow",
    "radd", "rsub", "rmul", "rdiv", "rtruediv", "rfloordiv", "rmod", "rpow",
]  # fmt: skip
_COMPARISON = ["eq", "ne", "lt", "le", "gt", "ge"]


def _binary_doc(name: str, comparison: bool) -> str:
    sample = pd.Series([1.0, None, 3.0])
    if comparison:
        call = f"s.{name}(2)"
        expected = getattr(sample, name)(2).tolist()
    else:
        call = f"s.{name}(2, fill_value=10)"
        expected = getattr(sample, name)(2, fill_value=10).tolist()
    fill_doc = (
        "fill_value : scalar, optional\n            Replaces a missing value "
        "(on one side only) before the operation"
        + (" (Series only, as in pandas)." if comparison else ".")
    )
    return f"""Partition-wise ``{name}``, as pandas' ``{name}``.

        Parameters
        ----------
        other : scalar, lazy Scalar, Series or DataFrame
            Lazy frames are aligned first; so are in-memory pandas objects
            that pandas aligns on the index (they need known divisions); a
            pandas Series along the columns of a DataFrame is broadcast.
        axis, level
            As in pandas.
        {fill_doc}

        Returns
        -------
        DataFrame or Series

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.0, None, 3.0]), npartitions=2)
        >>> {call}.compute().tolist()
        {expected!r}
        """


def _binary_method(name: str, frame_default_axis: Any) -> Callable:
    comparison = name in _COMPARISON

    def method(
        self: Any,
        other: Any,
        axis: Any = frame_default_axis,
        level: Any = None,
        fill_value: Any = None,
    ) -> Any:
        kwargs: dict = {}
        if axis is not None:
            kwargs["axis"] = axis
        if level is not None:
            kwargs["level"] = level
        if fill_value is not None:
            if comparison and isinstance(self._meta, pd.DataFrame):
                # As pandas: DataFrame comparisons take no fill value.
                raise TypeError(
                    f"DataFrame.{name}() got an unexpected keyword argument "
                    "'fill_value' (pandas' DataFrame comparisons take none; "
                    "fillna() the frames first)"
                )
            kwargs["fill_value"] = fill_value
        other = lazy_operand(self, other, axis)
        if isinstance(other, pd.Index):
            raise TypeError(
                f"{name}(): an in-memory pandas {type(other).__name__} cannot be "
                "aligned with the partitions; wrap it with partframe.from_pandas"
            )

        def build(obj: Any) -> Any:
            o = other if obj is self else _sub_operand(other, obj)
            if _is_lazy_frame(o) and axis in (None, 1, "columns"):
                along = along_columns(obj, o, name, False, kwargs)
                if along is not None:
                    return along
            return _method_call(obj, name, o, **kwargs)

        return _guarded(self, f"{name}()", build)

    method.__name__ = name
    method.__doc__ = _binary_doc(name, comparison)
    return method


# -- mixins ------------------------------------------------------------------
class FrameMethods:
    """Methods shared by DataFrame and Series."""

    expr: Expr
    _meta: Any

    # Replacing values ---------------------------------------------------------
    def replace(
        self, to_replace: Any = None, value: Any = _NO_DEFAULT, *, regex: bool = False
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
        if value is not _NO_DEFAULT:
            kwargs["value"] = value
        return _columnwise(self, call_method, ("replace",), kwargs)

    def where(self, cond: Any, other: Any = _NO_DEFAULT, *, axis: Any = None) -> Self:
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

    def mask(self, cond: Any, other: Any = _NO_DEFAULT, *, axis: Any = None) -> Self:
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
        if callable(cond) and not _is_lazy(cond):
            cond = cond(self)
        if callable(other) and not _is_lazy(other):
            other = other(self)
        for label, x in (("cond", cond), ("other", other)):
            if isinstance(x, pd.DataFrame | pd.Series | np.ndarray | list):
                raise TypeError(
                    f"{name}(): {label} is an in-memory {type(x).__name__} that "
                    "cannot be aligned with the partitions; build it from this "
                    "frame or wrap it with partframe.from_pandas"
                )
        args = [cond] if other is _NO_DEFAULT else [cond, other]
        kwargs = {} if axis is None else {"axis": axis}

        def build(obj: Any) -> Any:
            a = [a if obj is self else _sub_operand(a, obj) for a in args]
            out = _method_call(obj, name, *a, **kwargs)
            # pandas upcasts a column when some of its values are replaced
            # (int64 -> float64 for missing values): decided over the whole
            # data, as pandas, the partitions are cast alike.
            return _upcast_alike(out, _replaced_meta(obj, name, a, kwargs))

        return _guarded(self, f"{name}()", build)

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
            out = _method_call(obj, "clip", lower, upper, **kwargs)
            return _upcast_alike(out, _clipped_meta(obj, lower, upper, kwargs))

        return _guarded(self, "clip()", build)

    def round(self, decimals: Any = 0) -> Self:
        """Round to ``decimals`` places (an int, or a dict per column).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1.26, 2.71]), npartitions=2)
        >>> s.round(1).compute().tolist()
        [1.3, 2.7]
        """
        return _guarded(
            self, "round()", lambda obj: _method_call(obj, "round", decimals)
        )

    def abs(self) -> Self:
        """Absolute values.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([-1, 2]), npartitions=2)
        >>> s.abs().compute().tolist()
        [1, 2]
        """
        return _guarded(self, "abs()", lambda obj: _method_call(obj, "abs"))

    def isin(self, values: Any) -> Any:
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
        if _is_lazy(values):
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
            return _columnwise(self, call_method, ("isin", dict(values)))
        if isinstance(values, pd.DataFrame):
            raise TypeError(
                "isin(DataFrame) aligns by index; wrap it with partframe.from_pandas"
            )
        values = _lazy_elements(_as_values(values, "isin()"))
        return _columnwise(self, call_method, ("isin", values))

    # Binary operator methods are added below the class.


for _name in _ARITHMETIC + _COMPARISON:
    setattr(FrameMethods, _name, _binary_method(_name, None))


class DataFrameMethods:
    """DataFrame-only methods."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Expr
    _meta: Any
    if TYPE_CHECKING:

        def _method(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    def _binop(self, other: Any, op: Callable, reflect: bool = False) -> Any:
        # Operators are built in FrameBase; this wrapper makes a dtype error
        # name the column(s) and dtype(s) that cannot take part.
        parent = super()._binop  # type: ignore[misc]
        try:
            out = parent(other, op, reflect=reflect)
            _check_operator(self, other, op, reflect)
            return out
        except TypeError as exc:
            what = f"operator {op.__name__.strip('_')!r}"

            def build(obj: Any) -> Any:
                o = other if obj is self else _sub_operand(other, obj)
                _check_operator(obj, o, op, reflect)
                return FrameBase._binop(obj, o, op, reflect=reflect)

            raise _dtype_error(self, what, exc, build) from exc

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
            cols = _listify(columns)
            if errors == "raise":
                _check_columns(self, cols, "drop()")
            keep = [c for c in self._meta.columns if c not in set(cols)]
            out = new_collection(Projection(self.expr, keep))
        if index is not None:
            if errors != "ignore":
                raise NotImplementedError(
                    "dropping index labels would need to check every partition "
                    "for them; pass errors='ignore'"
                )
            out = out._method("drop", index=_listify(index), errors="ignore")
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
                    _check_columns(self, list(given), "rename()")
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
            node = MapPartitions(kernels.rename_index, out._meta, [out.expr, index])
            out = new_collection(node)
        return out

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

    def _binop(self, other: Any, op: Callable, reflect: bool = False) -> Any:
        parent = super()._binop  # type: ignore[misc]
        try:
            out = parent(other, op, reflect=reflect)
            _check_operator(self, other, op, reflect)
            return out
        except TypeError as exc:
            what = f"operator {op.__name__.strip('_')!r}"
            raise _dtype_error(self, what, exc, None) from exc

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
        return _guarded(
            self,
            "between()",
            lambda obj: _method_call(obj, "between", left, right, inclusive=inclusive),
        )

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
            meta = self._meta
            return new_collection(
                MapPartitions(kernels.rename_series_index, meta, [self.expr, index])
            )
        return new_collection(MethodCall(self.expr, "rename", (index,)))
