"""Sorting nodes: ``sort_values`` and ``set_index`` on an unsorted column.

Both range-partition the rows: every partition contributes evenly spaced
sample keys, one task picks ``npartitions - 1`` boundary rows from them
(:class:`RangeBounds`), a range shuffle sends every row to its range
(rows equal to a boundary all go the same way) and every output sorts
itself stably. Equal keys keep their original order, so the result is
pandas' stable sort.

Divisions of ``set_index``. The boundaries are computed **inside the
graph**: building the plan computes nothing. The node's ``divisions``,
however, are known only after a pass over the data, so
:class:`SetIndexShuffled` computes them (key samples plus each
partition's min and max, reading only the key column) **when they are
asked for**: by ``.divisions`` / ``known_divisions``, or by an operation
that needs them (``loc`` pruning, alignment with another frame,
``repartition(divisions=...)``, an index join when it is built: it is
aligned, without a shuffle, when both sides' divisions are known). Once
computed they are cached in the node and the graph uses them as literal
boundaries (same samples, same boundaries: the partitions are those the
divisions describe). Giving ``divisions=`` skips sampling altogether.
``npartitions`` never computes.
Keys with missing values give unknown divisions (a division cannot be
NaN); those rows go to the last partition, as pandas sorts them last.

A trade-off of in-graph sampling: every input partition is held (or, if
it is cheap, recomputed) until the boundaries are known. The disk shuffle
avoids that by staging each input on disk with its sample (memory stays
at a few partitions, see :mod:`partframe.kernels.spill`); the task shuffle
holds all pieces in memory anyway. Asking for ``divisions`` first (two
passes over the data, as Dask does) avoids it too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..graph import quote
from ..kernels.estimate import range_sample_size
from ..kernels.partitions import set_index_column
from ..kernels.sorting import (
    choose_boundaries,
    set_index_sorted_partition,
    sort_partition,
    sort_stats,
    top_rows,
    top_rows_concat,
)
from .base import ColumnNeeds, Divisions, Expr, Layer, Needed, plain_scalar
from .blockwise import Blockwise
from .partitions import check_divisions
from .shuffle import RangeBounds, Regroup, Shuffle, on_columns
from .target import current
from .tree import combine_tree, split_every

__all__ = ["TOP_ROWS_MAX", "RangeBounds", "SetIndexShuffled", "SortValues", "TopRows"]

#: ``sort_values(...).head(n)`` takes each partition's first ``n`` sorted
#: rows (:class:`TopRows`) instead of sorting everything, up to this ``n``.
TOP_ROWS_MAX = 100_000


class SortPartitions(Blockwise):
    """Every partition stably sorted by its keys."""

    _parameters = ["frame", "on", "ascending", "na_position"]
    _keeps_rows = True
    frame: Expr
    on: Any
    ascending: list[bool]
    na_position: str
    operation = staticmethod(sort_partition)
    _preserves_partitioning = True

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        cols = on_columns(self.on)
        if needed is None or cols is None:
            return [(self.frame, None)]
        return [(self.frame, set(needed) | cols)]


class SortValues(Regroup):
    """``sort_values``: a range shuffle, then a stable sort per partition."""

    _parameters = [
        "frame",
        "on",
        "ascending",
        "na_position",
        "npartitions_out",
        "method",
    ]
    _defaults = {"method": None}
    frame: Expr
    on: Any
    ascending: list[bool]
    na_position: str
    npartitions_out: int
    method: str | None

    def _first_rows(self, n: int) -> Expr | None:
        # sort_values(...).head(n): each partition's first n sorted rows
        # (TopRows) instead of a shuffle and sort of every row
        if 0 <= n <= TOP_ROWS_MAX:
            return TopRows(self.frame, self.on, self.ascending, self.na_position, n)
        return None

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        cols = on_columns(self.on)
        if needed is None or cols is None:
            return [(self.frame, None)]
        return [(self.frame, set(needed) | cols)]

    def _narrowable_inputs(self) -> list[str] | None:
        # the rows move to their ranges: with the keys and used columns only
        return ["frame"]

    def _lower(self) -> Expr:
        frame, n = self.frame, self.npartitions_out
        asc, na = list(self.ascending), self.na_position
        if frame.npartitions == 1 and n == 1:
            return SortPartitions(frame, self.on, asc, na)
        bounds = RangeBounds(frame, self.on, n, asc, na)
        shuffled = Shuffle(frame, self.on, n, ("range", asc, na), self.method, bounds)
        return SortPartitions(shuffled, self.on, asc, na)

    def _operand_repr(self) -> str:
        return f"on={self.on!r}, ascending={self.ascending!r}"

    def _filter_below(
        self,
        columns: set[Any],
        filtered: Callable[[Expr, dict[Any, Any]], Expr | None],
    ) -> Expr | None:
        # A stable sort of the kept rows is the kept rows of the stable
        # sort: filtering first sorts (and shuffles) fewer rows. The
        # boundaries are sampled from the kept rows; the divisions are
        # unknown either way.
        frame = filtered(self.frame, {c: c for c in columns})
        return None if frame is None else self.substitute_operands(frame=frame)


class TopRows(Expr):
    """``sort_values(on, ...).head(n)``: the first ``n`` rows of the stable
    sort, without sorting (or shuffling) every row.

    Every partition keeps its own first ``n`` sorted rows; a tree of
    ``split_every`` combines concatenates them in partition order and keeps
    the first ``n`` of their stable sort. A row that ``n`` rows of its own
    partition precede is preceded by them in the whole frame, so the result
    is the global stable sort's first ``n`` rows, ties in their original
    order (the partitions' order, then the rows'). One partition out.
    """

    _parameters = ["frame", "on", "ascending", "na_position", "n"]
    frame: Expr
    on: Any
    ascending: list[bool]
    na_position: str
    n: int

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        return (None, None)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        cols = on_columns(self.on)
        if needed is None or cols is None:
            return [(self.frame, None)]
        return [(self.frame, set(needed) | cols)]

    def _estimate_rows(self, rows: list[Any]) -> float | None:
        frame = self._rows_of(rows, self.frame)
        return None if frame is None else min(frame, self.n)

    @property
    def _funcname(self) -> str:
        return "top-rows"

    def _layer(self) -> Layer:
        args = (quote(self.on), quote(list(self.ascending)), self.na_position, self.n)
        name = self._name
        graph: Layer = {}
        keys: list[Any] = []
        for i in range(self.frame.npartitions):
            graph[(name + "-chunk", i)] = (top_rows, (self.frame._name, i), *args)
            keys.append((name + "-chunk", i))
        keys = combine_tree(
            graph,
            keys,
            lambda group: (top_rows_concat, group, *args),
            f"{name}-combine",
            split_every(),
        )
        graph[(name, 0)] = (top_rows_concat, keys, *args)
        return graph

    def _operand_repr(self) -> str:
        return f"on={self.on!r}, ascending={self.ascending!r}, n={self.n}"


# -- set_index ---------------------------------------------------------------------


class SetIndexPartitions(Blockwise):
    """Per partition: set the index, sort by it; the divisions are given."""

    _parameters = ["frame", "column", "drop", "divisions_", "meta"]
    _keeps_rows = True
    frame: Expr
    column: Any
    drop: bool
    divisions_: tuple[Any, ...] | None
    meta: Any
    operation = staticmethod(set_index_sorted_partition)
    _preserves_partitioning = False

    def _args(self) -> list[Any]:
        return [self.frame, self.column, self.drop]

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _divisions(self) -> Divisions:
        if self.divisions_ is None:
            return (None,) * (self.frame.npartitions + 1)
        return tuple(self.divisions_)


class SortStats(Blockwise):
    """Per partition: key samples, min, max, missing values, rows."""

    _parameters = ["frame", "on", "size"]
    frame: Expr
    on: Any
    size: int
    operation = staticmethod(sort_stats)
    _preserves_partitioning = False

    def _args(self) -> list[Any]:
        return [self.frame, self.on, self.size]

    @functools.cached_property
    def _meta(self) -> Any:
        return None

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, on_columns(self.on))]


class SetIndexShuffled(Expr):
    """``set_index(column)`` of an unsorted column: range shuffle and sort.

    ``divisions_`` (given boundaries) skips sampling; otherwise the
    divisions are computed when asked for (see the module docstring), from
    the rows of ``sampled`` (``None``: of ``frame``). A filter pushed below
    the shuffle (:meth:`_filter_below`) keeps the frame it was planned on
    as ``sampled``: the boundaries, and so the divisions whenever they are
    asked for, before or after the plan is optimized, stay those of the
    unfiltered rows, which the kept rows respect.
    """

    _parameters = [
        "frame",
        "column",
        "drop",
        "npartitions_out",
        "method",
        "divisions_",
        "sampled",
    ]
    _defaults = {"method": None, "divisions_": None, "sampled": None}
    frame: Expr
    column: Any
    drop: bool
    npartitions_out: int
    method: str | None
    divisions_: tuple[Any, ...] | None
    sampled: Expr | None

    @property
    def _sampled(self) -> Expr:
        """The frame whose key column picks the boundaries."""
        return self.frame if self.sampled is None else self.sampled

    def _validate(self) -> None:
        if self.divisions_ is not None:
            check_divisions(
                self.divisions_,
                f"set_index({self.column!r}, divisions=...)",
                self.npartitions_out,
                self._meta.index,
            )

    @functools.cached_property
    def _meta(self) -> Any:
        return set_index_column(self.frame._meta, self.column, self.drop)

    @property
    def npartitions(self) -> int:
        return self.npartitions_out

    def _divisions(self) -> Divisions:
        if self.divisions_ is not None:
            return tuple(self.divisions_)
        return self._computed[0]

    @functools.cached_property
    def _computed(self) -> tuple[Divisions, Any]:
        """``(divisions, boundary rows)`` from a pass over the key column."""
        n = self.npartitions_out
        unknown = (None,) * (n + 1)
        stats = current().compute_now(
            SortStats(self._sampled, [self.column], range_sample_size(n))
        )
        bounds = choose_boundaries([s[0] for s in stats], n, [True], "last")
        lows = [s[1] for s in stats if s[1] is not None]
        if any(s[3] for s in stats) or not lows:
            return unknown, bounds
        highs = [s[2] for s in stats if s[2] is not None]
        lo, hi = min(lows), max(highs)
        inner = [plain_scalar(v) for v in bounds.iloc[:, 0]] if len(bounds) else []
        if len(inner) != n - 1:
            inner = [lo] * (n - 1 - len(inner)) + inner
        return (plain_scalar(lo), *inner, plain_scalar(hi)), bounds

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        out: ColumnNeeds = [
            (self.frame, None if needed is None else set(needed) | {self.column})
        ]
        if self.sampled is not None:
            out.append((self.sampled, {self.column}))
        return out

    def _narrowable_inputs(self) -> list[str] | None:
        # the rows move to their ranges: with the key and used columns only
        return ["frame"]

    def _with_dependencies(self, new: dict[str, Expr]) -> Expr:
        # Divisions computed from the data (when someone asked for them)
        # hold for the same rows however their plan is rewritten (lowered,
        # projected): the rebuilt node keeps them instead of recomputing, or
        # of lowering without them into partitions of unknown divisions.
        out = super()._with_dependencies(new)
        if out is not self and "_computed" in self.__dict__:
            out.__dict__.setdefault("_computed", self.__dict__["_computed"])
        return out

    def _lower(self) -> Expr:
        frame, n, col = self.frame, self.npartitions_out, self.column
        asc = [True]
        if self.divisions_ is not None:
            divisions: Any = tuple(self.divisions_)
            bounds: Any = pd.DataFrame({0: list(divisions[1:-1])})
        elif "_computed" in self.__dict__:
            divisions, bounds = self._computed
            if divisions[0] is None:
                divisions = None
        else:
            divisions = None
            bounds = RangeBounds(self._sampled, [col], n, asc, "last")
        if frame.npartitions == 1 and n == 1:
            shuffled: Expr = frame
        else:
            shuffled = Shuffle(
                frame, [col], n, ("range", asc, "last"), self.method, bounds
            )
        return SetIndexPartitions(shuffled, col, self.drop, divisions, self._meta)

    def _operand_repr(self) -> str:
        return f"{self.column!r}, npartitions_out={self.npartitions_out}"

    def _filter_below(
        self,
        columns: set[Any],
        filtered: Callable[[Expr, dict[Any, Any]], Expr | None],
    ) -> Expr | None:
        # Divisions known already (given, or computed when asked for) may
        # have been read to build the plan above, and may be asked for
        # after it is optimized: they must stay those of the result, so the
        # boundaries stay too. Given divisions do (the kept rows go to the
        # same ranges); computed ones are sampled from the unfiltered rows.
        if self.divisions_ is None and "_computed" in self.__dict__:
            return None
        frame = filtered(self.frame, {c: c for c in columns})
        if frame is None:
            return None
        if self.divisions_ is not None:
            return self.substitute_operands(frame=frame)
        return self.substitute_operands(frame=frame, sampled=self._sampled)
