"""Kernels of exact quantiles and one-pass ``describe``.

Module-level pure functions (see :mod:`partframe.kernels.reductions` for the
chunk/combine/aggregate protocol). ``quantile`` carries sorted value counts
and is exact: it reproduces numpy's interpolation on the merged order
statistics. ``describe`` carries moments, sorted value counts or value
counts per column, by kind, in one pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .arrays import datetime_ints, is_masked_dtype
from .distinct import _counts_of, _merge_counts, _pandas_order
from .moments import moments_aggregate, moments_chunk, moments_combine
from .reductions import _as_frame, _live

__all__ = [
    "describe_aggregate",
    "describe_chunk",
    "describe_combine",
    "exact_quantile",
    "quantile_aggregate",
    "quantile_chunk",
    "quantile_combine",
]


# -- quantile -----------------------------------------------------------------
#
# A quantile partial is, per column, the sorted distinct non-missing values
# (as the numpy array numpy's quantile would see: datetimes as int64,
# nullable data as their numpy values) with their counts, and whether NA was
# seen. The aggregate finds the order statistics numpy would pick, then
# repeats numpy's and pandas' arithmetic on them, so results are identical.


def _quantile_values(s: pd.Series) -> np.ndarray:
    """Non-missing values as the numpy array pandas hands to numpy."""
    s = s[s.notna()] if s.hasnans or is_masked_dtype(s.dtype) else s
    dtype = s.dtype
    if dtype.kind in "mM":
        return datetime_ints(s.array)
    if is_masked_dtype(dtype):
        return s.to_numpy(dtype=dtype.numpy_dtype)
    return s.to_numpy()


def quantile_chunk(part: Any) -> Any:
    """Per column: ``(sorted distinct values, counts, NA seen)``.

    Examples
    --------
    >>> values, counts, na = quantile_chunk(pd.Series([3.0, 1.0, 3.0, None]))[0]
    >>> values.tolist(), counts.tolist(), na
    ([1.0, 3.0], [1, 2], True)
    """
    df = _as_frame(part)
    if len(df) == 0:
        return None
    out = []
    for j in range(df.shape[1]):
        s = df.iloc[:, j]
        values, counts = np.unique(_quantile_values(s), return_counts=True)
        out.append((values, counts.astype("int64"), bool(s.isna().any())))
    return out


def _merge_sorted(items: list) -> tuple:
    """Merge ``(sorted distinct values, counts, NA seen)`` partials.

    The concatenated runs are put in order by one stable argsort (a merge
    sort, which already sorted runs make cheap) and the counts of equal
    neighbours are summed with ``add.reduceat`` over the run starts.
    """
    values = np.concatenate([v for v, _, _ in items])
    counts = np.concatenate([c for _, c, _ in items])
    hasna = any(na for _, _, na in items)
    if len(values) == 0:
        return values, counts, hasna
    order = np.argsort(values, kind="stable")
    values, counts = values[order], counts[order]
    starts = np.empty(len(values), dtype=bool)
    starts[0] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    first = np.flatnonzero(starts)
    return values[first], np.add.reduceat(counts, first), hasna


def quantile_combine(partials: list) -> Any:
    """Merge quantile partials column by column."""
    live = _live(partials)
    if len(live) <= 1:
        return live[0] if live else None
    return [_merge_sorted([p[j] for p in live]) for j in range(len(live[0]))]


def _order_stats(values: np.ndarray, cum: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The ``k``-th smallest values (0-based; -1 is the largest), from the
    cumulative counts ``cum`` of the sorted distinct ``values``."""
    k = np.where(k < 0, cum[-1] + k, k)
    return values[np.searchsorted(cum, k, side="right")]


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """numpy's own ``_lerp`` (numpy/lib/_function_base_impl.py), verbatim."""
    diff_b_a = b - a
    out = np.asanyarray(np.add(a, diff_b_a * t))
    np.subtract(
        b, diff_b_a * (1 - t), out=out, where=t >= 0.5, casting="unsafe",
        dtype=type(out.dtype),
    )  # fmt: skip
    return out


def exact_quantile(
    values: np.ndarray, counts: np.ndarray, qs: np.ndarray, method: str
) -> np.ndarray:
    """``np.quantile(data, qs, method=method)`` from the sorted distinct
    ``values`` of ``data`` and their ``counts``, bit for bit.

    Examples
    --------
    >>> data = np.array([5, 1, 3, 3, 9, 1, 7])
    >>> values, counts = np.unique(data, return_counts=True)
    >>> qs = np.array([0.1, 0.5, 0.77])
    >>> for m in ["linear", "lower", "higher", "nearest", "midpoint"]:
    ...     assert (exact_quantile(values, counts, qs, m)
    ...             == np.quantile(data, qs, method=m)).all()
    """
    cum = np.cumsum(counts)
    n = int(cum[-1]) if len(cum) else 0
    if method == "linear":
        vi = (n - 1) * qs
    elif method == "lower":
        vi = np.floor((n - 1) * qs).astype(np.intp)
    elif method == "higher":
        vi = np.ceil((n - 1) * qs).astype(np.intp)
    elif method == "nearest":
        vi = np.around((n - 1) * qs).astype(np.intp)
    elif method == "midpoint":
        vi = 0.5 * (np.floor((n - 1) * qs) + np.ceil((n - 1) * qs))
    else:
        raise ValueError(f"interpolation {method!r} is not supported")
    vi = np.asanyarray(vi)
    if np.issubdtype(vi.dtype, np.integer):
        return _order_stats(values, cum, vi)
    prev = np.floor(vi)
    nxt = prev + 1
    above = vi >= n - 1
    prev[above] = -1
    nxt[above] = -1
    below = vi < 0
    prev[below] = 0
    nxt[below] = 0
    prev_i, next_i = prev.astype(np.intp), nxt.astype(np.intp)
    gamma = np.asanyarray(vi - prev_i)
    if method == "midpoint":
        gamma = np.full(gamma.shape, 0.5)
        np.copyto(gamma, 0.0, where=vi % 1 == 0, casting="unsafe")
    gamma = np.asanyarray(gamma, dtype=vi.dtype)
    a = _order_stats(values, cum, prev_i)
    b = _order_stats(values, cum, next_i)
    return _lerp(a, b, gamma)


def _column_quantile(item: tuple, dtype: Any, qs: np.ndarray, method: str) -> Any:
    """One column's quantiles as pandas builds them (dtype rules included)."""
    values, counts, hasna = item
    n = int(counts.sum())
    masked = is_masked_dtype(dtype)
    if dtype.kind in "mM" or masked or not hasna:
        vdtype = np.dtype("int64") if dtype.kind in "mM" else values.dtype
    else:
        vdtype = values.dtype
    if n == 0:
        fill = np.iinfo("int64").min if dtype.kind in "mM" else np.nan
        res = np.full(len(qs), fill)
    else:
        res = np.asarray(exact_quantile(values, counts, qs, method))
        if hasna and vdtype.kind != "f" and res.dtype != vdtype:
            # pandas' masked path casts integral results back to the int dtype
            if (res == res.astype(vdtype, copy=False)).all():
                res = res.astype(vdtype, copy=False)
        elif hasna and vdtype.kind == "f":
            res = res.astype(vdtype, copy=False)
    if dtype.kind in "mM":
        if isinstance(dtype, pd.DatetimeTZDtype):
            naive = res.astype(f"M8[{dtype.unit}]")
            return pd.DatetimeIndex(naive).tz_localize("UTC").tz_convert(dtype.tz).array
        return res.astype(dtype)
    if masked:
        mask = np.zeros(len(res), dtype=bool)
        if n == 0:
            mask[:] = True
            if dtype.kind in "iu":
                res = np.zeros(len(res), dtype=dtype.numpy_dtype)
        if res.dtype.kind == "f":
            return pd.arrays.FloatingArray(res, mask)
        if res.dtype.kind == "b":
            return pd.arrays.BooleanArray(res, mask)
        return pd.arrays.IntegerArray(res, mask)
    return res


def quantile_aggregate(
    partials: list,
    empty: Any,
    q: Any,
    interpolation: str,
    kwargs: dict,
) -> Any:
    """Finish ``quantile``: exact order statistics from merged counts.

    Examples
    --------
    >>> s = pd.Series([4.0, 1.0, 2.0, None, 3.0])
    >>> parts = [quantile_chunk(s.iloc[:2]), quantile_chunk(s.iloc[2:])]
    >>> quantile_aggregate(parts, s.iloc[:0], [0.1, 0.5], "linear", {}).tolist()
    [1.3, 2.5]
    """
    merged = quantile_combine(partials)
    if merged is None:
        return empty.quantile(q, interpolation=interpolation, **kwargs)
    scalar = not pd.api.types.is_list_like(q)
    qindex = pd.Index([q] if scalar else q, dtype=np.float64)
    qs = np.asarray(qindex)
    frame = _as_frame(empty)
    cols = {
        j: _column_quantile(item, frame.dtypes.iloc[j], qs, interpolation)
        for j, item in enumerate(merged)
    }
    if isinstance(empty, pd.Series):
        out = pd.Series(cols[0], index=qindex, name=empty.name)
        return out.iloc[0] if scalar else out
    res = pd.DataFrame(cols, index=qindex)
    res.columns = frame.columns
    return res.iloc[0] if scalar else res


# -- describe -----------------------------------------------------------------
#
# One pass for every statistic: per column, numeric and datetime data carry
# moments (count, mean, std) and quantile counts (min, max, percentiles);
# other data carry value counts (count, unique, top, freq). The aggregate
# follows pandas.core.methods.describe line by line.


def describe_chunk(part: Any, kinds: list) -> Any:
    """Per column: ``(moments, quantile partial)`` or value counts."""
    df = _as_frame(part)
    if len(df) == 0:
        return None
    out: list = []
    for j, kind in enumerate(kinds):
        s = df.iloc[:, j]
        if kind == "categorical":
            out.append(_counts_of(s, True))
        else:
            out.append((moments_chunk(s), quantile_chunk(s)[0]))
    return out


def describe_combine(partials: list, kinds: list) -> Any:
    """Merge describe partials column by column (partition order)."""
    live = _live(partials)
    if len(live) <= 1:
        return live[0] if live else None
    out: list = []
    for j, kind in enumerate(kinds):
        items = [p[j] for p in live]
        if kind == "categorical":
            out.append(_merge_counts(items))
        else:
            moments = moments_combine([m for m, _ in items])
            out.append((moments, _merge_sorted([q for _, q in items])))
    return out


def _format_percentiles(percentiles: np.ndarray) -> list:
    from pandas.io.formats.format import format_percentiles

    return format_percentiles(percentiles)


def _describe_numeric(
    partial: tuple, empty: pd.Series, percentiles: np.ndarray, timestamp: bool
) -> pd.Series:
    moments, item = partial
    n = int(item[1].sum())
    dtype = empty.dtype

    def moment(op: str) -> Any:
        return moments_aggregate([moments], op, {"skipna": True}, empty, None)

    def extreme(op: str) -> Any:
        if n == 0:
            return getattr(empty, op)()
        q = np.array([0.0 if op == "min" else 1.0])
        how = "lower" if op == "min" else "higher"
        return pd.Series(_column_quantile(item, dtype, q, how)).iloc[0]

    quantiles: list = []
    if len(percentiles):
        quantiles = pd.Series(
            _column_quantile(item, dtype, percentiles, "linear")
        ).tolist()
    names = _format_percentiles(percentiles)
    if timestamp:
        index = ["count", "mean", "min", *names, "max"]
        d = [n, moment("mean"), extreme("min"), *quantiles, extreme("max")]
        return pd.Series(d, index=index, name=empty.name)
    index = ["count", "mean", "std", "min", *names, "max"]
    d = [n, moment("mean"), moment("std"), extreme("min"), *quantiles, extreme("max")]
    out_dtype: Any
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        out_dtype = None if dtype.kind == "m" else pd.ArrowDtype(pa.float64())
    elif isinstance(dtype, pd.api.extensions.ExtensionDtype):
        out_dtype = pd.Float64Dtype()
    elif dtype.kind in "iufb":
        out_dtype = np.dtype("float")
    else:
        out_dtype = None
    return pd.Series(d, index=index, name=empty.name, dtype=out_dtype)


def _describe_categorical(counts: pd.Series, empty: pd.Series) -> pd.Series:
    names = ["count", "unique", "top", "freq"]
    ordered = _pandas_order(counts, empty.dtype, empty.name, True)
    objcounts = pd.Series(ordered.to_numpy(), index=ordered.index, copy=False)
    objcounts = objcounts.sort_values(ascending=False, kind="stable")
    count_unique = len(objcounts[objcounts != 0])
    if count_unique > 0:
        top, freq = objcounts.index[0], objcounts.iloc[0]
        dtype = None
    else:
        top, freq = np.nan, np.nan
        dtype = "object"
    result = [int(objcounts.sum()), count_unique, top, freq]
    return pd.Series(result, index=names, name=empty.name, dtype=dtype)


def _reorder_rows(ldesc: list) -> list:
    """pandas' row order for a frame's description (shortest first)."""
    names: list = []
    seen: set = set()
    for idxnames in sorted((x.index for x in ldesc), key=len):
        for name in idxnames:
            if name not in seen:
                seen.add(name)
                names.append(name)
    return names


def describe_aggregate(
    partials: list,
    kinds: list,
    empty: Any,
    percentiles: list,
    kwargs: dict,
) -> Any:
    """Finish ``describe`` for the selected columns (``empty``'s columns).

    Examples
    --------
    >>> s = pd.Series([1.0, 2.0, 3.0, 4.0], name="x")
    >>> parts = [describe_chunk(s.iloc[:2], ["numeric"]),
    ...          describe_chunk(s.iloc[2:], ["numeric"])]
    >>> describe_aggregate(parts, ["numeric"], s.iloc[:0], [0.5], {})["50%"]
    np.float64(2.5)
    """
    merged = describe_combine(partials, kinds)
    if merged is None:
        return empty.describe(**kwargs)
    pct = np.asarray(percentiles, dtype="float64")
    frame = _as_frame(empty)
    ldesc = []
    for j, kind in enumerate(kinds):
        # A Series describes itself: its frame's column would name it 0.
        col = empty if isinstance(empty, pd.Series) else frame.iloc[:, j]
        if kind == "categorical":
            ldesc.append(_describe_categorical(merged[j], col))
        else:
            ldesc.append(_describe_numeric(merged[j], col, pct, kind == "timestamp"))
    if isinstance(empty, pd.Series):
        return ldesc[0]
    rows = _reorder_rows(ldesc)
    d = pd.concat(ldesc, axis=1, ignore_index=True, sort=False).reindex(rows)
    d.columns = frame.columns.copy()
    return d
