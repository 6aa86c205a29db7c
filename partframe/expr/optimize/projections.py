"""Projections: sources read, and data-moving nodes move, only the columns
the plan uses.

Rule: one top-down pass (:func:`column_needs`) asks each node, through
``Expr._column_needs``, which columns each of its inputs must provide for
the columns its parents use; the needs of a node used by several parents
are united. Two passes use those needs:

- :func:`push_projections_below`, on the logical plan (before lowering):
  every DataFrame node whose ``Expr._with_columns(columns)`` gives a node
  (a file reader) is rebuilt to produce only the columns the plan needs of
  it; then every input a node names in ``Expr._narrowable_inputs()`` (a
  merge's sides, a sort's, a shuffle's frame) that still carries columns
  that node does not need gets a column selection
  (:class:`~partframe.expr.blockwise.Projection`) right below the node. The
  selection is partition-wise, so fusion puts it in the same task as the
  split before the move (or the nodes below it): the move carries fewer
  columns for no extra task. Running before lowering matters: a lowering
  writes its input's schema into the physical nodes (a shuffle's or a
  join's meta), so the inputs are narrowed first and lowered as they are.
- :func:`push_projections`, on the physical plan: sources read only the
  columns the lowered plan uses (a logical node with the default needs
  may lower to nodes that state theirs exactly).

Invariants:

- ``_column_needs`` is exact or says "all columns" (``None``, the default):
  a node never asks less of an input than it reads.
- ``_with_columns`` keeps the rows, the index and the order of the kept
  columns; a node that cannot narrow (an in-memory frame, where a selection
  would only copy) returns ``None``.
- A selection keeps the input's columns in their order, and is added only
  when it drops a column: a selection of every column would be a copy.
- Each node is visited once; no fixed-point iteration.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..base import Expr, _postorder, rewrite
from ..blockwise import Projection
from ..meta import column_labels

__all__ = ["column_needs", "push_projections", "push_projections_below"]

_MISSING = object()


def _unite(needs: dict[str, Any], name: str, need: Any) -> None:
    prev = needs.get(name, _MISSING)
    if prev is _MISSING:
        needs[name] = None if need is None else set(need)
    elif prev is None or need is None:
        needs[name] = None
    else:
        prev |= set(need)


def column_needs(expr: Expr) -> dict[str, Any]:
    """Map each node's name to the set of its columns that are used (None: all)."""
    needs: dict[str, Any] = {expr._name: None}
    for node in reversed(_postorder(expr)):
        need = needs.get(node._name)
        for child, child_need in node._column_needs(need):
            _unite(needs, child._name, child_need)
    return needs


def _kept(node: Expr, need: Any) -> list[Any] | None:
    """The columns of DataFrame ``node`` in ``need``, in order, when that
    drops some (else ``None``: nothing to narrow)."""
    if need is None or not isinstance(node._meta, pd.DataFrame):
        return None
    if isinstance(node._meta.columns, pd.MultiIndex):
        return None  # a need may name a top level: several columns
    columns = column_labels(node._meta)
    if len(set(columns)) != len(columns):
        return None  # repeated labels: a selection by label takes them all
    keep = [c for c in columns if c in need]
    return keep if len(keep) < len(columns) else None


def push_projections(expr: Expr) -> Expr:
    """Make sources produce only the columns that the plan uses."""
    needs = column_needs(expr)

    def step(node: Expr) -> Expr | None:
        keep = _kept(node, needs.get(node._name, None))
        return None if keep is None else node._with_columns(keep)

    return rewrite(expr, step)


def push_projections_below(expr: Expr) -> Expr:
    """Narrow sources, and the inputs of data-moving nodes, to the columns
    the plan uses (see the module docstring)."""
    needs = column_needs(expr)
    # Rebuilt bottom-up, each node on its children's replacements; the
    # needs are those of the plan as given (keyed by the original names).
    memo: dict[str, Expr] = {}
    for node in _postorder(expr):
        new = node._with_dependencies(memo)
        need = needs.get(node._name, None)
        keep = _kept(new, need)
        if keep is not None:
            new = new._with_columns(keep) or new
        names = new._narrowable_inputs()
        if names:
            new = _narrow_inputs(node, new, names, need)
        memo[node._name] = new
    return memo[expr._name]


def _narrow_inputs(node: Expr, new: Expr, names: list[str], need: Any) -> Expr:
    """``new`` (``node`` rebuilt) with a column selection below each input
    ``names`` that carries columns ``node`` does not need of it."""
    asked: dict[str, Any] = {}
    for child, child_need in node._column_needs(need):
        _unite(asked, child._name, child_need)
    # One selection per input: an input given twice (a self-merge) carries
    # what both of its uses need.
    by_child: dict[str, Expr] = {}
    for name, old in zip(names, (node.operand(n) for n in names), strict=True):
        current = new.operand(name)
        if not isinstance(old, Expr) or not isinstance(current, Expr):
            continue
        keep = _kept(current, asked.get(old._name))
        if keep is not None:
            selection = Projection(current, keep)
            # (below a filter, which then copies fewer columns)
            by_child[current._name] = selection._simplify() or selection
    if not by_child:
        return new
    # Through _with_dependencies, which keeps what a node learned about its
    # rows (a set_index's computed divisions); references follow.
    mapping = {d._name: by_child.get(d._name, d) for d in new.dependencies()}
    return new._with_dependencies(mapping)
