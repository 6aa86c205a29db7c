"""Tree reductions: chunk each partition, combine partials, aggregate once.

``TreeReduction(frame, chunk, combine, aggregate, ...)`` is the logical node.
``lower`` splits it into a partition-wise :class:`ReductionChunk` (which the
optimizer fuses with the operations before it, so a filter and the chunk
step are one task per partition) and a :class:`TreeCombine` that combines at
most ``split_every`` partials per task, level by level, and aggregates at the
root. Memory per task is bounded by ``split_every`` partials.

Kernels take and return pandas objects:

- ``chunk(partition, **chunk_kwargs) -> partial``
- ``combine(list_of_partials, **combine_kwargs) -> partial``
- ``aggregate(list_of_partials, **aggregate_kwargs) -> result``
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .base import ColumnNeeds, Divisions, Expr, Layer, Needed
from .blockwise import Blockwise, apply_kwargs
from .meta import make_meta
from .tree import combine_tree, split_every

__all__ = ["ReductionChunk", "TreeCombine", "TreeReduction"]


class TreeReduction(Expr):
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

    def _divisions(self) -> Divisions:
        return (None, None)

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

    def _layer(self) -> Layer:
        # Unlowered (optimize_graph=False): alias the lowered result.
        lowered = self._lower()
        graph = lowered.__dask_graph__()
        graph[(self._name, 0)] = (lowered._name, 0)
        return graph

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
