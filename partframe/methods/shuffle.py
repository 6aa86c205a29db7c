"""Shuffle-based methods of DataFrame and Series (mixed into the facades).

``shuffle``, ``sort_values`` and ``drop_duplicates``. ``value_counts`` and
``nunique`` with ``split_out`` go through :func:`value_counts_split_out` and
:func:`nunique_split_out`. The nodes are in :mod:`partframe.expr.sort` and
:mod:`partframe.expr.shuffle`; joins are in :mod:`partframe.methods.merge`,
``set_index`` in :mod:`partframe.methods.set_index`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

import pandas as pd

from ..collection._core import new_collection
from ..expr.blockwise import MapPartitions
from ..expr.distinct import DropDuplicates, ValueCounts
from ..expr.shuffle import Shuffle
from ..expr.sort import SortValues
from ..kernels.distinct import length_series

if TYPE_CHECKING:
    from ..collection import DataFrame, Scalar, Series

__all__ = [
    "DataFrameMethods",
    "FrameMethods",
    "SeriesMethods",
    "nunique_split_out",
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


def _drop_duplicates(
    frame: Any, cols: list, keep: Any, split_out: Any, method: Any, all_cols: bool
) -> Any:
    expr = frame.expr
    kw = {"subset": cols, "keep": keep}
    if expr.npartitions == 1 and not split_out:
        return frame._method("drop_duplicates", **({"keep": keep} if all_cols else kw))
    n = int(split_out) if split_out else expr.npartitions
    return new_collection(DropDuplicates(expr, list(cols), keep, n, method))


def value_counts_split_out(
    series: Any,
    split_out: int,
    sort: bool = True,
    ascending: bool = False,
    normalize: bool = False,
    dropna: bool = True,
    method: str | None = None,
) -> Series:
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
    kw = {"sort": sort, "ascending": ascending, "dropna": dropna}
    out = new_collection(ValueCounts(series.expr, kw, int(split_out), method))
    if normalize:
        total = out.sum()
        out = (out / total).rename("proportion")
    return out


def nunique_split_out(
    series: Any, split_out: int, dropna: bool = True, method: str | None = None
) -> Scalar:
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
