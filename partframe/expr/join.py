"""The physical join nodes a :class:`~partframe.expr.merge.Merge` lowers to.

- :class:`MergePartitions`: partition ``i`` of one side merged with
  partition ``i`` of the other, or with the other side's single partition
  (broadcast).
- :class:`BroadcastMatches` and :class:`UnmatchedRows`: the rows of a
  broadcast side that no partition matched, when the join keeps them.
- :class:`NarrowIfComplete`: partitions cast alike to the dtypes pandas
  gives the whole result, decided from missing-value flags of every
  partition (a join, or ``concat(axis=1)`` of inputs from different
  sources).

Which of them a join uses, and why, is in :mod:`partframe.expr.merge`.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..graph import quote
from ..kernels.merge import (
    any_matched,
    broadcast_matches,
    merge_partitions,
    missing_flags,
    narrow_if_complete,
    unmatched_rows,
)
from .base import ColumnNeeds, Divisions, Expr, Layer, Needed
from .blockwise import Blockwise
from .statistics import Estimate, merge_rows
from .tree import combine_tree

__all__ = [
    "BroadcastMatches",
    "MergePartitions",
    "NarrowIfComplete",
    "UnmatchedRows",
    "narrowed",
]


#: Boolean marks (matched rows of a broadcast side, columns with missing
#: values) OR-ed per task: they are small (a bit per row or per column), so
#: a wide fan-in keeps the tree one or two levels deep.
FLAGS_FAN_IN = 32


class MergePartitions(Blockwise):
    """Partition ``i`` of ``left`` joined with partition ``i`` of ``right``.

    ``broadcast`` names the side that is many partitions while the other is
    one (its single partition goes to every task); ``None``: both sides have
    the same partitions (shuffled alike, or aligned by divisions).

    Its ``_column_needs`` stays the default (every column): its meta, an
    operand, names every column of both sides, and each partition is cast
    to it. The sides are narrowed on the logical
    :class:`~partframe.expr.merge.Merge`, before it is lowered
    (:func:`~partframe.expr.optimize.push_projections_below`).
    """

    _parameters = [
        "left", "right", "op", "kwargs", "meta", "divisions_", "broadcast", "deferred",
        "cast",
    ]  # fmt: skip
    _defaults = {
        "divisions_": None, "broadcast": None, "deferred": False, "cast": True,
    }  # fmt: skip
    left: Expr
    right: Expr
    op: str
    kwargs: dict[str, Any]
    meta: Any
    divisions_: tuple[Any, ...] | None
    broadcast: str | None
    deferred: bool
    cast: bool
    operation = staticmethod(merge_partitions)
    _preserves_partitioning = False

    def _validate(self) -> None:
        pass  # sides are partitioned alike by construction

    def _frame_inputs(self) -> list[Expr]:
        if self.broadcast == "right":
            return [self.right]
        return [self.left]

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        # as the logical join: a join above may re-choose its strategy on
        # the lowered plan (Merge._with_estimates)
        sides = dict(zip((d._name for d in self.dependencies()), rows))
        left, right = sides.get(self.left._name), sides.get(self.right._name)
        if left is None or right is None:
            return None
        default = "left" if self.op == "join" else "inner"
        return merge_rows(self.kwargs.get("how", default), left, right)

    def _args(self) -> list[Any]:
        args = [self.left, self.right, self.op, self.kwargs, self.operand("meta")]
        if not self.cast:
            return [*args, self.deferred, False]
        return [*args, True] if self.deferred else args

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _divisions(self) -> Divisions:
        if self.divisions_ is not None:
            return tuple(self.divisions_)
        return (None,) * (self._frame_inputs()[0].npartitions + 1)

    def _operand_repr(self) -> str:
        return f"how={self.kwargs.get('how')!r}" + (
            f", broadcast={self.broadcast}" if self.broadcast else ""
        )


class BroadcastMatches(Blockwise):
    """Per partition of ``big``: which rows of the broadcast ``small`` side
    it matches (a boolean array)."""

    _parameters = ["big", "small", "big_on", "small_on"]
    big: Expr
    small: Expr
    big_on: list[Any]
    small_on: list[Any]
    operation = staticmethod(broadcast_matches)
    _preserves_partitioning = False

    def _frame_inputs(self) -> list[Expr]:
        return [self.big]

    def _validate(self) -> None:
        pass  # the small side is one partition, broadcast

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.big, set(self.big_on)), (self.small, set(self.small_on))]

    @functools.cached_property
    def _meta(self) -> Any:
        return None  # masks are internal

    def _operand_repr(self) -> str:
        return f"on={self.big_on!r}"


class UnmatchedRows(Expr):
    """One partition: the rows of the broadcast side that no partition of
    the other side matched, joined with nothing (``merge`` of them with an
    empty frame of the other side's schema), cast to ``meta``."""

    _parameters = ["matches", "small", "big_meta", "kwargs", "meta", "side"]
    matches: Expr
    small: Expr
    big_meta: Any
    kwargs: dict[str, Any]
    meta: Any
    side: str

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _divisions(self) -> Divisions:
        return (None, None)

    def _layer(self) -> Layer:
        keys = [(self.matches._name, i) for i in range(self.matches.npartitions)]
        graph: Layer = {}
        keys = combine_tree(
            graph,
            keys,
            lambda group: (any_matched, group),
            f"{self._name}-any",
            FLAGS_FAN_IN,
        )
        graph[(self._name, 0)] = (
            unmatched_rows,
            keys,
            (self.small._name, 0),
            quote(self.big_meta),
            quote(self.kwargs),
            quote(self.operand("meta")),
            self.side,
        )
        return graph

    def _operand_repr(self) -> str:
        return f"side={self.side!r}"


def narrowed(meta: Any, complete: Any) -> tuple[list[Any], bool] | None:
    """The positions of the columns whose dtype ``complete`` narrows (an int
    or bool column that missing rows widened), and whether the index is
    narrowed; ``None`` when nothing is."""
    if list(meta.columns) != list(complete.columns):
        return None
    columns = [
        j
        for j, (a, b) in enumerate(zip(meta.dtypes, complete.dtypes))
        if a != b and _widened(a, b)
    ]
    index = meta.index.nlevels == 1 and _widened(meta.index.dtype, complete.index.dtype)
    return (columns, index) if columns or index else None


def _widened(dtype: Any, narrow: Any) -> bool:
    """Is ``dtype`` what missing values make of ``narrow``?"""
    return (
        isinstance(narrow, np.dtype)
        and narrow.kind in "iub"
        and dtype in (np.dtype("float64"), np.dtype("object"))
    )


class NarrowIfComplete(Expr):
    """``frame`` (a join, its partitions as pandas makes them) cast alike:
    to ``meta`` (which assumes missing rows), except each column, and the
    index, with no missing value in any partition, which gets its dtype in
    ``complete``: the dtypes pandas gives the whole result (see
    :mod:`partframe.expr.merge`)."""

    _parameters = ["frame", "meta", "complete"]
    frame: Expr
    meta: Any
    complete: Any

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    @property
    def _meta_if_complete(self) -> Any:
        """The dtypes when no row is missing (as :attr:`Merge._meta_if_complete`)."""
        return self.complete

    def _divisions(self) -> Divisions:
        return self.frame.divisions

    def _narrowed(self) -> tuple[list[Any], bool]:
        found = narrowed(self._meta, self.complete)
        # built only where something narrows (see ``narrowed``' callers)
        assert found is not None
        return found

    def _layer(self) -> Layer:
        columns, index = self._narrowed()
        source = self.frame._name
        name = f"{self._name}-missing"
        n = self.frame.npartitions
        graph: Layer = {
            (name, i): (missing_flags, (source, i), columns, index) for i in range(n)
        }
        keys = combine_tree(
            graph,
            [(name, i) for i in range(n)],
            lambda group: (any_matched, group),
            f"{name}-any",
            FLAGS_FAN_IN,
            until=1,
        )
        meta, complete = quote(self._meta), quote(self.complete)
        for i in range(n):
            graph[(self._name, i)] = (
                narrow_if_complete,
                (source, i),
                keys[0],
                columns,
                index,
                meta,
                complete,
            )
        return graph

    def _operand_repr(self) -> str:
        columns, index = self._narrowed()
        names = [str(self._meta.columns[j]) for j in columns]
        return ", ".join(names + (["index"] if index else []))
