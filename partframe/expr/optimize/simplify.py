"""Simplify: local rewrites that nodes offer through ``Expr._simplify``.

Rule: each node is offered, children first, to its own ``_simplify()``,
which returns an equivalent, cheaper node or ``None`` for "no change" (a
column selection of a filter becomes the filter of the selection, so the
filter copies only the selected columns; a selection of a selection
becomes one selection).

Invariants:

- A rewrite is local: it changes the node and what is directly below it,
  and keeps the node's result exactly (schema, partitions, divisions).
- The pass runs over the plan at most ``rounds`` times, since a rewrite
  may expose another one below it (a selection moved under a filter meets
  a second filter); it stops early when a round changes nothing.
"""

from __future__ import annotations

from ..base import Expr, rewrite

__all__ = ["simplify"]


def _simplify_step(node: Expr) -> Expr | None:
    return node._simplify()


def simplify(expr: Expr, rounds: int = 3) -> Expr:
    """Apply each node's local ``_simplify`` rewrite until nothing changes.

    A rewrite may expose a new opportunity below it (a projection moved under
    a filter meets another filter), so the pass repeats, at most ``rounds``
    times.
    """
    for _ in range(rounds):
        new = rewrite(expr, _simplify_step)
        if new._name == expr._name:
            return new
        expr = new
    return expr
