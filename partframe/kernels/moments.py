"""Kernels of ``mean``, ``var``, ``std`` and ``sem``: moments merged in a tree.

Each partition gives, per column, its count, sum, M2 (sum of squared
deviations from its own mean), number missing and its mean as a
double-double; partials merge with Chan et al.'s parallel formula, never a
sum of squares, so the variance of values near 1e9 keeps its precision.
``mean`` carries only counts and sums. Datetimes and timedeltas reduce as
their integers and come back as pandas' scalar types. The protocol
(chunk, combine, aggregate; ``None`` for an empty partition) is
:mod:`partframe.kernels.reductions`'.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .arrays import datetime_ints
from .reductions import _like, _live

__all__ = [
    "mean_chunk",
    "mean_combine",
    "moments_aggregate",
    "moments_chunk",
    "moments_combine",
]


def _float_column(s: pd.Series) -> np.ndarray:
    """Values as float64 with NaN for missing; datetimes as their integers."""
    if s.dtype.kind in "mM":
        out = datetime_ints(s.array).astype("float64")
        out[np.asarray(s.isna())] = np.nan
        return out
    return s.to_numpy(dtype="float64", na_value=np.nan)


def _float_matrix(part: Any) -> np.ndarray:
    """A ``(rows, columns)`` float64 array of ``part``, NaN for missing."""
    if isinstance(part, pd.Series):
        return _float_column(part)[:, None]
    if all(isinstance(dt, np.dtype) and dt.kind in "biuf" for dt in part.dtypes):
        return part.to_numpy(dtype="float64")  # one call, NaN stays NaN
    return np.column_stack(
        [_float_column(part.iloc[:, j]) for j in range(part.shape[1])]
    )


def _is_empty(part: Any) -> bool:
    return len(part) == 0 or (part.ndim == 2 and part.shape[1] == 0)


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
    if _is_empty(part):
        return None
    x = _float_matrix(part)
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


def mean_chunk(part: Any) -> Any:
    """Count, sum, 0 and number missing of each column: a ``(4, ncols)`` array.

    The mean needs no deviations, so this is :func:`moments_chunk`'s first
    four rows without the work of the third.

    Examples
    --------
    >>> mean_chunk(pd.Series([1.0, 3.0, None])).ravel().tolist()
    [2.0, 4.0, 0.0, 1.0]
    """
    if _is_empty(part):
        return None
    x = _float_matrix(part)
    missing = np.isnan(x)
    nmissing = missing.sum(axis=0).astype("float64")
    total = (np.where(missing, 0.0, x) if nmissing.any() else x).sum(axis=0)
    return np.vstack([x.shape[0] - nmissing, total, np.zeros_like(total), nmissing])


def mean_combine(partials: list) -> Any:
    """Add partials of :func:`mean_chunk`."""
    live = _live(partials)
    if not live:
        return None
    return sum(live[1:], live[0])


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
    """Finish ``mean``/``var``/``std``/``sem`` from the partials.

    ``mean`` adds counts and sums (its partials are :func:`mean_chunk`'s,
    or moments, whose first rows are the same); the others merge moments.
    """
    m = (mean_combine if op == "mean" else moments_combine)(partials)
    return _finish_moments(m, op, kwargs, empty, dtype, skipna, ddof, like)


def _finish_moments(
    m: Any,
    op: str,
    kwargs: dict,
    empty: Any,
    dtype: Any,
    skipna: bool,
    ddof: int,
    like: Any,
) -> Any:
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
    if isinstance(empty, pd.Series | pd.Index):
        value = _unfloat(float(res[0]), empty.dtype, op)
        if dtype == np.dtype("float64") and isinstance(value, float):
            return _like(np.float64(value), like)
        return _like(pd.Series([value], dtype=dtype).iloc[0], like)
    dtypes = empty.dtypes
    values = [_unfloat(r, dtypes.iloc[j], op) for j, r in enumerate(res.tolist())]
    return pd.Series(values, index=empty.columns, dtype=dtype)


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
