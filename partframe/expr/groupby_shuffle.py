"""Groupby operations that need whole groups: the logical nodes and their
lowering to shuffles.

:class:`GroupByApply` is pandas' groupby ``method`` (apply, median,
quantile, value_counts, nlargest, unique, an aggregation no tree can
decompose) run on whole groups. It lowers to a shuffle by key and one
pandas call per output partition:

- the rows move only with the columns the method reads;
- ``nlargest``/``nsmallest`` first keep each partition's own top rows per
  group (exact, see :mod:`partframe.kernels.topn`), so few rows move;
- a sorted result with several outputs is split by sampled key *ranges*
  (:class:`~partframe.expr.groupby.RangeShuffle`): output ``j`` holds keys
  below output ``j + 1``'s, so the concatenation is pandas' sorted result
  with one exchange. Unobserved categories need every group in one task;
  a hash shuffle of a sorted result is repartitioned by key ranges after
  (:class:`~partframe.expr.shuffle.SortedRepartition`);
- an ``as_index=False`` result with several outputs keeps its keys in the
  index until the outputs are sorted, then gets one global RangeIndex
  (:class:`~partframe.expr.groupby.ResetIndex`).

:class:`GroupByTransform` is an index-aligned operation (transform,
cumulative ops, shift, rank, head, tail): rows are tagged with their
partition and position (:class:`~partframe.expr.groupby.TagRows`), shuffled
by key, pandas runs per partition, and a direct shuffle sends them back to
their partitions and order (:class:`~partframe.expr.groupby.RestoreRows`):
the result has the frame's index, row order and partitions.
"""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd

from ..kernels.group_call import (
    PART,
    POS,
    groupby_apply_partition,
    groupby_call_partition,
    groupby_transform_partition,
    level_columns,
)
from ..kernels.topn import fast_top_n_ok, partition_top_n
from .base import ColumnNeeds, Divisions, Expr, Needed, RowsInPlace
from .blockwise import Elemwise, MapPartitions, Projection
from .groupby import RangeShuffle, ResetIndex, RestoreRows, TagRows
from .meta import make_meta, meta_nonempty
from .shuffle import Shuffle, SortedRepartition
from .target import current

__all__ = ["GroupByApply", "GroupByTransform"]

# the number of rows ``nlargest()``/``nsmallest()`` keep without an argument
_TOP_N_DEFAULT = 5


def _key_frame(frame: Expr, level: tuple[Any, ...] | None, on: tuple[Any, ...]) -> Expr:
    """``frame`` with the grouped index levels copied into the key columns
    ``on`` (``level is None``: the keys are columns already)."""
    if level is None:
        return frame
    return Elemwise(level_columns, [frame, list(level), list(on)])


def _frame_needs(
    level: tuple[Any, ...] | None, on: tuple[Any, ...], columns: Any
) -> Any:
    """The input columns a groupby over keys ``on`` reading the value
    ``columns`` (``None``: all) needs."""
    if columns is None:
        return None
    keys = set() if level is not None else set(on)
    return keys | set(columns)


class GroupByApply(Expr):
    """pandas' groupby ``method`` on whole groups, ``split_out`` outputs.

    ``groupby`` holds pandas' groupby arguments (``by`` is ``on``, the key
    columns after ``level`` is copied in); ``columns`` the value columns the
    method reads (``None``: all); ``meta`` the result's, ``indexed_meta``
    the same with ``as_index=True`` (for an ``as_index=False`` frame result);
    ``check`` names the user function whose results are checked against a
    ``meta=`` the user gave (``None``: the meta is pandas' own);
    ``key_levels`` how many leading index levels of the result are keys.
    """

    _parameters = [
        "frame", "level", "on", "columns", "method", "args", "kwargs",
        "groupby", "selection", "rename", "key_levels", "meta", "indexed_meta",
        "check", "object_levels", "split_out", "shuffle_method",
    ]  # fmt: skip
    frame: Expr
    level: tuple[Any, ...] | None
    on: tuple[Any, ...]
    columns: tuple[Any, ...] | None
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    groupby: dict[str, Any]
    selection: Any
    rename: dict[str, Any]
    key_levels: int | None
    meta: Any
    indexed_meta: Any
    check: str | None
    object_levels: tuple[Any, ...]
    split_out: int
    shuffle_method: str | None

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _divisions(self) -> Divisions:
        return (None,) * (self.split_out + 1)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        need = _frame_needs(self.level, self.on, self.columns)
        return [(self.frame, need)]

    def _operand_repr(self) -> str:
        return f"{self.method}, split_out={self.split_out}"

    def _input(self) -> Expr:
        """The rows to shuffle: keys and the columns the method reads, each
        partition's top rows per group first for a plain top-n."""
        on = list(self.on)
        frame = _key_frame(self.frame, self.level, self.on)
        if self.columns is not None:
            cols = list(dict.fromkeys([*on, *self.columns]))
            if len(cols) < len(frame._meta.columns):
                frame = Projection(frame, cols)
        if (
            self.method in ("nlargest", "nsmallest")
            and not self.kwargs
            and (self.split_out > 1 or frame.npartitions > 1)
            and fast_top_n_ok(frame._meta, on, self.selection)
        ):
            n = self.args[0] if self.args else _TOP_N_DEFAULT
            largest = self.method == "nlargest"
            frame = MapPartitions(
                partition_top_n,
                frame._meta,
                [frame, on, self.selection, n, largest, self.groupby["dropna"]],
                None,
                True,
            )
        return frame

    def _lower(self) -> Expr:
        k = self.split_out
        on = list(self.on)
        frame = self._input()
        gb = dict(self.groupby)
        meta = self.operand("meta")
        # several outputs of a frame with the keys as columns: the keys stay
        # in the index until the outputs are sorted
        defer = k > 1 and not gb["as_index"] and isinstance(meta, pd.DataFrame)
        inner_meta = meta
        if defer:
            gb["as_index"] = True
            inner_meta = self.indexed_meta
        nkeys = len(on) if self.key_levels is None else self.key_levels
        sorted_keys = gb["sort"] and gb["as_index"] and gb["group_keys"]
        sort_levels = nkeys if sorted_keys else 0
        ranged = k > 1 and sort_levels and gb["observed"]
        shuffled: Expr
        if ranged:
            shuffled = RangeShuffle(frame, on, k)
        elif k > 1 or frame.npartitions > 1:
            shuffled = Shuffle(frame, on, k, "hash", self.shuffle_method)
        else:
            shuffled = frame
        out: Expr = MapPartitions(
            self._kernel(),
            inner_meta,
            [
                shuffled,
                gb,
                self.selection,
                self.method,
                tuple(self.args),
                dict(self.kwargs),
                dict(self.rename),
                sort_levels,
                inner_meta,
                self.check,
                tuple(self.object_levels),
            ],
        )
        if k > 1 and sort_levels and not ranged:
            out = SortedRepartition(out, nkeys, k)
        if defer:
            out = ResetIndex(out, meta)
        return out

    def _kernel(self) -> Any:
        """The per-partition call. A user's function per group (``apply``)
        on the threads scheduler shares the partition's groups with worker
        processes (:func:`~partframe.kernels.group_call.groupby_apply_partition`):
        it holds the GIL, so threads alone would use one core (with
        ``offload_processes`` off, one thread at a time computes it)."""
        if self.method == "apply" and current().threads:
            return groupby_apply_partition
        return groupby_call_partition


def _values_as(applied: pd.DataFrame, meta: Any, keep_rows: bool) -> pd.DataFrame:
    """``applied`` (values and tags, from a stand-in) with the value dtypes
    of ``meta``, which may be narrower than the stand-in's (a function that
    keeps ``Int64`` on groups of missing values): a partition of no group
    gives them."""
    if keep_rows:
        return applied
    wanted = [meta.dtype] if isinstance(meta, pd.Series) else list(meta.dtypes)
    if len(wanted) != applied.shape[1] - 2:
        return applied
    cast = {
        j: dtype
        for j, (dtype, have) in enumerate(zip(wanted, applied.dtypes))
        if dtype != have
    }
    if not cast:
        return applied
    out = applied.copy(deep=False)
    for j, dtype in cast.items():
        out.isetitem(j, out.iloc[:, j].astype(dtype))
    return out


class GroupByTransform(RowsInPlace):
    """An index-aligned groupby ``method``: the frame's partitions, index
    and row order.

    ``keep_rows``: the method returns whole rows (head, tail), not values
    per row; ``check`` names the user function whose results are checked
    against a ``meta=`` the user gave (``None``: pandas' own meta).
    """

    _parameters = [
        "frame", "level", "on", "groupby", "selection", "method", "args",
        "kwargs", "keep_rows", "meta", "check",
    ]  # fmt: skip
    frame: Expr
    level: tuple[Any, ...] | None
    on: tuple[Any, ...]
    groupby: dict[str, Any]
    selection: Any
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    keep_rows: bool
    meta: Any
    check: str | None

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _operand_repr(self) -> str:
        return self.method

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        # The method reads the keys and the selected columns; without a
        # selection it reads every column, and head/tail return whole rows
        # (the meta, an operand, has every column).
        sel = self.selection
        if (
            sel is None
            or self.keep_rows
            or not isinstance(self.frame._meta, pd.DataFrame)
        ):
            return [(self.frame, None)]
        columns = sel if isinstance(sel, list) else [sel]
        return [(self.frame, _frame_needs(self.level, self.on, columns))]

    def _narrowable_inputs(self) -> list[str] | None:
        # the rows move to their key's partition and back
        return ["frame"]

    def _selected(self, frame: Expr) -> Any:
        if self.selection is not None:
            return self.selection
        keys = set(self.on)
        return [c for c in frame._meta.columns if c not in keys]

    def _applied_meta(self, tagged: Expr, selection: Any) -> Any:
        """The meta of the per-partition step: the values and the tags."""
        meta = self.operand("meta")
        if self.check is None:
            applied = make_meta(
                groupby_transform_partition(
                    meta_nonempty(tagged._meta),
                    self.groupby,
                    selection,
                    self.method,
                    self.args,
                    self.kwargs,
                    self.keep_rows,
                )
            )
            return _values_as(applied, meta, self.keep_rows)
        applied = (
            meta.to_frame("__pf_value")
            if isinstance(meta, pd.Series)
            else meta.copy(deep=False)
        )
        for tag in (PART, POS):
            applied[tag] = tagged._meta[tag].to_numpy()
        return applied

    def _lower(self) -> Expr:
        on = list(self.on)
        frame = _key_frame(self.frame, self.level, self.on)
        n = frame.npartitions
        selection = self._selected(frame)
        tagged = TagRows(frame)
        shuffled = Shuffle(tagged, on, n) if n > 1 else tagged
        meta = self.operand("meta")
        applied_meta = self._applied_meta(tagged, selection)
        check = None if self.check is None else (self.check, meta)
        applied = MapPartitions(
            groupby_transform_partition,
            applied_meta,
            [
                shuffled,
                dict(self.groupby),
                selection,
                self.method,
                tuple(self.args),
                dict(self.kwargs),
                self.keep_rows,
                applied_meta,
                check,
            ],
        )
        back = Shuffle(applied, PART, n, "direct") if n > 1 else applied
        value: str | list[Any] | None
        if self.keep_rows:
            value = None
        elif isinstance(meta, pd.Series):
            value = "__pf_value"
        else:
            value = list(applied_meta.columns[:-2])
        return RestoreRows(back, meta, value, self.frame)
