"""Kernels of tree reductions and cumulative operations.

Every function here is a module-level, pure pandas -> pandas function, so
graphs that reference them pickle and run on any scheduler. A reduction is
three kernels (see :mod:`partframe.expr.reductions`):

- ``*_chunk(partition, ...) -> partial`` (``None`` for an empty partition,
  so that empty partitions never change a result: an empty int column's
  ``min`` is a float NaN in pandas),
- ``*_combine(partials, ...) -> partial``,
- ``*_aggregate(partials, ...) -> result``.

A DataFrame partial keeps one entry per column (or per group of columns of
one dtype), so each column keeps its own dtype until the very end, where the
result is cast to the dtype pandas gives (found when the plan was built).
Series inputs are handled as one-column frames.

Numerical notes: ``var``/``std``/``sem`` carry ``(count, sum, M2)`` per
column and merge them with Chan's parallel formula, never a sum of squares;
``quantile`` carries sorted value counts and is exact (it reproduces numpy's
linear interpolation on the merged order statistics).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "cum_apply",
    "cum_carry",
    "cum_last",
    "idx_aggregate",
    "idx_chunk",
    "idx_combine",
    "moments_aggregate",
    "moments_chunk",
    "moments_combine",
    "reduce_aggregate",
    "reduce_chunk",
    "reduce_combine",
    "rowwise",
]


def _as_frame(part: Any) -> pd.DataFrame:
    if isinstance(part, pd.Series):
        return part.to_frame()
    return part


def _live(partials: list) -> list:
    return [p for p in partials if p is not None]


_NUMBER = (bool, int, float, np.bool_, np.integer, np.floating)


def _like(value: Any, like: Any) -> Any:
    """``value`` as the scalar type pandas returns (``like``), same kind only.

    pandas returns Python ``bool``/``int`` from some reductions and numpy
    scalars from others; the meta (pandas' answer on a stand-in) says which.
    """
    if like is None or type(value) is type(like):
        return value
    if isinstance(value, _NUMBER) and isinstance(like, _NUMBER):
        kind = np.asarray(value).dtype.kind
        if kind == np.asarray(like).dtype.kind:
            return type(like)(value)
    return value


# -- simple reductions: sum, prod, min, max, any, all, count -----------------


def reduce_chunk(
    part: Any, op: str, kwargs: dict, groups: list, count: bool = False
) -> Any:
    """Reduce each group of same-dtype columns of ``part`` with ``op``.

    Returns ``(list of Series indexed by column position, counts or None)``,
    or ``None`` for an empty partition.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2], "b": [0.5, None]})
    >>> values, counts = reduce_chunk(df, "sum", {}, [[0], [1]], count=True)
    >>> [v.tolist() for v in values], counts.tolist()
    ([[3], [0.5]], [2, 1])
    """
    df = _as_frame(part)
    if len(df) == 0 or df.shape[1] == 0:
        return None
    values = []
    for positions in groups:
        res = getattr(df.iloc[:, positions], op)(**kwargs)
        values.append(res.set_axis(positions))
    counts = df.count().to_numpy() if count else None
    return values, counts


def reduce_combine(partials: list, op: str, kwargs: dict) -> Any:
    """Combine partials of :func:`reduce_chunk` with ``op`` along rows."""
    live = _live(partials)
    if len(live) <= 1:
        return live[0] if live else None
    values = []
    for g in range(len(live[0][0])):
        frame = pd.concat([p[0][g] for p in live], axis=1, ignore_index=True)
        values.append(getattr(frame, op)(axis=1, **kwargs))
    counts = live[0][1]
    if counts is not None:
        counts = sum(p[1] for p in live[1:]) + counts
    return values, counts


def reduce_aggregate(
    partials: list,
    op: str,
    kwargs: dict,
    combine_op: str,
    combine_kwargs: dict,
    empty: Any,
    dtype: Any,
    min_count: int = 0,
    like: Any = None,
) -> Any:
    """Finish a simple reduction: combine, apply ``min_count``, cast.

    ``empty`` is the (empty) input meta: with no data at all the result is
    pandas' own answer on it. ``dtype`` is the result dtype pandas gives.
    """
    out = reduce_combine(partials, combine_op, combine_kwargs)
    if out is None:
        return getattr(empty, op)(**kwargs)
    values, counts = out
    s = pd.concat(values) if len(values) > 1 else values[0]
    s = s.sort_index()
    masked = False
    if counts is not None and min_count > 0:
        short = counts < min_count
        if short.any():
            s = s.where(~short)
            masked = True
    if not masked and dtype is not None and s.dtype != dtype:
        s = s.astype(dtype)
    if isinstance(empty, pd.Series):
        return _like(s.iloc[0], like)
    s.index = empty.columns
    return s


def rowwise(part: pd.DataFrame, op: str, kwargs: dict, dtype: Any) -> pd.Series:
    """``part.op(axis=1, ...)`` cast to ``dtype``.

    pandas' row-wise result dtype can depend on the data (an empty frame
    with an Int64 column gives Float64 where rows give object), so every
    partition is cast to the dtype of the plan's meta.

    Examples
    --------
    >>> rowwise(pd.DataFrame({"a": [1], "b": [2]}), "sum", {"axis": 1}, "float64")
    0    3.0
    dtype: float64
    """
    out = getattr(part, op)(**kwargs)
    if out.dtype != dtype:
        out = out.astype(dtype)
    return out


# -- moments: mean, var, std, sem -------------------------------------------


def _float_column(s: pd.Series) -> np.ndarray:
    """Values as float64 with NaN for missing; datetimes as their integers."""
    if s.dtype.kind in "mM":
        out = s.array.asi8.astype("float64")
        out[np.asarray(s.isna())] = np.nan
        return out
    return s.to_numpy(dtype="float64", na_value=np.nan)


def moments_chunk(part: Any) -> Any:
    """Moments of each column: a ``(6, ncols)`` array.

    Rows: count, sum, M2 (sum of squared deviations from the partition's
    mean), number missing, and the mean as an unevaluated sum ``hi + lo``
    (double-double): with values near 1e9 a float64 mean is only good to
    ~1e-7, which would spoil the merge of partitions with small variance.

    Examples
    --------
    >>> moments_chunk(pd.Series([1.0, 3.0, None]))[:4].ravel().tolist()
    [2.0, 4.0, 2.0, 1.0]
    """
    df = _as_frame(part)
    if len(df) == 0 or df.shape[1] == 0:
        return None
    x = np.column_stack([_float_column(df.iloc[:, j]) for j in range(df.shape[1])])
    missing = np.isnan(x)
    n = (~missing).sum(axis=0).astype("float64")
    total = np.where(missing, 0.0, x).sum(axis=0)
    hi = np.divide(total, n, out=np.zeros_like(total), where=n > 0)
    lo = np.divide(
        np.where(missing, 0.0, x - hi).sum(axis=0),
        n,
        out=np.zeros_like(total),
        where=n > 0,
    )
    dev = np.where(missing, 0.0, (x - hi) - lo)
    m2 = (dev * dev).sum(axis=0)
    hi, lo = _renormalize(hi, lo)
    return np.vstack([n, total, m2, missing.sum(axis=0).astype("float64"), hi, lo])


def _renormalize(hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``hi + lo`` as a pair with ``hi`` the rounded sum (fast two-sum)."""
    s = hi + lo
    return s, lo - (s - hi)


def _chan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Merge two moment partials with Chan et al.'s parallel formula."""
    na, nb = a[0], b[0]
    n = na + nb
    # hb - ha is exact for close means (Sterbenz), so delta keeps the
    # precision of the double-double means.
    delta = (b[4] - a[4]) + (b[5] - a[5])
    weight = np.divide(nb, n, out=np.zeros_like(n), where=n > 0)
    cross = na * weight
    m2 = a[2] + b[2] + delta * delta * cross
    hi = np.where(na > 0, a[4], b[4])
    lo = np.where(na > 0, a[5] + delta * weight, b[5])
    hi, lo = _renormalize(hi, lo)
    return np.vstack([n, a[1] + b[1], m2, a[3] + b[3], hi, lo])


def moments_combine(partials: list) -> Any:
    """Merge moment partials (in order)."""
    live = _live(partials)
    if not live:
        return None
    out = live[0]
    for p in live[1:]:
        out = _chan(out, p)
    return out


def moments_aggregate(
    partials: list,
    op: str,
    kwargs: dict,
    empty: Any,
    dtype: Any,
    skipna: bool = True,
    ddof: int = 1,
    like: Any = None,
) -> Any:
    """Finish ``mean``/``var``/``std``/``sem`` from merged moments."""
    m = moments_combine(partials)
    if m is None:
        return getattr(empty, op)(**kwargs)
    n, total, m2, nmissing = m[:4]
    with np.errstate(divide="ignore", invalid="ignore"):
        if op == "mean":
            res = np.where(n > 0, total / np.where(n > 0, n, 1), np.nan)
        else:
            d = n - ddof
            var = np.where(d > 0, m2 / np.where(d > 0, d, 1), np.nan)
            var = np.maximum(var, 0.0)
            if op == "var":
                res = var
            elif op == "std":
                res = np.sqrt(var)
            else:
                res = np.sqrt(var) / np.sqrt(n)
    if not skipna:
        res = np.where(nmissing > 0, np.nan, res)
    frame = _as_frame(empty)
    values = [_unfloat(r, frame.dtypes.iloc[j], op) for j, r in enumerate(res.tolist())]
    if isinstance(empty, pd.Series):
        return _like(pd.Series(values, dtype=dtype).iloc[0], like)
    return pd.Series(values, index=frame.columns, dtype=dtype)


def _unfloat(value: float, dtype: Any, op: str) -> Any:
    """A float result as the scalar type pandas gives for a column ``dtype``."""
    if dtype.kind not in "mM":
        return value
    unit = np.datetime_data(dtype.base if hasattr(dtype, "base") else dtype)[0]
    if isinstance(dtype, pd.DatetimeTZDtype):
        unit = dtype.unit
    if math.isnan(value):
        return pd.NaT
    if dtype.kind == "M" and op == "mean":
        ts = pd.Timestamp(int(value), unit=unit).as_unit(unit)
        tz = getattr(dtype, "tz", None)
        return ts.tz_localize("UTC").tz_convert(tz) if tz is not None else ts
    return pd.Timedelta(int(value), unit=unit).as_unit(unit)


# -- idxmin / idxmax ---------------------------------------------------------


def idx_chunk(part: Any, op: str) -> Any:
    """Per column: ``(label, value)`` of the first min/max, and NA seen.

    Examples
    --------
    >>> idx_chunk(pd.Series([3, 1, 1], index=[10, 11, 12]), "idxmin")
    [(np.int64(11), np.int64(1), False)]
    """
    df = _as_frame(part)
    if len(df) == 0 or df.shape[1] == 0:
        return None
    arg = "argmin" if op == "idxmin" else "argmax"
    out = []
    for j in range(df.shape[1]):
        s = df.iloc[:, j]
        nmissing = int(s.isna().sum())
        if nmissing == len(s):
            out.append((None, None, True))
            continue
        # The label comes from the partition's own index (its scalar type
        # is what pandas returns: int for a RangeIndex, np.int64 otherwise).
        pos = getattr(s, arg)(skipna=True)
        out.append((s.index[pos], s.iloc[pos], nmissing > 0))
    return out


def idx_combine(partials: list, op: str) -> Any:
    """Keep the first best candidate per column (partition order)."""
    live = _live(partials)
    if not live:
        return None
    out = list(live[0])
    better = _lt if op == "idxmin" else _gt
    for p in live[1:]:
        for j, (label, value, has_na) in enumerate(p):
            blabel, bvalue, bna = out[j]
            if label is not None and (blabel is None or better(value, bvalue)):
                blabel, bvalue = label, value
            out[j] = (blabel, bvalue, bna or has_na)
    return out


def _lt(a: Any, b: Any) -> bool:
    return bool(a < b)


def _gt(a: Any, b: Any) -> bool:
    return bool(a > b)


def idx_aggregate(
    partials: list, op: str, kwargs: dict, empty: Any, dtype: Any, like: Any = None
) -> Any:
    """Finish ``idxmin``/``idxmax``; raise pandas' own error for NA cases."""
    skipna = kwargs.get("skipna", True)
    best = idx_combine(partials, op)
    if best is None:
        return getattr(empty, op)(**kwargs)
    frame = _as_frame(empty)
    labels = []
    for j, (label, _value, has_na) in enumerate(best):
        if label is None or (has_na and not skipna):
            # Let pandas raise (or answer) on a tiny stand-in with the NA.
            col = frame.iloc[:, j]
            stand_in = pd.Series([None], dtype=col.dtype)
            labels.append(getattr(stand_in, op)(skipna=skipna))
            continue
        labels.append(label)
    if isinstance(empty, pd.Series):
        return labels[0]
    return pd.Series(labels, index=frame.columns, dtype=dtype)


# -- cumulative ---------------------------------------------------------------


def cum_last(cum: Any, skipna: bool) -> Any:
    """The running value at the end of a cumulated partition (one row).

    With ``skipna`` a trailing NA row does not hide the running value, so the
    last non-missing value of each column is taken.
    """
    if len(cum) == 0:
        return None
    if skipna:
        return cum.ffill().iloc[-1:]
    return cum.iloc[-1:]


def cum_carry(prev: Any, last: Any, method: str, skipna: bool) -> Any:
    """The running value after one more partition (one row or ``None``)."""
    if prev is None:
        return last
    if last is None:
        return prev
    both = pd.concat([prev, last])
    return cum_last(getattr(both, method)(skipna=skipna), skipna)


def cum_apply(cum: Any, carry: Any, method: str, skipna: bool) -> Any:
    """Shift a cumulated partition by the running value before it."""
    if carry is None or len(cum) == 0:
        return cum
    if method in ("cummin", "cummax"):
        # Idempotent: cumulating again with the carry in front is exact,
        # NA handling included.
        return getattr(pd.concat([carry, cum]), method)(skipna=skipna).iloc[1:]
    identity = 0 if method == "cumsum" else 1
    if isinstance(cum, pd.Series):
        value = carry.iloc[0]
        if skipna and pd.isna(value):
            return cum
        return _shift(cum, value, method, identity)
    out = cum.copy(deep=False)
    for j in range(cum.shape[1]):
        value = carry.iloc[0, j]
        if skipna and pd.isna(value):
            continue
        out.isetitem(j, _shift(cum.iloc[:, j], value, method, identity))
    return out


def _shift(s: pd.Series, value: Any, method: str, identity: int) -> pd.Series:
    if s.dtype.kind in "OU" or isinstance(s.dtype, pd.StringDtype):
        # strings: cumsum concatenates; the carry goes in front
        return value + s if method == "cumsum" else s
    return s + value if method == "cumsum" else s * value
