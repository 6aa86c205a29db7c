"""Joins: the logical :class:`Merge` node and the strategies it lowers to.

``Merge(left, right, how, left_on, right_on, left_index, right_index,
suffixes, indicator, op, npartitions_out, broadcast, method)`` computes
``pandas.merge`` (``op="merge"``) or ``DataFrame.join`` (``op="join"``;
then ``left_on`` is join's ``on``). ``how`` is one of pandas' ``inner``,
``left``, ``right``, ``outer``, or ``leftsemi``: the rows of the left frame
(its columns and index) that have a match on the right, each once, in
their order.

The strategy is chosen once, when the node is built (the ``strategy_``
operand, kept by every rewrite), and carried out when the plan is lowered.
Choosing reads the sides' divisions and sizes, which a rewritten side may
tell otherwise (a ``set_index`` computes its divisions when first asked,
so an index join asks when it is built; a lowered side may have a size
estimate its logical node lacks): choosing once keeps the collection's
``npartitions`` and ``divisions`` those of the partitions compute returns.

0. **single**: the result is one partition (both sides are, or
   ``npartitions=1``): each side gathered into one partition, one merge;
1. **aligned**: both sides joined on their indexes with known divisions:
   the sides are re-split to the union of their divisions (no shuffle) and
   merged partition by partition;
2. **broadcast**: one side is small (one partition, or known to be under
   :func:`broadcast_limit`; ``broadcast=True`` forces it). The small side is
   gathered into one partition which every partition of the other side
   merges with. When the join keeps the small side's unmatched rows
   (``outer``; ``right`` with the small side on the right; ``left`` with
   it on the left; column keys only), each partition joins without them and
   one more partition holds the small side's rows that no partition
   matched (:class:`BroadcastMatches` marks them per partition,
   :class:`UnmatchedRows` ORs the marks in a tree and joins the rest with
   an empty frame of the other side's schema);
3. **hash**: both sides are shuffled by their keys
   (:func:`partframe.kernels.hashing.partitioning_index`: ``1``, ``1.0``
   and ``Int64`` 1 agree; missing keys meet) to the same number of
   partitions and merged partition by partition. A side that is hashed
   by its keys into that many partitions already
   (:meth:`Expr._hash_partitioned`: a dedup or shuffle by the key, then
   steps that keep rows in place; keys of the same dtypes on both sides)
   is not shuffled again.

Partitions. ``npartitions=`` is the number of output partitions whatever
the strategy (an index join given it is not aligned; a broadcast re-splits
the other side to it, :func:`~partframe.expr.repartition.repartition_npartitions`).
Without it: the union of the divisions (aligned), the other side's
partitions (broadcast, plus one when the small side's unmatched rows are
kept), the larger side's count (hash). Divisions are known when aligned,
and when the partitions follow one side (broadcast of the other, or
single) whose index pandas keeps in the result: the left's for ``inner``
and ``left`` joins on the right's index (``join(on=...)``,
``right_index=True``), the right's for ``inner`` and ``right`` joins on
the left's index (see :meth:`Merge._index_sides`).

Dtypes. pandas' result dtypes depend on whether some rows found no match
(an int column of the side that may be missing becomes float64, a bool
one object, and so may the index): pandas decides from the whole result.
Which rows match is known only when computing, so the meta assumes that
rows of the optional side(s) may be missing (``left``: the right's
columns; ``right``: the left's; ``outer``: both), and every partition is
cast to it. Then, when the meta differs from pandas' dtypes for an empty
merge (:attr:`Merge._meta_if_complete`, what pandas gives when no row is
missing), :class:`NarrowIfComplete` decides for the whole result as
pandas does: a column (or the index) with no missing value in any
partition goes back to its dtype without missing rows, in every
partition. So results equal pandas either way; partitions hold either the
meta's dtypes or those of ``_meta_if_complete``, all alike. (The price: the
partitions wait for one small reduction of missing-value flags.)
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..kernels import elementwise as kernels_elementwise
from ..kernels.join import as_list
from ..kernels.merge import cast_joined_alike, merge_partitions
from ..kernels.partitions import union_divisions
from .base import Below, ColumnNeeds, Divisions, Expr, Needed, column_dtype
from .blockwise import Assign, Projection
from .distinct import DropDuplicates
from .elementwise import CastAlike, RenameColumns
from .join import (
    BroadcastMatches,
    MergePartitions,
    NarrowIfComplete,
    UnmatchedRows,
    narrowed,
)
from .meta import column_labels, make_meta, meta_nonempty
from .reductions import TreeReduction
from .repartition import (
    RepartitionDivisions,
    repartition_npartitions,
)
from .repartition import gather_partitions as _gather
from .rows import ConcatPartitions
from .shuffle import Shuffle, estimate_nbytes
from .statistics import Estimate, estimate, merge_rows
from .target import current

__all__ = [
    "BROADCAST_BYTES",
    "BROADCAST_BYTES_SHARED",
    "Merge",
    "broadcast_limit",
]

#: A side known to be smaller than this is broadcast (when the join allows).
BROADCAST_BYTES = 64 * 2**20

#: ... on engines whose tasks share this process's memory (``sync``,
#: ``threads``).
BROADCAST_BYTES_SHARED = 256 * 2**20


def broadcast_limit() -> int:
    """The estimated size under which a join broadcasts a side, on the
    engine the plan is made for (:func:`~partframe.expr.target.current`).

    A broadcast side is gathered into one partition that every partition
    of the other side joins. Where tasks share this process's memory it is
    one object whatever the number of partitions, and a hash join would
    hold it in memory too, as shuffle pieces, along with the other side's:
    a join that no side under :data:`BROADCAST_BYTES` could broadcast
    broadcasts one under :data:`BROADCAST_BYTES_SHARED`. Elsewhere each
    worker process receives a copy (the ``processes`` scheduler one with
    each task): :data:`BROADCAST_BYTES`; a plan made for the first and
    run on the second joins such a side by hash when lowered (when that
    gives the same partitions). Which side a join broadcasts is
    chosen among those under :data:`BROADCAST_BYTES` when there are any
    (the rows-joined cost of :func:`_broadcast_cost` does not know whether
    a side's keys are unique, which decides whether each partition's join
    reads the whole broadcast side or looks its own keys up in a table
    built once).

    Examples
    --------
    >>> from partframe.expr.target import Target, using
    >>> with using(Target(shared=True)):
    ...     broadcast_limit() == BROADCAST_BYTES_SHARED
    True
    >>> with using(Target(distributed=True)):
    ...     broadcast_limit() == BROADCAST_BYTES
    True
    """
    return BROADCAST_BYTES_SHARED if current().shared else BROADCAST_BYTES


#: pandas' warning about the values of int and float keys (a regex).
_VALUE_WARNING = "You are merging on int and float columns where the float values"

_HOWS = ("inner", "left", "right", "outer", "leftsemi")
_STRATEGIES = ("single", "aligned", "broadcast-left", "broadcast-right", "hash")


def _merge_kwargs(node: Merge) -> dict[Any, Any]:
    if node.op == "join":
        kw: dict[str, Any] = {"how": node.how, "suffixes": tuple(node.suffixes)}
        if node.left_on is not None:
            kw["on"] = node.left_on
        return kw
    kw = {
        "how": node.how,
        "suffixes": tuple(node.suffixes),
        "indicator": node.indicator,
    }
    for name in ("left_on", "right_on"):
        if node.operand(name) is not None:
            kw[name] = node.operand(name)
    if node.left_index:
        kw["left_index"] = True
    if node.right_index:
        kw["right_index"] = True
    return kw


def _matching_keys(left: Any, right: Any, kwargs: dict[str, Any]) -> Any:
    """``left`` (a stand-in) with its key columns holding ``right``'s key
    values in their own dtypes, when the key dtypes differ and the cast
    works (else ``None``)."""
    lk, rk = kwargs.get("left_on"), kwargs.get("right_on")
    if lk is None or rk is None:
        return None
    lk, rk = as_list(lk), as_list(rk)
    if len(lk) != len(rk) or all(
        left[a].dtype == right[b].dtype for a, b in zip(lk, rk, strict=True)
    ):
        return None
    out = left.copy()
    try:
        for a, b in zip(lk, rk, strict=True):
            out[a] = right[b].to_numpy()[: len(out)]
            out[a] = out[a].astype(left[a].dtype)
    except (TypeError, ValueError):
        return None
    if list(out.dtypes) != list(left.dtypes):
        return None
    return out


def _widened_by_misses(frame: Expr, keys: set[Any]) -> bool:
    """Would a row without a match change the dtype of a column of
    ``frame`` (not a shared key) in a merge's output (numpy ints and bools
    become float64 or object with a missing value)?"""
    for label, dtype in frame._meta.dtypes.items():
        if label in keys:
            continue
        if isinstance(dtype, np.dtype) and dtype.kind in "iub":
            return True
    return False


class Merge(Expr):
    """A join of two frames (see the module docstring)."""

    _parameters = [
        "left", "right", "how", "left_on", "right_on", "left_index",
        "right_index", "suffixes", "indicator", "op", "npartitions_out",
        "broadcast", "method", "deferred", "strategy_",
    ]  # fmt: skip
    _defaults = {
        "left_on": None, "right_on": None, "left_index": False,
        "right_index": False, "suffixes": ("_x", "_y"), "indicator": False,
        "op": "merge", "npartitions_out": None, "broadcast": None, "method": None,
        "deferred": False, "strategy_": None,
    }  # fmt: skip
    left: Expr
    right: Expr
    how: Any
    left_on: Any
    right_on: Any
    left_index: bool
    right_index: bool
    suffixes: Sequence[str]
    indicator: bool
    op: str
    npartitions_out: int | None
    broadcast: bool | None
    method: str | None
    deferred: bool
    strategy_: str  # (None given: chosen in _validate)

    def _validate(self) -> None:
        if self.how not in _HOWS:
            raise ValueError(f"how must be one of {_HOWS}, got {self.how!r}")
        if self.how == "leftsemi" and (self.indicator or self.op == "join"):
            raise ValueError("how='leftsemi' takes no indicator and is a merge")
        n = self.npartitions_out
        if n is not None and (
            not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1
        ):
            raise ValueError(
                f"merge: npartitions must be a positive integer, got {n!r}"
            )
        self._meta  # noqa: B018  (pandas' own errors, now)
        if self.strategy_ is not None and self.strategy_ not in _STRATEGIES:
            raise ValueError(
                f"strategy_ must be one of {_STRATEGIES}, got {self.strategy_!r}"
            )

    def _terms_by_input(self, terms: list[Any]) -> dict[str, list[Any]] | None:
        # A side whose rows reach the output unchanged: the kept side of a
        # left/right merge, both sides of an inner one. Its own columns keep
        # their labels (a label both sides have gets a suffix, unless it is
        # a key shared by name, whose values are equal in every output row).
        sides = {"inner": ("left", "right"), "left": ("left",), "right": ("right",)}
        if (
            self.op != "merge"
            or self.indicator
            or self.left_index
            or self.right_index
            or self.how not in sides
        ):
            return None
        left = list(self.left._meta.columns)
        right = list(self.right._meta.columns)
        lkeys, rkeys = self.left_on, self.right_on
        lkeys = lkeys if isinstance(lkeys, list) else [lkeys]
        rkeys = rkeys if isinstance(rkeys, list) else [rkeys]
        shared = set(lkeys) if lkeys == rkeys else set()
        out: dict[str, list[Any]] = {}
        for side in sides[self.how]:
            own, other = (left, right) if side == "left" else (right, left)
            if self.how != "inner" and _widened_by_misses(
                self.right if side == "left" else self.left, shared
            ):
                # fewer kept rows may mean no unmatched one, and pandas'
                # dtype of the other side's ints (float64 with a miss) is
                # decided before the filter
                continue
            mine = [
                t
                for t in terms
                if t[0] in own
                and (t[0] not in other or t[0] in shared)
                and own.count(t[0]) == 1
            ]
            if mine:
                out[side] = mine
        return out or None

    def _semi_join_sides(self) -> list[tuple[str, Any, Expr, Any, bool]]:
        # The sides whose unmatched rows reach no output row (both of an
        # inner join, the other side of the kept one), filtered by the
        # first keys of the other side (of the same key dtype) when its key
        # column is small, saying whether the whole other side is small too.
        sides = {
            "inner": ("left", "right"),
            "left": ("right",),
            "right": ("left",),
            "leftsemi": ("right",),
        }.get(self.how, ())
        if (
            not sides
            or self.op != "merge"
            or self.indicator
            or self.left_index
            or self.right_index
        ):
            return []
        lk, rk = as_list(self.left_on)[0], as_list(self.right_on)[0]
        ldt = column_dtype(self.left._meta, lk)
        if ldt is None or isinstance(ldt, pd.CategoricalDtype):
            return []
        if column_dtype(self.right._meta, rk) != ldt:
            return []
        out = []
        for name in sides:
            side, key, other, other_key = (
                (self.left, lk, self.right, rk)
                if name == "left"
                else (self.right, rk, self.left, lk)
            )
            if self._small_keys(other, other_key, side):
                whole = self._small(other, side)
                out.append((name, key, other, other_key, whole))
        return out

    def _small_keys(self, side: Expr, key: Any, other: Expr) -> bool:
        """Whether ``side``'s ``key`` column may be sent whole to every
        partition of ``other`` (a semi-join filter): as :meth:`_small`, with
        the column's estimated bytes, not the whole side's (the filter
        reads the key only: a side too wide to broadcast may have a key
        column well under the limit)."""
        if self.broadcast is False:
            return False
        if side.npartitions == 1 or self._small(side, other):
            return True
        est = estimate(side)
        width = est.widths.get(key)
        if est.rows is None or width is None:
            return False
        return est.rows * width < BROADCAST_BYTES

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        sides = dict(zip((d._name for d in self.dependencies()), rows))
        left, right = sides.get(self.left._name), sides.get(self.right._name)
        if left is None or right is None:
            return None
        return merge_rows(self.how, left, right)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        left, right = self.left, self.right
        lcols, rcols = column_labels(left._meta), column_labels(right._meta)
        if (
            needed is None
            or len(set(lcols)) != len(lcols)
            or len(set(rcols)) != len(rcols)
        ):
            return [(left, None), (right, None)]
        lkeys, rkeys = self._key_columns()
        if self.how == "leftsemi":
            # the left rows that match: the left's columns, the right's keys
            return [(left, (set(needed) & set(lcols)) | lkeys), (right, rkeys)]
        shared = self._shared_keys()
        # A label both sides have (not a key shared by name) gets each
        # side's suffix: pandas decides that from both sides' columns, so
        # such a column needed under either name stays on both sides (were
        # one side's dropped, the other's would lose its suffix).
        overlap = (set(lcols) & set(rcols)) - shared
        lsuffix, rsuffix = tuple(self.suffixes)

        def label(column: Any, suffix: Any) -> Any:
            if column in overlap and suffix is not None:
                return f"{column}{suffix}"
            return column

        lout = {c for c in lcols if label(c, lsuffix) in needed}
        rout = {c for c in rcols if label(c, rsuffix) in needed}
        # (a key no parent uses may lose its suffix: nothing reads it)
        both = (lout | rout) & overlap
        return [(left, lkeys | lout | both), (right, rkeys | rout | both)]

    def _narrowable_inputs(self) -> list[str] | None:
        # Both sides move (shuffled, gathered for a broadcast, re-split) or
        # are copied into the joined partitions: columns no parent uses are
        # left out first.
        return ["left", "right"]

    def _key_columns(self) -> tuple[set[Any], set[Any]]:
        """The columns of each side that the join matches on (a key that is
        no column is an index level)."""
        lk, rk = self._side_keys()
        lcols = set(column_labels(self.left._meta))
        rcols = set(column_labels(self.right._meta))
        lkeys = set() if lk == "__index__" else {k for k in lk if k in lcols}
        rkeys = set() if rk == "__index__" else {k for k in rk if k in rcols}
        return lkeys, rkeys

    def _shared_keys(self) -> set[Any]:
        """Keys matched by the same label on both sides: one output column
        (pandas takes it from one side), never suffixed."""
        lk, rk = self._side_keys()
        if lk == "__index__" or rk == "__index__" or len(lk) != len(rk):
            return set()
        return {a for a, b in zip(lk, rk, strict=True) if _same_label(a, b)}

    def _fill_operands(self) -> dict[str, Any] | None:
        if self.strategy_ is not None:
            return None
        # Chosen once, when the node is built, and kept by every rewrite
        # (it is an operand). The choice reads the sides' divisions and
        # sizes, which their rewritten plans may tell otherwise (a
        # set_index computes its divisions when first asked; a lowered
        # side may have a size estimate its logical node lacks), while
        # the collection's npartitions and divisions must describe the
        # partitions that compute returns, whatever was asked first.
        return {"strategy_": self._choose_strategy()}

    @functools.cached_property
    def _meta(self) -> Any:
        return self._merged_meta(self.left._meta, self.right._meta)

    def _merged_meta(self, lmeta: Any, rmeta: Any) -> Any:
        """The result's meta for inputs of metas ``lmeta`` and ``rmeta``."""
        with warnings.catch_warnings():
            # pandas warns about the stand-ins' values (a float key 1.5
            # against int keys), not about the user's data: the partitions
            # warn when their values deserve it.
            warnings.filterwarnings("ignore", _VALUE_WARNING, UserWarning)
            return self._stand_in_merge(lmeta, rmeta)

    def _stand_in_merge(self, lmeta: Any, rmeta: Any) -> Any:
        kwargs = _merge_kwargs(self)
        if self.how == "leftsemi":
            probe = dict(kwargs, how="inner", indicator=False)
            pd.merge(meta_nonempty(lmeta), meta_nonempty(rmeta), **probe)
            return lmeta
        ln, rn = meta_nonempty(lmeta), meta_nonempty(rmeta)
        run = functools.partial(merge_partitions, op=self.op, kwargs=kwargs, meta=None)
        # Stand-ins with unmatched rows on the sides that may miss rows.
        parts = [run(ln, rn)]
        matched = _matching_keys(ln, rn, kwargs) if self.op == "merge" else None
        if matched is not None:
            # Keys of different dtypes (int and float) never meet in the
            # stand-ins; pandas gives the key column another dtype when
            # rows match.
            parts.append(run(matched, rn))
        if self.how in ("left", "outer"):
            parts.append(run(ln, rn.iloc[:0]))
        if self.how in ("right", "outer"):
            parts.append(run(ln.iloc[:0], rn))
        live = [p for p in parts if len(p)]
        out = pd.concat(live) if len(live) > 1 else parts[0]
        return make_meta(out)

    @functools.cached_property
    def _meta_if_complete(self) -> Any:
        """The meta when no row is missing: pandas' dtypes for an empty
        merge (``None`` when they equal the meta's)."""
        if self.how in ("inner", "leftsemi"):
            return None
        kwargs = _merge_kwargs(self)
        run = functools.partial(merge_partitions, op=self.op, kwargs=kwargs, meta=None)
        empty = make_meta(run(self.left._meta, self.right._meta))
        if narrowed(self._meta, empty) is None:
            return None
        return empty

    def _divisions(self) -> Divisions:
        # What the lowering gives: an aligned join has the union of both
        # sides' divisions, a broadcast join the big side's partitions (and
        # their divisions when the result's index comes from that side).
        # The casts ``_lower`` may add above the join keep its divisions,
        # so they (and the meta merges they need) are not built here.
        return self._lower_strategy(True, False).divisions

    @property
    def _nout(self) -> int:
        if self.npartitions_out is not None:
            return int(self.npartitions_out)
        return max(self.left.npartitions, self.right.npartitions)

    # -- strategy ----------------------------------------------------------------
    def _side_keys(self) -> tuple[Any, Any]:
        """The shuffle keys of each side (labels or ``"__index__"``)."""
        if self.op == "join":
            left = "__index__" if self.left_on is None else as_list(self.left_on)
            return left, "__index__"
        left = "__index__" if self.left_index else as_list(self.left_on)
        right = "__index__" if self.right_index else as_list(self.right_on)
        return left, right

    def _small(self, side: Expr, other: Expr, limit: int | None = None) -> bool:
        """Whether ``side`` may be broadcast to ``other``: one partition,
        or estimated under ``limit`` bytes (:data:`BROADCAST_BYTES`)."""
        if self.broadcast is False:
            return False
        if side.npartitions == 1:
            return True
        if self.broadcast is True:
            return side.npartitions <= other.npartitions
        nbytes = estimate_nbytes(side)
        limit = BROADCAST_BYTES if limit is None else limit
        return nbytes is not None and nbytes < limit

    def _column_range(self, column: Any) -> tuple[Any, Any] | None:
        # A side's own column keeps its label (and its values) in the output.
        from .optimize.predicates import _source_below

        left, right = self.left._meta.columns, self.right._meta.columns
        if self.op != "merge" or (column in left) == (column in right):
            return None
        side = self.left if column in left else self.right
        return _source_below(side)._column_range(column)

    #: A join: a filter of an input by key below it spares the join the
    #: rows it would drop (:mod:`~partframe.expr.optimize.semi_joins`).
    _joins_rows = True

    def _key_filter_step(self, column: Any) -> Below | None:
        # A column of one side only of an inner join (or of the left side
        # of a semi-join): every row of that side gives its own output
        # rows whatever the side's other rows, so keeping the output rows
        # whose column holds some values is joining the side's rows that
        # hold them, in the same order. The output's labels differ (a join
        # on columns numbers its rows). Not through joins that keep
        # unmatched rows: the missing values they make decide the whole
        # result's dtypes, from rows such a filter would remove.
        if self.op != "merge" or self.indicator or self.left_index or self.right_index:
            return None
        sides = {"inner": ("left", "right"), "leftsemi": ("left",)}.get(self.how, ())
        left, right = self.left._meta.columns, self.right._meta.columns
        if (column in left) == (column in right):
            return None
        name = "left" if column in left else "right"
        if name not in sides:
            return None
        return Below(self.operand(name), column)

    def _no_missing_step(self, column: Any) -> bool | Below:
        # A side's own column keeps its values where that side's rows are
        # all kept whole (no row of the other side without a match).
        left, right = self.left._meta.columns, self.right._meta.columns
        if self.op != "merge" or (column in left) == (column in right):
            return False
        if column in left:
            kept = self.how in ("inner", "left", "cross")
            return kept and Below(self.left, column)
        return self.how in ("inner", "right", "cross") and Below(self.right, column)

    def _with_estimates(self) -> Expr | None:
        # Filters pushed below since the node was built may have made a
        # side small enough to broadcast; the new strategy must give the
        # same partitions (the plan above was built on them): the first
        # choice that does, in the order of preference.
        for choice in self._ranked_strategies():
            if choice == "hash" and not self._copied_too_big():
                # Filters pushed since only make a side smaller; a side that
                # now looks too big is one whose size the lowered plan below
                # no longer tells (a lowered join or groupby has no
                # estimate), so a broadcast chosen on the logical plan stays.
                return None
            if choice == self.strategy_:
                return None
            new = self.substitute_operands(strategy_=choice)
            if new.npartitions == self.npartitions and new.divisions == self.divisions:
                return new
        return None

    def _copied_too_big(self) -> bool:
        """Whether the side this join broadcasts is known to be over the
        limit of the run (:func:`broadcast_limit`): a plan made for an engine
        whose tasks share memory, run on one that copies the side to each
        task or worker."""
        side = {"broadcast-left": self.left, "broadcast-right": self.right}.get(
            self.strategy_
        )
        if side is None or side.npartitions == 1 or self.broadcast is not None:
            return False
        nbytes = estimate_nbytes(side)
        return nbytes is not None and nbytes >= broadcast_limit()

    def strategy(self) -> str:
        """``"single"``, ``"aligned"``, ``"broadcast-left"``, ``"broadcast-right"``
        or ``"hash"``: what lowering does (chosen when the node was built)."""
        return self.strategy_

    def _choose_strategy(self) -> str:
        return self._ranked_strategies()[0]

    def _ranked_strategies(self) -> list[str]:
        """The strategies this join may take, the preferred first: a
        broadcast of a side under :data:`BROADCAST_BYTES` (cheapest first),
        then of a side under the run's larger limit (only in place of a
        hash join), then ``"hash"``; or only ``"single"`` or ``"aligned"``."""
        left, right = self.left, self.right
        if self._nout == 1:
            return ["single"]
        lk, rk = self._side_keys()
        index_join = lk == "__index__" and rk == "__index__"
        if (
            index_join
            and self.npartitions_out is None
            and _known(left)
            and _known(right)
        ):
            return ["aligned"]
        how = self.how
        by_columns = self.op == "merge" and not index_join
        by_columns = by_columns and lk != "__index__" and rk != "__index__"
        # (strategy, broadcast side, other side, keeps the side's unmatched rows)
        options = []
        if how in ("inner", "left", "leftsemi"):
            options.append(("broadcast-right", right, left, False))
        if how in ("inner", "right"):
            options.append(("broadcast-left", left, right, False))
        if by_columns and how in ("outer", "right"):
            options.append(("broadcast-right", right, left, True))
        if by_columns and how in ("outer", "left"):
            options.append(("broadcast-left", left, right, True))
        # Broadcast a one-partition side first (the other keeps its
        # partitions: a broadcast of the many into the one would make one
        # partition), then without unmatched rows to keep, then the
        # fewer bytes.
        small = sorted(
            (o for o in options if self._small(o[1], o[2])), key=_broadcast_cost
        )
        # Only in place of a hash join: which side to broadcast is chosen
        # first among the sides any engine would broadcast.
        limit = broadcast_limit()
        larger = sorted(
            (o for o in options if o not in small and self._small(o[1], o[2], limit)),
            key=_broadcast_cost,
        )
        ranked = [o[0] for o in [*small, *larger]]
        return [*dict.fromkeys(ranked), "hash"]

    def _index_sides(self) -> set[Any]:
        """The sides whose index partitioning the result's index keeps where
        the partitions follow that side (a broadcast of the other side, or
        one partition each). pandas gives ``"left"`` rows' index values,
        in the left's row order, for ``inner`` and ``left`` joins on the
        right's index (the left index, or the keys equal to it); the right
        rows' index values for ``inner`` and ``right`` joins on the left's
        index. ``leftsemi`` keeps the left rows."""
        lk, rk = self._side_keys()
        sides = set()
        if self.how == "leftsemi" or (
            self.how in ("inner", "left") and rk == "__index__"
        ):
            sides.add("left")
        if self.how in ("inner", "right") and lk == "__index__":
            sides.add("right")
        return sides

    def _kept_divisions(self, side: str, frame: Expr) -> Divisions | None:
        """``frame``'s divisions (the ``side`` whose partitions the result
        follows) when the result's index keeps them, else ``None``."""
        if side in self._index_sides() and frame.known_divisions:
            return frame.divisions
        return None

    def _fit(self, big: Expr, extra: int = 0) -> Expr:
        """The many-partition side of a broadcast, re-split so that the join
        has ``npartitions`` partitions (``extra`` more come from elsewhere)
        when that was asked for."""
        if self.npartitions_out is None:
            return big
        return repartition_npartitions(big, int(self.npartitions_out) - extra)

    def _lower(self) -> Expr:
        complete = self._meta_if_complete
        widened = self._widened_inputs()
        # Partitions handed over unbuilt (``deferred``) only to the client.
        deferred = self.deferred and widened is None
        if complete is None:
            out = self._lower_strategy(True, deferred)
        else:
            # Partitions as pandas makes them (their dtypes differ where
            # rows are missing), then cast alike once the flags are known.
            out = NarrowIfComplete(
                self._lower_strategy(False, deferred), self._meta, complete
            )
        if widened is None:
            return out
        return CastAlike(out, cast_joined_alike, widened, None, (), self._meta)

    def _widened_inputs(self) -> tuple[Any, ...] | None:
        """The arguments of :func:`~partframe.kernels.merge.cast_joined_alike`
        where an input column may hold, alike, the dtype missing values make
        of its meta's (:meth:`Expr._widened_alike`): pandas keeps that dtype
        in the result of the whole inputs, also where the join dropped every
        row holding a missing value. ``None`` where no column may."""
        if self.op != "merge" or self.how == "leftsemi":
            return None
        sides = (self.left, self.right)
        watched: list[dict[Any, Any]] = [{}, {}]
        for s, side in enumerate(sides):
            meta = side._meta
            if not meta.columns.is_unique:
                continue
            # (the columns' dtypes, without building the ``dtypes`` Series)
            for col, array in zip(meta.columns, meta._iter_column_arrays()):
                dtype = array.dtype
                if isinstance(dtype, np.dtype) and dtype.kind in "iub":
                    wide = side._widened_alike(col)
                    if wide is not None and wide != dtype:
                        watched[s][col] = wide
        if not (watched[0] or watched[1]) or not self._meta.columns.is_unique:
            return None
        base = self._meta
        metas = [self.left._meta, self.right._meta]
        sources: dict[Any, list[tuple[int, Any]]] = {}
        for s in (0, 1):
            for col, wide in watched[s].items():
                widened = list(metas)
                widened[s] = widened[s].astype({col: wide})
                changed = self._merged_meta(*widened)
                for c in base.columns:
                    if changed[c].dtype != base[c].dtype:
                        sources.setdefault(c, []).append((s, col))
        if not sources:
            return None
        every = self._merged_meta(
            *(m.astype(w) if w else m for m, w in zip(metas, watched))
        )
        wide_dtypes = {c: every[c].dtype for c in sources}
        kept_dtypes = {c: base[c].dtype for c in sources}
        flags: list[Any] = [
            TreeReduction(
                side, kernels_elementwise.upcast_flags, kernels_elementwise.any_upcast,
                kernels_elementwise.any_upcast, {},
                chunk_kwargs={"kept": {c: side._meta.dtypes[c] for c in cols}},
                label="upcast-flags", columns=sorted(cols, key=str),
            )
            if cols else {}
            for side, cols in zip(sides, watched)
        ]  # fmt: skip
        return (*flags, sources, wide_dtypes, kept_dtypes)

    def _simplify(self) -> Expr | None:
        """A side that drops duplicates (through column selections,
        renames and assignments of scalars) keeps its rows in the
        partition of their key instead of sending them back home
        (:class:`~partframe.expr.distinct.DropDuplicates`): a join on
        columns has its own row order and labels, whatever its inputs'."""
        if self.op != "merge" or self.left_index or self.right_index:
            return None
        changes = {}
        for name in ("left", "right"):
            side = _unordered_dedup(self.operand(name))
            if side is not None:
                changes[name] = side
        return self.substitute_operands(**changes) if changes else None

    def _widened_step(self, column: Any) -> Any:
        # A column of one side only is that side's; the join's own cast
        # (``_widened_inputs``) keeps the decision.
        left, right = self.left._meta.columns, self.right._meta.columns
        if self.op != "merge" or column is None:
            return None
        if column in left and column not in right:
            return Below(self.left, column)
        if column in right and column not in left:
            return Below(self.right, column)
        keys = set(as_list(self.left_on or [])) & set(as_list(self.right_on or []))
        if column in keys:
            return self.left._widened_alike(column) or self.right._widened_alike(column)
        return None

    def _lower_strategy(self, cast: bool, deferred: bool) -> Expr:
        """The join by the chosen strategy, its partitions cast to the meta
        (``cast``) or as pandas makes them, and unbuilt (``deferred``).

        Built once per node and arguments: the divisions are read from it
        when the plan is built, and lowering uses it again (a node never
        changes; the nodes it builds choose nothing from the run's target,
        a shuffle choosing its method when it is lowered itself)."""
        memo = self.__dict__.setdefault("_strategies", {})
        out: Expr | None = memo.get((cast, deferred))
        if out is None:
            out = memo[(cast, deferred)] = self._build_strategy(cast, deferred)
        return out

    def _build_strategy(self, cast: bool, deferred: bool) -> Expr:
        left, right = self.left, self.right
        strategy = self.strategy()
        args = (self.op, _merge_kwargs(self), self._meta)
        opts = (deferred, cast)  # MergePartitions' deferred, cast
        if strategy == "single":
            kept = self._kept_divisions("left", left) or self._kept_divisions(
                "right", right
            )
            divs = None if kept is None else (kept[0], kept[-1])
            return MergePartitions(
                _gather(left),
                _gather(right),
                *args,
                divs,
                None,
                *opts,
            )
        if strategy == "aligned":
            if not (_known(left) and _known(right)):
                raise AssertionError(
                    "internal error: the sides of an aligned join lost their "
                    "known divisions in a rewrite"
                )
            divs = union_divisions(left.divisions, right.divisions)
            if left.divisions != divs:
                left = RepartitionDivisions(left, divs)
            if right.divisions != divs:
                right = RepartitionDivisions(right, divs)
            return MergePartitions(left, right, *args, divs, None, *opts)
        if strategy == "broadcast-right":
            if self.how in ("outer", "right"):
                return self._preserving_broadcast(
                    self._fit(left, 1), _gather(right), "right"
                )
            left = self._fit(left)
            divs = self._kept_divisions("left", left)
            return MergePartitions(left, _gather(right), *args, divs, "left", *opts)
        if strategy == "broadcast-left":
            if self.how in ("outer", "left"):
                return self._preserving_broadcast(
                    _gather(left), self._fit(right, 1), "left"
                )
            right = self._fit(right)
            divs = self._kept_divisions("right", right)
            return MergePartitions(_gather(left), right, *args, divs, "right", *opts)
        n = self._nout
        lk, rk = self._side_keys()
        # A side hashed by its keys into n partitions already (a dedup by
        # the key, a shuffle) stays where it is: the other side's shuffle
        # sends equal keys to the same partitions.
        same = (
            lk != "__index__"
            and rk != "__index__"
            and _same_dtypes(left._meta, lk, right._meta, rk)
        )
        if not (same and left._hash_partitioned() == (tuple(lk), n)):
            left = Shuffle(left, lk, n, "hash", self.method)
        if not (same and right._hash_partitioned() == (tuple(rk), n)):
            right = Shuffle(right, rk, n, "hash", self.method)
        return MergePartitions(left, right, *args, None, None, *opts)

    def _preserving_broadcast(self, left: Expr, right: Expr, small: str) -> Expr:
        """A join that keeps the unmatched rows of the broadcast (small) side:
        every partition of the other side joins the small side (``inner``,
        or ``left``/``right`` when that side's rows are kept too), and one
        more partition holds the small side's rows that no partition
        matched. Cheaper than shuffling the big side: only the small side
        and one flag per small-side row travel."""
        kwargs = _merge_kwargs(self)
        lk, rk = as_list(self.left_on), as_list(self.right_on)
        if small == "right":
            big, small_expr, big_on, small_on, part_how = left, right, lk, rk, "left"
        else:
            big, small_expr, big_on, small_on, part_how = right, left, rk, lk, "right"
        if self.how != "outer":  # only the small side's rows are kept
            part_how = "inner"
        joined = MergePartitions(
            left,
            right,
            self.op,
            {**kwargs, "how": part_how},
            self._meta,
            None,
            "left" if small == "right" else "right",
        )
        matches = BroadcastMatches(big, small_expr, big_on, small_on)
        rest = UnmatchedRows(matches, small_expr, big._meta, kwargs, self._meta, small)
        return ConcatPartitions([joined, rest])

    def _to_client(self) -> Expr:
        """Partitions as :class:`~partframe.kernels.gather.RowGather` where
        the join kernel applies (``inner`` and ``left`` merges): the final
        concat takes each numeric column once, into the result."""
        if self.op == "merge" and self.how in ("inner", "left"):
            return self.substitute_operands(deferred=True)
        return self

    def _operand_repr(self) -> str:
        on = (
            self.left_on
            if self.left_on == self.right_on
            else (self.left_on, self.right_on)
        )
        return f"how={self.how!r}, on={on!r}, strategy={self.strategy_!r}"


def _same_label(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _known(expr: Expr) -> bool:
    return expr.known_divisions


def _broadcast_cost(option: tuple[Any, ...]) -> tuple[Any, ...]:
    """Order of preference among broadcast options ``(strategy, side,
    other, keeps unmatched rows)``: lowest first. Among sides of several
    partitions, the fewer rows joined: every partition of the other side
    is joined with the whole broadcast side (its rows once per partition
    of the other, then the other's own), then the fewer bytes."""
    _, side, other, keeps = option
    nbytes = estimate_nbytes(side)
    rows, theirs = estimate(side).rows, estimate(other).rows
    if rows is None or theirs is None:
        work = float("inf")
    else:
        work = rows * other.npartitions + theirs
    return (
        side.npartitions != 1,
        keeps,
        work,
        float("inf") if nbytes is None else nbytes,
        side.npartitions,
    )


def _unordered_dedup(side: Expr) -> Expr | None:
    """``side`` with the dedup it ends in (below column selections, renames
    and assignments of scalars, which keep each row's values whatever its
    partition) leaving rows in the partition of their key; ``None`` where
    there is none to change."""
    if isinstance(side, DropDuplicates):
        return side._unordered()
    if isinstance(side, Projection | RenameColumns) or (
        isinstance(side, Assign) and not any(isinstance(v, Expr) for v in side.values)
    ):
        if not isinstance(side._meta, pd.DataFrame):
            return None
        below = _unordered_dedup(side.frame)
        return None if below is None else side.substitute_operands(frame=below)
    return None


def _same_dtypes(lmeta: Any, lk: list[Any], rmeta: Any, rk: list[Any]) -> bool:
    """Do the key columns of both sides have the same dtypes, pairwise?"""
    try:
        return all(lmeta[a].dtype == rmeta[b].dtype for a, b in zip(lk, rk))
    except (KeyError, AttributeError):
        return False
