"""Groupby nodes: tree-reduced aggregations and shuffle-based operations.

:class:`GroupByAgg` is the logical node of a decomposable aggregation. It
lowers into a partition-wise :class:`GroupByChunk` (fused with the
operations before it) and a :class:`GroupByTree` that combines at most
``split_every`` partials per task and finalizes once per output partition.
With ``split_out=k > 1`` each chunk's partial is hash-partitioned by key into
``k`` pieces and each output reduces its own pieces, so no task ever holds
all groups; when the result must be sorted, a
:class:`~partframe.expr.shuffle.SortedRepartition` then splits the outputs
by key ranges, so the concatenated result is sorted as pandas' is.

Index-aligned operations (transform, cumulative ops, shift, rank, head...)
tag every row with its partition and position (:class:`TagRows`), shuffle by
key, run pandas per partition, shuffle back to the original partitions and
restore the row order (:class:`RestoreRows`): the result has the original
index, row order and partitioning.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import operator
from typing import Any

import numpy as np
import pandas as pd

from ..graph import quote
from ..kernels.estimate import range_sample_size
from ..kernels.group_call import (
    reset_index_offset,
    restore_named,
    restore_rows,
    tag_rows,
)
from ..kernels.groupby import GroupByPlan, groupby_chunk, groupby_chunk_split
from ..kernels.groupby_combine import groupby_combine
from ..kernels.groupby_finalize import groupby_finalize, groupby_partition
from ..kernels.groupby_range import (
    groupby_bounds,
    groupby_range_finalize,
    groupby_range_prepare,
    groupby_range_sample,
    groupby_sample,
    groupby_split_range,
    range_split_rows,
)
from .base import Below, ColumnNeeds, Divisions, Expr, Layer, Needed, column_dtype
from .blockwise import Blockwise
from .meta import make_meta
from .repartition import gather_partitions
from .shuffle import Regroup
from .tree import combine_tree, split_every

__all__ = [
    "GroupByAgg",
    "GroupByChunk",
    "GroupByPartitions",
    "GroupByRangeAgg",
    "GroupByTree",
    "RangeShuffle",
    "ResetIndex",
    "RestoreRows",
    "TagRows",
]


class GroupByAgg(Expr):
    """A groupby-aggregation computed by a tree reduction."""

    _parameters = ["frame", "plan", "meta", "split_every", "split_out", "columns"]
    _defaults = {"split_every": None, "split_out": 1, "columns": None}
    frame: Expr
    plan: Any
    meta: Any
    split_every: int | None
    split_out: int
    columns: Any

    @functools.cached_property
    def _meta(self) -> Any:
        return make_meta(self.operand("meta"))

    def _divisions(self) -> Divisions:
        return (None,) * (self._nout + 1)

    @property
    def _nout(self) -> int:
        return max(1, int(self.split_out))

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        cols = self.operand("columns")
        return [(self.frame, None if cols is None else set(cols))]

    _reduces_by_key = True

    def _key_filter_step(self, column: Any) -> Below | None:
        # a group's rows all hold its key: whole groups are kept or dropped
        # (not for categorical keys, whose unobserved groups pandas keeps)
        plan = self.plan
        if plan.by is None or plan.level is not None or column not in plan.by:
            return None
        dtype = column_dtype(self.frame._meta, column)
        if dtype is None or isinstance(dtype, pd.CategoricalDtype):
            return None
        return Below(self.frame, column)

    def _groups_in_place(self) -> bool:
        """Whether no group spans two input partitions: the partitions'
        ranges of the first key (Parquet statistics of a table stored in
        key order, :meth:`Expr._partition_ranges`) ascend without
        overlapping, and a missing first key, which ranges do not show,
        is dropped or absent."""
        plan, frame = self.plan, self.frame
        if plan.by is None or frame.npartitions < 2 or plan.nocast:
            return False
        key = next(iter(plan.by))
        meta = frame._meta
        if not isinstance(meta, pd.DataFrame) or key not in meta.columns:
            return False
        dtype = column_dtype(meta, key)
        if not (isinstance(dtype, np.dtype) and dtype.kind in "iufM"):
            return False
        if not plan.dropna and not frame._has_no_missing(key):
            return False
        ranges = frame._partition_ranges(key)
        if ranges is None or len(ranges) != frame.npartitions:
            return False
        bounds = [r for r in ranges if r is not None]
        try:
            return all(a[1] < b[0] for a, b in itertools.pairwise(bounds))
        except TypeError:  # bounds that do not compare
            return False

    def _lower(self) -> Expr:
        k = self._nout
        plan = self.plan
        if k == 1 and self._groups_in_place():
            # each partition's groups are whole: aggregated where they are,
            # in parallel, then concatenated in order (sorted, or in order
            # of first appearance, as pandas gives them)
            if not plan.as_index:
                plan = dataclasses.replace(plan, defer_reset=True)
            parts = GroupByPartitions(
                self.frame, plan, self._meta, self.operand("columns")
            )
            out: Expr = gather_partitions(parts)
            return out if plan.as_index else ResetIndex(out, self._meta)
        defer = k > 1 and not plan.as_index
        if defer:  # keys go to columns after the outputs are (re)sorted
            plan = dataclasses.replace(plan, defer_reset=True)
        if k > 1 and plan.sort:
            # split by sampled key ranges: outputs come out sorted
            out = GroupByRangeAgg(
                self.frame, plan, self._meta, k, self.operand("columns")
            )
        else:
            chunks = GroupByChunk(self.frame, plan, k, self.operand("columns"))
            out = GroupByTree(chunks, plan, self._meta, self.split_every, k)
        if defer:
            out = ResetIndex(out, self._meta)
        return out

    def _layer(self) -> Layer:
        lowered = self._lower()
        graph = lowered.__dask_graph__()
        for j in range(self._nout):
            graph[(self._name, j)] = (lowered._name, j)
        return graph

    def _operand_repr(self) -> str:
        kinds = ",".join(k for k, _ in self.plan.outputs)
        return f"{kinds}, split_out={self.split_out}"


class GroupByChunk(Blockwise):
    """The partition-wise step: a partial (or ``split_out`` partials) each."""

    _parameters = ["frame", "plan", "split_out", "columns"]
    frame: Expr
    plan: Any
    split_out: int
    columns: Any
    _preserves_partitioning = False

    @property
    def operation(self) -> Any:
        return groupby_chunk if self.split_out == 1 else groupby_chunk_split

    def _args(self) -> list[Any]:
        if self.split_out == 1:
            return [self.frame, self.plan]
        return [self.frame, self.plan, self.split_out]

    @functools.cached_property
    def _meta(self) -> Any:
        return None

    def _divisions(self) -> Divisions:
        return (None,) * (self.frame.npartitions + 1)

    @property
    def _partitioning(self) -> str:
        return self.frame._partitioning

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        cols = self.operand("columns")
        return [(self.frame, None if cols is None else set(cols))]

    @property
    def _funcname(self) -> str:
        return "groupby-chunk"

    def _operand_repr(self) -> str:
        return f"split_out={self.split_out}"


class GroupByPartitions(Blockwise):
    """The aggregation of each partition on its own (its groups are whole:
    :meth:`GroupByAgg._groups_in_place`), finalized where it is."""

    _parameters = ["frame", "plan", "meta", "columns"]
    frame: Expr
    plan: Any
    meta: Any
    columns: Any
    _preserves_partitioning = False
    operation = staticmethod(groupby_partition)

    def _args(self) -> list[Any]:
        return [self.frame, self.plan, self.operand("meta")]

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _divisions(self) -> Divisions:
        return (None,) * (self.frame.npartitions + 1)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        cols = self.operand("columns")
        return [(self.frame, None if cols is None else set(cols))]

    @property
    def _funcname(self) -> str:
        return "groupby-partition"

    def _operand_repr(self) -> str:
        kinds = ",".join(k for k, _ in self.plan.outputs)
        return f"{kinds}, by={self.plan.by!r}"


class GroupByTree(Expr):
    """Combine partials ``split_every`` at a time; finalize per output."""

    _parameters = ["chunks", "plan", "meta", "split_every", "split_out"]
    chunks: Expr
    plan: Any
    meta: Any
    split_every: int | None
    split_out: int

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _divisions(self) -> Divisions:
        return (None,) * (self.split_out + 1)

    @property
    def _funcname(self) -> str:
        return "groupby-agg"

    def _layer(self) -> Layer:
        fan_in = split_every(self.split_every)
        k = self.split_out
        src = self.chunks._name
        n = self.chunks.npartitions
        plan = quote(self.plan)
        meta = quote(self.operand("meta"))
        graph: Layer = {}
        for j in range(k):
            keys: list[tuple[Any, ...]]
            if k == 1:
                keys = [(src, i) for i in range(n)]
            else:
                keys = []
                for i in range(n):
                    key = (f"{self._name}-get", i, j)
                    graph[key] = (operator.getitem, (src, i), j)
                    keys.append(key)
            keys = combine_tree(
                graph,
                keys,
                lambda group: (groupby_combine, group, plan),
                f"{self._name}-combine",
                fan_in,
                index=(j,),
            )
            graph[(self._name, j)] = (groupby_finalize, keys, plan, meta)
        return graph

    def _operand_repr(self) -> str:
        return f"split_out={self.split_out}"


class GroupByRangeAgg(Expr):
    """``split_out`` outputs by key ranges, each finalized sorted.

    Every input partition is prepared once: a sample of its keys, and the
    partition as raw rows when its groups are about as many as its rows
    (estimated from a sample: grouping first would not shrink it), else as
    its partial aggregate; the partition itself is then released, so an
    aggregation with few groups holds only partials while the boundaries
    wait for every input. One task picks ``split_out - 1`` boundaries (and
    the shortest key prefix that separates them); every prepared input is
    split by those ranges. Output ``j``
    groups its raw rows once, merges the partials and sorts. It holds only
    keys below those of output ``j + 1``, so the concatenated result is
    sorted as pandas' is, after a single exchange of data.
    """

    _parameters = ["frame", "plan", "meta", "split_out", "columns"]
    frame: Expr
    plan: Any
    meta: Any
    split_out: int
    columns: Any

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _divisions(self) -> Divisions:
        return (None,) * (self.split_out + 1)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        cols = self.operand("columns")
        return [(self.frame, None if cols is None else set(cols))]

    @property
    def _funcname(self) -> str:
        return "groupby-agg-range"

    def _layer(self) -> Layer:
        k = self.split_out
        src = self.frame._name
        n = self.frame.npartitions
        plan = quote(self.plan)
        meta = quote(self.operand("meta"))
        name = self._name
        graph: Layer = {}
        size = range_sample_size(k)
        cols = self.operand("columns")
        cols = None if cols is None else quote(list(cols))
        samples = []
        for i in range(n):
            # the input's rows are dropped once prepared (sampled and, when
            # that shrinks them, grouped): only its partial waits for the
            # boundaries of every input
            prep = (name + "-prepare", i)
            graph[prep] = (groupby_range_prepare, (src, i), plan, size, cols)
            graph[(name + "-sample", i)] = (groupby_range_sample, prep)
            samples.append((name + "-sample", i))
        bounds = (name + "-bounds", 0)
        graph[bounds] = (groupby_bounds, samples, k)
        for i in range(n):
            graph[(name + "-split", i)] = (
                groupby_split_range,
                (name + "-prepare", i),
                plan,
                bounds,
                k,
            )
        for j in range(k):
            keys = []
            for i in range(n):
                graph[(name + "-get", i, j)] = (
                    operator.getitem,
                    (name + "-split", i),
                    j,
                )
                keys.append((name + "-get", i, j))
            graph[(name, j)] = (groupby_range_finalize, keys, plan, meta)
        return graph

    def _operand_repr(self) -> str:
        return f"split_out={self.split_out}"


class RangeShuffle(Regroup):
    """Rows regrouped into ``npartitions_out`` partitions by sampled ranges
    of the ``on`` columns: partition ``j`` holds only keys that sort before
    those of partition ``j + 1`` (missing keys last), each key's rows in
    their original order. A groupby on every partition with ``sort=True``
    then gives pandas' sorted result without a second exchange."""

    _parameters = ["frame", "on", "npartitions_out"]
    frame: Expr
    on: Any
    npartitions_out: int

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        if needed is None:
            return [(self.frame, None)]
        return [(self.frame, set(needed) | set(self.on))]

    @property
    def _funcname(self) -> str:
        return "range-shuffle"

    def _layer(self) -> Layer:
        from ..kernels.shuffle import shuffle_concat

        k = self.npartitions_out
        src = self.frame._name
        n = self.frame.npartitions
        on = list(self.on)
        plan = GroupByPlan(by=on)
        name = self._name
        graph: Layer = {}
        size = range_sample_size(k)
        samples = []
        for i in range(n):
            graph[(name + "-sample", i)] = (groupby_sample, (src, i), plan, size)
            samples.append((name + "-sample", i))
        bounds = (name + "-bounds", 0)
        graph[bounds] = (groupby_bounds, samples, k)
        for i in range(n):
            graph[(name + "-split", i)] = (range_split_rows, (src, i), on, bounds, k)
        for j in range(k):
            keys = []
            for i in range(n):
                graph[(name + "-get", i, j)] = (
                    operator.getitem,
                    (name + "-split", i),
                    j,
                )
                keys.append((name + "-get", i, j))
            graph[(name, j)] = (shuffle_concat, keys)
        return graph

    def _operand_repr(self) -> str:
        return f"on={self.on!r}, npartitions_out={self.npartitions_out}"


class TagRows(Blockwise):
    """Every row tagged with its partition number and position in it."""

    _parameters = ["frame"]
    frame: Expr
    operation = staticmethod(tag_rows)
    _preserves_partitioning = True

    @functools.cached_property
    def _meta(self) -> Any:
        return tag_rows(self.frame._meta, 0)

    def _task(self, index: int) -> Any:
        return (tag_rows, (self.frame._name, index), index)


class RestoreRows(Blockwise):
    """Rows shuffled back home, in their original order: aligned with
    ``origin``, the frame they came from (same divisions and partitioning).
    ``origin`` is a reference, not an input: it stays the node the rest of
    the plan holds through lowering and projection."""

    _parameters = ["frame", "meta", "value", "origin"]
    frame: Expr
    meta: Any
    value: Any
    origin: Expr
    _references = ("origin",)
    operation = staticmethod(restore_rows)

    def _args(self) -> list[Any]:
        return [self.frame, self.value]

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _divisions(self) -> Divisions:
        return self.origin.divisions

    @property
    def _partitioning(self) -> str:
        return self.origin._partitioning

    def _task(self, index: int) -> Any:
        value = self.value
        return (
            restore_named,
            (self.frame._name, index),
            value,
            quote(self.operand("meta")),
        )


class ResetIndex(Expr):
    """Keys moved from the index into columns, with one global RangeIndex
    over all partitions (as pandas' ``as_index=False`` result has)."""

    _parameters = ["frame", "meta"]
    frame: Expr
    meta: Any

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _divisions(self) -> Divisions:
        return (None,) * (self.frame.npartitions + 1)

    def _layer(self) -> Layer:
        src, name = self.frame._name, self._name
        n = self.frame.npartitions
        cols = quote(self.operand("meta").columns)
        graph: Layer = {}
        for i in range(n):
            graph[(name + "-len", i)] = (len, (src, i))
        for j in range(n):
            lens = [(name + "-len", i) for i in range(j)]
            graph[(name, j)] = (reset_index_offset, (src, j), lens, cols)
        return graph
