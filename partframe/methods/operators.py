"""Operator methods of DataFrame and Series (mixed into the facades).

The operators themselves (``df + 1``, ``s < t``) are built in
:class:`~partframe.collection._core.FrameBase`; the mixins here wrap its
``_binop`` so a dtype error names the columns and dtypes that cannot take
part (and an ordering that empty data would hide is checked on non-empty
stand-ins), and add the named methods (``add``, ``eq``...) with pandas'
``axis``, ``level`` and ``fill_value``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

import pandas as pd

from ..collection._core import FrameBase, along_columns, as_expr, lazy_operand
from ..expr.meta import emulate
from .columnwise import (
    dtype_error,
    guarded,
    is_lazy_frame,
    method_call,
    sub_operand,
)

__all__ = ["DataFrameMethods", "FrameMethods", "SeriesMethods"]


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
            o = other if obj is self else sub_operand(other, obj)
            if is_lazy_frame(o) and axis in (None, 1, "columns"):
                along = along_columns(obj, o, name, False, kwargs)
                if along is not None:
                    return along
            return method_call(obj, name, o, **kwargs)

        return guarded(self, f"{name}()", build)

    method.__name__ = name
    method.__doc__ = _binary_doc(name, comparison)
    return method


class FrameMethods:
    """The named operator methods (``add``, ``eq``...), set below the class;
    the types of the operators themselves."""

    if TYPE_CHECKING:
        # The operators, set on FrameBase (collection._core) from its tables.
        # The result is of the left operand's class, except that a Series
        # with a DataFrame operand gives a DataFrame (pandas' rule).
        def __add__(self, other: Any) -> Self: ...
        def __radd__(self, other: Any) -> Self: ...
        def __sub__(self, other: Any) -> Self: ...
        def __rsub__(self, other: Any) -> Self: ...
        def __mul__(self, other: Any) -> Self: ...
        def __rmul__(self, other: Any) -> Self: ...
        def __truediv__(self, other: Any) -> Self: ...
        def __rtruediv__(self, other: Any) -> Self: ...
        def __floordiv__(self, other: Any) -> Self: ...
        def __rfloordiv__(self, other: Any) -> Self: ...
        def __mod__(self, other: Any) -> Self: ...
        def __rmod__(self, other: Any) -> Self: ...
        def __pow__(self, other: Any) -> Self: ...
        def __rpow__(self, other: Any) -> Self: ...
        def __and__(self, other: Any) -> Self: ...
        def __rand__(self, other: Any) -> Self: ...
        def __or__(self, other: Any) -> Self: ...
        def __ror__(self, other: Any) -> Self: ...
        def __xor__(self, other: Any) -> Self: ...
        def __rxor__(self, other: Any) -> Self: ...
        def __lt__(self, other: Any) -> Self: ...
        def __le__(self, other: Any) -> Self: ...
        def __gt__(self, other: Any) -> Self: ...
        def __ge__(self, other: Any) -> Self: ...
        def __eq__(self, other: Any) -> Self: ...  # type: ignore[override]
        def __ne__(self, other: Any) -> Self: ...  # type: ignore[override]
        def __neg__(self) -> Self: ...
        def __pos__(self) -> Self: ...
        def __invert__(self) -> Self: ...
        def __abs__(self) -> Self: ...

        # The named methods, set below the class.

        def add(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def sub(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def mul(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def div(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def truediv(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def floordiv(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def mod(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def pow(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def radd(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def rsub(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def rmul(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def rdiv(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def rtruediv(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def rfloordiv(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def rmod(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def rpow(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def eq(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def ne(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def lt(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def le(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def gt(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...
        def ge(
            self, other: Any, axis: Any = ..., level: Any = ..., fill_value: Any = ...
        ) -> Self: ...


for _name in _ARITHMETIC + _COMPARISON:
    setattr(FrameMethods, _name, _binary_method(_name, None))


class DataFrameMethods:
    """DataFrame operators."""

    def _binop(self, other: Any, op: Callable, reflect: bool = False) -> Any:
        # Operators are built in FrameBase; this wrapper makes a dtype error
        # name the column(s) and dtype(s) that cannot take part.
        parent = super()._binop  # type: ignore[misc]
        return _checked_binop(self, parent, other, op, reflect, per_column=True)


class SeriesMethods:
    """Series operators."""

    def _binop(self, other: Any, op: Callable, reflect: bool = False) -> Any:
        parent = super()._binop  # type: ignore[misc]
        return _checked_binop(self, parent, other, op, reflect, per_column=False)


def _checked_binop(
    obj: Any, parent: Callable, other: Any, op: Callable, reflect: bool,
    per_column: bool,
) -> Any:  # fmt: skip
    """``parent(other, op, reflect)`` (FrameBase's operator), checking on
    non-empty stand-ins what empty metas hide; a ``TypeError`` names the
    dtype (and, ``per_column``, the columns) that cannot take part."""
    try:
        out = parent(other, op, reflect=reflect)
        _check_operator(obj, other, op, reflect)
        return out
    except TypeError as exc:
        what = f"operator {op.__name__.strip('_')!r}"
        build = None
        if per_column:

            def build(part: Any) -> Any:
                o = other if part is obj else sub_operand(other, part)
                _check_operator(part, o, op, reflect)
                return FrameBase._binop(part, o, op, reflect=reflect)

        raise dtype_error(obj, what, exc, build) from exc
