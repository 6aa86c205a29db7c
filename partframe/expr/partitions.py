"""Partition-aware nodes: selecting, re-splitting and combining partitions.

- :class:`Partitions` selects some partitions (``df.partitions[i]``, loc
  pruning, head batches). When lowered it is pushed below partition-wise
  nodes, so the graph only holds tasks for the selected partitions.
- :class:`Head` / :class:`Tail`: the first / last ``n`` rows, taken from the
  partitions in order through a small combine tree (a correct lazy plan even
  when the first partitions are empty).
- :class:`RepartitionDivisions` re-splits by index boundaries;
  :class:`RepartitionPieces` regroups whole partitions and row chunks
  (:func:`repartition_npartitions` picks one of them for a partition count).
- :class:`ConcatPartitions` appends frames (``concat(axis=0)``),
  :class:`ConcatColumns` puts aligned frames side by side (``axis=1``).
- :class:`ResetIndex` numbers rows 0..n-1 across the whole frame: each
  partition's offset is the running sum of the earlier partitions' lengths,
  computed in the same graph.
- :class:`IlocRows`: ``iloc[start:stop:step]`` by global row position, with
  the same in-graph offsets (and the total length for negative bounds).
- :class:`SetIndexSorted`, :class:`LocRows`, :class:`LocLabels`,
  :class:`GatherLoc`: ``set_index(sorted=True)`` and ``loc``.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..graph import quote
from ..kernels import partitions as K
from ..kernels.enforce import conform
from ..tokenize import tokenize
from .base import (
    ColumnNeeds,
    Divisions,
    Expr,
    Layer,
    Needed,
    map_operand_exprs,
    plain_scalar,
)
from .blockwise import Blockwise
from .meta import make_meta, meta_nonempty
from .tree import combine_tree, split_every

__all__ = [
    "ConcatColumns",
    "ConcatPartitions",
    "GatherLoc",
    "Head",
    "IlocRows",
    "LocLabels",
    "LocRows",
    "Partitions",
    "RepartitionDivisions",
    "RepartitionPieces",
    "ResetIndex",
    "SetIndexSorted",
    "Tail",
    "check_divisions",
    "repartition_npartitions",
    "select_partitions",
    "static_lengths",
]


def _unknown(n: int) -> Divisions:
    return (None,) * (n + 1)


def check_divisions(
    divisions: Any,
    call: str,
    npartitions: int | None = None,
    index: pd.Index | None = None,
) -> tuple[Any, ...]:
    """Index boundaries given by a user, as a tuple, or a ``ValueError``.

    Known divisions are at least two boundaries (``npartitions + 1``, when
    ``npartitions`` is given), none missing, in increasing order; a
    repeated boundary is allowed (partition ``i`` holds ``[d_i, d_i+1)``,
    so ``[d, d)`` is an empty partition). With ``index`` (the meta of the
    index they divide) they must compare with its values. ``call`` names
    the user's call in the message.

    Examples
    --------
    >>> check_divisions([0, 5, 9], "repartition(divisions=...)")
    (0, 5, 9)
    >>> check_divisions([5, 0], "repartition(divisions=...)")
    Traceback (most recent call last):
    ...
    ValueError: repartition(divisions=...): divisions must be sorted, got (5, 0), ...
    """
    if isinstance(divisions, str | bytes | dict) or not np.iterable(divisions):
        raise ValueError(
            f"{call}: divisions must be a list or tuple of index boundaries, "
            f"got {divisions!r}"
        )
    new = tuple(divisions)
    if npartitions is not None and len(new) != npartitions + 1:
        raise ValueError(
            f"{call}: {len(new)} divisions given for {npartitions} partitions; "
            f"give npartitions + 1 = {npartitions + 1} boundaries"
        )
    if len(new) < 2:
        raise ValueError(
            f"{call}: divisions must hold at least two boundaries (the first "
            f"partition's lowest index value and the last's highest), got {new!r}"
        )
    if any(v is None or (pd.api.types.is_scalar(v) and pd.isna(v)) for v in new):
        raise ValueError(
            f"{call}: divisions cannot hold missing values, got {new!r}; give "
            "known boundaries, or none at all"
        )
    try:
        unsorted = [(a, b) for a, b in itertools.pairwise(new) if a > b]
    except TypeError as exc:
        raise ValueError(
            f"{call}: the divisions {new!r} cannot be compared with each other: {exc}"
        ) from None
    if unsorted:
        a, b = unsorted[0]
        raise ValueError(
            f"{call}: divisions must be sorted, got {new!r}, where {a!r} is "
            f"greater than the next boundary {b!r}; give them in increasing order"
        )
    # object indexes may hold anything: only their data can tell
    if index is not None and index.nlevels == 1 and index.dtype != object:
        value = meta_nonempty(index)[0]
        try:
            value < new[0]  # noqa: B015 (only whether it raises matters)
        except TypeError:
            raise ValueError(
                f"{call}: the divisions {new!r} cannot be compared with the "
                f"index values, of dtype {index.dtype}; give boundaries of that "
                "type"
            ) from None
    return new


def _needs_through(frame: Expr, needed: set[Any] | None) -> set[Any] | None:
    """The columns of ``frame`` among ``needed`` (None stays None)."""
    if needed is None or not isinstance(frame._meta, pd.DataFrame):
        return None
    return {c for c in frame._meta.columns if c in needed}


# -- selecting partitions -------------------------------------------------------


class Partitions(Expr):
    """Some partitions of ``frame``, in the order given."""

    _parameters = ["frame", "partitions"]
    frame: Expr
    partitions: list[int]

    def _validate(self) -> None:
        parts = list(self.partitions)
        n = self.frame.npartitions
        if not parts:
            raise ValueError("select at least one partition")
        bad = [p for p in parts if not 0 <= p < n]
        if bad:
            raise IndexError(
                f"partition(s) {bad} out of range for a frame of {n} partitions"
            )

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        parts = list(self.partitions)
        if not self.frame.known_divisions or any(
            a >= b for a, b in itertools.pairwise(parts)
        ):
            return _unknown(len(parts))
        d = self.frame.divisions
        return (*[d[p] for p in parts], d[parts[-1] + 1])

    @property
    def _partitioning(self) -> str:
        return "partitions-" + tokenize(self.frame._partitioning, list(self.partitions))

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _layer(self) -> Layer:
        name = self.frame._name
        return {(self._name, j): (name, p) for j, p in enumerate(self.partitions)}

    def _lower(self) -> Expr | None:
        out = _push_partitions(self.frame, tuple(self.partitions), {})
        return None if out._name == self._name else out

    def _operand_repr(self) -> str:
        return f"partitions={list(self.partitions)!r}"


def select_partitions(expr: Expr, parts: Any) -> Expr:
    """``expr`` restricted to partitions ``parts`` (itself when all, in order)."""
    parts = [int(p) for p in parts]
    if parts == list(range(expr.npartitions)):
        return expr
    return Partitions(expr, parts)


def _pushable(expr: Expr) -> bool:
    # A partition-wise node whose task for partition i only reads partition i
    # of its inputs (no per-partition operands, no stated divisions) can be
    # rebuilt on selected inputs.
    cls = type(expr)
    return (
        isinstance(expr, Blockwise)
        and cls._task is Blockwise._task
        and cls._divisions is Blockwise._divisions
    )


def _push_partitions(expr: Expr, parts: tuple[Any, ...], memo: dict[Any, Expr]) -> Expr:
    """``Partitions(expr, parts)`` moved below partition-wise nodes."""
    if parts == tuple(range(expr.npartitions)):
        return expr
    key = (expr._name, parts)
    if key in memo:
        return memo[key]
    n = expr.npartitions
    if isinstance(expr, Partitions):
        inner = tuple(expr.partitions[p] for p in parts)
        out = _push_partitions(expr.frame, inner, memo)
    elif _pushable(expr) and n > 1:

        def convert(op: Expr) -> Expr:
            if op.npartitions == n:
                return _push_partitions(op, parts, memo)
            return op

        out = type(expr)(*[map_operand_exprs(op, convert) for op in expr.operands])
    else:
        out = Partitions(expr, list(parts))
    memo[key] = out
    return out


# -- head / tail --------------------------------------------------------------------


class Head(Expr):
    """The first ``n`` rows of ``frame``, scanning its partitions in order."""

    _parameters = ["frame", "n"]
    frame: Expr
    n: int
    _combine: ClassVar[Any] = staticmethod(K.head_concat)

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        d = self.frame.divisions
        return (d[0], d[-1])

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _layer(self) -> Layer:
        keys = [(self.frame._name, i) for i in range(self.frame.npartitions)]
        combine, n = self._combine, self.n
        graph: Layer = {}
        keys = combine_tree(
            graph,
            keys,
            lambda group: (combine, group, n),
            f"{self._name}-combine",
            split_every(),
        )
        graph[(self._name, 0)] = (combine, keys, n)
        return graph

    def _operand_repr(self) -> str:
        return f"n={self.n}"


class Tail(Head):
    """The last ``n`` rows of ``frame``."""

    _combine: ClassVar[Any] = staticmethod(K.tail_concat)


# -- repartition -----------------------------------------------------------------


class RepartitionDivisions(Expr):
    """``frame`` re-split at the index boundaries ``new_divisions``.

    Input partition ``i`` covers ``[d_i, d_{i+1})`` of the input's divisions
    (the last one closed), or the closed interval ``bounds[i]`` when given
    (``set_index(sorted=True)`` uses the computed min/max). Each output
    partition concatenates, in input order, the slices of the inputs that
    overlap it, so row order is kept.
    """

    _parameters = ["frame", "new_divisions", "bounds"]
    _defaults = {"bounds": None}
    frame: Expr
    new_divisions: tuple[Any, ...]
    bounds: Any

    def _validate(self) -> None:
        new = check_divisions(self.new_divisions, "repartition(divisions=...)")
        try:
            if self.bounds is None:
                if not self.frame.known_divisions:
                    raise ValueError(
                        "repartition(divisions=...) needs known divisions; this "
                        "frame's are unknown. Set a sorted index first "
                        "(set_index(col, sorted=True), or from_pandas(sort=True))."
                    )
                old = self.frame.divisions
                lo, hi = old[0], old[-1]
            else:
                pairs = [b for b in self.bounds if b is not None]
                lo = min(p[0] for p in pairs) if pairs else new[0]
                hi = max(p[1] for p in pairs) if pairs else new[-1]
            if new[0] > lo or new[-1] < hi:
                raise ValueError(
                    f"the new divisions [{new[0]!r} .. {new[-1]!r}] must cover the "
                    f"frame's index range [{lo!r} .. {hi!r}]"
                )
        except TypeError as exc:
            raise ValueError(
                f"divisions {new!r} cannot be compared with the frame's index: {exc}"
            ) from None

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        return tuple(self.new_divisions)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _old_ranges(self) -> list[Any]:
        """Per input partition ``(lo, hi, hi_closed)``, or None when empty."""
        if self.bounds is not None:
            return [None if b is None else (b[0], b[1], True) for b in self.bounds]
        d = self.frame.divisions
        n = len(d) - 1
        out = []
        for i in range(n):
            last = i == n - 1
            out.append(
                None if (d[i] == d[i + 1] and not last) else (d[i], d[i + 1], last)
            )
        return out

    def _layer(self) -> Layer:
        new = tuple(self.new_divisions)
        m = len(new) - 1
        old = self._old_ranges()
        fname = self.frame._name
        graph: Layer = {}
        for j in range(m):
            lo, hi, closed = new[j], new[j + 1], j == m - 1
            pieces: list[Any] = []
            for i, rng in enumerate(old):
                if rng is None:
                    continue
                olo, ohi, oclosed = rng
                if not (olo <= hi if closed else olo < hi):
                    continue
                if not (lo <= ohi if oclosed else lo < ohi):
                    continue
                inside = lo <= olo and (
                    ohi < hi or (ohi == hi and (closed or not oclosed))
                )
                key = (fname, i)
                pieces.append(key if inside else (K.slice_index, key, lo, hi, closed))
            if not pieces:
                graph[(self._name, j)] = (K.empty_like, quote(self.frame._meta))
            elif len(pieces) == 1:
                graph[(self._name, j)] = pieces[0]
            else:
                graph[(self._name, j)] = (K.concat_parts, pieces)
        return graph

    def _operand_repr(self) -> str:
        return f"npartitions={len(self.new_divisions) - 1}"


class RepartitionPieces(Expr):
    """New partitions made of whole input partitions and row chunks of them.

    ``plan[j]`` lists the pieces of output partition ``j`` as ``(i, k,
    count)``: the ``k``-th of ``count`` row chunks of input partition ``i``
    (``count == 1``: the whole partition).
    """

    _parameters = ["frame", "plan", "divisions_"]
    _defaults = {"divisions_": None}
    frame: Expr
    plan: Any
    divisions_: tuple[Any, ...] | None

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        if self.divisions_ is not None:
            return tuple(self.divisions_)
        return _unknown(len(self.plan))

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _layer(self) -> Layer:
        fname = self.frame._name
        graph: Layer = {}
        for j, pieces in enumerate(self.plan):
            tasks = [
                (fname, i) if count == 1 else (K.split_rows, (fname, i), k, count)
                for i, k, count in pieces
            ]
            if len(tasks) == 1:
                graph[(self._name, j)] = tasks[0]
            else:
                graph[(self._name, j)] = (K.concat_parts, tasks)
        return graph

    def _operand_repr(self) -> str:
        return f"npartitions={len(self.plan)}"


def repartition_npartitions(expr: Expr, m: Any) -> Expr:
    """``expr`` in ``m`` partitions, rows and their order kept.

    Fewer: neighbouring partitions are concatenated (known divisions stay
    known). More: each partition is split; with known divisions on a
    numeric or datetime index at interpolated boundaries (divisions stay
    known), otherwise into nearly equal row chunks (divisions unknown).
    """
    if not isinstance(m, int | np.integer) or isinstance(m, bool) or m < 1:
        raise ValueError(f"npartitions must be a positive integer, got {m!r}")
    n = expr.npartitions
    d = expr.divisions
    known = expr.known_divisions
    if m == n:
        return expr
    if m < n:
        bounds = [(j * n) // m for j in range(m + 1)]
        plan = tuple(
            tuple((i, 0, 1) for i in range(bounds[j], bounds[j + 1])) for j in range(m)
        )
        divs = tuple(d[b] for b in bounds) if known else None
        return RepartitionPieces(expr, plan, divs)
    counts = [m // n + (1 if i < m % n else 0) for i in range(n)]
    if known:
        divs = _interpolate(d, counts)
        if divs is not None:
            return RepartitionDivisions(expr, divs)
    plan = tuple(((i, k, c),) for i, c in enumerate(counts) for k in range(c))
    return RepartitionPieces(expr, plan)


def _interpolate(d: Divisions, counts: list[Any]) -> Divisions | None:
    """Divisions splitting each ``[d_i, d_{i+1})`` into ``counts[i]`` ranges."""

    def kind(v: Any) -> str | None:
        if isinstance(v, bool | np.bool_):
            return None
        if isinstance(v, int | np.integer):
            return "i"
        if isinstance(v, float | np.floating):
            return "f"
        if isinstance(v, pd.Timestamp):
            return "M"
        return None

    kinds = {kind(v) for v in d}
    if len(kinds) != 1 or None in kinds:
        return None
    integer = kinds == {"i"}
    out: list[Any] = []
    for i, c in enumerate(counts):
        a, b = d[i], d[i + 1]
        for t in range(c):
            out.append(a + (b - a) * t // c if integer else a + (b - a) * t / c)
    out.append(d[-1])
    if any(x >= y for x, y in itertools.pairwise(out)):
        return None
    return tuple(out)


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
    from .sources import FromPandas

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


class SetIndexSorted(Blockwise):
    """``set_index(column)`` partition by partition, with divisions given."""

    _parameters = ["frame", "column", "drop", "divisions_"]
    _defaults = {"drop": True, "divisions_": None}
    frame: Expr
    column: Any
    drop: bool
    divisions_: tuple[Any, ...] | None
    operation = staticmethod(K.set_index_column)
    _preserves_partitioning = False

    def _validate(self) -> None:
        if self.divisions_ is not None:
            check_divisions(
                self.divisions_,
                f"set_index({self.column!r}, sorted=True, divisions=...)",
                self.frame.npartitions,
                self._meta.index,
            )

    def _args(self) -> list[Any]:
        return [self.frame, self.column, self.drop]

    def _divisions(self) -> Divisions:
        if self.divisions_ is not None:
            return tuple(self.divisions_)
        return _unknown(self.frame.npartitions)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        need = _needs_through(self.frame, needed)
        if need is not None:
            need.add(self.column)
        return [(self.frame, need)]

    def _operand_repr(self) -> str:
        return repr(self.column)


# -- loc -------------------------------------------------------------------------


class LocRows(Blockwise):
    """Rows selected by index, partition by partition: ``func(part, *args)``.

    A slice or a single label also bounds the index: the first and last
    divisions narrow to it (``loc[3:8]`` of ``(0, 5, 10)`` is ``(3, 5, 8)``).
    """

    _parameters = ["frame", "func", "args"]
    _defaults = {"args": ()}
    frame: Expr
    func: Callable[..., Any]
    args: Sequence[Any]

    @property
    def operation(self) -> Any:
        return self.func

    def _divisions(self) -> Divisions:
        d = self.frame.divisions
        if self.func is K.loc_slice:
            lo, hi = self.args
        elif self.func is K.loc_label:
            lo = hi = self.args[0]
        else:
            return d
        return _narrowed(d, lo, hi)

    @property
    def _funcname(self) -> str:
        return self.func.__name__.replace("_", "-")

    def _args(self) -> list[Any]:
        return [self.frame, *self.args]

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _operand_repr(self) -> str:
        return f"{self.func.__name__}, {list(self.args)!r}"


def _narrowed(divisions: Divisions, lo: Any, hi: Any) -> Divisions:
    """``divisions`` with the ends moved inside ``[lo, hi]`` (None: open).

    Only a bound of the divisions' own type moves an end (a string bound
    on a datetime index does not), and only when the result stays sorted
    (a slice that selects nothing keeps the divisions as they are).
    """
    if divisions[0] is None:
        return divisions
    lo, hi = plain_scalar(lo), plain_scalar(hi)
    first, last = divisions[0], divisions[-1]
    try:
        if lo is not None and type(lo) is type(first):
            first = max(first, lo)
        if hi is not None and type(hi) is type(last):
            last = min(last, hi)
        out = (first, *divisions[1:-1], last)
        if any(a > b for a, b in itertools.pairwise(out)):
            return divisions
    except TypeError:  # e.g. tz-aware against tz-naive timestamps
        return divisions
    return out


class LocLabels(Blockwise):
    """``part.loc[labels[i]]`` on partition ``i`` (labels sorted by partition)."""

    _parameters = ["frame", "labels"]
    frame: Expr
    labels: Any
    operation = staticmethod(K.loc_labels)

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _task(self, index: int) -> Any:
        return (
            K.loc_labels,
            (self.frame._name, index),
            quote(list(self.labels[index])),
        )

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _operand_repr(self) -> str:
        return f"{sum(len(x) for x in self.labels)} labels"


class GatherLoc(Expr):
    """One partition: ``concat(partitions).loc[labels]`` (labels in their order)."""

    _parameters = ["frame", "labels"]
    frame: Expr
    labels: Any

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        return (None, None)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _layer(self) -> Layer:
        keys = [(self.frame._name, i) for i in range(self.frame.npartitions)]
        return {(self._name, 0): (K.loc_list_final, keys, quote(list(self.labels)))}

    def _operand_repr(self) -> str:
        return f"{len(self.labels)} labels"
