"""Filter moves: a row filter goes below the nodes it commutes with.

Rule: a filter ``Filter(X, pred)`` (or ``Filter(X[cols], pred)``) whose
predicate is row-wise from ``X`` (:mod:`partframe.expr.rowwise`) is
replaced by ``X`` computed from filtered inputs, when ``X`` says it can be
(``Expr._filter_below``): an ``assign`` of columns the predicate does not
read, a ``rename``, an ``astype`` of other columns that cannot fail, a
``sort_values``, a ``set_index``, a shuffle, a ``concat``. The filter then
runs before the node, which moves (sorts, shuffles, copies) fewer rows.

The predicate is split into its AND terms: the terms that commute move
(each input of a ``concat`` must have their columns, with the result's
dtypes); the others stay in a filter above, read on the rebuilt node
(they are row-wise too, so filtering in two steps keeps the same rows).

Invariants:

- The result equals the plan's before: rows, row order, index, dtypes.
  Partitions of a sort may hold other rows (its boundaries are sampled
  from the filtered rows), but a node whose divisions are known already
  (asked for, or given) keeps them.
- A node is rewritten only when every use of it is below the filters of
  one predicate (the group of filters ``X[pred].a``, ``X[pred].b`` that
  simplification makes of one user filter): another use still sees every
  row.
- A predicate that reads a reduction of ``X`` (``X[X.a > X.a.mean()]``)
  does not move: the mean is of every row.
- Bounded: at most 32 moves, one node a round.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import pandas as pd

from ..base import Expr, _postorder, rewrite, walk
from ..blockwise import Elemwise, Filter, Projection
from ..rowwise import SERIES, reframe, rows_in_place, rowwise_conjuncts
from .predicates import _dominates

__all__ = ["move_filters"]


def _above(frame: Expr) -> tuple[Expr, list[Any]]:
    """``(X, selections)``: ``frame`` is ``X`` under column selections."""
    chain: list[Any] = []
    while type(frame) is Projection:
        chain.append(frame.operand("columns"))
        frame = frame.frame
    return frame, chain


def _reselect(node: Expr, chain: list[Any]) -> Expr:
    for cols in reversed(chain):
        node = Projection(node, cols)
    return node


def _columns_read(pred: Expr, x: Expr) -> set[Any]:
    """Columns of ``x`` that ``pred`` reads (``SERIES``: ``x`` itself)."""
    if pred._name == x._name:
        return {SERIES}
    out: set[Any] = set()
    for node in walk(pred):
        if node._name == x._name or not any(
            d._name == x._name for d in node.dependencies()
        ):
            continue
        if type(node) is Projection and not isinstance(node.operand("columns"), list):
            out.add(node.operand("columns"))
        else:
            out.add(SERIES)
    return out


def _and(terms: list[Expr]) -> Expr:
    return functools.reduce(lambda a, b: Elemwise(operator.and_, [a, b]), terms)


def _moved(x: Expr, terms: list[Expr]) -> Expr | None:
    """``x`` computed from its inputs filtered by the AND of ``terms``."""
    pred = _and(terms)
    columns = _columns_read(pred, x)
    if SERIES in columns and isinstance(x._meta, pd.DataFrame):
        return None  # reads the whole frame, or its index

    def filtered(inp: Expr, mapping: dict[Any, Any]) -> Expr | None:
        # Frames holding the rows of ``inp`` in place (``X[c]`` of an
        # assign is often simplified to a column of its input already)
        # stay as they are.
        keep = rows_in_place(inp) if inp._partitioning == x._partitioning else []
        moved = reframe(pred, x, inp, mapping, keep)
        if not isinstance(moved, Expr) or moved._partitioning != inp._partitioning:
            return None
        return Filter(inp, moved)

    try:
        return x._filter_below(columns, filtered)
    except (TypeError, ValueError, KeyError):
        return None  # a rebuilt node refused its operands: keep the plan


def _move(x: Expr, pred: Expr) -> tuple[Expr, Expr | None] | None:
    """``(x', rest)``: ``x`` with its inputs filtered by the terms of
    ``pred`` that commute, and the AND of the others read on ``x'``
    (None: every term moved)."""
    terms = rowwise_conjuncts(pred)
    moving = [t for t in terms if _moved(x, [t]) is not None]
    if not moving:
        return None
    new = _moved(x, moving)
    if new is None:
        return None
    rest = [t for t in terms if t not in moving]
    if not rest:
        return new, None
    meta = x._meta
    same = {c: c for c in meta.columns} if isinstance(meta, pd.DataFrame) else {}
    kept = reframe(_and(rest), x, new, same or {SERIES: SERIES})
    if kept is None:
        return None
    return new, kept


def _next_move(expr: Expr) -> tuple[dict[str, Expr], Expr] | None:
    """The filters of the first node a filter moves below, with what
    replaces each of them."""
    groups: dict[tuple[str, str], list[tuple[Expr, Expr, list[Any]]]] = {}
    for node in _postorder(expr):
        if type(node) is not Filter or not isinstance(node.predicate, Expr):
            continue
        x, chain = _above(node.frame)
        key = (x._name, node.predicate._name)
        groups.setdefault(key, []).append((node, x, chain))
    for filters in groups.values():
        _, x, _ = filters[0]
        pred = filters[0][0].operand("predicate")
        moved = _move(x, pred)
        if moved is None:
            continue
        if not _dominates(expr, [f for f, _, _ in filters], x):
            continue
        new, rest = moved
        out = {}
        for f, _, chain in filters:
            frame = _reselect(new, chain)
            out[f._name] = frame if rest is None else Filter(frame, rest)
        return out, new
    return None


def _swap_many(swaps: dict[str, Expr], node: Expr) -> Expr | None:
    return swaps.get(node._name)


def move_filters(expr: Expr) -> Expr:
    """Move row filters below the nodes they commute with (see the module
    docstring for the rule and invariants)."""
    for _ in range(32):
        found = _next_move(expr)
        if found is None:
            break
        swaps, _ = found
        expr = rewrite(expr, functools.partial(_swap_many, swaps))
    return expr
