"""Predicates: row filters reach the sources that can skip data with them.

Rule: for a node that keeps the rows where a boolean Series is true
(``Expr._row_filter``: ``df[pred]``), the pass reads ``pred`` as an AND of
terms ``(column, op, value)`` on the columns of a source below the filtered
frame: comparisons of a column with a scalar (``<``, ``<=``, ``>``, ``>=``,
``==``, ``!=``, either side), ``isin`` of scalars, ``between`` and ``&`` of
them (a lazy scalar not computed from the source is a value too, for the
filters below joins; sources are given only the values known now); parts
it cannot read are left out (the AND of the rest still holds of
every kept row). The source is found through nodes that pass rows through
unchanged (``Expr._predicate_through``: a column selection). The source's
``Expr._with_predicate(terms)`` returns a source that skips data where no
row can satisfy the terms (Parquet row groups ruled out by their
statistics), or ``None`` when it cannot use them.

Invariants:

- The filter stays in the plan: a source may skip data, and drop rows its
  own comparison rules out only where that comparison agrees with pandas'
  (a Parquet piece, in Arrow); rows are filtered exactly as pandas does,
  whatever the source skips.
- The source is changed only when every use of it is below the filter,
  through row-wise nodes: another use (``len(df)`` next to
  ``df[df.x > 0]``, or ``df.x.mean()`` inside the predicate) still sees
  every row.
- A source keeps its partitions (count and divisions) when it takes terms.
- Bounded: at most 32 source rewrites, one per round.

The pass knows no source class: sources and pass-through nodes say what
they can do through the hooks on :class:`~partframe.expr.base.Expr`.
"""

from __future__ import annotations

import datetime
import functools
import operator
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from ..base import Expr, _postorder, rewrite
from ..blockwise import Elemwise, Filter, MethodCall, Projection
from ..meta import column_labels, is_frame_or_series
from ..rowwise import SERIES, depends_on, reads_rowwise, reframe

__all__ = ["predicate_terms", "push_filters_below", "push_predicates"]

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_OPS = {
    operator.gt: ">",
    operator.ge: ">=",
    operator.lt: "<",
    operator.le: "<=",
    operator.eq: "==",
    operator.ne: "!=",
}
_SCALARS = (int, float, str, bool, np.generic, pd.Timestamp, datetime.date)
_FUNCS = {op: func for func, op in _OPS.items()}


def _is_missing(value: Any) -> bool:
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def _source_below(frame: Expr) -> Expr:
    """The node below ``frame`` that holds the same rows: down through every
    node that passes its rows through unchanged."""
    while True:
        below = frame._predicate_through()
        if below is None:
            return frame
        frame = below


def _column_of(e: Any, source: Expr) -> Any:
    """The source column that ``e`` is (``source[col]``), or None."""
    if not isinstance(e, Projection):
        return None
    col = e.operand("columns")
    if isinstance(col, list):
        return None
    return col if _source_below(e.frame)._name == source._name else None


def _lazy_scalar(value: Any, source: Expr) -> bool:
    """Is ``value`` a lazy scalar not computed from ``source`` (a constant
    for its rows: ``df.x > other.x.mean()``)?"""
    return (
        isinstance(value, Expr)
        and not is_frame_or_series(value._meta)
        and not isinstance(value._meta, pd.Index)
        and not depends_on(value, source._name)
    )


def _term_key(term: Any) -> Any:
    """A term, comparable: a lazy scalar value by its name (two reductions
    of different columns have the same repr)."""
    col, op, value = term
    return repr((col, op, value._name if isinstance(value, Expr) else value))


def _static(terms: list[Any]) -> list[Any]:
    """The terms whose values are known now (a source reads statistics
    with them while the plan is built)."""
    return [t for t in terms if not isinstance(t[2], Expr)]


def predicate_terms(pred: Any, source: Expr) -> list[Any]:
    """Filter terms on ``source``'s columns implied by the boolean Series
    ``pred`` (their AND holds of every row where ``pred`` is true).

    A value is a scalar, or a lazy scalar not computed from ``source``
    (known only when computing: a join's inputs can be filtered with it,
    a source cannot read statistics with it)."""
    if isinstance(pred, Elemwise):
        func, args = pred.func, list(pred.args)
        if func is operator.and_ and len(args) == 2 and not pred.kwargs:
            return predicate_terms(args[0], source) + predicate_terms(args[1], source)
        if func in _OPS and len(args) == 2 and not pred.kwargs:
            a, b = args
            op = _OPS[func]
            if isinstance(b, Expr) and not isinstance(a, Expr):
                a, b, op = b, a, _FLIP[op]
            col = _column_of(a, source)
            if col is not None and (
                (isinstance(b, _SCALARS) and not _is_missing(b))
                or _lazy_scalar(b, source)
            ):
                return [(col, op, b)]
        return []
    call = pred._as_method_call() if isinstance(pred, Expr) else None
    if call is not None:
        frame, method, margs, kwargs = call
        col = _column_of(frame, source)
        if col is None:
            return []
        if method == "isin" and len(margs) == 1 and not kwargs:
            values = margs[0]
            if isinstance(values, list | tuple | set) and all(
                isinstance(v, _SCALARS) for v in values
            ):
                return [(col, "in", tuple(values))]
        if method == "between" and len(margs) == 2:
            lo, hi = margs
            inclusive = kwargs.get("inclusive", "both")
            if isinstance(lo, _SCALARS) and isinstance(hi, _SCALARS):
                left = ">=" if inclusive in ("both", "left") else ">"
                right = "<=" if inclusive in ("both", "right") else "<"
                return [(col, left, lo), (col, right, hi)]
    return []


def _dominates(root: Expr, gate: Expr | list[Expr], target: Expr) -> bool:
    """Does every path from ``root`` to ``target`` pass through ``gate``
    (one of the gates, for a list)?"""
    gates = gate if isinstance(gate, list) else [gate]
    seen = {g._name for g in gates}
    stack = [root]
    while stack:
        node = stack.pop()
        if node._name == target._name:
            return False
        if node._name in seen:
            continue
        seen.add(node._name)
        stack.extend(node.dependencies())
    return True


def _filters(expr: Expr) -> Iterator[tuple[Expr, Expr, Expr, list[Any]]]:
    """Each row filter of the plan (inputs first), with its predicate, the
    node below it that holds the same rows, and the terms the predicate
    implies on that node's columns (filters with no terms left out)."""
    for node in _postorder(expr):
        filtered = node._row_filter()
        if filtered is None:
            continue
        frame, pred = filtered
        source = _source_below(frame)
        terms = predicate_terms(pred, source)
        if terms:
            yield node, pred, source, terms


def _next_pushdown(expr: Expr) -> tuple[Expr, Expr] | None:
    """The first ``(source, source with the terms)`` that the plan allows.

    A source below several filters (one per column selection of a filtered
    frame, ``df[p].a`` and ``df[p].b``) takes the terms they all share,
    when every use of it is below one of them.
    """
    found: dict[str, tuple[Expr, list[Expr], list[Any]]] = {}
    for node, _, source, terms in _filters(expr):
        terms = _static(terms)
        if source._name not in found:
            found[source._name] = (source, [node], terms)
            continue
        _, gates, common = found[source._name]
        gates.append(node)
        common[:] = [t for t in common if t in terms]
    for source, gates, terms in found.values():
        new = source._with_predicate(terms) if terms else None
        if new is None or new._name == source._name:
            continue
        if _dominates(expr, gates, source) and all(
            reads_rowwise(d, source) for g in gates for d in g.dependencies()
        ):
            return source, new
    return None


def _swap(name: str, new: Expr, node: Expr) -> Expr | None:
    """A rewrite (bound with ``partial``): the node called ``name`` -> ``new``."""
    return new if node._name == name else None


def push_predicates(expr: Expr) -> Expr:
    """Push the terms of row filters into the sources below them.

    The filters stay; a source that takes the terms skips data no kept row
    can come from (see the module docstring for the rule and invariants).
    """
    return _rewrite_rounds(expr, _next_pushdown)


def _rewrite_rounds(
    expr: Expr, find: Callable[[Expr], tuple[Expr, Expr] | None]
) -> Expr:
    """Replace node by node what ``find`` finds, one per round: at most 32
    rounds, so a plan is optimized in bounded time."""
    for _ in range(32):
        found = find(expr)
        if found is None:
            return expr
        old, new = found
        expr = rewrite(expr, functools.partial(_swap, old._name, new))
    return expr


# -- filters below joins ---------------------------------------------------------


def _terms_predicate(frame: Expr, terms: list[Any]) -> Expr:
    """The boolean Series ``frame[col] op value & ...`` of ``terms``."""
    pred: Expr | None = None
    for col, op, value in terms:
        column = Projection(frame, col)
        if op == "in":
            term: Expr = MethodCall(column, "isin", (list(value),))
        else:
            term = Elemwise(_FUNCS[op], [column, value])
        pred = term if pred is None else Elemwise(operator.and_, [pred, term])
    assert pred is not None
    return pred


def _implied(frame: Expr) -> list[Any]:
    """Terms a filter right at ``frame`` already applies."""
    if not isinstance(frame, Filter):
        return []
    return predicate_terms(frame.predicate, _source_below(frame.frame))


def _row_local(pred: Expr, below: Expr) -> bool:
    """Is ``pred`` computed row by row from ``below`` (row-wise nodes only
    between them, see :mod:`partframe.expr.rowwise`; lazy scalars not
    computed from ``below``)? Then it holds of the same rows of a node
    that replaces ``below`` with fewer rows."""
    meta = below._meta
    columns: dict[Any, Any] = {SERIES: SERIES}
    if isinstance(meta, pd.DataFrame):
        columns.update((c, c) for c in column_labels(meta))
    return reframe(pred, below, below, columns) is not None


def _next_filter_below(expr: Expr) -> tuple[Expr, Expr] | None:
    """The first ``(node, node with its inputs filtered)`` the plan allows.

    Every filter above the node counts: a selection of a filtered frame is
    a filter of the selection (see ``Projection._simplify``), so one user
    filter is often several filters with the same predicate. The terms all
    of them imply are pushed, when together they hold every use of it."""
    found: dict[str, tuple[Expr, list[tuple[Expr, Expr, list[Any]]]]] = {}
    for node, pred, below, terms in _filters(expr):
        found.setdefault(below._name, (below, []))[1].append((node, pred, terms))
    for below, filters in found.values():
        if not all(_row_local(pred, below) for _, pred, _ in filters):
            continue
        terms = filters[0][2]
        for _, _, more in filters[1:]:
            kept = {_term_key(t) for t in more}
            terms = [t for t in terms if _term_key(t) in kept]
        by_input = below._terms_by_input(terms) if terms else None
        if not by_input:
            continue
        changes = {}
        for name, side_terms in by_input.items():
            side = below.operand(name)
            have = {_term_key(t) for t in _implied(side)}
            new = [t for t in side_terms if _term_key(t) not in have]
            if new:
                changes[name] = Filter(side, _terms_predicate(side, new))
        if changes and _dominates(expr, [n for n, _, _ in filters], below):
            return below, below.substitute_operands(**changes)
    return None


def push_filters_below(expr: Expr) -> Expr:
    """Filter the inputs of joins (and any node declaring
    ``Expr._terms_by_input``) with the terms of a row filter above them.

    The inputs lose only rows that could not have been kept. A node is
    rewritten only when every use of it is below the filter, and the
    filter's predicate is computed row by row from it (so it holds of the
    same rows of the rewritten node). Bounded: at most 32 rewrites.

    The filter above stays, so the rows kept are exactly those of the plan
    before, unless its whole predicate is the AND of terms that now filter
    the inputs, each on a column of the same dtype as the output's: then
    it keeps every row and is dropped (evaluated once, and counted once in
    the estimates).
    """
    expr = _rewrite_rounds(expr, _next_filter_below)
    return rewrite(expr, _filter_done_below)


def _filter_done_below(node: Expr) -> Expr | None:
    """``node``'s frame where ``node`` is a row filter that the filters at
    the inputs of the node below it already apply in full (see
    :func:`push_filters_below`), else ``None``."""
    if not isinstance(node, Filter) or not isinstance(node.predicate, Expr):
        return None
    frame, pred = node.frame, node.predicate
    source = _source_below(frame)
    if not _fully_read(pred, source) or not _row_local(pred, source):
        return None
    terms = predicate_terms(pred, source)
    by_input = source._terms_by_input(terms)
    if not by_input:
        return None
    meta, applied = source._meta, set()
    for name, side_terms in by_input.items():
        side = source.operand(name)
        have = {_term_key(t) for t in _implied_at(side)}
        for t in side_terms:
            if _term_key(t) in have and side._meta[t[0]].dtype == meta[t[0]].dtype:
                applied.add(_term_key(t))
    if all(_term_key(t) in applied for t in terms):
        return frame
    return None


def _fully_read(pred: Any, source: Expr) -> bool:
    """Is ``pred`` exactly the AND of :func:`predicate_terms` (no part of
    it left out)?"""
    if (
        isinstance(pred, Elemwise)
        and pred.func is operator.and_
        and len(pred.args) == 2
        and not pred.kwargs
    ):
        return all(_fully_read(a, source) for a in pred.args)
    return bool(predicate_terms(pred, source))


def _implied_at(frame: Expr) -> list[Any]:
    """Terms the row filters right at ``frame`` (one on another) apply."""
    terms: list[Any] = []
    while isinstance(frame, Filter):
        terms.extend(_implied(frame))
        frame = frame.frame
    return terms
