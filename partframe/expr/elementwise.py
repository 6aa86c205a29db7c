"""Expression nodes of elementwise methods, built for projection pushdown.

Each node states exactly which input columns it needs for the output
columns its parents use (``_column_needs``), so a projection after
``fillna``, ``rename`` or ``dropna`` reaches the source. The methods that
build them are in :mod:`partframe.methods.elementwise`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import pandas_dtype

from ..graph import quote
from ..kernels import elementwise as kernels
from ..kernels.enforce import MetaCheck, check_partition
from .base import Below, ColumnNeeds, Divisions, Expr, Layer, Needed, column_dtype
from .blockwise import (
    Blockwise,
    _meta_of,
    _task_arg,
    apply_kwargs,
    call_method,
    function_name,
)
from .meta import emulate, make_meta, meta_nonempty

__all__ = [
    "DTYPE_SENSITIVE",
    "CastAlike",
    "ColumnwiseCall",
    "FrameSeriesOp",
    "NonemptyCall",
    "RenameColumns",
    "WholeOf",
]

# Methods that succeed on empty data of a dtype they reject on values
# (``clip``/``between``/comparisons of strings): their meta is also checked
# on non-empty stand-ins, so the error comes when the plan is built.
DTYPE_SENSITIVE = frozenset(
    ["abs", "between", "clip", "round", "lt", "le", "gt", "ge"]
    + ["add", "sub", "mul", "div", "truediv", "floordiv", "mod", "pow"]
    + ["radd", "rsub", "rmul", "rdiv", "rtruediv", "rfloordiv", "rmod", "rpow"]
)


class ColumnwiseCall(Blockwise):
    """``func(frame, *args, **kwargs)`` per partition, column by column.

    The output has the frame's columns (or, for operations between frames,
    the union of their columns) and each output column depends only on the
    same-named input columns, plus ``extra_columns`` (e.g. ``dropna``'s
    ``subset``). So every DataFrame input needs only the columns its parents
    use, plus the extras. ``func`` must accept a partition holding only those
    columns.
    """

    _parameters = ["frame", "func", "args", "kwargs", "extra_columns", "meta"]
    _keeps_rows = True
    _defaults = {"args": (), "kwargs": None, "extra_columns": (), "meta": None}
    frame: Expr
    func: Callable[..., Any]
    args: Sequence[Any]
    kwargs: dict[str, Any] | None
    extra_columns: tuple[Any, ...]
    meta: Any

    @property
    def operation(self) -> Any:
        return self.func

    def _as_method_call(
        self,
    ) -> tuple[Expr, str, tuple[Any, ...], dict[str, Any]] | None:
        args = tuple(self.args or ())
        if self.func is call_method and args and isinstance(args[0], str):
            return self.frame, args[0], args[1:], dict(self.kwargs or {})
        return None

    @functools.cached_property
    def _meta(self) -> Any:
        given = self.operand("meta")
        if given is not None:
            return given
        args = [_meta_of(a) for a in self._args()]
        check = self.func is call_method and self.args[0] in DTYPE_SENSITIVE
        return emulate(self.func, *args, check=check, **self._kwargs())

    @property
    def _funcname(self) -> str:
        if self.func is call_method and self.args:
            return str(self.args[0])
        return getattr(self.func, "__name__", "columnwise").strip("_")

    def _args(self) -> list[Any]:
        return [self.frame, *self.args]

    def _kwargs(self) -> dict[str, Any]:
        return self.kwargs or {}

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        need = None if needed is None else set(needed) | set(self.extra_columns)
        return [
            (d, need if isinstance(d._meta, pd.DataFrame) else None)
            for d in self.dependencies()
        ]

    def _operand_repr(self) -> str:
        return self._funcname

    def _filter_below(
        self,
        columns: set[Any],
        filtered: Callable[[Expr, dict[Any, Any]], Expr | None],
    ) -> Expr | None:
        # ``astype({col: dtype})`` of columns the filter does not read, each
        # cast unable to fail: the rows the filter drops could not have
        # made it raise either (a cast that may fail stays before the
        # filter, so it fails as pandas does).
        if type(self) is not ColumnwiseCall or self.func is not kernels.astype_columns:
            return None
        dtypes, _ = self.args
        meta = self.frame._meta
        if columns & set(dtypes) or not all(
            k not in meta.columns or _cannot_fail(meta[k].dtype, v)
            for k, v in dtypes.items()
        ):
            return None
        frame = filtered(self.frame, {c: c for c in columns})
        return None if frame is None else self.substitute_operands(frame=frame)


def _cannot_fail(src: Any, dst: Any) -> bool:
    """Can casting values of dtype ``src`` to ``dst`` never raise?

    Examples
    --------
    >>> i32, f64 = np.dtype("int32"), np.dtype("float64")
    >>> _cannot_fail(i32, "float64"), _cannot_fail(f64, "int64")
    (True, False)
    >>> _cannot_fail(np.dtype("int64"), "Int64"), _cannot_fail(np.dtype("O"), "str")
    (True, True)
    """
    if isinstance(src, pd.DataFrame | pd.Series):  # duplicate labels
        return False
    try:
        dst = pandas_dtype(dst)
    except TypeError:
        return False
    if dst == src or dst == np.dtype("O") or isinstance(dst, pd.StringDtype):
        return True
    if isinstance(dst, pd.CategoricalDtype):
        return dst.categories is not None  # other values become missing
    target = getattr(dst, "numpy_dtype", dst)
    if not isinstance(src, np.dtype) or not isinstance(target, np.dtype):
        return False
    return bool(np.can_cast(src, target, casting="safe"))


class CastAlike(ColumnwiseCall):
    """``frame``'s partitions, as pandas made them, cast alike as pandas
    decides for the whole data: ``func`` is :func:`kernels.cast_alike`, and
    its first argument the flags of the columns that some partition upcast
    (a :class:`~partframe.expr.reductions.TreeReduction`).

    ``meta`` has the upcast dtypes; ``_meta_if_complete`` (``frame``'s
    meta) those pandas keeps when no partition upcasts: the partitions
    hold one or the other, alike in every partition.
    """

    @functools.cached_property
    def _meta_if_complete(self) -> Any:
        return self.frame._meta

    def _widened_step(self, column: Any) -> Any:
        # With pandas' dtype for data without missing values as its meta
        # (``upcast_alike(narrow_meta=True)``), the partitions may hold the
        # wide dtype, alike.
        _, wide, kept = self.args
        if column is None:
            pair = (wide, kept) if not isinstance(wide, dict) else (None, None)
        else:
            pair = (
                (wide.get(column), kept.get(column))
                if isinstance(wide, dict)
                else (None, None)
            )
        if pair[0] is not None and column_dtype(self._meta, column) == pair[1]:
            return pair[0]
        return super()._widened_step(column)


class RenameColumns(Blockwise):
    """``frame.rename(columns=mapping)`` with a complete ``old -> new`` dict."""

    _parameters = ["frame", "mapping"]
    _keeps_rows = True
    frame: Expr
    mapping: dict[Any, Any]
    operation = staticmethod(kernels.rename_columns)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        if needed is None:
            return [(self.frame, None)]
        mapping = self.mapping
        cols = [c for c in self.frame._meta.columns if mapping.get(c, c) in needed]
        return [(self.frame, set(cols))]

    def _operand_repr(self) -> str:
        changed = {k: v for k, v in self.mapping.items() if k != v}
        return repr(changed)

    def _no_missing_step(self, column: Any) -> bool | Below:
        below = self._renamed_from(column)
        return False if below is None else below

    def _widened_step(self, column: Any) -> Any:
        return self._renamed_from(column)

    def _renamed_from(self, column: Any) -> Below | None:
        """The input column renamed to ``column`` (one only)."""
        mapping = self.mapping
        old = [o for o in self.frame._meta.columns if mapping.get(o, o) == column]
        return Below(self.frame, old[0]) if len(old) == 1 else None

    def _filter_below(
        self,
        columns: set[Any],
        filtered: Callable[[Expr, dict[Any, Any]], Expr | None],
    ) -> Expr | None:
        # The filter reads the columns under their old labels.
        mapping, old = self.mapping, list(self.frame._meta.columns)
        back = {}
        for c in columns:
            sources = [o for o in old if mapping.get(o, o) == c]
            if len(sources) != 1:
                return None  # a Series' values, or a label made twice
            back[c] = sources[0]
        frame = filtered(self.frame, back)
        return None if frame is None else RenameColumns(frame, mapping)


# Kernels that run a user function (its first argument): messages name it.
_USER_CALLS = {
    kernels.apply_rows: "apply({}, axis=1)",
    kernels.apply_values: "apply({})",
    kernels.map_elements: "map({})",
}


class NonemptyCall(Blockwise):
    """``func(frame, *args, **kwargs)`` whose schema comes from non-empty data.

    Used where pandas answers differently on empty input (functions applied
    to rows or elements, string splits, date parts): the meta is computed on
    a two-row stand-in (or given as ``meta``), and empty partitions return
    it, so every partition has the same schema.
    """

    _parameters = ["frame", "func", "args", "kwargs", "meta", "preserves_index"]
    _defaults = {"args": (), "kwargs": None, "meta": None, "preserves_index": True}
    frame: Expr
    func: Callable[..., Any]
    args: Sequence[Any]
    kwargs: dict[str, Any] | None
    meta: Any
    preserves_index: bool

    @property
    def _funcname(self) -> str:
        name = getattr(self.func, "__name__", "call")
        if self.func in (kernels.accessor_call, kernels.accessor_attr) and self.args:
            name = f"{self.args[0]}-{self.args[1]}"
        return name.strip("_<>")

    @property
    def _preserves_partitioning(self) -> bool:  # type: ignore[override]
        return bool(self.preserves_index)

    @functools.cached_property
    def _meta(self) -> Any:
        given = self.operand("meta")
        if given is not None:
            return given
        args = [meta_nonempty(a._meta) if isinstance(a, Expr) else a for a in self.args]
        kwargs = self.kwargs or {}
        return make_meta(self.func(meta_nonempty(self.frame._meta), *args, **kwargs))

    @functools.cached_property
    def _meta_check(self) -> MetaCheck:
        pattern = _USER_CALLS.get(self.func)
        if pattern is not None and self.args:
            label = pattern.format(function_name(self.args[0]))
        else:
            label = self._funcname
        return MetaCheck(self._meta, label, inferred=self.operand("meta") is None)

    def _task(self, index: int) -> Any:
        args = [_task_arg(a, index) for a in [self.frame, *self.args]]
        head = (quote(self.func), quote(self._meta))
        if self.kwargs:
            kwargs = quote(self.kwargs)
            call = (apply_kwargs, kernels.call_nonempty, kwargs, *head, *args)
        else:
            call = (kernels.call_nonempty, *head, *args)
        # The meta came from a two-row stand-in or from the user: check each
        # partition against it where it is made (see kernels/enforce.py).
        return (check_partition, self._meta_check, index, call)

    def _operand_repr(self) -> str:
        return self._funcname


class WholeOf(Expr):
    """All partitions of ``frame`` concatenated into one :class:`Whole` value.

    A single-partition, non-frame input: partition-wise nodes pass it whole
    to each of their partitions (``s.isin(other_lazy_series)``).
    """

    _parameters = ["frame"]
    frame: Expr

    @functools.cached_property
    def _meta(self) -> Any:
        return kernels.Whole(self.frame._meta)

    def _divisions(self) -> Divisions:
        return (None, None)

    def _layer(self) -> Layer:
        keys = [(self.frame._name, i) for i in range(self.frame.npartitions)]
        return {(self._name, 0): (kernels.concat_whole, keys)}


class FrameSeriesOp(Blockwise):
    """``op(frame, series)`` per partition where pandas aligns the Series'
    labels with the frame's columns (``df - df.mean()``, ``df.sub(s,
    axis="columns")``): ``whole`` (a :class:`WholeOf` the Series) is passed
    whole to every partition.

    ``op`` is an operator (``reflect``: ``op(series, frame)``) or a method
    name called with ``kwargs``. The Series' labels are known only when it
    is computed: the schema is the one pandas gives when they are the
    frame's columns (a reduction of the frame), and the kernel raises for
    other labels. Every output column needs every input column of the
    frame only through the same-named label, but a projected partition
    would no longer match the labels: the frame is read whole (the default
    ``_column_needs``).
    """

    _parameters = ["frame", "whole", "op", "reflect", "kwargs"]
    _keeps_rows = True
    _defaults = {"reflect": False, "kwargs": None}
    frame: Expr
    whole: WholeOf
    op: Any
    reflect: bool
    kwargs: dict[str, Any] | None
    operation = staticmethod(kernels.frame_series_op)

    def _args(self) -> list[Any]:
        return [self.frame, self.whole, self.op, self.reflect, self.kwargs or {}]

    @property
    def _funcname(self) -> str:
        op = self.op
        return op if isinstance(op, str) else getattr(op, "__name__", "op").strip("_")

    @functools.cached_property
    def _meta(self) -> Any:
        frame = meta_nonempty(self.frame._meta)
        value = meta_nonempty(self.whole.frame._meta).iloc[0]
        # A stand-in Series with one value per column, of the Series' dtype.
        series = pd.Series(
            [value] * len(frame.columns),
            index=frame.columns,
            dtype=self.whole.frame._meta.dtype,
        )
        stand_in = kernels.Whole(series)
        return make_meta(
            kernels.frame_series_op(
                frame, stand_in, self.op, self.reflect, self.kwargs or {}
            )
        )

    def _task(self, index: int) -> Any:
        # Values decide some dtypes (an int column minus a float label):
        # each partition is checked against the schema and cast where exact.
        call = super()._task(index)
        check = MetaCheck(self._meta, f"DataFrame {self._funcname} Series")
        return (check_partition, check, index, call)
