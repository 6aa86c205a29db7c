"""The optimizer: a few small, bounded passes over the expression tree.

0. ``simplify``: local rewrites that nodes offer through ``_simplify``
   (a column selection moves below a filter, so the filter copies only the
   selected columns; a selection of a selection becomes one).
1. ``lower``: logical nodes become physical ones (a tree reduction becomes a
   partition-wise chunk step plus a combine tree; later, join and shuffle
   strategies are chosen here).
2. ``push_projections``: one top-down pass computes which columns each node
   must provide; sources that can read fewer columns (pandas data, Parquet,
   CSV) are rebuilt to do so. Nodes state their needs exactly through
   ``_column_needs``; the default (all columns) is always safe.
3. ``fuse``: groups of partition-wise nodes become one task per partition.

Each pass visits every node once (no fixed-point iteration over the whole
tree), so optimizing a plan of hundreds of nodes stays cheap and cannot
recurse deeply.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .base import Divisions, Expr, Layer, _postorder, rewrite
from .fuse import fuse_blockwise

__all__ = ["lower", "optimize", "optimize_many", "push_projections", "simplify"]

_MISSING = object()


def _simplify_step(node: Expr) -> Expr | None:
    method = getattr(node, "_simplify", None)
    return method() if method is not None else None


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


def lower(expr: Expr) -> Expr:
    """Replace every node that has a ``_lower()`` by what it returns."""

    def step(node: Expr) -> Expr | None:
        method = getattr(node, "_lower", None)
        if method is None:
            return None
        out: Expr | None = method()
        if out is not None and out.npartitions != node.npartitions:
            # The logical node promised other partitions than its lowering
            # makes: the collection's divisions would describe other data.
            raise AssertionError(
                f"internal error: {type(node).__name__} has {node.npartitions} "
                f"partitions but lowers to {out.npartitions}"
            )
        return out

    return rewrite(expr, step)


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
        with_columns = getattr(node, "_with_columns", None)
        if with_columns is None or not isinstance(node._meta, pd.DataFrame):
            return None
        need = needs.get(node._name, None)
        if need is None:
            return None
        columns = list(node._meta.columns)
        keep = [c for c in columns if c in need]
        if len(keep) == len(columns):
            return None
        narrowed: Expr = with_columns(keep)
        return narrowed

    return rewrite(expr, step)


def optimize(expr: Expr, fuse: bool = True) -> Expr:
    """Run all passes: lower, push projections, then fuse (optionally)."""
    from ..io.nodes import push_predicates

    expr = simplify(expr)
    expr = lower(expr)
    expr = push_predicates(expr)
    expr = push_projections(expr)
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
