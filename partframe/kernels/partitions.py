"""Kernels of the partition-aware operations: pandas in, pandas out.

Used by the nodes of :mod:`partframe.expr.partitions` (head/tail),
:mod:`~partframe.expr.repartition`, :mod:`~partframe.expr.rows` (concat,
reset_index, iloc) and :mod:`~partframe.expr.index` (set_index, loc), by
``nlargest`` and by :mod:`partframe.io.delayed`.
Every function is module-level and pure, so tasks pickle.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..threadpool import WORKERS
from .enforce import conform, missing_widened
from .gather import as_gather, assemble

__all__ = [
    "assign_by_position",
    "column_bounds",
    "concat_columns",
    "concat_lists",
    "concat_parts",
    "empty_like",
    "head_concat",
    "head_part",
    "iloc_rows",
    "index_isin",
    "loc_label",
    "loc_labels",
    "loc_list_final",
    "loc_slice",
    "memory_usage",
    "monotonic_aggregate",
    "monotonic_chunk",
    "name_index",
    "parse_bytes",
    "partition_len",
    "reset_index_offset",
    "set_index_column",
    "slice_index",
    "split_rows",
    "tail_concat",
    "tail_part",
    "top_chunk",
    "top_combine",
    "union_divisions",
]


def concat_parts(parts: list) -> Any:
    """Concatenate pandas objects in order, skipping empty ones.

    Empty pieces are skipped so they cannot change the result's dtypes; when
    all are empty the first is returned.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1]}, index=[0])
    >>> concat_parts([a, a.iloc[:0], a]).index.tolist()
    [0, 0]
    """
    if len(parts) == 1:
        return parts[0]
    nonempty = [p for p in parts if len(p)]
    if not nonempty:
        return parts[0]
    if len(nonempty) == 1:
        out = nonempty[0]
    elif isinstance(nonempty[0], pd.Index):
        return nonempty[0].append(nonempty[1:])
    else:
        out = pd.concat(_index_dtypes_agreed(nonempty))
    if len(nonempty) < len(parts):
        out = _widened_by_empty(out, [p for p in parts if not len(p)])
    return out


def _index_dtypes_agreed(parts: list) -> list:
    """``parts`` with an index level that holds only missing values in the
    dtype the other parts agree on for it.

    A partition's result infers its keys' dtype from its own keys (pandas'
    groupby over object keys): where they are all missing it infers
    float64, where the other partitions' keys make strings; ``pandas.concat``
    would then make the level object, where pandas' result on the whole
    data has strings with missing values. Parts whose levels agree are
    returned as they are.

    Examples
    --------
    >>> a = pd.Series([1], index=pd.Index(["x"], dtype="str"))
    >>> b = pd.Series([2], index=pd.Index([float("nan")]))
    >>> concat_parts([a, b]).index.dtype
    <StringDtype(na_value=nan)>
    """
    first = parts[0].index
    nlevels = first.nlevels
    if any(p.index.nlevels != nlevels for p in parts):
        return parts
    out = list(parts)
    for i in range(nlevels):
        dtypes = [_level_dtype(p.index, i) for p in out]
        if all(d == dtypes[0] for d in dtypes[1:]):
            continue
        missing = [bool(_level(p.index, i).isna().all()) for p in out]
        agreed = {str(d): d for d, m in zip(dtypes, missing) if not m}
        if len(agreed) != 1:
            continue
        (dtype,) = agreed.values()
        for j, p in enumerate(out):
            if missing[j] and dtypes[j] != dtype:
                with contextlib.suppress(TypeError, ValueError):
                    out[j] = p.set_axis(_with_level(p.index, i, dtype), axis=0)
    return out


def _level_dtype(index: pd.Index, i: int) -> Any:
    # (a MultiIndex's level of distinct values: no value per row is built)
    return index.levels[i].dtype if isinstance(index, pd.MultiIndex) else index.dtype


def _level(index: pd.Index, i: int) -> pd.Index:
    return index.get_level_values(i) if index.nlevels > 1 else index


def _with_level(index: pd.Index, i: int, dtype: Any) -> pd.Index:
    """``index`` with level ``i`` (of missing values only) cast to ``dtype``."""
    if index.nlevels == 1:
        return index.astype(dtype)
    levels = [index.get_level_values(k) for k in range(index.nlevels)]
    levels[i] = levels[i].astype(dtype)
    return pd.MultiIndex.from_arrays(levels, names=index.names)


def _widened_by_empty(out: Any, empty: list) -> Any:
    """``out`` with the int or bool columns that an empty piece holds as
    pandas widens them for missing values (float64, object) widened too: the
    piece lost its rows to a filter after pandas widened them (a partition
    with a missing string's ``str.len``, then ``dropna``), and pandas keeps
    the widened dtype for the whole column.

    Examples
    --------
    >>> a = pd.Series([1], index=[0])
    >>> concat_parts([a, a.iloc[:0].astype("float64"), a]).dtype
    dtype('float64')
    """
    if isinstance(out, pd.Series):
        for e in empty:
            if isinstance(e, pd.Series) and missing_widened(out.dtype, e.dtype):
                return out.astype(e.dtype)
        return out
    if not isinstance(out, pd.DataFrame) or not out.columns.is_unique:
        return out
    cast: dict = {}
    for e in empty:
        if not isinstance(e, pd.DataFrame) or not e.columns.equals(out.columns):
            continue
        for col, have, dtype in zip(out.columns, out.dtypes, e.dtypes):
            if col not in cast and missing_widened(have, dtype):
                cast[col] = dtype
    return out.astype(cast) if cast else out


#: A result at least this big is concatenated column by column on every core.
PARALLEL_CONCAT_BYTES = 64 * 2**20


def concat_result(parts: list) -> Any:
    """:func:`concat_parts` for the final result of a compute.

    ``pandas.concat`` of the partitions of a big result is one thread
    copying every numeric column into fresh memory. When every part is a
    DataFrame with the same columns and dtypes, each column is
    concatenated by itself on a thread of its own (numpy and Arrow release
    the GIL while copying), so the copy uses every core. That is
    :func:`partframe.kernels.gather.assemble`, with every
    row of each part. The values, dtypes, index and column labels equal
    ``pandas.concat``'s; the columns are not consolidated into 2-D blocks.
    """
    nonempty = [p for p in parts if len(p)]
    if len(nonempty) > 1 and _parallel_concat_ok(nonempty):
        out = _concat_columns(nonempty)
        if len(nonempty) < len(parts):
            out = _widened_by_empty(out, [p for p in parts if not len(p)])
        return out
    return concat_parts(parts)


def _parallel_concat_ok(parts: list) -> bool:
    first = parts[0]
    if not isinstance(first, pd.DataFrame) or len(first.columns) < 2:
        return False
    if WORKERS < 2:
        return False
    dtypes = first.dtypes
    for p in parts:
        if not isinstance(p, pd.DataFrame) or p.attrs:
            return False
        if not p.columns.equals(first.columns) or not p.dtypes.equals(dtypes):
            return False
        if type(p.index) is not type(first.index) or p.index.nlevels > 1:
            return False
    nbytes = sum(int(p.memory_usage(index=False, deep=False).sum()) for p in parts)
    return nbytes >= PARALLEL_CONCAT_BYTES


def _concat_columns(parts: list) -> pd.DataFrame:
    # the assembly of unbuilt partitions, with every row of each
    return assemble([as_gather(p) for p in parts], parallel=True)


def concat_lists(lists: list) -> list:
    """Flatten a list of lists (the combine step of per-partition statistics).

    Examples
    --------
    >>> concat_lists([[1], [2, 3]])
    [1, 2, 3]
    """
    return [x for sub in lists for x in sub]


def partition_len(part: Any) -> int:
    """The number of rows of one partition."""
    return len(part)


def empty_like(meta: Any) -> Any:
    """An empty partition with the schema of ``meta``."""
    return meta.iloc[:0].copy()


# -- head / tail -----------------------------------------------------------


def first_rows(obj: Any, n: int) -> Any:
    """``obj.head(n)``; an Index (which has no ``head``) sliced alike.

    Examples
    --------
    >>> first_rows(pd.Index([1, 2, 3]), 2).tolist()
    [1, 2]
    """
    return obj[:n] if isinstance(obj, pd.Index) else obj.head(n)


def last_rows(obj: Any, n: int) -> Any:
    """``obj.tail(n)``; an Index (which has no ``tail``) sliced alike.

    Examples
    --------
    >>> last_rows(pd.Index([1, 2, 3]), 2).tolist()
    [2, 3]
    """
    if isinstance(obj, pd.Index):
        return obj[len(obj) - min(n, len(obj)) :]
    return obj.tail(n)


def head_part(part: Any, n: int) -> Any:
    """The first ``n`` rows of a partition."""
    return first_rows(part, n)


def head_concat(parts: list, n: int) -> Any:
    """The first ``n`` rows of partitions taken in order."""
    return first_rows(concat_parts([first_rows(p, n) for p in parts]), n)


def tail_part(part: Any, n: int) -> Any:
    """The last ``n`` rows of a partition."""
    return last_rows(part, n)


def tail_concat(parts: list, n: int) -> Any:
    """The last ``n`` rows of partitions taken in order."""
    return last_rows(concat_parts([last_rows(p, n) for p in parts]), n)


# -- repartition -----------------------------------------------------------


def _index_mask(index: pd.Index, lo: Any, hi: Any, hi_inclusive: bool) -> np.ndarray:
    mask = np.ones(len(index), dtype=bool)
    if lo is not None:
        mask &= np.asarray(index >= lo)
    if hi is not None:
        mask &= np.asarray(index <= hi if hi_inclusive else index < hi)
    return mask


def slice_index(part: Any, lo: Any, hi: Any, hi_inclusive: bool = False) -> Any:
    """Rows of ``part`` whose index lies in ``[lo, hi)`` (``[lo, hi]``).

    ``None`` bounds are open. Row order is kept; a sorted index is sliced by
    binary search, any other by a mask.

    Examples
    --------
    >>> s = pd.Series(range(5), index=[0, 1, 2, 3, 4])
    >>> slice_index(s, 1, 3).index.tolist()
    [1, 2]
    >>> slice_index(s, 1, 3, hi_inclusive=True).index.tolist()
    [1, 2, 3]
    """
    index = part.index
    if index.is_monotonic_increasing:
        start = 0 if lo is None else int(index.searchsorted(lo, side="left"))
        side = "right" if hi_inclusive else "left"
        stop = len(index) if hi is None else int(index.searchsorted(hi, side=side))
        return part.iloc[start:stop]
    return part[_index_mask(index, lo, hi, hi_inclusive)]


def split_rows(part: Any, k: int, count: int) -> Any:
    """The ``k``-th of ``count`` nearly equal row chunks of ``part``.

    Examples
    --------
    >>> [len(split_rows(pd.Series(range(5)), k, 2)) for k in range(2)]
    [2, 3]
    """
    n = len(part)
    return part.iloc[(k * n) // count : ((k + 1) * n) // count]


def memory_usage(part: Any) -> list:
    """``[bytes]`` used by one partition, index and object contents included."""
    usage = part.memory_usage(deep=True, index=True)
    return [int(usage.sum() if isinstance(usage, pd.Series) else usage)]


# The units Dask's ``parse_bytes`` reads, matched case-insensitively: decimal
# ("kB" = 1000), binary ("KiB" = 1024), and their one- or two-letter forms
# ("k", "Ki").
_BYTE_UNITS = (
    {"": 1, "b": 1}
    | {p + u: 10 ** (3 * i) for i, p in enumerate("kmgtp", 1) for u in ("", "b")}
    | {p + u: 2 ** (10 * i) for i, p in enumerate("kmgtp", 1) for u in ("i", "ib")}
)


def parse_bytes(size: int | float | str) -> int:
    """A positive byte count from a number or a string, read as Dask's
    ``parse_bytes`` reads it: ``"100MB"``, ``"1 MiB"``, ``"1e6"``, ``"5.4 kB"``,
    ``"MB"`` (one megabyte), units in any case.

    Raises ``ValueError`` for anything else, and for sizes below one byte
    (no caller has a use for them).

    Examples
    --------
    >>> parse_bytes("100MB"), parse_bytes("1 KiB"), parse_bytes(512)
    (100000000, 1024, 512)
    >>> parse_bytes("1e6"), parse_bytes("kb"), parse_bytes("2 gi")
    (1000000, 1000, 2147483648)
    """
    if isinstance(size, bool):
        raise TypeError(f"a size in bytes must be a number or a string, got {size!r}")
    if isinstance(size, int | float | np.integer | np.floating):
        out = int(size)
    else:
        match = re.fullmatch(r"\s*([0-9.eE+-]*)\s*([a-zA-Z]*)\s*", str(size))
        unit = match.group(2).lower() if match else None
        try:
            if match is None or unit not in _BYTE_UNITS:
                raise ValueError
            number = float(match.group(1)) if match.group(1) else 1.0
        except ValueError:
            raise ValueError(
                f"cannot read {size!r} as a size in bytes (e.g. '100MB', '1 MiB', "
                "'1e6')"
            ) from None
        out = int(number * _BYTE_UNITS[unit])
    if out < 1:
        raise ValueError(f"a size in bytes must be positive, got {size!r}")
    return out


def union_divisions(a: Sequence, b: Sequence) -> tuple:
    """The sorted union of two known divisions: the boundaries to which both
    frames are re-split before pandas aligns them partition by partition.

    Every boundary of either side is kept (as Dask aligns), so each output
    partition lies inside one partition of each side and only splits them.
    Equal values count once (``1`` and ``1.0`` too); a frame whose last
    partition holds one value, ``(..., 5, 5)``, shares the boundary ``5``,
    and two frames that hold only ``5`` give ``(5, 5)``.

    Raises ``ValueError`` when either divisions are unknown (``None``) or
    empty, or when their values cannot be compared (index dtypes differ).

    Examples
    --------
    >>> union_divisions((0, 5, 10), (0, 3, 12))
    (0, 3, 5, 10, 12)
    >>> union_divisions((0, 5, 5), (5, 5))
    (0, 5)
    """
    if not len(a) or not len(b) or a[0] is None or b[0] is None:
        raise ValueError("union_divisions needs two known divisions")
    try:
        out = tuple(sorted(set(a) | set(b)))
    except TypeError as exc:
        raise ValueError(
            f"divisions {tuple(a)!r} and {tuple(b)!r} cannot be compared "
            f"(index dtypes differ?): {exc}"
        ) from None
    return out * 2 if len(out) == 1 else out


# -- concat ------------------------------------------------------------------


def concat_columns(
    *parts: Any, join: str = "outer", ignore_index: bool = False, meta: Any = None
) -> Any:
    """``pandas.concat(parts, axis=1, sort=True)``, cast to ``meta`` when given.

    ``sort=True`` only matters when the indexes differ: rows then come in
    index order, which is also the order across partitions.
    """
    out = pd.concat(
        list(parts), axis=1, join=join, ignore_index=ignore_index, sort=True
    )
    if meta is not None:
        out = conform(out, meta)
    return out


# -- reset_index / set_index -------------------------------------------------


def reset_index_offset(part: Any, offset: int, drop: bool, kwargs: dict) -> Any:
    """``part.reset_index(...)`` numbered from ``offset`` (a global RangeIndex).

    Examples
    --------
    >>> reset_index_offset(pd.Series([5, 6]), 10, True, {}).index
    RangeIndex(start=10, stop=12, step=1)
    """
    out = part.reset_index(drop=drop, **kwargs)
    return out.set_axis(pd.RangeIndex(offset, offset + len(out)), axis=0)


def iloc_rows(
    part: Any,
    offset: int,
    total: int | None,
    start: int | None,
    stop: int | None,
    step: int | None,
) -> Any:
    """The rows of ``part`` that ``iloc[start:stop:step]`` selects from the
    whole frame, where ``part`` starts at global position ``offset``.

    ``total`` (the frame's length) is needed only for negative bounds.

    Examples
    --------
    >>> part = pd.Series([10, 11, 12, 13], index=[4, 5, 6, 7])
    >>> iloc_rows(part, 4, None, 5, None, 2).index.tolist()
    [5, 7]
    >>> iloc_rows(part, 4, 10, -4, -1, None).index.tolist()
    [6, 7]
    """
    step = 1 if step is None else step
    hi: int | None
    if total is not None:
        lo, hi, _ = slice(start, stop, step).indices(total)
    else:
        lo = 0 if start is None else start
        hi = stop
    first = lo if lo >= offset else lo + -(-(offset - lo) // step) * step
    end = offset + len(part) if hi is None else min(hi, offset + len(part))
    if first >= end:
        return part.iloc[:0]
    return part.iloc[first - offset : end - offset : step]


def set_index_column(part: pd.DataFrame, column: Any, drop: bool) -> pd.DataFrame:
    """``part.set_index(column, drop=drop)``, the index keeping the column's
    integer dtype.

    pandas makes the index of a signed integer column whose values form an
    arithmetic progression (two distinct values always do; no values too) a
    RangeIndex, int64 whatever the column's dtype, and keeps the dtype
    otherwise. Partitions are cut anywhere, so that rule would give some
    partitions (and the empty meta) int64 and others int32: the index keeps
    the column's dtype, as pandas' does for any other values.
    """
    out = part.set_index(column, drop=drop)
    if isinstance(out.index, pd.MultiIndex):
        return out
    dtype = part[column].dtype
    if out.index.dtype != dtype and isinstance(dtype, np.dtype) and dtype.kind == "i":
        out.index = out.index.astype(dtype)
    return out


def assign_by_position(part: pd.DataFrame, values: Any, name: Any) -> pd.DataFrame:
    """``part`` with column ``name`` holding ``values`` (a Series or Index
    of the same length) by position, as ``DataFrame.set_index`` takes an
    array.

    >>> df = pd.DataFrame({"x": [1, 2]}, index=[5, 6])
    >>> assign_by_position(df, pd.Series([7, 8]), "k").k.tolist()
    [7, 8]
    """
    if len(values) != len(part):
        raise ValueError(
            f"Length mismatch: the set_index keys have {len(values)} values in "
            f"a partition of {len(part)} rows; the keys must be computed from "
            "the frame's own rows (e.g. df.x + 1)"
        )
    part = part.copy(deep=False)
    part[name] = values.array  # by position, not aligned on the index
    return part


def name_index(part: Any, name: Any) -> Any:
    """``part`` with its index named ``name`` (any hashable, a tuple too)."""
    part = part.copy(deep=False)
    index = part.index.copy()
    index.name = name
    part.index = index
    return part


def column_bounds(part: pd.DataFrame, column: Any) -> list:
    """``[(rows, min, max, has_missing)]`` of one column of a partition."""
    col = part[column]
    if not len(col):
        return [(0, None, None, False)]
    hasnans = bool(col.isna().any())
    valid = col.dropna() if hasnans else col
    if not len(valid):
        return [(len(col), None, None, True)]
    return [(len(col), valid.min(), valid.max(), hasnans)]


# -- loc -----------------------------------------------------------------------


# Index types on which pandas reads a string bound as a period ("2011" is
# all of 2011): partial string indexing.
DATETIME_LIKE = (pd.DatetimeIndex, pd.PeriodIndex, pd.TimedeltaIndex)


def loc_label(part: Any, label: Any) -> Any:
    """Rows whose index equals ``label`` (all of them, as a frame).

    A string on a datetime-like index is matched by pandas (a partial date
    string selects the rows inside its period); none match: no rows.

    Examples
    --------
    >>> s = pd.Series(range(3), index=pd.date_range("2011-01-31", periods=3))
    >>> loc_label(s, "2011-02").tolist()
    [1, 2]
    """
    index = part.index
    if not (isinstance(label, str) and isinstance(index, DATETIME_LIKE)):
        return part[np.asarray(index == label)]
    try:
        where = index.get_loc(label)
    except KeyError:
        return part.iloc[:0]
    if isinstance(where, slice):
        return part.iloc[where]
    if isinstance(where, np.ndarray) and where.dtype == bool:
        return part[where]
    return part.iloc[np.atleast_1d(where)]


def loc_slice(part: Any, start: Any, stop: Any) -> Any:
    """Rows whose index lies in ``[start, stop]`` (``None``: open), as ``loc``.

    A string bound on a datetime-like index is a partial date string: pandas'
    own ``slice_locs`` resolves it (``"2011"`` up to the last instant of
    2011), on the sorted index when the partition is not sorted.

    Examples
    --------
    >>> s = pd.Series(range(4), index=pd.date_range("2010-12-31", periods=4))
    >>> loc_slice(s, None, "2011-01-01").tolist()
    [0, 1]
    >>> loc_slice(s.iloc[::-1], "2011", "2011").tolist()
    [3, 2, 1]
    """
    index = part.index
    if not (isinstance(start, str) or isinstance(stop, str)) or not isinstance(
        index, DATETIME_LIKE
    ):
        return slice_index(part, start, stop, hi_inclusive=True)
    if index.is_monotonic_increasing:
        lo, hi = index.slice_locs(start, stop)
        return part.iloc[lo:hi]
    order = index.argsort(kind="stable")
    lo, hi = index[order].slice_locs(start, stop)
    keep = np.zeros(len(index), dtype=bool)
    keep[order[lo:hi]] = True
    return part[keep]


def loc_labels(part: Any, labels: list) -> Any:
    """``part.loc[labels]`` (labels known to belong to this partition)."""
    if not labels:
        return part.iloc[:0]
    return part.loc[labels]


def index_isin(part: Any, labels: list) -> Any:
    """Rows whose index is one of ``labels``, in partition order."""
    return part[part.index.isin(labels)]


def loc_list_final(parts: list, labels: list) -> Any:
    """``concat(parts).loc[labels]``: rows in the order of ``labels``."""
    return concat_parts(parts).loc[labels]


# -- nlargest / nsmallest ------------------------------------------------------


def _top(obj: Any, method: str, n: int, columns: Any, keep: str) -> Any:
    if isinstance(obj, pd.DataFrame):
        return getattr(obj, method)(n, columns, keep=keep)
    return getattr(obj, method)(n, keep=keep)


def _candidates(obj: Any, method: str, n: int, columns: Any, keep: str) -> Any:
    """Rows of ``obj`` that can be in the top ``n``, in their original order.

    The top ``n + 1`` with every tie: pandas sorts small inputs (``n`` at
    least their length) differently from large ones, so candidates of a
    larger frame must stay more than ``n`` rows. The original order lets the
    final step resolve ties as pandas does on the whole data.
    """
    if len(obj) <= n + 1:
        return obj
    positions = obj.set_axis(pd.RangeIndex(len(obj)), axis=0)
    top = _top(positions, method, n + 1, columns, "all")
    return obj.iloc[np.sort(np.asarray(top.index))]


def top_chunk(part: Any, method: str, n: int, columns: Any, keep: str) -> list:
    """``[candidates]`` of one partition for ``nlargest`` / ``nsmallest``."""
    return [_candidates(part, method, n, columns, keep)]


def top_combine(partials: list, method: str, n: int, columns: Any, keep: str) -> Any:
    """Candidates of several partitions (lists, in order), reduced again."""
    flat = concat_parts(concat_lists(partials))
    return [_candidates(flat, method, n, columns, keep)]


def top_aggregate(partials: list, method: str, n: int, columns: Any, keep: str) -> Any:
    """The final top ``n`` rows, in pandas' order."""
    return _top(concat_parts(concat_lists(partials)), method, n, columns, keep)


def partition_count(part: Any) -> np.int64:
    return np.int64(part.notna().sum())


def index_of(obj: Any) -> pd.Index:
    return obj.index


def set_columns(df: pd.DataFrame, columns: list) -> pd.DataFrame:
    df = df.copy(deep=False)
    df.columns = columns
    return df


def monotonic_chunk(part: Any) -> list:
    """``[(rows, increasing, decreasing, first, last)]`` of a partition's
    values (a Series or an Index), the partial of ``is_monotonic_*``.

    Examples
    --------
    >>> monotonic_chunk(pd.Series([1, 2, 2]))[0][:3]
    (3, True, False)
    """
    if not len(part):
        return [(0, True, True, None, None)]
    values = part if isinstance(part, pd.Index) else pd.Index(part)
    return [
        (
            len(part),
            bool(values.is_monotonic_increasing),
            bool(values.is_monotonic_decreasing),
            values[0],
            values[-1],
        )
    ]


def monotonic_aggregate(chunks: list, increasing: bool) -> bool:
    """Whether the partitions' values, in order, are monotonic: each
    partition is, and each starts where the one before ended (or after).

    Examples
    --------
    >>> a, b = monotonic_chunk(pd.Series([1, 2])), monotonic_chunk(pd.Series([2, 5]))
    >>> monotonic_aggregate([a, b], True), monotonic_aggregate([b, a], True)
    (True, False)
    """
    parts = [c for c in concat_lists(chunks) if c[0]]
    if not all(c[1 if increasing else 2] for c in parts):
        return False
    for a, b in itertools.pairwise(parts):
        if not (a[4] <= b[3] if increasing else a[4] >= b[3]):
            return False
    return True
