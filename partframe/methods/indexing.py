"""Indexing DataFrame and Series by position (``iloc``) and by label (``loc``).

``iloc``: columns are selected by position from the meta, so
``df.iloc[:, cols]`` is a projection (pushed down to the readers). Rows have
no global position until the lengths of the partitions are known, so
``iloc[start:stop:step]`` (with a positive step) computes the lengths in the
same graph, as ``reset_index`` does, and each partition keeps the rows whose
global positions are selected: exact, lazy, and nothing is computed when the
plan is built. Single row positions, lists of them and boolean masks are not
supported (Dask supports no row ``iloc`` at all); the errors name what to
use instead.

``loc``: with known divisions only the partitions that can hold the labels
are selected (:func:`~partframe.expr.partitions.select_partitions`), then
each one is searched (:mod:`partframe.expr.index`).
"""

from __future__ import annotations

import bisect
import itertools
import operator
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray
from pandas.errors import IndexingError

from ..collection._core import FrameBase, is_dataframe, is_series, new_collection
from ..expr.index import GatherLoc, LocLabels, LocRows
from ..expr.partitions import select_partitions
from ..expr.reductions import ReductionChunk
from ..expr.rows import IlocRows
from ..kernels import partitions as K

if TYPE_CHECKING:
    from ..collection import DataFrame, Series

__all__ = ["FrameMethods"]

_T = TypeVar("_T")


class FrameMethods:
    """``iloc`` and ``loc``, shared by DataFrame and Series."""

    expr: Any
    _meta: Any

    @property
    def iloc(self) -> _IlocIndexer[Self]:
        """Select by position: ``iloc[start:stop:step]`` rows, ``iloc[:, cols]``.

        Columns (a DataFrame's second key) may be an int, a list of ints, a
        slice or a list of booleans, as in pandas; they are a projection.
        Rows may be a slice with a positive step: the partitions' lengths are
        computed in the same graph (no computation when the plan is built),
        so ``df.iloc[10:20]`` equals pandas exactly even after a filter or
        with empty partitions. Negative bounds (``iloc[-5:]``) make every
        partition wait for the total length. The partitions and divisions
        are kept (some partitions may come out empty).

        Single row positions (``df.iloc[5]``), lists of positions and
        boolean masks raise ``NotImplementedError``: use ``iloc[5:6]``,
        ``head``/``tail`` or label-based ``loc``.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> pdf = pd.DataFrame({"x": range(6), "y": list("abcdef")})
        >>> df = partframe.from_pandas(pdf, npartitions=3)
        >>> df.iloc[:, [1]].columns.tolist()
        ['y']
        >>> df.iloc[:, 0].compute().tolist()
        [0, 1, 2, 3, 4, 5]
        >>> df.iloc[1:5:2].compute()
           x  y
        1  1  b
        3  3  d
        >>> df.iloc[-2:, 1].compute().tolist()
        ['e', 'f']
        """
        return _IlocIndexer(self)

    @property
    def loc(self) -> _LocIndexer[Self]:
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


class _Indexer(Generic[_T]):
    """``obj.iloc`` or ``obj.loc``: rows keep ``obj``'s class; ``[rows,
    columns]`` of a DataFrame gives a Series for one column, a DataFrame for
    several."""

    def __init__(self, obj: _T) -> None:
        self.obj: Any = obj

    @overload
    def __getitem__(self, key: tuple[Any, Any]) -> DataFrame | Series: ...
    @overload
    def __getitem__(self, key: Any) -> _T: ...
    def __getitem__(self, key: Any) -> Any:
        return self._select(key)

    def _select(self, key: Any) -> Any:
        raise NotImplementedError


class _IlocIndexer(_Indexer[_T]):
    def _select(self, key: Any) -> Any:
        obj = self.obj
        if isinstance(key, tuple):
            # pandas' error for too many indexers.
            if not isinstance(obj._meta, pd.DataFrame):
                raise IndexingError(
                    "Too many indexers: a Series takes iloc[rows] only, not "
                    "iloc[rows, columns]"
                )
            if len(key) != 2:
                raise IndexingError(
                    "Too many indexers: a DataFrame takes iloc[rows] or "
                    f"iloc[rows, columns], got {len(key)} indexers"
                )
            rows, cols = key
            obj = _iloc_columns(obj, cols)
        else:
            rows = key
        return _iloc_rows(obj, rows)


def _iloc_columns(frame: Any, cols: Any) -> Any:
    if isinstance(cols, slice) and cols == slice(None):
        return frame
    meta = frame._meta
    if callable(cols):
        raise NotImplementedError(
            "iloc[:, callable] is not supported; pass column positions"
        )
    if isinstance(cols, tuple | range):
        cols = list(cols)
    if not isinstance(cols, int | np.integer | slice | list | np.ndarray | pd.Index):
        raise TypeError(
            "iloc columns must be an int, a list of ints, a slice or a list of "
            f"booleans, not {type(cols).__name__}"
        )
    if isinstance(cols, bool | np.bool_):
        raise TypeError("iloc columns: a single boolean is not a position")
    selected = meta.iloc[:, cols]  # pandas' own checks: IndexError out of range
    if not meta.columns.is_unique:
        raise NotImplementedError(
            "iloc[:, cols] on a frame with duplicate column labels is not "
            f"supported (duplicates: {list(meta.columns[meta.columns.duplicated()])})"
        )
    if isinstance(selected, pd.Series):
        return frame[selected.name]
    return frame[list(selected.columns)]


def _position(x: Any, what: str) -> int | None:
    if x is None:
        return None
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError(
            f"iloc slice {what} must be an integer or None, got {x!r}"
        ) from None


def _iloc_rows(obj: Any, rows: Any) -> Any:
    if isinstance(rows, slice):
        start = _position(rows.start, "start")
        stop = _position(rows.stop, "stop")
        step = _position(rows.step, "step")
        if step is not None and step <= 0:
            raise NotImplementedError(
                f"iloc with step {step} is not supported (a lazy frame cannot "
                "reverse its row order); use a positive step"
            )
        if start in (None, 0) and stop is None and step in (None, 1):
            return obj
        lengths = ReductionChunk(obj.expr, K.partition_len, None, "len", [])
        return new_collection(IlocRows(obj.expr, lengths, start, stop, step))
    kind = "boolean mask" if _is_mask(rows) else "row position"
    example = (
        "df.iloc[5:6]"
        if isinstance(rows, int | np.integer)
        else "a slice such as df.iloc[10:20]"
    )
    raise NotImplementedError(
        f"iloc with a {kind} ({_short(rows)}) is not supported: rows have no "
        f"global position in a partitioned frame. Use {example} (exact and "
        "lazy), df.iloc[:, cols] for columns, head()/tail(), or label-based "
        "df.loc[...]; filter with a lazy boolean Series (df[df.x > 0])"
    )


def _is_mask(rows: Any) -> bool:
    if isinstance(rows, list | np.ndarray | pd.Index | pd.Series):
        values = list(rows)
        return bool(values) and all(isinstance(v, bool | np.bool_) for v in values)
    return False


def _short(rows: Any) -> str:
    text = repr(rows)
    return text if len(text) <= 40 else text[:37] + "..."


# -- loc ---------------------------------------------------------------------------


class _LocIndexer(_Indexer[_T]):
    def _select(self, key: Any) -> Any:
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
