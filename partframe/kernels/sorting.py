"""Kernels of range partitioning: sampling sort keys, choosing boundaries,
assigning rows to ranges, and sorting each range.

Sort order is pandas': per column ``ascending`` or not, missing values
first or last (``na_position``) whatever the direction, categoricals in
category order, ties kept in row order (a stable sort), by the key
kernels of :mod:`partframe.kernels.keys`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .keys import (
    assign_ranges,
    boundary_rows,
    factorized_order,
    index_frame,
    spaced_rows,
    stable_order,
)
from .partitions import set_index_column
from .range_codes import assign_by_codes

__all__ = [
    "choose_boundaries",
    "key_frame",
    "range_partition",
    "sample_sort_keys",
    "sort_stats",
    "take_rows",
]


def key_frame(obj: Any, on: Any) -> pd.DataFrame:
    """The sort keys of ``obj`` as a frame with a RangeIndex.

    ``on`` is a list of columns, ``"__index__"`` (the index levels) or
    ``None`` (a Series' values).
    """
    if on is None:
        keys = {0: obj.array}
    elif isinstance(on, str) and on == "__index__":
        return index_frame(obj.index)
    else:
        cols = list(on) if isinstance(on, list | tuple) else [on]
        keys = {i: obj[c].array for i, c in enumerate(cols)}
    return pd.DataFrame(keys, index=pd.RangeIndex(len(obj)), copy=False)


def sample_sort_keys(obj: Any, on: Any, size: int) -> pd.DataFrame:
    """Up to ``size`` evenly spaced key rows of one partition."""
    return spaced_rows(key_frame(obj, on), size)


def choose_boundaries(
    samples: list, npartitions: int, ascending: list, na_position: str
) -> pd.DataFrame:
    """``npartitions - 1`` boundary rows splitting the samples evenly.

    Boundaries may repeat (many equal keys): the ranges between equal
    boundaries stay empty, so the number of partitions never changes.
    """
    mixed = bool(samples) and _mixed(samples[0])
    return boundary_rows(samples, npartitions, ascending, na_position, mixed)


def _mixed(keys: pd.DataFrame) -> bool:
    """Whether objects that do not compare take pandas' multi-key order.

    pandas sorts several keys as ordered categoricals, whose categories
    put numbers before strings; one key is sorted directly and raises.
    """
    return keys.shape[1] > 1


def range_partition(
    obj: Any, on: Any, bounds: pd.DataFrame, ascending: list, na_position: str
) -> np.ndarray:
    """For every row, how many boundary rows sort at or before it.

    Rows equal to a boundary go after it, so equal keys share a partition.
    Key columns are encoded against the boundary values
    (:mod:`partframe.kernels.range_codes`, a binary search per row); dtypes
    without an encoding sort boundaries and rows together.
    """
    keys = key_frame(obj, on)
    nb = len(bounds)
    if not nb or not len(keys):
        return np.zeros(len(keys), dtype="int64")
    mixed = _mixed(keys)
    fast = assign_by_codes(keys, bounds, ascending, na_position, mixed)
    if fast is not None:
        return fast
    return assign_ranges(keys, bounds, ascending, na_position, mixed)


def _numpy_key(obj: Any, on: Any) -> np.ndarray | None:
    """The single numpy int/uint/float/bool sort key of ``obj``, or None."""
    if on is None:
        col = obj
    elif isinstance(on, str) and on == "__index__":
        if obj.index.nlevels != 1:
            return None
        col = obj.index
    else:
        cols = list(on) if isinstance(on, list | tuple) else [on]
        if len(cols) != 1 or not isinstance(obj, pd.DataFrame):
            return None
        col = obj[cols[0]]
        if isinstance(col, pd.DataFrame):
            return None
    dtype = col.dtype
    if not isinstance(dtype, np.dtype) or dtype.kind not in "iufb":
        return None
    return np.asarray(col)


def sort_partition(obj: Any, on: Any, ascending: list, na_position: str) -> Any:
    """One partition stably sorted by its keys, in pandas' order.

    One numpy key: :func:`~partframe.kernels.keys.stable_order`. Several
    key columns: each factorized and ranked, the ranks and row positions
    packed into one int64 and sorted once
    (:func:`~partframe.kernels.keys.sorted_positions`), several times
    faster than pandas' lexsort of categoricals, in the same order (objects
    that do not compare ordered as pandas' categories order them). Other
    single keys and index sorts: pandas' stable sort.
    """
    if len(obj) < 2:
        return obj
    key = _numpy_key(obj, on)
    if key is not None and len(ascending) == 1:
        order = stable_order(key, ascending[0], na_position)
        if (order[1:] > order[:-1]).all():
            return obj
        return obj.take(order)
    if isinstance(on, list | tuple) and len(on) > 1:
        keys = key_frame(obj, on)
        order, factors = factorized_order(keys, ascending, na_position, True)
        if (order[1:] > order[:-1]).all():
            return obj
        return take_rows(obj, order, dict(zip(on, factors)))
    if on is None:
        return obj.sort_values(
            ascending=ascending[0], na_position=na_position, kind="stable"
        )
    if isinstance(on, str) and on == "__index__":
        return obj.sort_index(
            ascending=ascending if len(ascending) > 1 else ascending[0],
            na_position=na_position,
            kind="stable",
        )
    return obj.sort_values(
        list(on), ascending=ascending, na_position=na_position, kind="stable"
    )


#: Rows from which :func:`take_rows` takes Arrow strings from their distinct
#: values: below, rebuilding the frame around them costs more than it saves
#: (300 rows: 2.1 against 0.4 ms; 1e5 rows: even).
STRING_TAKE_ROWS = 100_000


def take_rows(
    obj: pd.DataFrame,
    order: np.ndarray,
    factors: dict,
    min_rows: int | None = None,
) -> pd.DataFrame:
    """``obj.take(order)``; from ``min_rows`` rows (default
    :data:`STRING_TAKE_ROWS`), Arrow string columns
    among ``factors`` (column label: its ``(codes, uniques)``) are taken from
    their distinct values.

    A take of Arrow strings at scattered positions reads a few bytes at a
    time from all over the column; the distinct values are few and small
    enough to stay in cache, so taking them at the sorted codes is several
    times faster (on 1.25e6 rows of 1e5 distinct strings: 0.17 s against
    0.8 s).

    Examples
    --------
    >>> s = pd.array(["b", None, "a"], dtype="str")
    >>> df = pd.DataFrame({"s": s, "x": [1, 2, 3]})
    >>> take_rows(df, np.array([2, 0, 1]), {"s": pd.factorize(df["s"])}, min_rows=0)
         s  x
    2    a  3
    0    b  1
    1  NaN  2
    """
    if min_rows is None:
        min_rows = STRING_TAKE_ROWS
    strings = {}
    if (
        isinstance(obj, pd.DataFrame)
        and obj.columns.is_unique
        and len(order) >= min_rows
    ):
        for col, (codes, uniques) in factors.items():
            taken = _take_strings(obj[col].array, codes, uniques, order)
            if taken is not None:
                strings[col] = taken
    if not strings:
        return obj.take(order)
    out = obj.drop(columns=list(strings)).take(order)
    for col in obj.columns:
        if col in strings:
            out.insert(obj.columns.get_loc(col), col, strings[col])
    return out


def _take_strings(
    array: Any, codes: np.ndarray, uniques: Any, order: np.ndarray
) -> Any:
    """``array.take(order)`` as ``uniques.take(codes[order])`` for Arrow
    strings (pandas' ``str``/``string[pyarrow]``, ``ArrowDtype`` strings),
    or None for other arrays."""
    dtype = array.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        kwargs = {"dtype": dtype}
    elif isinstance(dtype, pd.ArrowDtype) and (
        pa.types.is_string(dtype.pyarrow_dtype)
        or pa.types.is_large_string(dtype.pyarrow_dtype)
    ):
        kwargs = {}
    else:
        return None
    values = pa.array(uniques.array)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.type != pa.array(array[:0]).type:
        return None
    picked = np.asarray(codes)[order]
    missing = picked < 0
    indices = pa.array(picked, mask=missing if missing.any() else None)
    out = type(array)(pa.chunked_array([values.take(indices)]), **kwargs)
    return out if out.dtype == dtype else None


def sort_stats(obj: Any, on: Any, size: int) -> tuple:
    """``(sample, min, max, has_missing, rows)`` of one partition's key."""
    keys = key_frame(obj, on)
    col = keys.iloc[:, 0]
    sample = sample_sort_keys(obj, on, size)
    if not len(col):
        return sample, None, None, False, 0
    missing = bool(col.isna().any())
    valid = col.dropna()
    if not len(valid):
        return sample, None, None, missing, len(col)
    return sample, valid.min(), valid.max(), missing, len(col)


def set_index_sorted_partition(df: pd.DataFrame, column: Any, drop: bool) -> Any:
    """``df.set_index(column)`` with rows stably sorted by it (NaN last)."""
    out = set_index_column(df, column, drop)
    return sort_partition(out, "__index__", [True], "last")


def top_rows(obj: Any, on: Any, ascending: list, na_position: str, n: int) -> Any:
    """The first ``n`` rows of ``obj`` stably sorted by its keys."""
    from .partitions import first_rows

    return first_rows(sort_partition(obj, on, ascending, na_position), n)


def top_rows_concat(
    parts: list, on: Any, ascending: list, na_position: str, n: int
) -> Any:
    """The first ``n`` rows of the stable sort of ``parts`` concatenated in
    order: each part's own first ``n`` rows are enough (a row beaten by
    ``n`` rows of its part is beaten by them in the whole)."""
    from .partitions import concat_parts

    return top_rows(concat_parts(parts), on, ascending, na_position, n)
