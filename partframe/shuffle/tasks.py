"""Task-based shuffle: every input partition splits itself, every output
partition concatenates its pieces.

``Shuffle(frame, on, npartitions_out, how)`` is the logical node. It lowers
into a partition-wise :class:`ShuffleSplit` (fused by the optimizer with the
operations before it: a filter, an assign and the split are one task per
input) and a :class:`ShuffleCollect` that has one ``getitem`` task per
(input, output) pair and one concatenation task per output. Pieces keep the
order of their input partition and are concatenated in input order, so rows
of one key keep their original relative order: what groupby cumulative
operations, ``first``/``last`` and ``head`` rely on.

``how`` says where a row goes:

- ``"hash"``: :func:`partitioning_index` of the ``on`` columns (stable
  across processes and machines);
- ``"direct"``: the single ``on`` column holds the output partition number
  (used to send rows back to the partition they came from).
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import numpy as np
import pandas as pd

from ..expr.base import Expr
from ..expr.blockwise import Blockwise
from .hashing import partitioning_index

__all__ = [
    "Shuffle",
    "ShuffleCollect",
    "ShuffleSplit",
    "SortedRepartition",
    "shuffle_concat",
    "shuffle_split",
]


def split_by_partition(df: Any, parts: np.ndarray, npartitions: int) -> list:
    """Split ``df`` into ``npartitions`` pieces; row ``r`` goes to ``parts[r]``.

    Rows keep their relative order inside each piece (one stable sort and one
    ``take`` instead of one boolean mask per piece).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> pieces = split_by_partition(pd.Series([10, 11, 12]), np.array([1, 0, 1]), 2)
    >>> [p.tolist() for p in pieces]
    [[11], [10, 12]]
    """
    if npartitions == 1:
        return [df]
    order = np.argsort(parts, kind="stable")
    ordered = df.take(order)
    bounds = np.searchsorted(parts[order], np.arange(npartitions + 1))
    return [ordered.iloc[bounds[j] : bounds[j + 1]] for j in range(npartitions)]


def shuffle_split(df: Any, on: Any, npartitions: int, how: str = "hash") -> list:
    """Split one partition into ``npartitions`` pieces by key."""
    if how == "hash":
        parts = partitioning_index(df, on, npartitions)
    elif how == "direct":
        parts = np.asarray(df[on], dtype="int64")
    else:
        raise ValueError(f"unknown shuffle partitioning {how!r}")
    return split_by_partition(df, parts, npartitions)


def shuffle_concat(pieces: list) -> Any:
    """Concatenate the pieces of one output partition, in input order."""
    nonempty = [p for p in pieces if len(p)]
    if not nonempty:
        return pieces[0]
    if len(nonempty) == 1:
        return nonempty[0]
    return pd.concat(nonempty)


class Shuffle(Expr):
    """Rows of ``frame`` regrouped into ``npartitions_out`` partitions by key.

    Rows with equal keys end up in the same output partition; the row order
    of each key's rows is kept. Divisions of the result are unknown.
    """

    _parameters = ["frame", "on", "npartitions_out", "how"]
    _defaults = {"how": "hash"}

    def _validate(self) -> None:
        if self.npartitions_out < 1:
            raise ValueError(
                f"npartitions_out must be >= 1, got {self.npartitions_out}"
            )
        if self.how not in ("hash", "direct"):
            raise ValueError(f"unknown shuffle partitioning {self.how!r}")

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> tuple:
        return (None,) * (self.npartitions_out + 1)

    def _column_needs(self, needed: set | None) -> list:
        if needed is None or self.on is None or self.on == "__index__":
            return [(self.frame, None)]
        on = self.on if isinstance(self.on, list | tuple) else [self.on]
        return [(self.frame, set(needed) | set(on))]

    def _lower(self) -> Expr:
        split = ShuffleSplit(self.frame, self.on, self.npartitions_out, self.how)
        return ShuffleCollect(split, self.npartitions_out, self.frame._meta)

    def _layer(self) -> dict:
        # Unlowered (optimize_graph=False): alias the lowered result.
        lowered = self._lower()
        graph = lowered.__dask_graph__()
        for j in range(self.npartitions_out):
            graph[(self._name, j)] = (lowered._name, j)
        return graph

    def _operand_repr(self) -> str:
        return f"on={self.on!r}, npartitions_out={self.npartitions_out}, how={self.how}"


class ShuffleSplit(Blockwise):
    """Partition-wise first step of a shuffle: a list of pieces per input."""

    _parameters = ["frame", "on", "npartitions_out", "how"]
    _defaults = {"how": "hash"}
    operation = staticmethod(shuffle_split)
    _preserves_partitioning = False

    def _args(self) -> list:
        return [self.frame, self.on, self.npartitions_out, self.how]

    @functools.cached_property
    def _meta(self) -> Any:
        return None  # a list of pieces: internal

    def _divisions(self) -> tuple:
        return (None,) * (self.frame.npartitions + 1)

    def _column_needs(self, needed: set | None) -> list:
        return [(self.frame, None)]


class ShuffleCollect(Expr):
    """Output ``j`` concatenates piece ``j`` of every split input."""

    _parameters = ["splits", "npartitions_out", "meta"]

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _divisions(self) -> tuple:
        return (None,) * (self.npartitions_out + 1)

    def _layer(self) -> dict:
        n_in = self.splits.npartitions
        src = self.splits._name
        get = f"{self._name}-get"
        graph: dict = {}
        for j in range(self.npartitions_out):
            keys = []
            for i in range(n_in):
                graph[(get, i, j)] = (operator.getitem, (src, i), j)
                keys.append((get, i, j))
            graph[(self._name, j)] = (shuffle_concat, keys)
        return graph

    def _operand_repr(self) -> str:
        return f"npartitions_out={self.npartitions_out}"


# -- range repartitioning of index-sorted partitions ---------------------------


def _key_frame(obj: Any, nlevels: int) -> pd.DataFrame:
    index = obj.index
    return pd.DataFrame(
        {i: index.get_level_values(i) for i in range(nlevels)},
        index=pd.RangeIndex(len(index)),
    )


def _rank_codes(codes: np.ndarray, uniques: Any) -> np.ndarray:
    """Codes renumbered by the sort order of ``uniques``; missing (-1) last."""
    n = len(uniques)
    rank = np.empty(n, dtype="int64")
    rank[np.asarray(uniques.argsort(), dtype="int64")] = np.arange(n)
    safe = np.where(codes < 0, 0, codes)
    return np.where(codes < 0, n, rank[safe] if n else 0)


def _sorted_positions(keys: pd.DataFrame) -> np.ndarray:
    """Positions that sort ``keys`` lexicographically, as pandas' groupby sorts
    keys: categories in category order, missing values last, ties stable.
    Factorizing each column first makes this a sort of small integers."""
    ranked, sizes = [], []
    for j in range(len(keys.columns)):
        codes, uniques = pd.factorize(keys.iloc[:, j], use_na_sentinel=True)
        ranked.append(_rank_codes(codes, uniques))
        sizes.append(len(uniques) + 1)
    if not ranked:
        return np.arange(len(keys))
    return _lexsort(ranked, sizes)


def index_sorted_positions(index: pd.Index, nlevels: int | None = None) -> np.ndarray:
    """Positions that sort the first ``nlevels`` levels of ``index``."""
    if not isinstance(index, pd.MultiIndex):
        codes, uniques = pd.factorize(index, use_na_sentinel=True)
        return np.argsort(_rank_codes(codes, uniques), kind="stable")
    n = index.nlevels if nlevels is None else nlevels
    ranked = [
        _rank_codes(np.asarray(index.codes[i]), index.levels[i]) for i in range(n)
    ]
    sizes = [len(index.levels[i]) + 1 for i in range(n)]
    return _lexsort(ranked, sizes)


def _lexsort(ranked: list, sizes: list) -> np.ndarray:
    """Stable lexicographic order of integer keys ``0 <= ranked[i] < sizes[i]``.

    Keys combine into one int64 when their value ranges allow (one radix
    sort instead of ``np.lexsort``, several times faster on many keys).
    """
    if float(np.prod([float(s) for s in sizes])) < 2**62:
        combined = np.zeros(len(ranked[0]), dtype="int64")
        for r, size in zip(ranked, sizes):
            combined *= size
            combined += r
        return np.argsort(combined, kind="stable")
    return np.lexsort(ranked[::-1])


def sample_keys(obj: Any, nlevels: int, size: int) -> pd.DataFrame:
    """Up to ``size`` evenly spaced keys (first index levels) of ``obj``."""
    keys = _key_frame(obj, nlevels)
    if len(keys) > size:
        keys = keys.iloc[np.linspace(0, len(keys) - 1, size).astype("int64")]
    return keys


def range_boundaries(samples: list, npartitions: int) -> pd.DataFrame:
    """``npartitions - 1`` keys that split the sampled keys into even ranges."""
    keys = pd.concat(samples, ignore_index=True)
    if not len(keys) or npartitions < 2:
        return keys.iloc[:0]
    keys = keys.iloc[_sorted_positions(keys)].reset_index(drop=True)
    pos = (np.arange(1, npartitions) * len(keys)) // npartitions
    return keys.iloc[pos].drop_duplicates(ignore_index=True)


def range_assign(keys: pd.DataFrame, bounds: pd.DataFrame) -> np.ndarray:
    """For every key row, how many boundaries sort at or before it."""
    nb = len(bounds)
    if not nb or not len(keys):
        return np.zeros(len(keys), dtype="int64")
    both = pd.concat([bounds, keys], ignore_index=True)
    marker = np.zeros(len(both), dtype="int64")
    marker[:nb] = 1
    # A stable sort puts a boundary before the equal keys that follow it.
    order = _sorted_positions(both)
    counts = np.cumsum(marker[order])
    out = np.empty(len(keys), dtype="int64")
    rows = order >= nb
    out[order[rows] - nb] = counts[rows]
    return out


def split_by_range(
    obj: Any, bounds: pd.DataFrame, nlevels: int, npartitions: int
) -> list:
    """Split ``obj`` into ``npartitions`` pieces by ranges of its index keys."""
    parts = range_assign(_key_frame(obj, nlevels), bounds)
    return split_by_partition(obj, parts, npartitions)


def concat_sorted(pieces: list, nlevels: int) -> Any:
    """Concatenate pieces and sort by the first ``nlevels`` index levels."""
    out = shuffle_concat(pieces)
    if len(out) < 2:
        return out
    order = _sorted_positions(_key_frame(out, nlevels))
    if (order[1:] >= order[:-1]).all():
        return out
    return out.iloc[order]


class SortedRepartition(Expr):
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

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> tuple:
        return (None,) * (self.npartitions_out + 1)

    def _layer(self) -> dict:
        src = self.frame._name
        n_in, k = self.frame.npartitions, self.npartitions_out
        name, lv = self._name, self.nlevels
        size = max(20, 20 * k)
        graph: dict = {}
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
