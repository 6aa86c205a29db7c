"""Simplify: local rewrites that nodes offer through ``Expr._simplify``.

Rule: each node is offered, children first, to its own ``_simplify()``,
which returns an equivalent, cheaper node or ``None`` for "no change" (a
column selection of a filter becomes the filter of the selection, so the
filter copies only the selected columns; a selection of a selection
becomes one selection).

Invariants:

- A rewrite is local: it changes the node and what is directly below it,
  and keeps the node's result exactly (schema, partitions, divisions).
- One pass reaches the fixed point. A node's ``_simplify`` sees only the
  node and what is below it; :func:`~partframe.expr.base.rewrite` offers
  nodes children first, offers the nodes a rewrite makes (its own new root
  included) before going on, and a node that declined keeps declining, as
  nothing below it changes afterwards. So a rewrite never exposes an
  opportunity the same pass does not take (a selection moved under a
  filter meets a second filter: the new selection is offered at once).
"""

from __future__ import annotations

from ..base import Expr, rewrite

__all__ = ["simplify"]


def _simplify_step(node: Expr) -> Expr | None:
    return node._simplify()


def simplify(expr: Expr) -> Expr:
    """Apply each node's local ``_simplify`` rewrite until nothing changes
    (one pass of :func:`~partframe.expr.base.rewrite`, see the module
    docstring)."""
    return rewrite(expr, _simplify_step)
