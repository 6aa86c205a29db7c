"""Helpers every elementwise method family shares (mixed-in methods of
:mod:`partframe.methods.elementwise`, ``missing``, ``casting``, ``apply``,
``operators``).

A column-wise call (:func:`columnwise_call`) is the node most of them build;
:func:`method_call` aligns lazy arguments first; :func:`guarded` turns a
dtype error found on the meta into one naming the columns and dtypes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..collection._core import FrameBase, _Lazy, align, as_expr, new_collection
from ..expr.blockwise import _unknown_columns_message, call_method
from ..expr.elementwise import ColumnwiseCall

__all__ = [
    "NO_DEFAULT",
    "check_columns",
    "columnwise_call",
    "dtype_error",
    "guarded",
    "is_lazy",
    "is_lazy_frame",
    "listify",
    "method_call",
    "sub_operand",
]

#: Marks an argument not given (``None`` may be a value the user gives).
NO_DEFAULT: Any = object()


def is_lazy(x: Any) -> bool:
    return isinstance(x, _Lazy)


def is_lazy_frame(x: Any) -> bool:
    return isinstance(x, FrameBase)


def check_columns(frame: Any, wanted: Any, what: str) -> None:
    """Raise ``KeyError`` naming unknown columns and the closest matches."""
    available = list(frame._meta.columns)
    missing = [c for c in wanted if c not in available]
    if missing:
        raise KeyError(f"{what}: {_unknown_columns_message(missing, available)}")


def listify(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, str) or not isinstance(
        x, list | tuple | set | pd.Index | np.ndarray
    ):
        return [x]
    return list(x)


def dtype_error(
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


def guarded(obj: Any, what: str, build: Callable[[Any], Any]) -> Any:
    """``build(obj)``, with dtype errors from the meta naming columns and dtypes.

    pyarrow-backed strings report an unsupported operation as
    ``ArrowNotImplementedError``; it becomes a ``TypeError`` as for numpy.
    """
    try:
        return build(obj)
    except (TypeError, NotImplementedError) as exc:
        raise dtype_error(obj, what, exc, build) from exc


def sub_operand(other: Any, obj: Any) -> Any:
    """``other`` restricted to the columns of ``obj`` (a column subset of the
    frame being checked), so a per-column check does not fail on others."""
    if (
        is_lazy_frame(other)
        and isinstance(other._meta, pd.DataFrame)
        and isinstance(obj._meta, pd.DataFrame)
    ):
        return other[[c for c in obj._meta.columns if c in other._meta.columns]]
    return other


def columnwise_call(
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


def method_call(obj: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """``obj.<name>(*args, **kwargs)`` per partition; lazy args are aligned."""
    aligned = []
    for a in args:
        if is_lazy_frame(a):
            obj, a = align(obj, a)
        aligned.append(a)
    return columnwise_call(obj, call_method, (name, *aligned), kwargs)
