"""Partition-aware methods of DataFrame and Series (mixed into the facades).

``head``/``tail``, ``repartition``, ``reset_index``, ``set_index(sorted=True)``,
``loc``, ``partitions``/``get_partition``, ``nlargest``/``nsmallest``,
``to_delayed``; and the module functions :func:`concat`,
:func:`repartition_divisions` and :func:`union_divisions` (from
:mod:`partframe.kernels.partitions`), which ``collection._align`` uses to
align operands with different divisions.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray
from pandas.errors import IndexingError

from ..collection._core import (
    FrameBase,
    align,
    is_dataframe,
    is_series,
    new_collection,
)
from ..expr.base import plain_scalar
from ..expr.index import GatherLoc, LocLabels, LocRows, SetIndexSorted
from ..expr.merge import NarrowIfComplete, narrowed
from ..expr.meta import make_meta, meta_nonempty
from ..expr.partitions import Head, Tail, check_divisions, select_partitions
from ..expr.reductions import ReductionChunk, TreeReduction
from ..expr.repartition import (
    RepartitionDivisions,
    RepartitionPieces,
    repartition_npartitions,
)
from ..expr.rows import ConcatColumns, ConcatPartitions, ResetIndex
from ..kernels import partitions as K
from ..kernels.partitions import union_divisions

if TYPE_CHECKING:
    from ..collection import DataFrame, Index, Series

__all__ = [
    "DataFrameMethods",
    "FrameMethods",
    "SeriesMethods",
    "concat",
    "repartition_divisions",
    "union_divisions",
]

_NO_DEFAULT = object()


class FrameMethods:
    """Methods shared by DataFrame and Series."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Any
    _meta: Any
    if TYPE_CHECKING:

        @property
        def npartitions(self) -> int: ...
        @property
        def divisions(self) -> tuple[Any, ...]: ...
        @property
        def known_divisions(self) -> bool: ...

    # -- head / tail -----------------------------------------------------------
    def head(self, n: int = 5, npartitions: int = 1, compute: bool = True) -> Any:
        """The first ``n`` rows.

        Unlike Dask, ``head`` never comes back short because the first
        partitions are empty (after a filter, say): it computes the first
        ``npartitions`` partitions, and while it has fewer than ``n`` rows it
        goes on with the next ones in batches that double in size. In the
        common case only the first partition is computed.

        Parameters
        ----------
        n : int, default 5
            Number of rows.
        npartitions : int, default 1
            Partitions in the first batch, at most the frame's partition
            count (``-1``: all at once).
        compute : bool, default True
            Return a pandas object. With ``False``, return a lazy
            one-partition frame; a lazy plan cannot stop early, so it
            covers every partition (taking each one's head in order).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": range(10)}), npartitions=5)
        >>> df[df.x > 6].head(2)
           x
        7  7
        8  8
        >>> df.head(3, compute=False).npartitions
        1
        """
        _check_n(n)
        batch = _first_batch("head", npartitions, self.npartitions)
        if not compute:
            return new_collection(Head(self.expr, n))
        if n == 0:
            return self._meta.copy()
        total = self.npartitions
        pieces: list = []
        rows, start = 0, 0
        while start < total and rows < n:
            stop = min(total, start + batch)
            sub = select_partitions(self.expr, range(start, stop))
            piece = new_collection(Head(sub, n - rows)).compute()
            pieces.append(piece)
            rows += len(piece)
            start, batch = stop, batch * 2
        return K.first_rows(K.concat_parts(pieces), n)

    def tail(self, n: int = 5, npartitions: int = 1, compute: bool = True) -> Any:
        """The last ``n`` rows, scanning partitions from the end.

        The mirror image of :meth:`head` (same batching, same laziness).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": range(10)}), npartitions=5)
        >>> df[df.x < 3].tail(2)
           x
        1  1
        2  2
        """
        _check_n(n)
        batch = _first_batch("tail", npartitions, self.npartitions)
        if not compute:
            return new_collection(Tail(self.expr, n))
        if n == 0:
            return self._meta.copy()
        total = self.npartitions
        pieces: list = []
        rows, stop = 0, total
        while stop > 0 and rows < n:
            start = max(0, stop - batch)
            sub = select_partitions(self.expr, range(start, stop))
            piece = new_collection(Tail(sub, n - rows)).compute()
            pieces.insert(0, piece)
            rows += len(piece)
            stop, batch = start, batch * 2
        return K.last_rows(K.concat_parts(pieces), n)

    # -- selecting partitions ------------------------------------------------
    @property
    def partitions(self) -> _PartitionsIndexer:
        """Select partitions: ``df.partitions[i]``, ``[i:j]`` or ``[[i, k]]``.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": range(6)}), npartitions=3)
        >>> df.partitions[1:].compute().x.tolist()
        [2, 3, 4, 5]
        >>> df.partitions[-1].divisions
        (4, 5)
        """
        return _PartitionsIndexer(self)

    def get_partition(self, n: int) -> Self:
        """Partition ``n`` (``0 <= n < npartitions``) as a one-partition collection.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": range(6)}), npartitions=3)
        >>> df.get_partition(0).compute().x.tolist()
        [0, 1]
        """
        total = self.npartitions
        if not _is_int(n) or not 0 <= n < total:
            raise ValueError(
                f"get_partition({n!r}): give a partition number from 0 to "
                f"{total - 1} (the frame has {total}); count from the end with "
                "partitions[-1]"
            )
        return self.partitions[n]

    # -- repartition -----------------------------------------------------------
    def repartition(
        self,
        divisions: Sequence | None = None,
        npartitions: int | None = None,
        partition_size: int | str | None = None,
        force: bool = False,
    ) -> Self:
        """Split the rows into different partitions; values and order stay.

        Parameters
        ----------
        divisions : sequence, optional
            New index boundaries (known divisions required): sorted, unique
            except that the last may repeat the one before it (a last
            partition holding one index value), starting and ending where
            the current divisions do.
        npartitions : int, optional
            Fewer: neighbouring partitions are concatenated (divisions stay
            known). More: partitions are split; with known divisions on a
            numeric or datetime index the split points are interpolated
            between the boundaries, so divisions stay known, otherwise
            partitions are split by rows and divisions become unknown.
        partition_size : int or str, optional
            Target bytes per partition (``"100MB"``). **This computes the
            frame's memory usage** (``memory_usage(deep=True)`` of every
            partition) when called. Small neighbours are combined and large
            partitions split by rows (then divisions become unknown).
        force : bool, default False
            Allow ``divisions`` to reach beyond the current first and last
            division (they must still cover the current ones).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": range(8)}), npartitions=4)
        >>> df.repartition(npartitions=2).divisions
        (0, 4, 7)
        >>> df.repartition(divisions=[0, 3, 7]).partitions[0].compute().x.tolist()
        [0, 1, 2]
        """
        given = sum(x is not None for x in (divisions, npartitions, partition_size))
        if given != 1:
            raise ValueError(
                "repartition: give exactly one of divisions=, npartitions= and "
                "partition_size="
            )
        if divisions is not None:
            _check_new_divisions(self.expr, divisions, force)
            return repartition_divisions(self, divisions)
        if npartitions is not None:
            return new_collection(repartition_npartitions(self.expr, npartitions))
        assert partition_size is not None  # the one given
        return new_collection(
            _repartition_size(self.expr, K.parse_bytes(partition_size))
        )

    # -- loc --------------------------------------------------------------------
    @property
    def loc(self) -> _LocIndexer:
        """Select rows (and columns) by label, pruning partitions by divisions.

        ``loc[label]``, ``loc[a:b]`` (both ends included), ``loc[list]``,
        ``loc[boolean_series]`` and, on a DataFrame, ``loc[rows, columns]``.
        With known divisions only the partitions that can hold the labels
        are computed; with unknown divisions every partition is scanned. A
        single label gives the matching rows as a frame (as ``loc[[label]]``
        would). A label outside known divisions raises ``KeyError`` as in
        pandas; an absent label inside them (or with unknown divisions)
        gives no rows, since only computing could tell.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": range(8)}), npartitions=4)
        >>> df.loc[3:5].x.compute().tolist()
        [3, 4, 5]
        >>> df.loc[3:5].npartitions
        2
        """
        return _LocIndexer(self)

    # -- conversions ------------------------------------------------------------
    def to_delayed(self, optimize_graph: bool = True) -> list:
        """One :class:`~partframe.Delayed` per partition, sharing one graph.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": range(4)}), npartitions=2)
        >>> parts = df.to_delayed()
        >>> parts[1].compute().x.tolist()
        [2, 3]
        """
        from ..io.delayed import to_delayed

        return to_delayed(self, optimize_graph=optimize_graph)

    def _reset_index(self, drop: bool, kwargs: dict | None) -> Any:
        lengths = ReductionChunk(self.expr, K.partition_len, None, "len", [])
        return new_collection(ResetIndex(self.expr, lengths, drop, kwargs or None))


class DataFrameMethods:
    """DataFrame-only methods."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Any
    _meta: Any
    if TYPE_CHECKING:

        @property
        def index(self) -> Index: ...
        @index.setter
        def index(self, value: Any) -> None: ...
        def _reset_index(self, drop: bool, kwargs: dict | None) -> Any: ...

    def reset_index(self, drop: bool = False) -> DataFrame:
        """Move the index into a column (unless ``drop``); number rows 0..n-1.

        The new index runs across the whole frame, as in pandas: each
        partition is offset by the lengths of the partitions before it,
        which are computed in the same graph (no eager computation).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"x": [1, 2, 3]}, index=[10, 20, 30])
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.reset_index().compute()
           index  x
        0     10  1
        1     20  2
        2     30  3
        """
        return self._reset_index(drop, None)

    def set_index(
        self,
        other: Hashable,
        drop: bool = True,
        sorted: bool = False,
        divisions: Sequence | None = None,
    ) -> DataFrame:
        """Make column ``other`` the index, sorting the rows by it.

        With ``sorted=True`` and no ``divisions``, each partition's min and
        max of the column are **computed when this is called** (reading only
        that column), to learn the divisions and check that the column is
        sorted across partitions; an error names the partitions that
        overlap. Empty partitions are dropped. With ``divisions=`` nothing is
        computed: the boundaries are trusted.

        Parameters
        ----------
        other : label, or partframe Series or Index
            The column; or keys computed from this frame's rows (e.g.
            ``df.x + 1``: partitioned as the frame), taken by position as
            pandas takes an array (the index is named after them). A list
            of one label is that label; several make a MultiIndex, which
            partframe does not support.
        drop : bool, default True
            Remove the column from the data (pandas ignores it for keys
            that are not a column label).
        sorted : bool, default False
            Promise that the column is sorted across partitions. Without
            it the rows are range-shuffled and sorted: the boundaries are
            sampled inside the graph, and the divisions are computed only
            when asked for (``.divisions``, ``loc``, alignment); see
            :mod:`partframe.expr.sort`. ``divisions=`` skips sampling.
        divisions : sequence, optional
            The new index's boundaries, ``npartitions + 1`` of them.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"t": [1, 2, 3, 5], "x": [5, 6, 7, 8]})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.set_index("t", sorted=True).divisions
        (1, 3, 5)
        """
        other = _set_index_key(other)
        if hasattr(other, "expr"):  # a partframe Series or Index of keys
            if other.expr._name == self.index.expr._name:
                return new_collection(self.expr)  # the frame's own index, as pandas
            return _set_index_values(self, other, sorted, divisions)
        if not sorted:
            from .shuffle import set_index_unsorted

            return set_index_unsorted(self, other, drop, divisions)
        if not isinstance(other, Hashable) or other not in self._meta.columns:
            raise KeyError(
                f"set_index: {other!r} is not a column (None of [{other!r}] are "
                "in the columns); "
                f"columns: {list(self._meta.columns)}"
            )
        if divisions is not None:
            divisions = check_divisions(
                divisions,
                f"set_index({other!r}, sorted=True, divisions=...)",
                self.expr.npartitions,
            )
            return new_collection(SetIndexSorted(self.expr, other, drop, divisions))
        return new_collection(_set_index_sorted(self.expr, other, drop))

    def nlargest(self, n: int, columns: Any, keep: str = "first") -> DataFrame:
        """The ``n`` rows with the largest ``columns`` values, as pandas.

        The top ``n`` of every partition, then combined in a tree; ties
        resolve in row order as in pandas.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"x": [3, 1, 4, 1, 5, 9, 2, 6]})
        >>> df = partframe.from_pandas(pdf, npartitions=3)
        >>> df.nlargest(2, "x").compute().x.tolist()
        [9, 6]
        """
        return _top(self, "nlargest", n, columns, keep)

    def nsmallest(self, n: int, columns: Any, keep: str = "first") -> DataFrame:
        """The ``n`` rows with the smallest ``columns`` values, as pandas.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"x": [3, 1, 4, 1, 5, 9, 2, 6]})
        >>> df = partframe.from_pandas(pdf, npartitions=3)
        >>> df.nsmallest(3, "x").compute().index.tolist()
        [1, 3, 6]
        """
        return _top(self, "nsmallest", n, columns, keep)


class SeriesMethods:
    """Series-only methods."""

    # Provided by the collection this is mixed into (FrameBase).
    if TYPE_CHECKING:

        def _reset_index(self, drop: bool, kwargs: dict | None) -> Any: ...

    def reset_index(self, drop: bool = False, name: Any = _NO_DEFAULT) -> Any:
        """Reset the index to 0..n-1 across the Series (see DataFrame's).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 3], index=[5, 6, 7]),
        ...                           npartitions=2)
        >>> s.reset_index(drop=True).compute().index.tolist()
        [0, 1, 2]
        """
        kwargs = None if name is _NO_DEFAULT or drop else {"name": name}
        return self._reset_index(drop, kwargs)

    def nlargest(self, n: int = 5, keep: str = "first") -> Series:
        """The ``n`` largest values, as pandas (ties in row order).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([3, 1, 4, 1, 5]), npartitions=2)
        >>> s.nlargest(2).compute().tolist()
        [5, 4]
        """
        return _top(self, "nlargest", n, None, keep)

    def nsmallest(self, n: int = 5, keep: str = "first") -> Series:
        """The ``n`` smallest values, as pandas (ties in row order).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([3, 1, 4, 1, 5]), npartitions=2)
        >>> s.nsmallest(2).compute().index.tolist()
        [1, 3]
        """
        return _top(self, "nsmallest", n, None, keep)


# -- helpers: head, top-k ----------------------------------------------------------


def _check_n(n: Any) -> None:
    if not _is_int(n) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")


def _is_int(x: Any) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


def _first_batch(method: str, npartitions: Any, total: int) -> int:
    """The partitions ``head``/``tail`` computes first: ``npartitions``,
    checked against the frame's ``total`` (``-1``: all of them)."""
    if _is_int(npartitions) and npartitions == -1:
        return total
    if not _is_int(npartitions) or not 1 <= npartitions <= total:
        raise ValueError(
            f"{method}(npartitions={npartitions!r}): the frame has {total} "
            f"partition(s); give 1 to {total}, or -1 for all of them"
        )
    return int(npartitions)


def _top(obj: Any, method: str, n: int, columns: Any, keep: str) -> Any:
    _check_n(n)
    if keep not in ("first", "last", "all"):
        raise ValueError(f'keep must be "first", "last" or "all", got {keep!r}')
    # Errors a user deserves (unknown column, non-numeric dtype) now.
    K.top_aggregate([[meta_nonempty(obj._meta)]], method, n, columns, keep)
    kw = {"method": method, "n": n, "columns": columns, "keep": keep}
    return new_collection(
        TreeReduction(
            obj.expr, K.top_chunk, K.top_combine, K.top_aggregate, obj._meta,
            chunk_kwargs=kw, combine_kwargs=kw, aggregate_kwargs=kw, label=method,
        )
    )  # fmt: skip


# -- helpers: set_index ------------------------------------------------------------

#: The temporary column that holds set_index keys given as values.
_KEYS = "__pf_set_index_keys"


def _set_index_key(other: Any) -> Any:
    """``set_index``'s key: a label, or a partframe Series/Index of keys.

    A list of one label is that label (pandas makes no MultiIndex of it);
    what partframe cannot do is refused here, naming the feature.
    """
    if isinstance(other, list):
        if len(other) == 1 and isinstance(other[0], Hashable):
            return other[0]
        raise NotImplementedError(
            f"set_index({other!r}): several keys (or arrays in a list) make a "
            "MultiIndex, which partframe does not support (no multi-indexes); "
            "set one column as the index"
        )
    if isinstance(other, FrameBase):
        if isinstance(other._meta, pd.DataFrame):
            raise NotImplementedError(
                "set_index with a DataFrame of keys makes a MultiIndex, which "
                "partframe does not support; pass one column label or Series"
            )
        return other
    if isinstance(other, pd.Series | pd.Index | np.ndarray):
        raise NotImplementedError(
            f"set_index with an in-memory {type(other).__name__}: pandas takes "
            "its values by position, which partframe cannot line up with its "
            "partitions; pass a partframe Series computed from this frame "
            "(e.g. df.x + 1) or add the keys as a column first"
        )
    return other


def _set_index_values(frame: Any, keys: Any, sorted: bool, divisions: Any) -> Any:
    """``frame.set_index(keys)`` for a partframe Series or Index of keys:
    its values, by position, become a temporary column that is set as the
    index (sorted, or promised sorted), named after ``keys``."""
    from ..expr.blockwise import Elemwise, aligned

    if not aligned(frame.expr, keys.expr):
        raise ValueError(
            "set_index: the keys are not partitioned as the frame: pandas takes "
            "them by position, so they must be computed from this frame's rows "
            f"(e.g. df.x + 1), not from another source ({keys.npartitions} "
            f"partitions against {frame.npartitions})"
        )
    name = keys._meta.name
    with_keys = new_collection(
        Elemwise(K.assign_by_position, [frame.expr, keys.expr, _KEYS])
    )
    out = with_keys.set_index(_KEYS, drop=True, sorted=sorted, divisions=divisions)
    return new_collection(Elemwise(K.name_index, [out.expr, name]))


# -- helpers: repartition ----------------------------------------------------------


def _check_new_divisions(expr: Any, divisions: Any, force: bool) -> None:
    """Reject user divisions that repeat a boundary, or that reach beyond the
    current ones without ``force``. The node checks the rest (known
    divisions, sorted, covering the index range), also for internal use."""
    if not isinstance(divisions, Sequence | np.ndarray | pd.Index) or isinstance(
        divisions, str
    ):
        raise TypeError(
            f"repartition(divisions=...) takes a list of index boundaries, got "
            f"{type(divisions).__name__}"
        )
    new = [plain_scalar(d) for d in divisions]
    try:
        repeated = [a for a, b in itertools.pairwise(new[:-1]) if a == b]
        if repeated:
            raise ValueError(
                f"repartition(divisions={new!r}): {repeated[0]!r} is repeated; "
                "divisions must be unique (only the last may repeat the one "
                "before it)"
            )
        if force or not expr.known_divisions or len(new) < 2:
            return
        old = expr.divisions
        if new[0] < old[0] or new[-1] > old[-1]:
            raise ValueError(
                f"repartition(divisions=...): the new divisions "
                f"[{new[0]!r} .. {new[-1]!r}] reach beyond the current ones "
                f"[{old[0]!r} .. {old[-1]!r}]; pass force=True to allow that"
            )
    except TypeError:
        return  # incomparable values: the node explains


def repartition_divisions(frame: Any, divisions: Sequence) -> Any:
    """``frame`` re-split at ``divisions`` (its own divisions must be known).

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> df = partframe.from_pandas(pd.DataFrame({"x": range(6)}), npartitions=2)
    >>> repartition_divisions(df, (0, 1, 4, 5)).npartitions
    3
    """
    divisions = tuple(divisions)
    if divisions == tuple(frame.divisions):
        return frame
    return new_collection(RepartitionDivisions(frame.expr, divisions))


def _repartition_size(expr: Any, limit: int) -> Any:
    sizes = new_collection(
        TreeReduction(
            expr, K.memory_usage, K.concat_lists, K.concat_lists, [],
            label="memory-usage",
        )
    ).compute()  # fmt: skip
    plan: list = []
    starts: list = []
    group: list = []
    group_size = 0
    split = False

    def flush() -> None:
        nonlocal group, group_size
        if group:
            plan.append(tuple(group))
            starts.append(group[0][0])
        group, group_size = [], 0

    for i, size in enumerate(sizes):
        if size > limit:
            flush()
            count = min(math.ceil(size / limit), 1_000_000)
            for k in range(count):
                plan.append(((i, k, count),))
                starts.append(i)
            split = split or count > 1
        elif group and group_size + size > limit:
            flush()
            group, group_size = [(i, 0, 1)], size
        else:
            group.append((i, 0, 1))
            group_size += size
    flush()
    divs = None
    if not split and expr.known_divisions:
        d = expr.divisions
        divs = (*[d[s] for s in starts], d[-1])
    return RepartitionPieces(expr, tuple(plan), divs)


# -- helpers: set_index --------------------------------------------------------------


def _show(value: Any) -> str:
    return repr(plain_scalar(value))


def _set_index_sorted(expr: Any, column: Any, drop: bool) -> Any:
    stats = new_collection(
        TreeReduction(
            expr, K.column_bounds, K.concat_lists, K.concat_lists, [],
            chunk_kwargs={"column": column}, label="bounds", columns=[column],
        )
    ).compute()  # fmt: skip
    stats = [(r, plain_scalar(lo), plain_scalar(hi), nans) for r, lo, hi, nans in stats]
    nonempty = [i for i, (rows, *_rest) in enumerate(stats) if rows]
    if not nonempty or any(s[3] for s in stats):
        # Missing values cannot be placed in divisions: keep them unknown.
        return SetIndexSorted(expr, column, drop, None)
    overlaps = []
    for i, j in itertools.pairwise(nonempty):
        if stats[i][2] > stats[j][1]:
            overlaps.append(
                f"partition {i} holds [{_show(stats[i][1])}, {_show(stats[i][2])}] "
                f"but partition {j} starts at {_show(stats[j][1])}"
            )
    if overlaps:
        raise ValueError(
            f"set_index({column!r}, sorted=True): the column is not sorted across "
            f"partitions: {'; '.join(overlaps[:5])}"
            + (f" (and {len(overlaps) - 5} more)" if len(overlaps) > 5 else "")
            + ". Sort the data first, or call set_index without sorted=True once "
            "shuffles are available."
        )
    frame = select_partitions(expr, nonempty)
    mins = [stats[i][1] for i in nonempty]
    last = stats[nonempty[-1]][2]
    if all(stats[i][2] < stats[j][1] for i, j in itertools.pairwise(nonempty)):
        return SetIndexSorted(frame, column, drop, (*mins, last))
    # Equal values straddle a boundary: move them into one partition.
    bounds = tuple((stats[i][1], stats[i][2]) for i in nonempty)
    unique_mins = sorted(set(mins))
    indexed = SetIndexSorted(frame, column, drop, None)
    return RepartitionDivisions(indexed, (*unique_mins, last), bounds)


# -- indexers -------------------------------------------------------------------------


class _PartitionsIndexer:
    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __getitem__(self, key: Any) -> Any:
        n = self.obj.npartitions
        if isinstance(key, slice):
            parts = list(range(n))[key]
        elif _is_int(key):
            if not -n <= key < n:
                raise IndexError(f"partition {key} out of range ({n} partitions)")
            parts = [int(key) % n]
        elif isinstance(key, list | tuple | np.ndarray | range):
            parts = [int(k) % n if -n <= k < n else int(k) for k in key]
        else:
            raise TypeError(
                f"select partitions with an int, a slice or a list, not {key!r}"
            )
        return new_collection(select_partitions(self.obj.expr, parts))


class _LocIndexer:
    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __getitem__(self, key: Any) -> Any:
        obj = self.obj
        if isinstance(key, tuple) and not isinstance(obj._meta.index, pd.MultiIndex):
            if not is_dataframe(obj) or len(key) != 2:
                raise IndexingError(
                    f"Too many indexers: a {type(obj).__name__} takes loc[rows]"
                    + (" or loc[rows, columns]" if is_dataframe(obj) else "")
                    + f", got {len(key)} indexers"
                )
            rows, cols = key
            if callable(cols):  # as pandas: called with the whole frame
                cols = cols(obj)
            return _loc_columns(self._rows(rows), cols)
        return self._rows(key)

    def _rows(self, key: Any) -> Any:
        obj = self.obj
        if callable(key) and not isinstance(key, FrameBase):
            key = key(obj)
        if is_series(key):
            return obj[key]
        if isinstance(key, pd.Series) and not pd.api.types.is_bool_dtype(key.dtype):
            key = key.array  # labels, as pandas (a boolean Series aligns)
        if isinstance(key, FrameBase | pd.Series | pd.DataFrame):
            raise TypeError(
                "loc takes a lazy boolean partframe Series aligned with the frame "
                "(df.loc[df.x > 0]); wrap in-memory masks with from_pandas"
            )
        if isinstance(key, slice):
            if key.step is not None:
                raise ValueError("loc slices with a step are not supported")
            if key.start is None and key.stop is None:
                return obj
            return _loc_slice(obj, key.start, key.stop)
        if isinstance(key, str) and isinstance(obj._meta.index, K.DATETIME_LIKE):
            # A date string on a datetime-like index may be a period (pandas'
            # partial string indexing): all the rows pandas matches, as a frame.
            expr = _partial_string_partitions(obj, key, key)
            return new_collection(LocRows(expr, K.loc_label, (key,)))
        if isinstance(key, list | np.ndarray | pd.Index | ExtensionArray):
            labels = list(key)
            if labels and all(isinstance(x, bool | np.bool_) for x in labels):
                raise TypeError(
                    "loc with a list of booleans cannot be aligned with the "
                    "partitions; use a lazy boolean Series"
                )
            return _loc_list(obj, labels)
        return _loc_label(obj, key)


def _partition_of(divisions: tuple, label: Any) -> int | None:
    """The partition that can hold ``label`` (None: outside the divisions)."""
    lo, hi = divisions[0], divisions[-1]
    if label < lo or label > hi:
        return None
    return bisect.bisect_right(divisions[:-1], label) - 1


def _loc_label(obj: Any, label: Any) -> Any:
    expr = obj.expr
    if expr.known_divisions:
        try:
            i = _partition_of(expr.divisions, label)
        except TypeError:
            raise KeyError(label) from None
        if i is None:
            # Outside the divisions: absent for sure, and pandas raises.
            raise KeyError(label)
        expr = select_partitions(expr, [i])
    return new_collection(LocRows(expr, K.loc_label, (label,)))


def _loc_slice(obj: Any, start: Any, stop: Any) -> Any:
    expr = obj.expr
    if _partial_strings(obj._meta.index, start, stop):
        expr = _partial_string_partitions(obj, start, stop)
    elif expr.known_divisions:
        d = expr.divisions
        n = expr.npartitions
        try:
            parts = [
                i
                for i in range(n)
                if (stop is None or d[i] <= stop)
                and (
                    start is None
                    or start < d[i + 1]
                    or (i == n - 1 and start <= d[i + 1])
                )
            ]
        except TypeError:
            raise TypeError(
                f"loc[{start!r}:{stop!r}]: the bounds cannot be compared with the "
                f"index (divisions {d[0]!r} .. {d[-1]!r})"
            ) from None
        expr = select_partitions(expr, parts or [0])
    return new_collection(LocRows(expr, K.loc_slice, (start, stop)))


def _partial_strings(index: pd.Index, start: Any, stop: Any) -> bool:
    """Is ``loc[start:stop]`` a partial date string slice (see ``K.loc_slice``)?"""
    return isinstance(index, K.DATETIME_LIKE) and (
        isinstance(start, str) or isinstance(stop, str)
    )


def _partial_string_partitions(obj: Any, start: Any, stop: Any) -> Any:
    """``obj``'s plan restricted to the partitions that can hold
    ``loc[start:stop]``, bounds that may be partial date strings.

    pandas resolves the strings against an index of the divisions: the
    partitions kept run from the one holding the first division at or after
    the start to the last one starting at or before the stop's end.
    """
    expr = obj.expr
    if not expr.known_divisions:
        return expr
    index = pd.Index(list(expr.divisions), dtype=obj._meta.index.dtype)
    lo, hi = index.slice_locs(start, stop)
    parts = list(range(max(int(lo) - 1, 0), min(int(hi), expr.npartitions)))
    return select_partitions(expr, parts or [0])


def _loc_list(obj: Any, labels: list) -> Any:
    expr = obj.expr
    if not labels:
        return new_collection(
            LocRows(select_partitions(expr, [0]), K.index_isin, ([],))
        )
    if expr.known_divisions:
        try:
            where = [_partition_of(expr.divisions, x) for x in labels]
            ordered = all(a <= b for a, b in itertools.pairwise(labels))
        except TypeError:
            where, ordered = None, False
        if where is not None:
            missing = [x for x, i in zip(labels, where) if i is None]
            if missing:
                raise KeyError(f"{missing[:10]!r} not in index")
            parts = sorted({i for i in where if i is not None})  # (none is)
            if ordered:
                per_part: dict = {p: [] for p in parts}
                for x, i in zip(labels, where):
                    per_part[i].append(x)
                sub = select_partitions(expr, parts)
                return new_collection(
                    LocLabels(sub, tuple(tuple(per_part[p]) for p in parts))
                )
            expr = select_partitions(expr, parts)
    pieces = LocRows(expr, K.index_isin, (list(labels),))
    return new_collection(GatherLoc(pieces, tuple(labels)))


def _loc_columns(frame: Any, cols: Any) -> Any:
    if isinstance(cols, slice) and cols == slice(None):
        return frame
    meta = frame._meta
    if isinstance(cols, slice) or (
        isinstance(cols, list | np.ndarray | pd.Index)
        and len(cols)
        and all(isinstance(c, bool | np.bool_) for c in cols)
    ):
        return frame[list(meta.loc[:, cols].columns)]
    if isinstance(cols, list | np.ndarray | pd.Index):
        return frame[list(cols)]
    return frame[cols]


# -- concat ---------------------------------------------------------------------------


def _as_collection(x: Any) -> Any:
    from ..io.memory import from_pandas

    if isinstance(x, FrameBase):
        return x
    if isinstance(x, pd.DataFrame | pd.Series):
        return from_pandas(x, npartitions=1)
    raise TypeError(
        "concat takes partframe or pandas DataFrames and Series, "
        f"not {type(x).__name__}"
    )


def _align_all(frames: list) -> list:
    first = frames[0].expr

    def aligned(e: Any) -> bool:
        return e._partitioning == first._partitioning or (
            first.known_divisions and e.divisions == first.divisions
        )

    if all(aligned(f.expr) for f in frames):
        return frames
    if not all(f.known_divisions for f in frames):
        # Without divisions to unify, each must line up with the first as
        # it is (one partition each: pandas aligns the rows inside it).
        for f in frames[1:]:
            align(frames[0], f)  # raises the explanation otherwise
        return frames
    divisions = functools.reduce(union_divisions, [f.divisions for f in frames])
    return [repartition_divisions(f, divisions) for f in frames]


def concat(
    dfs: Iterable,
    axis: int | str = 0,
    join: str = "outer",
    ignore_index: bool = False,
) -> Any:
    """Concatenate frames along the rows or the columns, as ``pandas.concat``.

    Parameters
    ----------
    dfs : list of DataFrame or Series
        partframe collections; pandas objects are wrapped as one partition.
    axis : {0, "index", 1, "columns"}, default 0
        0: the partitions of each input follow each other; the result has
        known divisions when every input has and they are in increasing
        order without overlap. Different columns and dtypes are handled as
        pandas does (missing columns become NaN, with pandas' upcasts).
        1: side by side; inputs are aligned on their divisions first.
    join : {"outer", "inner"}, default "outer"
        Keep the union or the intersection of the other axis.
    ignore_index : bool, default False
        axis 0: number the rows 0..n-1 across the result (as
        ``reset_index(drop=True)``). axis 1: number the columns.

    Notes
    -----
    With ``axis=1`` on inputs whose indexes differ, rows come in index order
    (as ``pandas.concat(..., sort=True)``): that is the order of the
    partitions. With ``join="outer"`` on inputs from different sources,
    the meta has integer and bool columns upcast (float64, object) as if
    some rows were missing, since which rows match is only known when
    computing; then the partitions get pandas' dtypes for the whole result
    (a column with no missing value in any partition keeps its dtype), as
    for a join (:class:`~partframe.expr.merge.NarrowIfComplete`).

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> a = partframe.from_pandas(pd.DataFrame({"x": [1, 2]}), npartitions=1)
    >>> b = partframe.from_pandas(pd.DataFrame({"y": [3.5]}, index=[5]),
    ...                           npartitions=1)
    >>> partframe.concat([a, b]).compute()
         x    y
    0  1.0  NaN
    1  2.0  NaN
    5  NaN  3.5
    """
    if isinstance(dfs, pd.DataFrame | pd.Series) or hasattr(dfs, "expr"):
        raise TypeError(
            "concat takes a list of frames, not a single one: concat([a, b])"
        )
    frames = [_as_collection(x) for x in dfs]
    if not frames:
        raise ValueError("No objects to concatenate")
    if join not in ("outer", "inner"):
        raise ValueError(f"join must be 'outer' or 'inner', got {join!r}")
    if axis in (0, "index", "rows"):
        if any(is_dataframe(f) for f in frames) and any(is_series(f) for f in frames):
            frames = [
                f.to_frame(0 if f.name is None else f.name) if is_series(f) else f
                for f in frames
            ]
        if len(frames) == 1:
            out = frames[0]
        else:
            out = new_collection(ConcatPartitions([f.expr for f in frames], join))
        if ignore_index:
            out = out._reset_index(True, None)
        return out
    if axis in (1, "columns"):
        frames = _align_all(frames)
        exprs = [f.expr for f in frames]
        cast = join == "outer" and len({e._partitioning for e in exprs}) > 1
        wide = ConcatColumns(exprs, join, ignore_index, cast)
        if not cast:
            return new_collection(wide)
        # pandas' dtypes when no row is missing: those of empty inputs (the
        # stand-ins' indexes need not match).
        complete = make_meta(
            pd.concat(
                [e._meta for e in exprs], axis=1, join=join,
                ignore_index=ignore_index, sort=True,
            )
        )  # fmt: skip
        if narrowed(wide._meta, complete) is None:
            return new_collection(wide)
        # Whether rows are missing is known only when computing: decided
        # for the whole result, as pandas does (see partframe.expr.merge).
        narrow = ConcatColumns(exprs, join, ignore_index, False)
        return new_collection(NarrowIfComplete(narrow, wide._meta, complete))
    raise ValueError(f"axis must be 0 or 1, got {axis!r}")
