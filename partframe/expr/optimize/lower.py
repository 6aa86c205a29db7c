"""Lower: logical nodes become the physical plans that compute them.

Rule: every node whose ``Expr._lower()`` returns a node is replaced by it
(``None``: the node is already physical). A tree reduction becomes a
partition-wise chunk step and a combine tree; a merge becomes the strategy
it chose; a sort becomes a shuffle and a per-partition sort.

Before it lowers, a node may first make again, on the statistics of its
inputs as they are now, the choices it made when it was built
(``Expr._with_estimates``): a join whose inputs the filters above it now
filter may broadcast a side it would have shuffled. The new choice must
keep the node's partitions (count and divisions), so nothing above it
notices.

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
    replanned = node._with_estimates()
    if replanned is not None:
        if (
            replanned.npartitions != node.npartitions
            or replanned.divisions != node.divisions
        ):
            raise AssertionError(
                f"internal error: {type(node).__name__} re-planned with other "
                "partitions"
            )
        return replanned
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
