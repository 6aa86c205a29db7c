"""Partition-aware methods of DataFrame and Series (mixed into the facades).

``head``/``tail``, ``repartition``, ``reset_index``,
``partitions``/``get_partition``, ``nlargest``/``nsmallest``,
``to_delayed``; and :func:`repartition_divisions`, which
:func:`partframe.concat` uses to align inputs with different divisions.
``set_index`` is in :mod:`partframe.methods.set_index`, ``loc`` in
:mod:`partframe.methods.indexing`, ``concat`` in
:mod:`partframe.methods.concat`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, Self, TypeVar, overload

import numpy as np
import pandas as pd

from ..collection._core import new_collection
from ..expr.base import Expr, plain_scalar, walk
from ..expr.meta import meta_nonempty
from ..expr.partitions import Head, Tail, select_partitions
from ..expr.reductions import ReductionChunk, TreeReduction
from ..expr.repartition import (
    RepartitionDivisions,
    RepartitionPieces,
    repartition_npartitions,
)
from ..expr.rows import ResetIndex
from ..kernels import partitions as K

if TYPE_CHECKING:
    from ..collection import DataFrame, Series
    from ..expr.base import Expr

__all__ = [
    "DataFrameMethods",
    "FrameMethods",
    "OrderMethods",
    "SeriesMethods",
    "repartition_divisions",
]

_NO_DEFAULT = object()

_T = TypeVar("_T")
_F = TypeVar("_F")


class OrderMethods:
    """``is_monotonic_increasing``/``decreasing`` of Series and Index."""

    expr: Any

    @property
    def is_monotonic_increasing(self) -> Any:
        """Whether the values never decrease, over every partition in order
        (a lazy Scalar; missing values make it ``False``, as in pandas).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([1, 2, 2, 5]), npartitions=2)
        >>> bool(s.is_monotonic_increasing.compute())
        True
        """
        return _monotonic(self.expr, True)

    @property
    def is_monotonic_decreasing(self) -> Any:
        """Whether the values never increase, over every partition in order
        (a lazy Scalar)."""
        return _monotonic(self.expr, False)


def _monotonic(expr: Expr, increasing: bool) -> Any:
    return new_collection(
        TreeReduction(
            expr, K.monotonic_chunk, K.concat_lists, K.monotonic_aggregate, True,
            aggregate_kwargs={"increasing": increasing}, label="is-monotonic",
        )
    )  # fmt: skip


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
    @overload
    def head(
        self, n: int = ..., npartitions: int = ..., *, compute: Literal[False]
    ) -> Self: ...
    @overload
    def head(
        self, n: int = ..., npartitions: int = ..., compute: bool = ...
    ) -> Any: ...
    # Computed, the result is the pandas object of this collection's class
    # (pd.DataFrame, pd.Series or pd.Index), which a mixin cannot name.
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
        if n == 0 and not _data_decides_dtypes(self.expr):
            return self._meta.copy()
        if _sorts_every_row(self.expr, n):
            # sort_values(...).head(n): one run of every partition's first
            # n sorted rows (TopRows) beats batches of a full sort
            return new_collection(Head(self.expr, n)).compute()
        total = self.npartitions
        batch = _batch_worth_it(self.expr, range(0, batch), total)
        pieces: list = []
        rows, start = 0, 0
        while start < total and (rows < n or not pieces):
            stop = min(total, start + batch)
            sub = select_partitions(self.expr, range(start, stop))
            piece = new_collection(Head(sub, n - rows)).compute()
            pieces.append(piece)
            rows += len(piece)
            start, batch = stop, batch * 2
        return K.first_rows(K.concat_parts(pieces), n)

    @overload
    def tail(
        self, n: int = ..., npartitions: int = ..., *, compute: Literal[False]
    ) -> Self: ...
    @overload
    def tail(
        self, n: int = ..., npartitions: int = ..., compute: bool = ...
    ) -> Any: ...
    # Computed, the result is the pandas object of this collection's class
    # (pd.DataFrame, pd.Series or pd.Index), which a mixin cannot name.
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
        if n == 0 and not _data_decides_dtypes(self.expr):
            return self._meta.copy()
        if _sorts_every_row(self.expr, n):
            # sort_values(...).head(n): one run of every partition's first
            # n sorted rows (TopRows) beats batches of a full sort
            return new_collection(Head(self.expr, n)).compute()
        total = self.npartitions
        batch = _batch_worth_it(self.expr, range(total - batch, total), total)
        pieces: list = []
        rows, stop = 0, total
        while stop > 0 and (rows < n or not pieces):
            start = max(0, stop - batch)
            sub = select_partitions(self.expr, range(start, stop))
            piece = new_collection(Tail(sub, n - rows)).compute()
            pieces.insert(0, piece)
            rows += len(piece)
            stop, batch = start, batch * 2
        return K.last_rows(K.concat_parts(pieces), n)

    # -- selecting partitions ------------------------------------------------
    @property
    def partitions(self) -> _PartitionsIndexer[Self]:
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
    def clear_divisions(self) -> Self:
        """The same partitions with unknown divisions (as Dask's).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": range(4)}), npartitions=2)
        >>> df.clear_divisions().known_divisions
        False
        """
        from ..expr.index import NewDivisions

        unknown = (None,) * (self.expr.npartitions + 1)
        return new_collection(NewDivisions(self.expr, unknown))

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
    if TYPE_CHECKING:

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

    @overload
    def reset_index(self, drop: Literal[False] = ..., name: Any = ...) -> DataFrame: ...
    @overload
    def reset_index(self, drop: Literal[True], name: Any = ...) -> Series: ...
    @overload
    def reset_index(self, drop: bool, name: Any = ...) -> DataFrame | Series: ...
    def reset_index(
        self, drop: bool = False, name: Any = _NO_DEFAULT
    ) -> DataFrame | Series:
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


def _data_decides_dtypes(expr: Expr) -> bool:
    """Whether some node's partitions take the dtypes pandas decides from
    the whole data (``_meta_if_complete``: a join, values cast alike), so
    that even no rows must be computed to have them."""
    return any(
        getattr(node, "_meta_if_complete", None) is not None for node in walk(expr)
    )


def _check_n(n: Any) -> None:
    if not _is_int(n) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")


def _is_int(x: Any) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


def _batch_worth_it(expr: Expr, first: range, total: int) -> int:
    """The first batch of ``head``/``tail``: ``first``'s length, or every
    partition when most of the tasks ``first`` needs are needed by the
    other partitions too (partitions made by a sort, a shuffle or a hash
    join each need all of the input: a batch at a time would compute it
    again for each batch)."""
    from ..expr.optimize import optimize
    from ..graph import cull, istask

    if len(first) >= total or total <= 2:
        return len(first)

    def tasks(parts: Sequence[int]) -> set[Any]:
        plan = optimize(select_partitions(expr, parts))
        needed, _ = cull(plan.__dask_graph__(), plan.__dask_keys__())
        return {k for k, v in needed.items() if istask(v)}

    mine = tasks(first)
    rest = [p for p in range(total) if p not in first]
    shared = mine & tasks(rest[:1] if first.start == 0 else rest[-1:])
    return total if len(shared) * 2 > len(mine) else len(first)


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


def repartition_divisions(frame: _F, divisions: Sequence) -> _F:
    """``frame`` re-split at ``divisions`` (its own divisions must be known).

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> df = partframe.from_pandas(pd.DataFrame({"x": range(6)}), npartitions=2)
    >>> repartition_divisions(df, (0, 1, 4, 5)).npartitions
    3
    """
    divisions = tuple(divisions)
    lazy: Any = frame  # a collection (FrameBase), or a mixin's Self
    if divisions == tuple(lazy.divisions):
        return frame
    return new_collection(RepartitionDivisions(lazy.expr, divisions))


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


# -- indexers -------------------------------------------------------------------------


class _PartitionsIndexer(Generic[_T]):
    def __init__(self, obj: _T) -> None:
        self.obj: Any = obj

    def __getitem__(self, key: Any) -> _T:
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


def _sorts_every_row(expr: Any, n: int) -> bool:
    """Whether ``expr`` is a ``sort_values`` whose first ``n`` rows a
    :class:`~partframe.expr.sort.TopRows` computes."""
    from ..expr.sort import TOP_ROWS_MAX, SortValues

    return isinstance(expr, SortValues) and 0 <= n <= TOP_ROWS_MAX
