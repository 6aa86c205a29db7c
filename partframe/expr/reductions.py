"""Reductions: chunk each partition, combine partials, aggregate once.

``Reduction(frame, op, kwargs, result, split_every)`` is the logical node of
a reduction method (``df.sum()``, ``s.nunique()``, ``df.describe()``...):
``frame.op(**kwargs)`` over all partitions, with pandas' ``result`` on a
stand-in of the input (the node's meta). Its lowering narrows the input to
the columns the result describes and plans the tree with
:mod:`partframe.expr.reduction_plan`: a :class:`TreeReduction`.

``TreeReduction(frame, chunk, combine, aggregate, ...)`` is a reduction
given by its kernels (those of a method, or a small one of the facade's:
lengths, flags). ``lower`` splits it into a partition-wise
:class:`ReductionChunk` (which the optimizer fuses with the operations
before it, so a filter and the chunk step are one task per partition) and a
:class:`TreeCombine` that combines at most ``split_every`` partials per
task, level by level, and aggregates at the root. Memory per task is
bounded by ``split_every`` partials.

Kernels take and return pandas objects:

- ``chunk(partition, **chunk_kwargs) -> partial``
- ``combine(list_of_partials, **combine_kwargs) -> partial``
- ``aggregate(list_of_partials, **aggregate_kwargs) -> result``
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..kernels.reductions import all_values
from ..kernels.selection import take_columns
from .base import ColumnNeeds, Divisions, Expr, Layer, Needed
from .blockwise import Blockwise, MapPartitions, Projection, apply_kwargs
from .meta import make_meta
from .reduction_plan import (
    ALL_VALUES_OPS,
    REDUCTIONS,
    all_values_input,
    reduced_columns,
    reduces_all_values,
    repeated_label_positions,
    tree_steps,
)
from .tree import combine_tree, split_every

__all__ = ["Reduction", "ReductionChunk", "TreeCombine", "TreeReduction"]


class _ReducesAll(Expr):
    """A node reducing all partitions of its input to one result, which its
    lowering computes."""

    def _divisions(self) -> Divisions:
        return (None, None)

    def _layer(self) -> Layer:
        # Unlowered (the graph of the logical plan): alias the lowered one.
        lowered = self._lower()
        if lowered is None:
            raise NotImplementedError(f"{type(self).__name__} defines no lowering")
        graph = lowered.__dask_graph__()
        graph[(self._name, 0)] = (lowered._name, 0)
        return graph


class Reduction(_ReducesAll):
    """``frame.op(**kwargs)`` reducing all partitions of ``frame`` into one
    result (a logical node: lowered to a :class:`TreeReduction`).

    ``result`` is pandas' answer on a stand-in of ``frame``'s meta, computed
    when the plan is built (invalid calls fail then); its schema is this
    node's meta, and the lowering plans the tree from it (which columns are
    read, the result's dtypes). ``split_every``: partials combined per task
    (None: the ``split_every`` option).
    """

    _parameters = ["frame", "op", "kwargs", "result", "split_every"]
    _defaults = {"kwargs": None, "split_every": None}
    frame: Expr
    op: str
    kwargs: dict[str, Any] | None
    result: Any
    split_every: int | None

    def _validate(self) -> None:
        if self.op not in REDUCTIONS:
            raise ValueError(
                f"Reduction: unknown op {self.op!r}; one of {sorted(REDUCTIONS)}"
            )
        if reduces_all_values(self.kwargs) and not (
            self.op in ALL_VALUES_OPS and isinstance(self.frame._meta, pd.DataFrame)
        ):
            raise ValueError(f"Reduction: {self.op}(axis=None) of a DataFrame only")

    @property
    def _funcname(self) -> str:
        return self.op.replace("_", "-")

    @functools.cached_property
    def _meta(self) -> Any:
        return make_meta(self.result)

    @functools.cached_property
    def _columns(self) -> list[Any] | None:
        """The input columns the reduction reads (None: a Series input)."""
        return reduced_columns(self.frame._meta, self.result, self.op, self.kwargs)

    def _narrowed(self) -> Expr:
        """``frame`` narrowed to the columns the reduction reads (by
        position when labels repeat)."""
        positions = repeated_label_positions(self.frame._meta, self.op, self.kwargs)
        if positions is not None:
            meta = self.frame._meta.iloc[:, positions]
            return MapPartitions(
                take_columns, meta, [self.frame, positions], None, True
            )
        cols = self._columns
        if cols is None or cols == list(self.frame._meta.columns):
            return self.frame
        return Projection(self.frame, cols)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        cols = self._columns
        return [(self.frame, None if cols is None else set(cols))]

    def _simplify(self) -> Expr | None:
        # Select the columns first: the selection then simplifies with what
        # is below it (moves under a filter, merges with a selection).
        frame = self._narrowed()
        if frame is self.frame:
            return None
        return self.substitute_operands(frame=frame)

    def _lower(self) -> Expr:
        frame = self._narrowed()
        if reduces_all_values(self.kwargs):
            # Every value (of the selected columns) as one Series, reduced.
            # The selection is a column selection below, unless labels
            # repeat (then positions, which a selection by label cannot say).
            flat, kwargs, positions = all_values_input(
                frame._meta, self.op, self.kwargs or {}
            )
            args = [frame, flat.dtype] + ([] if positions is None else [positions])
            values = MapPartitions(all_values, flat, args, None, False)
            return Reduction(values, self.op, kwargs, self.result, self.split_every)
        steps = tree_steps(self.op, frame._meta, self.kwargs or {}, self.result)
        return TreeReduction(
            frame,
            steps.chunk,
            steps.combine,
            steps.aggregate,
            self._meta,
            steps.chunk_kwargs,
            steps.combine_kwargs,
            steps.aggregate_kwargs,
            self.split_every,
            self._funcname,
            reduced_columns(frame._meta, self.result, self.op, self.kwargs),
        )

    def _operand_repr(self) -> str:
        kwargs = ", ".join(f"{k}={v!r}" for k, v in (self.kwargs or {}).items())
        return f"{self.op}, {kwargs}" if kwargs else str(self.op)


class TreeReduction(_ReducesAll):
    """A reduction of all partitions of ``frame`` into one result."""

    _parameters = [
        "frame",
        "chunk",
        "combine",
        "aggregate",
        "meta",
        "chunk_kwargs",
        "combine_kwargs",
        "aggregate_kwargs",
        "split_every",
        "label",
        "columns",
    ]
    _defaults = {
        "chunk_kwargs": None,
        "combine_kwargs": None,
        "aggregate_kwargs": None,
        "split_every": None,
        "label": None,
        "columns": None,
    }
    frame: Expr
    chunk: Callable[..., Any]
    combine: Callable[..., Any]
    aggregate: Callable[..., Any]
    meta: Any
    chunk_kwargs: dict[str, Any] | None
    combine_kwargs: dict[str, Any] | None
    aggregate_kwargs: dict[str, Any] | None
    split_every: int | None
    label: str | None
    columns: Any

    @property
    def _funcname(self) -> str:
        return self.label or getattr(self.aggregate, "__name__", "reduction").strip("_")

    @functools.cached_property
    def _meta(self) -> Any:
        return make_meta(self.meta)

    def _lower(self) -> Expr:
        chunks = ReductionChunk(
            self.frame, self.chunk, self.chunk_kwargs, self.label, self.columns
        )
        return TreeCombine(
            chunks,
            self.combine,
            self.aggregate,
            self.meta,
            self.combine_kwargs,
            self.aggregate_kwargs,
            self.split_every,
            self.label,
        )

    def _operand_repr(self) -> str:
        return self._funcname


class ReductionChunk(Blockwise):
    """The partition-wise first step of a tree reduction."""

    _parameters = ["frame", "func", "kwargs", "label", "columns"]
    _defaults = {"kwargs": None, "label": None, "columns": None}
    frame: Expr
    func: Callable[..., Any]
    kwargs: dict[str, Any] | None
    label: str | None
    columns: Any
    _preserves_partitioning = False

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        # ``columns``: the input columns the chunk reads (None: all).
        cols = self.operand("columns")
        return [(self.frame, None if cols is None else set(cols))]

    @property
    def operation(self) -> Any:
        return self.func

    @property
    def _funcname(self) -> str:
        name = str(self.label or getattr(self.func, "__name__", "chunk"))
        return name.strip("_") + "-chunk"

    def _args(self) -> list[Any]:
        return [self.frame]

    def _kwargs(self) -> dict[str, Any]:
        return self.kwargs or {}

    @functools.cached_property
    def _meta(self) -> Any:
        # Partials are internal; their schema is not needed by anyone.
        return None

    def _divisions(self) -> Divisions:
        return (None,) * (self.frame.npartitions + 1)

    @property
    def _partitioning(self) -> str:
        return self.frame._partitioning

    def _operand_repr(self) -> str:
        return self._funcname


class TreeCombine(Expr):
    """Combine partials ``split_every`` at a time, then aggregate at the root."""

    _parameters = [
        "chunks",
        "combine",
        "aggregate",
        "meta",
        "combine_kwargs",
        "aggregate_kwargs",
        "split_every",
        "label",
    ]
    _defaults = {
        "combine_kwargs": None,
        "aggregate_kwargs": None,
        "split_every": None,
        "label": None,
    }
    chunks: Expr
    combine: Callable[..., Any]
    aggregate: Callable[..., Any]
    meta: Any
    combine_kwargs: dict[str, Any] | None
    aggregate_kwargs: dict[str, Any] | None
    split_every: int | None
    label: str | None

    @property
    def _funcname(self) -> str:
        name = str(self.label or getattr(self.aggregate, "__name__", "tree"))
        return name.strip("_") + "-agg"

    @functools.cached_property
    def _meta(self) -> Any:
        return make_meta(self.meta)

    def _divisions(self) -> Divisions:
        return (None, None)

    def _layer(self) -> Layer:
        keys = [(self.chunks._name, i) for i in range(self.chunks.npartitions)]
        graph: Layer = {}
        combine, ckw = self.combine, self.combine_kwargs or {}
        keys = combine_tree(
            graph,
            keys,
            lambda group: _call(combine, ckw, group),
            f"{self._name}-combine",
            split_every(self.split_every),
        )
        graph[(self._name, 0)] = _call(
            self.aggregate, self.aggregate_kwargs or {}, keys
        )
        return graph

    def _operand_repr(self) -> str:
        return self._funcname


def _call(func: Any, kwargs: dict[str, Any], keys: list[Any]) -> tuple[Any, ...]:
    if kwargs:
        from ..graph import quote

        return (apply_kwargs, func, quote(kwargs), list(keys))
    return (func, list(keys))
