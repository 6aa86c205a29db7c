"""The optimizer: a few small, bounded passes over the expression tree.

:func:`optimize` runs, in order:

1. :func:`simplify` (``simplify.py``): local rewrites that nodes offer
   through ``Expr._simplify``.
2. :func:`move_filters` (``filter_moves.py``): a row filter moves below
   the nodes it commutes with (``Expr._filter_below``: assign, rename,
   astype, sort, set_index, shuffle, concat), which then move fewer rows.
3. :func:`push_filters_below` (``predicates.py``): terms of a row filter
   above a join also filter the join's inputs they commute with
   (``Expr._terms_by_input``); the filter stays unless the inputs' filters
   apply all of it. Filters are moved again
   after it, so a join input's new filter goes below its own sort or
   rename.
4. :func:`filter_join_inputs` (``semi_joins.py``): a join input that an
   aggregation or a deduplication by the join key feeds is filtered, below
   it, by the keys of the join's small other input
   (``Expr._semi_join_sides``, ``Expr._key_filter_step``).
5. :func:`push_projections_below` (``projections.py``): sources produce
   only the columns that the logical plan uses (``Expr._column_needs``,
   ``Expr._with_columns``), and the inputs of nodes that move rows (a
   merge's sides, a sort's or a shuffle's frame,
   ``Expr._narrowable_inputs``) are narrowed by a column selection below
   them, so the move carries only the columns used after it.
6. :func:`lower` (``lower.py``): logical nodes become physical ones through
   ``Expr._lower`` (a join first chooses its strategy again on its inputs'
   estimates, ``Expr._with_estimates``).
7. :func:`push_predicates` (``predicates.py``): terms of row filters go to
   the sources below them that can skip data (``Expr._with_predicate``).
8. :func:`push_projections` (``projections.py``): sources produce only the
   columns that the physical plan uses.
9. :func:`share_reads` (``shared_reads.py``): sources of the same data
   that differ only in their columns or skipped data become one read of
   the union, when that reads fewer bytes, and each is a selection of it.
10. :func:`share_filters` (``shared_filters.py``): the filters of one frame
   by one predicate (one per column selection after simplification)
   become one filter of the columns they select, and each a selection of
   it: the mask's positions and the index are computed once.
11. :func:`fuse_blockwise` (``fuse.py``): groups of partition-wise nodes
    become one task per partition.

Each pass visits every node a bounded number of times (no fixed-point
iteration over the whole tree), so optimizing a plan of hundreds of nodes
stays cheap and never recurses deeply. The passes know no node class
beyond ``expr/``'s own: nodes say what they can do through the hooks
declared on :class:`~partframe.expr.base.Expr`, each returning ``None``
for "nothing to do".
"""

from __future__ import annotations

from typing import Any

from ..base import Divisions, Expr, Layer
from .filter_moves import move_filters
from .fuse import Fused, fuse_blockwise
from .lower import lower
from .predicates import push_filters_below, push_predicates
from .projections import column_needs, push_projections, push_projections_below
from .semi_joins import filter_join_inputs
from .shared_filters import share_filters
from .shared_reads import share_reads
from .simplify import simplify

__all__ = [
    "Fused",
    "column_needs",
    "filter_join_inputs",
    "fuse_blockwise",
    "lower",
    "move_filters",
    "optimize",
    "optimize_many",
    "push_filters_below",
    "push_predicates",
    "push_projections",
    "push_projections_below",
    "share_filters",
    "share_reads",
    "simplify",
]


def optimize(expr: Expr, fuse: bool = True) -> Expr:
    """Run all passes: simplify, move filters, filters below joins (and
    move them again), semi-join filters, projections below data-moving
    nodes, lower, push predicates and projections, share reads and filters,
    then fuse (optionally)."""
    expr = simplify(expr)
    expr = move_filters(expr)
    expr = push_filters_below(expr)
    expr = move_filters(expr)
    expr = filter_join_inputs(expr)
    expr = push_projections_below(expr)
    expr = lower(expr)
    expr = push_predicates(expr)
    expr = push_projections(expr)
    expr = share_reads(expr)
    expr = share_filters(expr)
    if fuse:
        expr = fuse_blockwise(expr)
    return expr


class _Roots(Expr):
    """Several plans optimized as one, so what they share stays shared."""

    _parameters = ["exprs"]
    exprs: list[Expr]

    @property
    def _meta(self) -> Any:
        return None

    def _divisions(self) -> Divisions:
        return (None, None)

    def _layer(self) -> Layer:
        return {}


def optimize_many(exprs: list[Expr], fuse: bool = True) -> list[Expr]:
    """Optimize plans together: a node they share is fused into none of them.

    Fusing a shared node into each plan's tasks would compute it once per
    plan; optimized together it stays a task of its own, computed once.
    """
    if len(exprs) == 1:
        return [optimize(exprs[0], fuse=fuse)]
    root = optimize(_Roots(list(exprs)), fuse=fuse)
    return list(root.operand("exprs"))
