"""Semi-join filters: a join's input is filtered by the keys of its small
other input below the aggregation or deduplication that feeds the join.

Rule: for a join (``Expr._semi_join_sides``: both inputs of an inner join,
the other input of the kept side of a left or right join, each where the
other input's key column is small enough to send to every partition), the
input's rows whose key is not among the other input's
keys reach no output row. Where the input reaches its key through nodes
that commute with a filter on it (``Expr._key_filter_step``: a selection,
an assignment of scalars, ``reset_index`` of the keys, a groupby by that
key, a deduplication on it) and at least one of them groups rows by key
(``Expr._reduces_by_key``), the filter ``key.isin(other[other_key])`` goes
below them all: the aggregation or the deduplication (and its shuffle)
works on the rows that can match, not on the whole table. TPC-H q20 groups
a year of lineitem by (part, supplier) and joins the ~1% of parts named
``forest*``; q22 deduplicates every order's customer for an anti-join with
a few customers.

Invariants:

- The join's result is unchanged: only rows without a match are removed,
  and the nodes passed keep the values and the order of the rows kept.
  The input's index labels may change (a ``reset_index`` renumbers fewer
  rows): the join on columns does not read them.
- The other input stays one node (the filter reads the same node the join
  does: computed once), and is not computed from the node filtered (that
  would compute the aggregation twice).
- Only inputs estimated at ``MIN_ROWS`` rows or more: the filtered
  input waits for the other input's keys.
- The other input's key column only is judged against the broadcast
  limit where the filter goes below an aggregation or deduplication (it
  spares the grouping of rows that match nothing: TPC-H q20's forest
  parts, too wide to broadcast at scale 10, have a key column of a few
  MB). Below joins only, the other input must hold few of its key's
  values (:func:`_selective`): a filtered fact table (a year of orders)
  keeps a small share of its rows but nearly every value of a foreign key
  (``o_custkey``), and the filter then costs the gather of its keys and
  saves nothing.
- Bounded: one filtered input per join (each input filtered by the
  other would compute both unfiltered inputs too); a filter already
  there is not added again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...kernels.elementwise import isin_whole
from ..base import Below, Expr, _postorder, rewrite
from ..blockwise import Filter, Projection
from ..elementwise import ColumnwiseCall, WholeOf
from ..statistics import estimate
from .predicates import _source_below
from .shared_filters import is_large

__all__ = ["MAX_KEPT", "MIN_ROWS", "filter_join_inputs"]

#: Inputs estimated at fewer rows are not filtered: the filter makes the
#: input wait for the other input's keys (TPC-H at scale 1: grouping a year
#: of lineitem, ~870k rows, by part saves ~100 ms; deduplicating 1.5M
#: orders saves less than the ~25 ms of lost parallelism).
MIN_ROWS = 500_000

#: A filter below joins only (no aggregation or deduplication) is added
#: when the other input keeps at most this fraction of the rows it is
#: made from: otherwise most rows pass and the filter costs more than the
#: joins it spares.
MAX_KEPT = 0.2


def filter_join_inputs(expr: Expr) -> Expr:
    """Filter join inputs by the keys of their small other input, below the
    aggregations and deduplications that feed the joins."""

    def visit(node: Expr) -> Expr | None:
        # One input at most: each filtered by the other would compute both
        # unfiltered inputs as well.
        for name, key, other, other_key, whole in node._semi_join_sides():
            new = _filtered(node.operand(name), key, other, other_key, whole)
            if new is not None:
                return node.substitute_operands(**{name: new})
        return None

    return rewrite(expr, visit)


def _filtered(
    side: Expr, key: Any, other: Expr, other_key: Any, whole: bool
) -> Expr | None:
    """``side`` with the filter below its grouping nodes, or ``None``
    (``whole``: all of ``other`` is small, not only its key column)."""
    path: list[Expr] = []
    node, column = side, key
    while True:
        step = node._key_filter_step(column)
        if not isinstance(step, Below):
            break
        path.append(node)
        node, column = step.node, step.column
    reducers = {p._name for p in path if p._reduces_by_key}
    joins = {p._name for p in path if p._joins_rows}
    if not reducers and not (joins and _selective(other, other_key, whole)):
        return None
    meta = node._meta
    if not hasattr(meta, "columns") or column not in meta.columns:
        return None
    if not is_large(node, MIN_ROWS):
        return None
    values = WholeOf(Projection(other, other_key))
    if _filters_by(node, values):
        return None
    if (reducers | joins) & {n._name for n in _postorder(other)}:
        return None
    mask = ColumnwiseCall(Projection(node, column), isin_whole, (values,))
    new: Expr = Filter(node, mask)
    old = node
    for parent in reversed(path):
        rebuilt = parent._on_input(old, new)
        old, new = parent, rebuilt
    return new


def _selective(other: Expr, key: Any, whole: bool) -> bool:
    """Whether ``other`` is estimated to hold at most ``MAX_KEPT`` of the
    distinct values of its ``key`` column in the data it comes from (a
    filtered dimension: its keys are a small part of the key's values).

    A filter keeping a fraction ``f`` of the rows keeps ``1 - (1 - f)**r``
    of the values held by ``r`` rows each: with an integer key whose
    source range is known, ``r`` is at least the rows per value of that
    range (a year of orders keeps 1/7 of the order keys but 4/5 of the
    customer keys, ten orders each). Otherwise the key is taken as unique
    (the kept share of values is the share of rows) when all of ``other``
    is small (``whole``), and not selective when only its key column is.
    """
    est = estimate(other)
    if est.rows is None or not est.base:
        return False
    kept = min(1.0, est.rows / est.base)
    per_value = _rows_per_value(other, key, est.base)
    if per_value is None:
        return whole and kept <= MAX_KEPT
    return bool(1.0 - (1.0 - kept) ** per_value <= MAX_KEPT)


def _rows_per_value(other: Expr, key: Any, rows: float) -> float | None:
    """The fewest rows per value ``rows`` rows of an integer ``key`` hold
    within its source's range (Parquet statistics), or ``None``."""
    node = _source_below(other)
    while isinstance(node, Filter):  # (its values are within its input's)
        node = _source_below(node.frame)
    bounds = node._column_range(key)
    if bounds is None:
        return None
    lo, hi = bounds
    if not isinstance(lo, int | np.integer) or not isinstance(hi, int | np.integer):
        return None
    return max(1.0, rows / (int(hi) - int(lo) + 1))


def _filters_by(node: Expr, values: Expr) -> bool:
    """Whether ``node`` is this pass's filter by ``values`` already."""
    if not isinstance(node, Filter) or not isinstance(node.predicate, ColumnwiseCall):
        return False
    args = node.predicate.operand("args")
    return bool(args) and isinstance(args[0], Expr) and args[0]._name == values._name
