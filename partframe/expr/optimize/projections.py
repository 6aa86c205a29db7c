"""Projections: sources read only the columns the plan uses.

Rule: one top-down pass (:func:`column_needs`) asks each node, through
``Expr._column_needs``, which columns each of its inputs must provide for
the columns its parents use; the needs of a node used by several parents
are united. Then every DataFrame node whose ``Expr._with_columns(columns)``
gives a node (a file reader) is rebuilt to produce only the needed columns.

Invariants:

- ``_column_needs`` is exact or says "all columns" (``None``, the default):
  a node never asks less of an input than it reads.
- ``_with_columns`` keeps the rows, the index and the order of the kept
  columns; a node that cannot narrow (an in-memory frame, where a selection
  would only copy) returns ``None``.
- Each node is visited once; no fixed-point iteration.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..base import Expr, _postorder, rewrite

__all__ = ["column_needs", "push_projections"]

_MISSING = object()


def column_needs(expr: Expr) -> dict[str, Any]:
    """Map each node's name to the set of its columns that are used (None: all)."""
    needs: dict[str, Any] = {expr._name: None}
    for node in reversed(_postorder(expr)):
        need = needs.get(node._name)
        for child, child_need in node._column_needs(need):
            prev = needs.get(child._name, _MISSING)
            if prev is _MISSING:
                needs[child._name] = None if child_need is None else set(child_need)
            elif prev is None or child_need is None:
                needs[child._name] = None
            else:
                prev |= set(child_need)
    return needs


def push_projections(expr: Expr) -> Expr:
    """Make sources produce only the columns that the plan uses."""
    needs = column_needs(expr)

    def step(node: Expr) -> Expr | None:
        need = needs.get(node._name, None)
        if need is None or not isinstance(node._meta, pd.DataFrame):
            return None
        columns = list(node._meta.columns)
        keep = [c for c in columns if c in need]
        if len(keep) == len(columns):
            return None
        return node._with_columns(keep)

    return rewrite(expr, step)
