"""Lower: logical nodes become the physical plans that compute them.

Rule: every node whose ``Expr._lower()`` returns a node is replaced by it
(``None``: the node is already physical). A tree reduction becomes a
partition-wise chunk step and a combine tree; a merge becomes the strategy
it chose when it was built; a sort becomes a shuffle and a per-partition
sort.

Invariants:

- A lowering has exactly the partitions of the logical node
  (:func:`lower` raises otherwise): the collection's ``npartitions`` and
  ``divisions`` describe the partitions that compute returns.
- Lowering is complete: :func:`~partframe.expr.base.rewrite` lowers the
  nodes a lowering introduces too, so no logical node is left in the plan
  the later passes see.
"""

from __future__ import annotations

from ..base import Expr, rewrite

__all__ = ["lower"]


def _lower_step(node: Expr) -> Expr | None:
    out = node._lower()
    if out is not None and out.npartitions != node.npartitions:
        # The logical node promised other partitions than its lowering
        # makes: the collection's divisions would describe other data.
        raise AssertionError(
            f"internal error: {type(node).__name__} has {node.npartitions} "
            f"partitions but lowers to {out.npartitions}"
        )
    return out


def lower(expr: Expr) -> Expr:
    """Replace every node whose ``_lower()`` gives a node by that node."""
    return rewrite(expr, _lower_step)
