"""Nodes that place rows across partitions: concatenation and global row numbers.

- :class:`ConcatPartitions` appends frames (``concat(axis=0)``),
  :class:`ConcatColumns` puts aligned frames side by side (``axis=1``).
- :class:`ResetIndex` numbers rows 0..n-1 across the whole frame: each
  partition's offset is the running sum of the earlier partitions' lengths,
  computed in the same graph.
- :class:`IlocRows`: ``iloc[start:stop:step]`` by global row position, with
  the same in-graph offsets (and the total length for negative bounds).

:func:`static_lengths` reads partition lengths known without computing
through concatenation and renumbering, and both use it (the divisions of a
renumbered frame, whether a concat input is empty): that is why they share
a module.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..graph import quote
from ..kernels import partitions as K
from ..kernels.enforce import conform
from .base import Below, ColumnNeeds, Divisions, Expr, Layer, Needed
from .blockwise import Blockwise
from .meta import make_meta, meta_nonempty
from .partitions import Partitions, _needs_through, _unknown

if TYPE_CHECKING:
    from .statistics import Estimate

__all__ = [
    "ConcatColumns",
    "ConcatPartitions",
    "IlocRows",
    "ResetIndex",
    "static_lengths",
]


# -- concat ---------------------------------------------------------------------


def _same_schema(a: Any, b: Any) -> bool:
    if type(a) is not type(b) or a.index.dtype != b.index.dtype:
        return False
    if isinstance(a, pd.DataFrame):
        return list(a.columns) == list(b.columns) and a.dtypes.equals(b.dtypes)
    same: bool = a.dtype == b.dtype and a.name == b.name
    return same


class ConcatPartitions(Expr):
    """``pandas.concat(frames)`` along the rows: the partitions one after another.

    Inputs whose schema differs from the result's are conformed partition by
    partition (missing columns added, dtypes upcast) exactly as
    ``pandas.concat`` would.
    """

    _parameters = ["frames", "join"]
    _defaults = {"join": "outer"}
    frames: list[Expr]
    join: str

    def _validate(self) -> None:
        if self.join not in ("outer", "inner"):
            raise ValueError(f"join must be 'outer' or 'inner', got {self.join!r}")
        kinds = {type(f._meta) for f in self.frames}
        if len(kinds) > 1:
            raise TypeError("concat: inputs must be all DataFrames or all Series")

    @functools.cached_property
    def _meta(self) -> Any:
        # Non-empty stand-ins: the dtypes pandas gives for real data. pandas
        # leaves out frames with neither rows nor columns (they would upcast
        # every int column to float): so does the meta, for the inputs known
        # to be such; a column-less input of unknown length is assumed to
        # have rows (the dtypes of missing values, which every partition
        # then has).
        frames = [f for f in self.frames if not _known_empty_without_columns(f)]
        stand_ins = [meta_nonempty(f._meta) for f in frames or self.frames]
        return make_meta(pd.concat(stand_ins, join=self.join))

    def _divisions(self) -> Divisions:
        frames = self.frames
        total = sum(f.npartitions for f in frames)
        if not all(f.known_divisions for f in frames):
            return _unknown(total)
        try:
            ordered = all(
                a.divisions[-1] < b.divisions[0] for a, b in itertools.pairwise(frames)
            )
        except TypeError:
            ordered = False
        if not ordered:
            return _unknown(total)
        out: list[Any] = []
        for f in frames:
            out.extend(f.divisions[:-1])
        out.append(frames[-1].divisions[-1])
        return tuple(out)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(f, _needs_through(f, needed)) for f in self.frames]

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        each = [self._rows_of(rows, f) for f in self.frames]
        if any(r is None for r in each):
            return None
        return sum(r for r in each if r is not None)

    def _layer(self) -> Layer:
        meta = self._meta
        graph: Layer = {}
        j = 0
        for f in self.frames:
            same = _same_schema(f._meta, meta)
            for i in range(f.npartitions):
                key = (f._name, i)
                graph[(self._name, j)] = key if same else (conform, key, quote(meta))
                j += 1
        return graph

    def _operand_repr(self) -> str:
        return f"{len(self.frames)} frames, join={self.join!r}"

    def _filter_below(
        self,
        columns: set[Any],
        filtered: Callable[[Expr, dict[Any, Any]], Expr | None],
    ) -> Expr | None:
        # Each input filtered: its partitions are the result's. Every input
        # must have the columns read with the result's dtypes (a column it
        # lacks is missing in its rows; one upcast may compare otherwise).
        from .rowwise import SERIES

        meta, frames = self._meta, []
        for f in self.frames:
            fmeta = f._meta
            for c in columns:
                if c is SERIES:
                    same = fmeta.dtype == meta.dtype
                else:
                    same = (
                        isinstance(fmeta, pd.DataFrame)
                        and list(fmeta.columns).count(c) == 1
                        and fmeta[c].dtype == meta[c].dtype
                    )
                if not same:
                    return None
            new = filtered(f, {c: c for c in columns})
            if new is None:
                return None
            frames.append(new)
        return ConcatPartitions(frames, self.join)


def _known_empty_without_columns(frame: Expr) -> bool:
    """Is ``frame`` a DataFrame known to have neither columns nor rows?"""
    meta = frame._meta
    if not isinstance(meta, pd.DataFrame) or len(meta.columns):
        return False
    lengths = static_lengths(frame)
    return lengths is not None and not any(lengths)


_UPCAST_ON_MISSING = {"b": "object", "i": "float64", "u": "float64"}


class ConcatColumns(Blockwise):
    """``pandas.concat(frames, axis=1)`` partition by partition (aligned inputs).

    With ``cast`` (outer join of inputs from different sources, whose rows
    may not match) integer and bool columns are upcast as missing rows would
    make pandas do, so every partition has the same dtypes.
    """

    _parameters = ["frames", "join", "ignore_index", "cast"]
    _keeps_rows = True
    _defaults = {"join": "outer", "ignore_index": False, "cast": False}
    frames: list[Expr]
    join: str
    ignore_index: bool
    cast: bool
    operation = staticmethod(K.concat_columns)

    def _args(self) -> list[Any]:
        return list(self.frames)

    def _kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"join": self.join, "ignore_index": self.ignore_index}
        if self.cast:
            kw["meta"] = self._meta
        return kw

    @functools.cached_property
    def _meta(self) -> Any:
        stand_ins = [meta_nonempty(f._meta) for f in self.frames]
        meta = make_meta(
            pd.concat(stand_ins, axis=1, join=self.join, ignore_index=self.ignore_index)
        )
        if self.cast and meta.columns.is_unique:
            new = {
                c: _UPCAST_ON_MISSING[t.kind]
                for c, t in meta.dtypes.items()
                if isinstance(t, np.dtype) and t.kind in _UPCAST_ON_MISSING
            }
            if new:
                meta = meta.astype(new)
        return meta

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        if self.ignore_index:
            return [(f, None) for f in self.frames]
        return [(f, _needs_through(f, needed)) for f in self.frames]

    def _operand_repr(self) -> str:
        return f"{len(self.frames)} frames, join={self.join!r}"


# -- reset_index / set_index --------------------------------------------------------


def static_lengths(expr: Expr) -> list[Any] | None:
    """Partition lengths known without computing (pandas data), else None."""
    from .blockwise import Assign, Projection
    from .optimize.fuse import Fused
    from .sources import FromPandas

    if isinstance(expr, Fused):
        # fusion (the last optimizer pass) must not lose what its members
        # knew: a ResetIndex above them would get unknown divisions, and a
        # repartition above it (validated on rebuild) would raise
        return static_lengths(expr.output)
    if isinstance(expr, FromPandas):
        if expr.npartitions == 1 and not len(expr.data):
            return [0]
        return [len(p) for p in expr.split[0]]
    if isinstance(expr, Projection | Assign | ResetIndex):
        return static_lengths(expr.frame)
    if isinstance(expr, Partitions):
        inner = static_lengths(expr.frame)
        return None if inner is None else [inner[p] for p in expr.partitions]
    if isinstance(expr, ConcatPartitions):
        out: list[Any] = []
        for f in expr.frames:
            lengths = static_lengths(f)
            if lengths is None:
                return None
            out.extend(lengths)
        return out
    return None


class ResetIndex(Expr):
    """``reset_index``: partition-wise, renumbered 0..n-1 across the frame.

    ``lengths`` is a partition-wise node giving each partition's length; a
    chain of small tasks turns them into offsets, so partition ``i`` waits
    only for the lengths of partitions before it.
    """

    _parameters = ["frame", "lengths", "drop", "kwargs"]
    _defaults = {"drop": False, "kwargs": None}
    frame: Expr
    lengths: Expr
    drop: bool
    kwargs: dict[str, Any] | None

    @functools.cached_property
    def _meta(self) -> Any:
        meta = self.frame._meta.reset_index(drop=self.drop, **(self.kwargs or {}))
        return meta.set_axis(pd.RangeIndex(0), axis=0)

    def _divisions(self) -> Divisions:
        lengths = static_lengths(self.frame)
        n = self.frame.npartitions
        if lengths is None or not lengths or lengths[-1] == 0:
            return _unknown(n)
        offsets = [0]
        for length in lengths:
            offsets.append(offsets[-1] + length)
        return (*offsets[:-1], offsets[-1] - 1)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, _needs_through(self.frame, needed)), (self.lengths, None)]

    def _layer(self) -> Layer:
        off = f"{self._name}-offset"
        graph: Layer = {(off, 0): 0}
        lname, fname = self.lengths._name, self.frame._name
        kwargs = quote(self.kwargs or {})
        for i in range(self.frame.npartitions):
            if i:
                graph[(off, i)] = (operator.add, (off, i - 1), (lname, i - 1))
            graph[(self._name, i)] = (
                K.reset_index_offset, (fname, i), (off, i), self.drop, kwargs,
            )  # fmt: skip
        return graph

    def _operand_repr(self) -> str:
        return f"drop={self.drop}"

    def _key_filter_step(self, column: Any) -> Below | None:
        # an index level become a column (the new labels are not kept)
        meta = self.frame._meta
        if self.drop or self.kwargs or not isinstance(meta, pd.DataFrame | pd.Series):
            return None
        values = meta.columns if isinstance(meta, pd.DataFrame) else [meta.name]
        if column in values or column not in list(meta.index.names):
            return None
        return Below(self.frame, column)

    def _on_input(self, old: Expr, new: Expr) -> Expr:
        return self.substitute_operands(
            frame=new, lengths=self.lengths._on_input(old, new)
        )


class IlocRows(Expr):
    """``frame.iloc[start:stop:step]`` (``step > 0``) by global row position.

    As in :class:`ResetIndex`, ``lengths`` gives each partition's length and
    a chain of small tasks turns them into offsets; a negative ``start`` or
    ``stop`` also needs the total length, so each partition then waits for
    all lengths. Every partition keeps its selected rows (possibly none), so
    the divisions stay valid.
    """

    _parameters = ["frame", "lengths", "start", "stop", "step"]
    _defaults = {"start": None, "stop": None, "step": None}
    frame: Expr
    lengths: Expr
    start: int | None
    stop: int | None
    step: int | None

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        return self.frame.divisions

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, _needs_through(self.frame, needed)), (self.lengths, None)]

    def _layer(self) -> Layer:
        off, tot = f"{self._name}-offset", f"{self._name}-total"
        lname, fname = self.lengths._name, self.frame._name
        n = self.frame.npartitions
        needs_total = any(b is not None and b < 0 for b in (self.start, self.stop))
        graph: Layer = {(off, 0): 0}
        total: Any = None
        if needs_total:
            graph[(tot, 0)] = (sum, [(lname, i) for i in range(n)])
            total = (tot, 0)
        bounds = (self.start, self.stop, self.step)
        for i in range(n):
            if i:
                graph[(off, i)] = (operator.add, (off, i - 1), (lname, i - 1))
            graph[(self._name, i)] = (K.iloc_rows, (fname, i), (off, i), total, *bounds)
        return graph

    def _operand_repr(self) -> str:
        return f"{self.start}:{self.stop}:{self.step}"
