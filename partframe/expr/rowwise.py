"""Row-wise expressions: values computed row by row from one frame.

A row filter commutes with a node when its predicate, computed from the
node's output, can be computed from the node's input instead and keeps
the same rows (:meth:`~partframe.expr.base.Expr._filter_below`). That
needs the predicate to be *row-wise*: each of its values depends only on
the same row of the frame (a comparison of a column with a scalar, an
``isin``, a string test), never on the other rows (a running sum, a
partition-wise user function) or on how the rows are split into
partitions. :func:`reframe` rebuilds such an expression on another frame
(a column of the old frame becomes a column of the new one, maybe
renamed), or says it cannot.

Whitelist: the node types below are the row-wise ones; anything else
(a reduction of the frame, a cumulative step, a shuffle, a user
``map_partitions``) makes the expression not row-wise. A lazy scalar
that does not depend on the old frame (a reduction of another frame, or
of the frame the old one was built from) is a constant for every row and
stays as it is.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..kernels import elementwise as ekernels
from ..kernels.calls import call_method
from .base import Expr, _postorder, walk
from .meta import is_frame_or_series

__all__ = [
    "SERIES",
    "depends_on",
    "reads_rowwise",
    "reframe",
    "rows_in_place",
    "rowwise_conjuncts",
]


class _SeriesValues:
    """The key of a column map standing for a Series' own values."""

    def __repr__(self) -> str:
        return "SERIES"


#: In a column map: the old Series itself (its values) maps to the new one.
SERIES = _SeriesValues()

_OPERATORS = frozenset(
    getattr(operator, name)
    for name in (
        "add sub mul truediv floordiv mod pow and_ or_ xor eq ne lt le gt ge "
        "neg pos invert abs"
    ).split()
)

# Methods whose result at a row depends only on that row (with scalar or
# row-wise arguments).
ROWWISE_METHODS = frozenset(
    "isin between isna isnull notna notnull abs round clip astype where mask "
    "eq ne lt le gt ge add sub mul truediv floordiv mod pow fillna".split()
)

# Accessor calls that are not row by row (``str.cat`` joins all rows).
_NOT_ROWWISE_ACCESSORS = frozenset({"cat"})


def _kind(node: Expr) -> str:
    """The node's class name (this module imports no node class: the
    nodes' hooks import it, so it must not import them)."""
    return type(node).__name__


def depends_on(e: Expr, name: str) -> bool:
    """Is the node called ``name`` ``e`` or below it?"""
    return any(node._name == name for node in walk(e))


def _rowwise_node(node: Expr) -> bool:
    """Is ``node`` of a row-wise kind (whatever its inputs are)?"""
    kind = _kind(node)
    if kind == "Projection":
        return True
    if kind == "Elemwise":
        return node.operand("func") in _OPERATORS and not node.operand("kwargs")
    if kind in ("MethodCall", "ColumnwiseCall"):
        call = node._as_method_call()
        if kind == "ColumnwiseCall" and node.operand("func") is ekernels.astype_columns:
            return True
        if call is None or (
            kind == "ColumnwiseCall" and node.operand("func") is not call_method
        ):
            return False
        _, method, _, kwargs = call
        return method in ROWWISE_METHODS and "limit" not in kwargs
    if kind == "NonemptyCall":
        func, args = node.operand("func"), node.operand("args")
        return bool(
            func in (ekernels.accessor_call, ekernels.accessor_attr)
            and len(args) >= 2
            and args[0] in ("str", "dt")
            and args[1] not in _NOT_ROWWISE_ACCESSORS
            and node.operand("preserves_index")
        )
    return False


def _is_scalar(e: Expr) -> bool:
    return not is_frame_or_series(e._meta) and not isinstance(e._meta, pd.Index)


def reframe(
    e: Any,
    old: Expr,
    new: Expr,
    columns: dict[Any, Any],
    keep: Iterable[str] = (),
) -> Any:
    """``e`` (row-wise from ``old``) computed from ``new`` instead, or None.

    ``old[c]`` becomes ``new[columns[c]]``; ``old`` itself (a Series)
    becomes ``new`` when ``columns`` has :data:`SERIES`. Nodes named in
    ``keep`` stay as they are (frames with the rows of ``new`` in place);
    so do lazy scalars that do not depend on ``old``. Anything else that is
    not row-wise from ``old`` gives None: then ``e`` cannot be computed
    from ``new`` row by row.
    """
    kept = set(keep)
    memo: dict[str, Any] = {}

    def go(x: Expr) -> Expr | None:
        if x._name in memo:
            out: Expr | None = memo[x._name]
            return out
        memo[x._name] = out = _go(x)
        return out

    def _go(x: Expr) -> Expr | None:
        if x._name == old._name:
            return new if SERIES in columns else None
        if x._name in kept:
            return x
        if _is_scalar(x):
            return None if depends_on(x, old._name) else x
        if _kind(x) == "Projection" and x.operand("frame")._name == old._name:
            col = x.operand("columns")
            if isinstance(col, list) or not isinstance(x._meta, pd.Series):
                return None
            if col not in columns:
                return None
            return x.substitute_operands(frame=new, columns=columns[col])
        if not _rowwise_node(x):
            return None
        deps: dict[str, Expr] = {}
        for d in x.dependencies():
            got = go(d)
            if got is None:
                return None
            deps[d._name] = got
        return x._with_dependencies(deps)

    if not isinstance(e, Expr):
        return e
    return go(e)


def rows_in_place(frame: Expr) -> list[str]:
    """Names of ``frame`` and of the frames below it with the same rows in
    place (every row, in order, in the same partitions): through column
    selections, assignments, renames and casts of columns.
    """
    out = [frame._name]
    while _kind(frame) in ("Projection", "Assign", "RenameColumns") or (
        _kind(frame) == "ColumnwiseCall"
        and frame.operand("func") is ekernels.astype_columns
    ):
        frame = frame.operand("frame")
        out.append(frame._name)
    return out


def reads_rowwise(e: Expr, source: Expr) -> bool:
    """Does every path from ``e`` down to ``source`` pass only through
    row-wise nodes and nodes that pass their rows through (column
    selections)? Then each value of ``e`` depends on the same row of
    ``source`` alone: dropping rows of ``source`` that ``e`` would drop
    changes nothing else (``df[df.x > df.x.mean()]`` reads ``df`` through a
    reduction: not row-wise).
    """
    reads: dict[str, bool] = {source._name: True}  # x reads source
    rowwise: dict[str, bool] = {source._name: True}  # ... only row-wise
    for x in _postorder(e, {source._name}):
        below = x.dependencies()
        reads[x._name] = any(reads.get(d._name, False) for d in below)
        through = _rowwise_node(x) or x._predicate_through() is not None
        rowwise[x._name] = not reads[x._name] or (
            through and all(rowwise.get(d._name, True) for d in below)
        )
    return rowwise.get(e._name, True)


def _is_bool_series(x: Any) -> bool:
    return (
        isinstance(x, Expr)
        and isinstance(x._meta, pd.Series)
        and pd.api.types.is_bool_dtype(x._meta.dtype)
    )


def rowwise_conjuncts(pred: Expr) -> list[Expr]:
    """The terms of ``pred`` as an AND (``a & b & c`` -> ``[a, b, c]``)."""
    out: list[Expr] = []
    stack = [pred]
    while stack:
        p = stack.pop()
        if (
            _kind(p) == "Elemwise"
            and p.operand("func") is operator.and_
            and len(p.operand("args")) == 2
            and not p.operand("kwargs")
            and all(_is_bool_series(a) for a in p.operand("args"))
        ):
            a, b = p.operand("args")
            stack.extend([b, a])
        else:
            out.append(p)
    return out
