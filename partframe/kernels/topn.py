"""Per-group top ``n`` (``groupby(...)[col].nlargest(n)`` / ``nsmallest``)
with numpy, without a Python call per group.

pandas runs ``Series.nlargest`` once per group. Here every row gets a group
code (``pd.factorize``), the rows of each group's top ``n`` are found with a
few vectorized passes, and only those rows are sorted by (group, value,
position). The selection is pandas' ``keep="first"``: values in order
(largest first for ``nlargest``), ties in row order, missing values after
all others (they fill a group's ``n`` only when it has too few values).

The same selection, made on each input partition before the shuffle
(:func:`partition_top_n`), is exact: a row in its group's overall top ``n``
is in the top ``n`` of its group within its partition, and the rows kept
keep their relative order, so ties still resolve by row order.

Only numpy int/uint/float values and numpy (int, uint, float, bool,
datetime) or string keys take this path; :func:`fast_top_n_ok` says so, and
the caller falls back to pandas otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .keys import pack_columns, stable_order

__all__ = ["fast_top_n_ok", "group_top_n", "partition_top_n"]

#: Above this ``n`` the top rows come from one sort instead of ``n`` passes.
_PASSES_MAX_N = 4


def _key_ok(dtype: Any) -> bool:
    if isinstance(dtype, pd.StringDtype):
        return True
    return isinstance(dtype, np.dtype) and dtype.kind in "iufbM"


def fast_top_n_ok(frame: pd.DataFrame, by: list, selection: Any) -> bool:
    """Whether the keys ``by`` and value column ``selection`` of ``frame``
    (a DataFrame or its meta) can take the vectorized path."""
    if not isinstance(frame, pd.DataFrame) or not by or isinstance(selection, list):
        return False
    if selection not in frame.columns or frame.columns.duplicated().any():
        return False
    if any(b not in frame.columns for b in by):
        return False
    value = frame[selection].dtype
    if not isinstance(value, np.dtype) or value.kind not in "iuf":
        return False
    return all(_key_ok(frame[b].dtype) for b in by)


def _int_codes(col: pd.Series, sort: bool | None) -> tuple | None:
    """``(key - min, max - min + 1)`` for int keys in a range not much wider
    than the rows (no hashing; code order is key order), else None."""
    dtype = col.dtype
    if sort is False or not isinstance(dtype, np.dtype) or dtype.kind not in "iu":
        return None
    values = col.to_numpy()
    if not len(values):
        return None
    lo, hi = int(values.min()), int(values.max())
    if hi - lo > 2 * len(values) + 1024:
        return None
    return values.astype("int64", copy=False) - lo, hi - lo + 1


def group_codes(df: pd.DataFrame, by: list, sort: bool | None, dropna: bool) -> tuple:
    """``(codes, ngroups)``: the group number of every row, groups numbered
    in key order (``sort``), order of first appearance (``sort=False``) or
    any order (``sort=None``); ``-1`` for rows
    with a missing key when ``dropna`` (missing keys form a group, sorted
    last, otherwise)."""
    if len(by) == 1:
        direct = _int_codes(df[by[0]], sort)
        if direct is not None:
            return direct
    sort = bool(sort)
    if len(by) == 1:
        codes, uniques = pd.factorize(df[by[0]], sort=sort, use_na_sentinel=dropna)
        return np.asarray(codes, dtype="int64"), len(uniques)
    packed = pack_columns([df[b] for b in by], sort, dropna)
    if packed is None:
        # too many combinations for one int64: number the key tuples
        keys = pd.DataFrame({i: df[b] for i, b in enumerate(by)})
        g = keys.groupby(list(keys.columns), sort=sort, dropna=dropna)
        codes = np.asarray(g.ngroup(), dtype="int64")
        return codes, int(g.ngroups)
    combined, _, _, missing = packed
    if missing is None:
        dense, uniques = pd.factorize(combined, sort=sort)
        return np.asarray(dense, dtype="int64"), len(uniques)
    valid = ~missing
    out = np.full(len(df), -1, dtype="int64")
    dense, uniques = pd.factorize(combined[valid], sort=sort)
    out[valid] = dense
    return out, len(uniques)


def _extreme(dtype: np.dtype, largest: bool) -> Any:
    if dtype.kind == "f":
        return -np.inf if largest else np.inf
    info = np.iinfo(dtype)
    return info.min if largest else info.max


def _first_per_group(rows: np.ndarray, codes: np.ndarray, ngroups: int) -> np.ndarray:
    """The first of ``rows`` (ascending positions) of every group present."""
    first = np.full(ngroups, np.iinfo("int64").max, dtype="int64")
    np.minimum.at(first, codes[rows], rows)
    return first[first != np.iinfo("int64").max]


def _mask_by_passes(
    values: np.ndarray, codes: np.ndarray, ngroups: int, n: int, largest: bool
) -> np.ndarray:
    """Top ``n`` rows of every group in ``n`` passes: each pass takes, per
    group, the first row holding the best value not taken yet."""
    chosen = np.zeros(len(values), dtype=bool)
    present = codes >= 0
    nan = np.isnan(values) if values.dtype.kind == "f" else None
    valid = present & ~nan if nan is not None else present
    if valid.all():
        rows, c, v = None, codes, values.copy()
    else:
        rows = np.flatnonzero(valid)
        c, v = codes[rows], values[rows]
    best_at = np.maximum.at if largest else np.minimum.at
    start = _extreme(values.dtype, largest)
    taken = np.zeros(len(v), dtype=bool)
    for i in range(n):
        if not len(v):
            break
        best = np.full(ngroups, start, dtype=v.dtype)
        best_at(best, c, v)
        hits = v == best[c]
        if i:
            hits &= ~taken
        first = _first_per_group(np.flatnonzero(hits), c, ngroups)
        taken[first] = True
        v[first] = start  # out of the next passes' way (``taken`` breaks ties)
    chosen[np.flatnonzero(taken) if rows is None else rows[taken]] = True
    if nan is not None:
        missing = np.flatnonzero(present & nan)
        if len(missing):  # groups with fewer than n values: first missing rows
            short = n - np.bincount(codes[chosen], minlength=ngroups)
            for _ in range(n):
                missing = missing[short[codes[missing]] > 0]
                if not len(missing):
                    break
                first = _first_per_group(missing, codes, ngroups)
                chosen[first] = True
                short[codes[first]] -= 1
                missing = missing[~chosen[missing]]
    return chosen


def _grouped_order(
    values: np.ndarray, codes: np.ndarray, rows: np.ndarray, largest: bool
) -> np.ndarray:
    """``rows`` ordered by (group code, value, position)."""
    order = rows[stable_order(values[rows], not largest, "last")]
    m = len(order)
    # (code, place in the value order) is unique: an unstable sort is exact
    key = codes[order] * max(1, m) + np.arange(m)
    return order[np.argsort(key)]


def _mask_by_sort(
    values: np.ndarray, codes: np.ndarray, ngroups: int, n: int, largest: bool
) -> np.ndarray:
    rows = np.flatnonzero(codes >= 0)
    order = _grouped_order(values, codes, rows, largest)
    c = codes[order]
    starts = np.zeros(ngroups + 1, dtype="int64")
    np.cumsum(np.bincount(c, minlength=ngroups), out=starts[1:])
    rank = np.arange(len(order)) - starts[c]
    chosen = np.zeros(len(values), dtype=bool)
    chosen[order[rank < n]] = True
    return chosen


def top_n_mask(
    values: np.ndarray, codes: np.ndarray, ngroups: int, n: int, largest: bool
) -> np.ndarray:
    """Boolean mask of the rows in their group's top ``n`` (``keep="first"``)."""
    if n <= 0 or not len(values):
        return np.zeros(len(values), dtype=bool)
    if n <= _PASSES_MAX_N:
        return _mask_by_passes(values, codes, ngroups, n, largest)
    return _mask_by_sort(values, codes, ngroups, n, largest)


def partition_top_n(
    df: pd.DataFrame, by: list, selection: Any, n: int, largest: bool, dropna: bool
) -> pd.DataFrame:
    """The rows of ``df`` in their group's top ``n``, in their original order
    (run on every partition before the shuffle)."""
    if len(df) <= n:
        return df
    codes, ngroups = group_codes(df, by, None, dropna)
    mask = top_n_mask(df[selection].to_numpy(), codes, ngroups, n, largest)
    if mask.all():
        return df
    return df.iloc[np.flatnonzero(mask)]


def group_top_n(
    df: pd.DataFrame,
    by: list,
    selection: Any,
    n: int,
    largest: bool,
    sort: bool,
    dropna: bool,
) -> pd.Series:
    """``df.groupby(by)[selection].nlargest(n)`` (or ``nsmallest``): groups in
    key order (``sort``) or order of appearance, each group's rows by value,
    index = keys + ``df``'s index."""
    codes, ngroups = group_codes(df, by, sort, dropna)
    values = df[selection].to_numpy()
    rows = np.flatnonzero(top_n_mask(values, codes, ngroups, n, largest))
    pos = _grouped_order(values, codes, rows, largest)
    index = df.index.take(pos)
    levels = [df[b].take(pos) for b in by]
    if isinstance(index, pd.MultiIndex):
        levels += [index.get_level_values(i) for i in range(index.nlevels)]
    else:
        levels.append(index)
    names = [*by, *df.index.names]
    mi = pd.MultiIndex.from_arrays(levels, names=names)
    return pd.Series(values[pos], index=mi, name=selection)
