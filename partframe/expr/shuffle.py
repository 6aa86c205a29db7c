"""Shuffles: rows regrouped by key into new partitions.

``Shuffle(frame, on, npartitions_out, how, method, bounds)`` is the logical
node. When the plan is lowered it picks a method (:func:`choose_method`,
``method=`` or ``config.set(shuffle_method=...)``):

- ``"tasks"`` with at most ``MAX_GROUP ** 2`` (input, output) pairs: a
  partition-wise :class:`ShuffleSplit` (fused by the optimizer with the
  operations before it) and a :class:`ShuffleCollect` with one ``getitem``
  task per pair and one concatenation per output;
- ``"tasks"`` with more (up to ``MAX_PAIRS`` in one stage when the input
  is large enough for a second pass over it to cost more than the pairs'
  tasks, :func:`one_stage_pays`): :class:`StagedShuffle`, the all-to-all done in
  ``s`` stages of groups of at most ``MAX_GROUP`` partitions (one base-``k``
  digit of the destination per stage), so the task count grows like
  ``n * k * s`` = ``O(n log n)``, not ``n ** 2``;
- ``"disk"``: :class:`DiskShuffle` (spill files, ``inputs + outputs``
  tasks, bounded memory; its runtime is :mod:`partframe.kernels.spill`).

Pieces keep the order of their input partition and are concatenated in
input order (in the staged form too: stage ``t`` handles digit ``t``, least
significant first, which ends in input order), so rows of one key keep
their original relative order: what groupby cumulative operations,
``first``/``last``, ``head``, stable sorts and ``drop_duplicates`` rely on.

``how`` says where a row goes:

- ``"hash"``: :func:`partitioning_index` of the ``on`` columns (stable
  across processes and machines);
- ``"direct"``: the single ``on`` column holds the output partition number
  (used to send rows back to the partition they came from);
- ``("range", ascending, na_position)``: the ``on`` columns (or
  ``"__index__"``) compared with boundary rows ``bounds`` (a DataFrame, or
  a one-partition node that computes it in the graph) in the order of a
  sort with ``ascending`` and ``na_position``.
"""

from __future__ import annotations

import functools
import math
import operator
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import config
from ..graph import quote
from ..kernels.estimate import range_sample_size
from ..kernels.shuffle import (
    concat_sorted,
    is_range,
    range_boundaries,
    sample_keys,
    shuffle_assign,
    shuffle_concat,
    shuffle_split,
    split_by_range,
    staged_concat,
    staged_empty,
    staged_finish,
    staged_split,
)
from ..kernels.sorting import choose_boundaries, sample_sort_keys
from ..kernels.spill import (
    SpillDirectory,
    disk_attempts,
    disk_read,
    disk_split,
    disk_split_staged,
    disk_stage,
    disk_stage_bounds,
)
from .base import ColumnNeeds, Divisions, Expr, Layer, Needed
from .blockwise import Blockwise
from .target import current

if TYPE_CHECKING:
    from .statistics import Estimate

__all__ = [
    "DISK_SHUFFLE_MEMORY_FRACTION",
    "DISK_SHUFFLE_PARTITIONS",
    "MAX_GROUP",
    "MAX_PAIRS",
    "PAIR_BYTES",
    "DiskShuffle",
    "RangeBounds",
    "Regroup",
    "Shuffle",
    "ShuffleCollect",
    "ShuffleSplit",
    "SortedRepartition",
    "StagedShuffle",
    "choose_method",
    "estimate_nbytes",
    "one_stage_pays",
]

#: Largest all-to-all group of the task shuffle; above ``MAX_GROUP ** 2``
#: (input, output) pairs the shuffle is staged, unless its data is large
#: enough for one stage to pay (:func:`one_stage_pays`).
MAX_GROUP = 32
#: A shuffle of more pairs than ``MAX_GROUP ** 2`` but at most these is done
#: in one stage when its input is estimated at ``PAIR_BYTES`` or more per
#: (input, output) pair: a stage moves every byte once more (a split and a
#: concatenation, ~1 ns a byte), a pair costs a piece and a task (tens of
#: µs). TPC-H SF10's 40-partition orders shuffled into 40 (q13): 0.88x.
MAX_PAIRS = 128**2
PAIR_BYTES = 64 * 2**10

#: On local schedulers the shuffle goes through disk when its input is
#: known to be larger than this fraction of the machine's memory: the task
#: shuffle holds an input's pieces and the outputs being built at once,
#: several times the input in the worst case.
DISK_SHUFFLE_MEMORY_FRACTION = 0.25
#: ... or, its size unknown, when it has at least this many partitions: so
#: many partitions are a sign of data larger than memory (and of a task
#: graph whose all-to-all pieces would not fit either).
DISK_SHUFFLE_PARTITIONS = 512
#: The memory assumed where the machine's cannot be read.
_MEMORY_FALLBACK = 8 * 2**30


def _memory_total() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return _MEMORY_FALLBACK


def estimate_nbytes(expr: Expr) -> int | None:
    """The estimated in-memory size of ``expr``'s result (None: unknown).

    See :mod:`partframe.expr.statistics`: known for in-memory data and
    Parquet reads, carried through the steps above them.
    """
    from .statistics import estimate

    nbytes = estimate(expr).nbytes
    return None if nbytes is None else int(nbytes)


def one_stage_pays(frame: Expr, n_out: int) -> bool:
    """Whether shuffling ``frame`` into ``n_out`` partitions in one stage
    costs less than staging it: at most :data:`MAX_PAIRS` (input, output)
    pairs, and ``frame`` estimated at :data:`PAIR_BYTES` or more per pair.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> small = partframe.from_pandas(pd.DataFrame({"a": range(100)}), 40)
    >>> one_stage_pays(small.expr, 40)
    False
    """
    pairs = frame.npartitions * n_out
    if pairs > MAX_PAIRS:
        return False
    nbytes = estimate_nbytes(frame)
    return nbytes is not None and nbytes >= pairs * PAIR_BYTES


def choose_method(frame: Expr, method: str | None = None) -> str:
    """``"tasks"`` or ``"disk"`` for shuffling ``frame``.

    An explicit ``method`` wins, then ``config.get("shuffle_method")``.
    Otherwise: ``"tasks"`` on a distributed engine (workers may not share a
    disk); on local schedulers ``"disk"`` when the input is known to be
    larger than :data:`DISK_SHUFFLE_MEMORY_FRACTION` of the machine's
    memory (or, its size unknown, has at least
    :data:`DISK_SHUFFLE_PARTITIONS` partitions), else ``"tasks"``.
    """
    chosen = method or config.get("shuffle_method")
    if chosen is not None:
        if chosen not in ("tasks", "disk"):
            raise ValueError(
                f"shuffle method must be 'tasks' or 'disk', got {chosen!r}"
            )
        return chosen
    if current().distributed:
        return "tasks"
    nbytes = estimate_nbytes(frame)
    if nbytes is not None:
        limit = _memory_total() * DISK_SHUFFLE_MEMORY_FRACTION
        return "disk" if nbytes > limit else "tasks"
    return "disk" if frame.npartitions >= DISK_SHUFFLE_PARTITIONS else "tasks"


class Regroup(Expr):
    """A node whose output is ``npartitions_out`` partitions of rows regrouped
    from its input (by key, range or sort): its divisions are unknown, and
    its meta is its ``frame``'s unless it says otherwise."""

    frame: Expr
    npartitions_out: int

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        return (None,) * (self.npartitions_out + 1)

    @property
    def npartitions(self) -> int:
        return self.npartitions_out

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        # the rows of the frame, regrouped (or of the split pieces of a
        # lowered shuffle, which hold the frame's rows)
        if "frame" in self._parameters:
            return self._rows_of(rows, self.operand("frame"))
        return rows[0].rows if len(rows) == 1 else None


class Shuffle(Regroup):
    """Rows of ``frame`` regrouped into ``npartitions_out`` partitions by key.

    Rows with equal keys end up in the same output partition; the row order
    of each key's rows is kept. Divisions of the result are unknown.
    """

    _parameters = ["frame", "on", "npartitions_out", "how", "method", "bounds"]
    _defaults = {"how": "hash", "method": None, "bounds": None}
    frame: Expr
    on: Any
    npartitions_out: int
    how: Any
    method: str | None
    bounds: Any

    def _validate(self) -> None:
        if self.npartitions_out < 1:
            raise ValueError(
                f"npartitions_out must be >= 1, got {self.npartitions_out}"
            )
        if self.how not in ("hash", "direct") and not is_range(self.how):
            raise ValueError(f"unknown shuffle partitioning {self.how!r}")
        if self.method not in (None, "tasks", "disk"):
            raise ValueError(
                f"shuffle method must be 'tasks' or 'disk', got {self.method!r}"
            )

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        extra = [(self.bounds, None)] if isinstance(self.bounds, Expr) else []
        if needed is None or self.on is None or self.on == "__index__":
            return [(self.frame, None), *extra]
        on = self.on if isinstance(self.on, list | tuple) else [self.on]
        return [(self.frame, set(needed) | set(on)), *extra]

    def _narrowable_inputs(self) -> list[str] | None:
        # the rows move with the keys and the columns used after the move
        return ["frame"]

    def _lower(self) -> Expr:
        frame, n_out = self.frame, self.npartitions_out
        method = choose_method(frame, self.method)
        if method == "disk":
            return DiskShuffle(
                frame, self.on, n_out, self.how, self.bounds, frame._meta
            )
        if (
            frame.npartitions * n_out > MAX_GROUP**2
            and n_out > 1
            and not one_stage_pays(frame, n_out)
        ):
            assigned = ShuffleAssign(frame, self.on, n_out, self.how, self.bounds)
            return StagedShuffle(assigned, n_out, frame._meta)
        split = ShuffleSplit(frame, self.on, n_out, self.how, self.bounds)
        return ShuffleCollect(split, n_out, frame._meta)

    def _filter_below(
        self,
        columns: set[Any],
        filtered: Callable[[Expr, dict[Any, Any]], Expr | None],
    ) -> Expr | None:
        # A row goes to the partition its key hashes to (or names), kept
        # rows in their order: filtering first sends the same rows to the
        # same partitions, and fewer of them. Range bounds sampled from the
        # input would be sampled from other rows: left alone.
        if self.bounds is not None or self.how not in ("hash", "direct"):
            return None
        frame = filtered(self.frame, {c: c for c in columns})
        return None if frame is None else self.substitute_operands(frame=frame)

    def _layer(self) -> Layer:
        # Unlowered (optimize_graph=False): alias the lowered result.
        from .optimize import lower

        lowered = lower(self._lower())
        graph = lowered.__dask_graph__()
        for j in range(self.npartitions_out):
            graph[(self._name, j)] = (lowered._name, j)
        return graph

    def __dask_graph__(self) -> Layer:
        return self._layer()

    def _operand_repr(self) -> str:
        how = self.how if not is_range(self.how) else "range"
        return f"on={self.on!r}, npartitions_out={self.npartitions_out}, how={how}" + (
            f", method={self.method}" if self.method else ""
        )


class _SplitBase(Blockwise):
    """Partition-wise step whose one-partition ``bounds`` input is broadcast."""

    _parameters = ["frame", "on", "npartitions_out", "how", "bounds"]
    _defaults = {"how": "hash", "bounds": None}
    frame: Expr
    on: Any
    npartitions_out: int
    how: Any
    bounds: Any
    _preserves_partitioning = False

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        # the pieces of each partition hold its rows
        return self._rows_of(rows, self.frame)

    def _frame_inputs(self) -> list[Expr]:
        return [self.frame]

    def _args(self) -> list[Any]:
        return [self.frame, self.on, self.npartitions_out, self.how, self.bounds]

    @functools.cached_property
    def _meta(self) -> Any:
        return None  # internal values, never a collection

    def _divisions(self) -> Divisions:
        return (None,) * (self.frame.npartitions + 1)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        extra = [(self.bounds, None)] if isinstance(self.bounds, Expr) else []
        return [(self.frame, None), *extra]


class ShuffleSplit(_SplitBase):
    """Partition-wise first step of a shuffle: a list of pieces per input."""

    operation = staticmethod(shuffle_split)


class ShuffleAssign(_SplitBase):
    """Partition-wise: every row's destination, computed once."""

    operation = staticmethod(shuffle_assign)


class ShuffleCollect(Regroup):
    """Output ``j`` concatenates piece ``j`` of every split input."""

    _parameters = ["splits", "npartitions_out", "meta"]
    splits: Expr
    npartitions_out: int
    meta: Any

    def _hash_step(self) -> tuple[tuple[Any, ...], int] | None:
        return _hashed_by(self.splits, self.npartitions_out)

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _layer(self) -> Layer:
        n_in = self.splits.npartitions
        src = self.splits._name
        get = f"{self._name}-get"
        graph: Layer = {}
        for j in range(self.npartitions_out):
            keys = []
            for i in range(n_in):
                graph[(get, i, j)] = (operator.getitem, (src, i), j)
                keys.append((get, i, j))
            graph[(self._name, j)] = (shuffle_concat, keys)
        return graph

    def _operand_repr(self) -> str:
        return f"npartitions_out={self.npartitions_out}"


# -- staged task shuffle -----------------------------------------------------------


def stage_plan(n: int) -> tuple[int, int]:
    """``(k, stages)``: groups of ``k <= MAX_GROUP`` over ``stages`` rounds.

    Examples
    --------
    >>> stage_plan(1000)
    (32, 2)
    >>> stage_plan(40000)
    (15, 4)
    """
    stages = max(1, math.ceil(math.log(max(n, 2)) / math.log(MAX_GROUP)))
    k = math.ceil(n ** (1 / stages))
    while k**stages < n:
        k += 1
    return k, stages


class StagedShuffle(Regroup):
    """All-to-all in stages of groups of ``k`` partitions (see module doc).

    Grid positions ``0 .. k**s - 1`` hold the inputs (positions past the
    inputs start empty). Stage ``t`` groups positions that differ only in
    base-``k`` digit ``t``; each splits its rows by digit ``t`` of their
    destination and position ``q`` gathers, in position order, the pieces
    for its own digit. After ``s`` stages position ``j`` holds exactly the
    rows of output ``j``, in input order.
    """

    _parameters = ["assigned", "npartitions_out", "meta"]
    assigned: Expr
    npartitions_out: int
    meta: Any

    def _hash_step(self) -> tuple[tuple[Any, ...], int] | None:
        return _hashed_by(self.assigned, self.npartitions_out)

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _layer(self) -> Layer:
        n_in, n_out = self.assigned.npartitions, self.npartitions_out
        k, stages = stage_plan(max(n_in, n_out))
        size = k**stages
        name = self._name
        graph: Layer = {}
        empty = (name + "-empty", 0)
        graph[empty] = (staged_empty, quote(self.operand("meta")))
        current = [(self.assigned._name, q) if q < n_in else empty for q in range(size)]
        for t in range(stages):
            divisor = k**t
            split, get, cat = (f"{name}-split{t}", f"{name}-get{t}", f"{name}-cat{t}")
            for q in range(size):
                graph[(split, q)] = (staged_split, current[q], divisor, k)
            nxt = []
            for q in range(size):
                digit = (q // divisor) % k
                base = q - digit * divisor
                keys = []
                for d in range(k):
                    src = base + d * divisor
                    graph[(get, src, q)] = (operator.getitem, (split, src), digit)
                    keys.append((get, src, q))
                graph[(cat, q)] = (staged_concat, keys)
                nxt.append((cat, q))
            current = nxt
        for j in range(n_out):
            graph[(name, j)] = (staged_finish, current[j])
        return graph

    def _operand_repr(self) -> str:
        return f"npartitions_out={self.npartitions_out}"


# -- range repartitioning of index-sorted partitions ---------------------------


class SortedRepartition(Regroup):
    """Partitions re-split so the whole result is sorted by index keys.

    The input's partitions may hold any keys (e.g. hash partitioned). A
    sample of every partition's keys picks ``npartitions - 1`` boundaries in
    the graph (nothing is computed while the plan is built); every partition
    splits itself by those ranges, and output ``j`` concatenates and sorts
    its pieces. Rows with equal keys keep their order. The result is sorted
    across partitions, as a pandas sort of the concatenation would be, with
    unknown divisions.
    """

    _parameters = ["frame", "nlevels", "npartitions_out"]
    frame: Expr
    nlevels: int
    npartitions_out: int

    def _layer(self) -> Layer:
        src = self.frame._name
        n_in, k = self.frame.npartitions, self.npartitions_out
        name, lv = self._name, self.nlevels
        size = range_sample_size(k)
        graph: Layer = {}
        samples = []
        for i in range(n_in):
            graph[(name + "-sample", i)] = (sample_keys, (src, i), lv, size)
            samples.append((name + "-sample", i))
        bounds = (name + "-bounds", 0)
        graph[bounds] = (range_boundaries, samples, k)
        for i in range(n_in):
            graph[(name + "-split", i)] = (split_by_range, (src, i), bounds, lv, k)
            for j in range(k):
                graph[(name + "-get", i, j)] = (
                    operator.getitem,
                    (name + "-split", i),
                    j,
                )
        for j in range(k):
            gets = [(name + "-get", i, j) for i in range(n_in)]
            graph[(name, j)] = (concat_sorted, gets, lv)
        return graph

    def _operand_repr(self) -> str:
        return f"nlevels={self.nlevels}, npartitions_out={self.npartitions_out}"


class DiskShuffle(Regroup):
    """The physical disk shuffle (see the module docstring)."""

    _parameters = ["frame", "on", "npartitions_out", "how", "bounds", "meta"]
    frame: Expr
    on: Any
    npartitions_out: int
    how: Any
    bounds: Any
    meta: Any

    def _hash_step(self) -> tuple[tuple[Any, ...], int] | None:
        return _hashed_by(self, self.npartitions_out)

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _layer(self) -> Layer:

        store = SpillDirectory()
        name, src = self._name, self.frame._name
        graph: Layer = {}
        on = quote(self.on) if isinstance(self.on, tuple | list) else self.on
        how = quote(self.how) if isinstance(self.how, tuple) else self.how
        meta = quote(self.operand("meta"))
        n_out = self.npartitions_out
        splits = []
        rb = self.bounds
        if (
            isinstance(rb, RangeBounds)
            and rb.frame.npartitions == self.frame.npartitions
        ):
            # Boundaries sampled in the graph: every input would have to
            # wait in memory until all were sampled. Each input is staged
            # on disk with its sample instead, and split once the
            # boundaries are known: memory stays at a few partitions.
            size = range_sample_size(rb.npartitions_out)
            key_on = quote(rb.on) if isinstance(rb.on, tuple | list) else rb.on
            stages = [(name + "-stage", i) for i in range(self.frame.npartitions)]
            for i, key in enumerate(stages):
                graph[key] = (disk_stage, (src, i), store, i, key_on, size)
            bounds: Any = (name + "-bounds", 0)
            graph[bounds] = (
                disk_stage_bounds, stages, rb.npartitions_out,
                quote(list(rb.ascending)), rb.na_position,
            )  # fmt: skip
            for i, stage in enumerate(stages):
                key = (name + "-split", i)
                graph[key] = (
                    disk_split_staged, stage, store, i, on, n_out, how, bounds, meta,
                )  # fmt: skip
                splits.append(key)
        else:
            if isinstance(self.bounds, Expr):
                bounds = (self.bounds._name, 0)
            else:
                bounds = None if self.bounds is None else quote(self.bounds)
            for i in range(self.frame.npartitions):
                key = (name + "-split", i)
                graph[key] = (
                    disk_split, (src, i), store, i, on, n_out, how, bounds,
                )  # fmt: skip
                splits.append(key)
        barrier = (name + "-attempts", 0)
        graph[barrier] = (disk_attempts, splits)
        for j in range(self.npartitions_out):
            graph[(name, j)] = (disk_read, store, barrier, j, meta)
        return graph

    def _operand_repr(self) -> str:
        return f"on={self.on!r}, npartitions_out={self.npartitions_out}"


def on_columns(on: Any) -> set[Any] | None:
    if on is None or (isinstance(on, str) and on == "__index__"):
        return None
    return set(on)


class RangeBounds(Expr):
    """One task: the boundary rows of ``npartitions_out`` ranges of ``frame``."""

    _parameters = ["frame", "on", "npartitions_out", "ascending", "na_position"]
    frame: Expr
    on: Any
    npartitions_out: int
    ascending: list[bool]
    na_position: str

    @functools.cached_property
    def _meta(self) -> Any:
        return None

    def _divisions(self) -> Divisions:
        return (None, None)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, on_columns(self.on))]

    def _layer(self) -> Layer:
        name, src = self._name, self.frame._name
        size = range_sample_size(self.npartitions_out)
        on = quote(self.on) if isinstance(self.on, list) else self.on
        graph: Layer = {}
        samples = []
        for i in range(self.frame.npartitions):
            graph[(name + "-sample", i)] = (sample_sort_keys, (src, i), on, size)
            samples.append((name + "-sample", i))
        graph[(name, 0)] = (
            choose_boundaries, samples, self.npartitions_out,
            quote(list(self.ascending)), self.na_position,
        )  # fmt: skip
        return graph


def _hashed_by(split: Expr, n: int) -> tuple[tuple[Any, ...], int] | None:
    """``(on, n)`` of a shuffle step that hashes by columns ``on``."""
    on = split.operand("on")
    if split.operand("how") != "hash" or not isinstance(on, list | tuple) or not on:
        return None
    return tuple(on), n
