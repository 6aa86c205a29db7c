"""Shuffle-based methods of DataFrame and Series (mixed into the facades).

``shuffle``, ``sort_values``, ``drop_duplicates``, ``merge`` and ``join``;
the module function :func:`merge`; and :func:`set_index_unsorted`, which
``set_index(col)`` (without ``sorted=True``) calls. ``value_counts`` and
``nunique`` with ``split_out`` go through :func:`value_counts_split_out` and
:func:`nunique_split_out`. The nodes are in :mod:`partframe.expr.sort`,
:mod:`partframe.expr.merge` and :mod:`partframe.expr.shuffle`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd

from ..collection._core import FrameBase, new_collection
from ..expr.blockwise import MapPartitions
from ..expr.groupby import RestoreRows, TagRows
from ..expr.merge import Merge
from ..expr.partitions import check_divisions
from ..expr.shuffle import Shuffle
from ..expr.sort import SetIndexShuffled, SortValues
from ..kernels.distinct import count_values, dedup_partition, length_series
from ..kernels.group_call import PART

if TYPE_CHECKING:
    from ..collection import DataFrame, Series

__all__ = [
    "DataFrameMethods",
    "FrameMethods",
    "SeriesMethods",
    "merge",
    "nunique_split_out",
    "set_index_unsorted",
    "value_counts_split_out",
]


def _labels(x: Any) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, list | tuple) else [x]


def _ascending(ascending: Any, n: int) -> list:
    if isinstance(ascending, list | tuple):
        if len(ascending) != n:
            raise ValueError(
                f"Length of ascending ({len(ascending)}) != length of by ({n})"
            )
        return [bool(a) for a in ascending]
    return [bool(ascending)] * n


def _check_na_position(na_position: str) -> None:
    if na_position not in ("first", "last"):
        raise ValueError(f"invalid na_position: {na_position!r}")


class FrameMethods:
    """Methods shared by DataFrame and Series."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Any
    _meta: Any
    if TYPE_CHECKING:

        @property
        def npartitions(self) -> int: ...

    def shuffle(
        self,
        on: Any = None,
        npartitions: int | None = None,
        method: str | None = None,
    ) -> Self:
        """Regroup rows so that equal keys share a partition.

        Parameters
        ----------
        on : label, list of labels, or None
            Key columns; ``None`` hashes every column (a Series: its values).
            ``"__index__"`` hashes the index.
        npartitions : int, optional
            Output partitions (default: as many as now).
        method : {"tasks", "disk"}, optional
            ``"tasks"``: all-to-all in task form, staged when large (any
            scheduler, distributed too). ``"disk"``: inputs append to spill
            files in ``config.get("temporary_directory")``, removed after the
            run (bounded memory on one machine). Default:
            ``config.get("shuffle_method")``, else disk on local schedulers
            for inputs known to be large, tasks otherwise.

        Returns
        -------
        DataFrame or Series
            Same rows and dtypes, unknown divisions; rows of one key keep
            their order.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": [1, 2, 1, 2], "x": range(4)})
        >>> df = partframe.from_pandas(pdf, npartitions=2).shuffle("k", method="disk")
        >>> [sorted(set(p.k)) for p in df.to_delayed() for p in [p.compute()]
        ...  if len(p)]  # doctest: +SKIP
        [[2], [1]]
        >>> df.compute().sort_values("x").x.tolist()
        [0, 1, 2, 3]
        """
        n = self.npartitions if npartitions is None else int(npartitions)
        if on is not None and not (isinstance(on, str) and on == "__index__"):
            on = _labels(on)
            missing = [c for c in on if c not in self._meta.columns]
            if missing:
                raise KeyError(f"shuffle: columns not found: {missing}")
        return new_collection(Shuffle(self.expr, on, n, "hash", method))


class DataFrameMethods:
    """DataFrame-only methods."""

    # Provided by the collection this is mixed into (FrameBase).
    expr: Any
    _meta: Any
    if TYPE_CHECKING:

        @property
        def npartitions(self) -> int: ...

    def sort_values(
        self,
        by: Any,
        ascending: bool | Sequence[bool] = True,
        na_position: str = "last",
        kind: str = "quicksort",
        ignore_index: bool = False,
        npartitions: int | None = None,
        method: str | None = None,
    ) -> DataFrame:
        """Sort rows by one or several columns, as pandas (stable).

        The rows are range-partitioned on boundaries sampled inside the
        graph (nothing is computed now), then each partition is sorted. Ties
        keep their original order (a stable sort whatever ``kind`` says;
        pandas leaves the order of ties unspecified for ``quicksort``).

        Parameters
        ----------
        by : label or list of labels
        ascending : bool or list of bool, default True
        na_position : {"last", "first"}, default "last"
        kind : str
            Accepted for pandas compatibility; the sort is always stable.
        ignore_index : bool, default False
            Number the result 0..n-1.
        npartitions : int, optional
            Output partitions (default: as many as now).
        method : {"tasks", "disk"}, optional
            The shuffle method (see :meth:`shuffle`).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"a": [3, 1, None, 1], "b": list("wxyz")})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.sort_values(["a", "b"], ascending=[False, True]).compute()
             a  b
        0  3.0  w
        1  1.0  x
        3  1.0  z
        2  NaN  y
        """
        by = _labels(by)
        missing = [c for c in by if c not in self._meta.columns]
        if missing:
            raise KeyError(f"sort_values: columns not found: {missing}")
        _check_na_position(na_position)
        asc = _ascending(ascending, len(by))
        n = self.npartitions if npartitions is None else int(npartitions)
        out = new_collection(SortValues(self.expr, by, asc, na_position, n, method))
        if ignore_index:
            out = out._reset_index(True, None)
        return out

    def drop_duplicates(
        self,
        subset: Any = None,
        keep: str | bool = "first",
        ignore_index: bool = False,
        split_out: int | None = None,
        method: str | None = None,
    ) -> DataFrame:
        """Rows without duplicates, as pandas: same rows, same order.

        Each partition drops its own duplicates first (``keep`` first or
        last), then rows are shuffled by ``subset`` into ``split_out``
        partitions where the duplicates are dropped, and the kept rows are
        sent back to the partitions they came from, in their original
        order. The result has the frame's divisions.

        Parameters
        ----------
        subset : label or list of labels, optional
            Columns that identify duplicates (default: all).
        keep : {"first", "last", False}, default "first"
        ignore_index : bool, default False
            Number the result 0..n-1.
        split_out : int, optional
            Partitions of the shuffle (default: as many as now).
        method : {"tasks", "disk"}, optional
            The shuffle method.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"k": [1, 2, 1, 3, 2], "x": range(5)})
        >>> df = partframe.from_pandas(pdf, npartitions=2)
        >>> df.drop_duplicates("k", keep="last").compute()
           k  x
        2  1  2
        3  3  3
        4  2  4
        """
        cols = _labels(subset) or list(self._meta.columns)
        missing = [c for c in cols if c not in self._meta.columns]
        if missing:
            raise KeyError(f"drop_duplicates: columns not found: {missing}")
        if keep not in ("first", "last", False):
            raise ValueError("keep must be 'first', 'last' or False")
        out = _drop_duplicates(self, cols, keep, split_out, method, subset is None)
        if ignore_index:
            out = out._reset_index(True, None)
        return out

    def merge(
        self,
        right: Any,
        how: str = "inner",
        on: Any = None,
        left_on: Any = None,
        right_on: Any = None,
        left_index: bool = False,
        right_index: bool = False,
        suffixes: tuple = ("_x", "_y"),
        indicator: bool = False,
        npartitions: int | None = None,
        broadcast: bool | None = None,
        shuffle_method: str | None = None,
    ) -> DataFrame:
        """Join with another frame, as :func:`pandas.merge` (see :func:`merge`).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> a = partframe.from_pandas(pd.DataFrame({"k": [1, 2, 3], "x": [4, 5, 6]}),
        ...                           npartitions=2)
        >>> b = pd.DataFrame({"k": [3, 1], "y": ["c", "a"]})
        >>> a.merge(b, on="k").compute().sort_values("k").values.tolist()
        [[1, 4, 'a'], [3, 6, 'c']]
        """
        return merge(
            self, right, how=how, on=on, left_on=left_on, right_on=right_on,
            left_index=left_index, right_index=right_index, suffixes=suffixes,
            indicator=indicator, npartitions=npartitions, broadcast=broadcast,
            shuffle_method=shuffle_method,
        )  # fmt: skip

    def join(
        self,
        other: Any,
        on: Any = None,
        how: str = "left",
        lsuffix: str = "",
        rsuffix: str = "",
        npartitions: int | None = None,
        broadcast: bool | None = None,
        shuffle_method: str | None = None,
    ) -> DataFrame:
        """Join columns of ``other`` on its index, as ``DataFrame.join``.

        ``on`` names columns of this frame matched against ``other``'s
        index (default: this frame's index). Strategies as for :func:`merge`.

        ``other`` may be a list of frames (and named Series): they are joined
        on the indexes one after the other, as pandas does when an index
        has duplicates (``on`` and suffixes are refused, as in pandas).
        When every index is unique pandas concatenates instead. For
        ``"inner"`` and ``"outer"`` both give the same result. For
        ``"left"`` the rows and values are the same, but pandas' concat may
        make an int or bool column float64/object where a key of some other
        frame is missing from this frame's index (it makes those rows, then
        drops them): which indexes are unique is only known when computing,
        so partframe keeps the dtypes of the joins in turn. For ``"right"``
        the two ways give different values (joined in turn, a row of the
        last frame misses this frame's values when a frame in between lacks
        its key), so it is refused: join in turn, or concat and reindex.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> a = partframe.from_pandas(pd.DataFrame({"x": [1, 2, 3]}), npartitions=2)
        >>> b = partframe.from_pandas(pd.DataFrame({"y": [10.0, 30.0]}, index=[0, 2]),
        ...                           npartitions=1)
        >>> a.join(b).compute()
           x     y
        0  1  10.0
        1  2   NaN
        2  3  30.0
        """
        if isinstance(other, list | tuple):
            return _join_many(
                self, list(other), on, how, lsuffix, rsuffix,
                dict(npartitions=npartitions, broadcast=broadcast,
                     shuffle_method=shuffle_method),
            )  # fmt: skip
        other = _as_frame(other)
        if isinstance(other._meta, pd.Series):
            other = other.to_frame()
        expr = Merge(
            self.expr, other.expr, how, on, None, on is None, True,
            (lsuffix, rsuffix), False, "join", npartitions, broadcast,
            shuffle_method,
        )  # fmt: skip
        return new_collection(expr)


class SeriesMethods:
    """Series-only methods."""

    # Provided by the collection this is mixed into (FrameBase; Series).
    expr: Any
    _meta: Any
    if TYPE_CHECKING:

        @property
        def npartitions(self) -> int: ...
        def to_frame(self, name: Any = None) -> Any: ...

    def sort_values(
        self,
        ascending: bool = True,
        na_position: str = "last",
        kind: str = "quicksort",
        ignore_index: bool = False,
        npartitions: int | None = None,
        method: str | None = None,
    ) -> Series:
        """Sort the values, as pandas (stable; see DataFrame.sort_values).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([3, 1, 2, 1]), npartitions=2)
        >>> s.sort_values(ascending=False).compute().tolist()
        [3, 2, 1, 1]
        """
        _check_na_position(na_position)
        if isinstance(ascending, list | tuple):
            ascending = bool(ascending[0])
        n = self.npartitions if npartitions is None else int(npartitions)
        out = new_collection(
            SortValues(self.expr, None, [bool(ascending)], na_position, n, method)
        )
        if ignore_index:
            out = out._reset_index(True, None)
        return out

    def drop_duplicates(
        self,
        keep: str | bool = "first",
        ignore_index: bool = False,
        split_out: int | None = None,
        method: str | None = None,
    ) -> Series:
        """Values without duplicates, in their order (see DataFrame's).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series([3, 1, 3, 2, 1], name="v"),
        ...                           npartitions=2)
        >>> s.drop_duplicates().compute().tolist()
        [3, 1, 2]
        """
        if keep not in ("first", "last", False):
            raise ValueError("keep must be 'first', 'last' or False")
        name = self._meta.name
        frame = self.to_frame(name="__pf_value")
        out = _drop_duplicates(frame, ["__pf_value"], keep, split_out, method, True)
        out = out["__pf_value"].rename(name)
        if ignore_index:
            out = out._reset_index(True, None)
        return out


# -- module functions ------------------------------------------------------------


def _as_frame(x: Any) -> Any:
    from ..io.memory import from_pandas

    if isinstance(x, FrameBase):
        return x
    if isinstance(x, pd.DataFrame | pd.Series):
        return from_pandas(x, npartitions=1)
    raise TypeError(f"cannot join with a {type(x).__name__}")


def _join_many(
    frame: Any, others: list, on: Any, how: str, lsuffix: str, rsuffix: str, kw: dict
) -> Any:
    """``frame.join(others)`` for a list ``others``: index joins in turn
    (see ``DataFrame.join``), with pandas' argument checks."""
    if on is not None:
        raise ValueError(
            "Joining multiple DataFrames only supported for joining on index"
        )
    if lsuffix or rsuffix:
        raise ValueError("Suffixes not supported when joining multiple DataFrames")
    if not others:
        raise ValueError("join: the list of frames to join is empty")
    if how == "right":
        raise NotImplementedError(
            "join with a list of frames and how='right': pandas' result depends "
            "on whether every index is unique (known only when computing); "
            "join them one by one (df.join(a, how='right').join(b, how='right')), "
            "or concat them with axis=1 and select the last frame's index"
        )
    out = frame
    for other in others:
        out = out.join(other, how=how, **kw)
    return out


def merge(
    left: Any,
    right: Any,
    how: str = "inner",
    on: Any = None,
    left_on: Any = None,
    right_on: Any = None,
    left_index: bool = False,
    right_index: bool = False,
    suffixes: tuple = ("_x", "_y"),
    indicator: bool = False,
    npartitions: int | None = None,
    broadcast: bool | None = None,
    shuffle_method: str | None = None,
) -> DataFrame:
    """Join two frames on columns or indexes, as :func:`pandas.merge`.

    The strategy is picked when the plan is optimized: partition-wise on
    known index divisions, broadcast of a small side, or a hash shuffle of
    both sides (see :mod:`partframe.expr.merge`). Rows come in no particular
    order (pandas' order is kept only by the partition-wise strategies);
    values and dtypes are pandas'.

    Parameters
    ----------
    left, right : DataFrame (partframe or pandas)
    how : {"inner", "left", "right", "outer", "leftsemi"}, default "inner"
        ``"leftsemi"``: the rows of ``left`` (its columns) that have a match
        in ``right``, each once.
    on, left_on, right_on : label or list of labels, optional
    left_index, right_index : bool, default False
    suffixes : (str, str), default ("_x", "_y")
    indicator : bool, default False
        Add pandas' ``_merge`` column.
    npartitions : int, optional
        The number of output partitions, whatever the strategy (a broadcast
        join re-splits the side that is not broadcast; an index join given
        it is hashed rather than aligned). Default: the union of both
        sides' divisions for an index join on known divisions, the
        partitions of the side that is not broadcast for a broadcast join
        (one more when the small side's unmatched rows are kept), the
        larger side's count for a hash join.
    broadcast : bool, optional
        Force (True) or forbid (False) broadcasting the smaller side.
    shuffle_method : {"tasks", "disk"}, optional
        The shuffle method of a hash join.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> a = partframe.from_pandas(pd.DataFrame({"k": [1, 2, 3], "x": [4, 5, 6]}),
    ...                           npartitions=2)
    >>> b = partframe.from_pandas(pd.DataFrame({"k": [3, 4], "y": [7, 8]}),
    ...                           npartitions=2)
    >>> out = partframe.merge(a, b, on="k", how="outer").compute()
    >>> out.sort_values("k").to_dict("list")
    {'k': [1, 2, 3, 4], 'x': [4.0, 5.0, 6.0, nan], 'y': [nan, nan, 7.0, 8.0]}
    >>> partframe.merge(a, b, on="k", how="leftsemi").compute()
       k  x
    2  3  6
    """
    left, right = _as_frame(left), _as_frame(right)
    for name, keys in (("on", on), ("left_on", left_on), ("right_on", right_on)):
        _check_label_keys(name, keys)
    if on is not None:
        if left_on is not None or right_on is not None:
            raise ValueError('Can only pass argument "on" OR "left_on" and "right_on"')
        left_on = right_on = on
    elif left_on is None and right_on is None and not left_index and not right_index:
        common = [c for c in left.columns if c in set(right.columns)]
        if not common:
            # pandas' error (a ValueError): it joins on no key by default,
            # not on the indexes.
            raise pd.errors.MergeError(
                "No common columns to perform merge on. Merge options: "
                "left_on=None, right_on=None, left_index=False, right_index=False; "
                "pass on=, left_on=/right_on=, or left_index=/right_index=True"
            )
        left_on = right_on = common
    if left_index:
        left_on = None
    if right_index:
        right_on = None
    expr = Merge(
        left.expr, right.expr, how, left_on, right_on, bool(left_index),
        bool(right_index), tuple(suffixes), indicator, "merge", npartitions,
        broadcast, shuffle_method,
    )  # fmt: skip
    return new_collection(expr)


def _check_label_keys(name: str, keys: Any) -> None:
    """Refuse merge keys that are values rather than column labels.

    pandas also takes arrays (and Series) of keys, one per row, matched by
    position: partframe cannot line a lazy or in-memory array up with the
    rows of its partitions, so that is not supported.
    """
    items = keys if isinstance(keys, list) else [keys]
    if any(
        isinstance(k, FrameBase | pd.Series | pd.Index | np.ndarray | list)
        for k in items
    ):
        raise NotImplementedError(
            f"merge: {name}= takes column labels; keys given as arrays or "
            "Series are not supported. Add them as a column first "
            "(df.assign(key=...)) and merge on its name."
        )


def set_index_unsorted(
    frame: Any,
    column: Hashable,
    drop: bool = True,
    divisions: Sequence | None = None,
    npartitions: int | None = None,
    method: str | None = None,
) -> Any:
    """``set_index(column)`` on a column that is not known to be sorted.

    See :mod:`partframe.expr.sort` for when the divisions are computed.
    """
    if not isinstance(column, Hashable) or column not in frame._meta.columns:
        raise KeyError(
            f"set_index: {column!r} is not a column (None of [{column!r}] are "
            "in the columns); "
            f"columns: {list(frame._meta.columns)}"
        )
    if divisions is not None:
        divisions = check_divisions(divisions, f"set_index({column!r}, divisions=...)")
        n = len(divisions) - 1
    else:
        n = frame.npartitions if npartitions is None else int(npartitions)
    return new_collection(
        SetIndexShuffled(frame.expr, column, drop, n, method, divisions)
    )


def _drop_duplicates(
    frame: Any, cols: list, keep: Any, split_out: Any, method: Any, all_cols: bool
) -> Any:
    expr = frame.expr
    meta = frame._meta
    kw = {"subset": cols, "keep": keep}
    if expr.npartitions == 1 and not split_out:
        return frame._method("drop_duplicates", **({"keep": keep} if all_cols else kw))
    local = frame
    if keep is not False:
        local = frame._method("drop_duplicates", **kw)
    tagged = TagRows(local.expr)
    n = int(split_out) if split_out else expr.npartitions
    shuffled = Shuffle(tagged, cols, n, "hash", method)
    deduped = MapPartitions(
        dedup_partition, tagged._meta, [shuffled, cols, keep], None, False
    )
    back = Shuffle(deduped, PART, expr.npartitions, "direct", method)
    return new_collection(RestoreRows(back, meta, None, expr))


def value_counts_split_out(
    series: Any,
    split_out: int,
    sort: bool = True,
    ascending: bool = False,
    normalize: bool = False,
    dropna: bool = True,
    method: str | None = None,
) -> Any:
    """``Series.value_counts`` for many distinct values, through a shuffle.

    Values are hash-partitioned into ``split_out`` partitions and counted
    there, so no task holds every distinct value. The result has
    ``split_out`` partitions; with ``sort`` each partition is sorted by
    count, not the whole (sort the computed result, or call
    ``sort_values``, for pandas' global order). ``normalize`` divides by
    the total count in the same graph.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> s = partframe.from_pandas(pd.Series(list("abcab"), name="x"), npartitions=2)
    >>> value_counts_split_out(s, 2).compute().sort_index().to_dict()
    {'a': 2, 'b': 2, 'c': 1}
    """
    meta = series._meta
    frame = series.to_frame(name="__pf_value")
    shuffled = Shuffle(frame.expr, ["__pf_value"], int(split_out), "hash", method)
    kw = {"sort": sort, "ascending": ascending, "dropna": dropna}
    out_meta = meta.value_counts(**kw)
    counted = MapPartitions(
        count_values, out_meta, [shuffled, meta.name, kw], None, False
    )
    out = new_collection(counted)
    if normalize:
        total = out.sum()
        out = (out / total).rename("proportion")
    return out


def nunique_split_out(
    series: Any, split_out: int, dropna: bool = True, method: str | None = None
) -> Any:
    """``Series.nunique`` for many distinct values, through a shuffle.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> s = partframe.from_pandas(pd.Series([1, 2, 1, None]), npartitions=2)
    >>> int(nunique_split_out(s, 2).compute())
    2
    >>> int(nunique_split_out(s, 2, dropna=False).compute())
    3
    """
    counts = value_counts_split_out(
        series, split_out, sort=False, dropna=dropna, method=method
    )
    lengths = MapPartitions(length_series, pd.Series([], dtype="int64"), [counts.expr])
    return new_collection(lengths).sum()
