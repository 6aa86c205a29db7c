"""Shared filters: one row filter per frame and predicate.

A column selection of a filtered frame becomes a filter of the selection
(``Projection._simplify``), so that the filter copies only the columns
used. A frame filtered once and used for several columns
(``f = df[df.x > 0]; f.a * (1 - f.b)``) then holds one filter per
selection, all with the same predicate: each one turns the mask into row
positions and takes the index anew, the part of the work that does not
shrink with the columns.

Rule: the filters (not deferred) with the same predicate whose frames are
selections of the same frame, or that frame itself, become one filter of
the union of their columns (in the frame's order; the frame itself when
that is all of them), and each of them a selection of it. Every column
is still copied once, the positions and the index are computed once.

What it saves grows with the rows (about 5 ns a row for each filter
made redundant: positions from the mask, the index taken); what it costs
is fixed (the nodes above are rebuilt, about 1-3 ms on a plan of 20
operations). So a frame estimated below ``MIN_ROWS`` rows
(:func:`~partframe.expr.statistics.estimate`; where unknown, the largest
known input below it; nothing known counts as large)
keeps its filters.

Runs after the projection passes, when selections are final, and before
fusion (which puts the shared filter and its selections in one task).
Linear in the plan's nodes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..base import Expr, _postorder, rewrite
from ..blockwise import Filter, Projection
from ..statistics import estimate

__all__ = ["MIN_ROWS", "is_large", "share_filters"]

#: Frames estimated to have fewer rows keep one filter per selection.
MIN_ROWS = 1_000_000


def share_filters(expr: Expr) -> Expr:
    """Make the filters of one frame by one predicate a single filter of
    the columns they select (see the module docstring)."""
    groups: dict[tuple[str, str], tuple[Expr, list[Filter]]] = {}
    for node in _postorder(expr):
        if type(node) is not Filter or node.deferred:
            continue
        base = _frame_below(node.frame)
        if base is None or not isinstance(node.predicate, Expr):
            continue
        key = (node.predicate._name, base._name)
        groups.setdefault(key, (base, []))[1].append(node)
    replace: dict[str, Expr] = {}
    for base, filters in groups.values():
        if len(filters) > 1 and is_large(base):
            replace.update(_shared(base, filters))
    if not replace:
        return expr
    return rewrite(expr, lambda node: replace.get(node._name))


def is_large(frame: Expr, min_rows: float | None = None) -> bool:
    """Is ``frame`` estimated at ``min_rows`` (default ``MIN_ROWS``) rows or
    more? Where its own estimate is unknown (a lowered join), the largest
    known below it."""
    if min_rows is None:
        min_rows = MIN_ROWS
    rows = estimate(frame).rows
    if rows is not None:
        return rows >= min_rows
    known = [r for r in (estimate(n).rows for n in _postorder(frame)) if r is not None]
    return not known or max(known) >= min_rows


def _frame_below(frame: Expr) -> Expr | None:
    """The frame that ``frame`` is (or is a column selection of), when its
    columns are unique labels; else ``None``."""
    if isinstance(frame, Projection):
        frame = frame.frame
    meta = frame._meta
    if not isinstance(meta, pd.DataFrame) or not meta.columns.is_unique:
        return None
    return frame


def _shared(base: Expr, filters: list[Filter]) -> dict[str, Expr]:
    """``{filter name: its replacement}`` for filters of ``base``."""
    wanted: set[Any] = set()
    for f in filters:
        if f.frame._name == base._name:
            wanted.update(base._meta.columns)
        else:
            cols = f.frame.operand("columns")
            wanted.update(cols if isinstance(cols, list) else [cols])
    union = [c for c in base._meta.columns if c in wanted]
    frame = base if len(union) == len(base._meta.columns) else Projection(base, union)
    shared = Filter(frame, filters[0].predicate)
    out: dict[str, Expr] = {}
    for f in filters:
        if f._name == shared._name:
            continue
        if f.frame._name == base._name:
            # the whole frame: the shared filter is that frame's filter
            out[f._name] = shared
        else:
            out[f._name] = Projection(shared, f.frame.operand("columns"))
    return out
