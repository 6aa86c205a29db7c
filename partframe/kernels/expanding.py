"""Task functions of ``expanding()`` aggregations across partitions.

Each row's window is every row up to it. What the rows of the partitions
before contribute is summarized per column (count of values, sum, min,
max, mean and the sum of squared deviations ``m2``) and carried from
partition to partition, merged by Chan's parallel formulas (so variances
stay exact where naive sums of squares lose digits); each partition then
finishes its rows from the carry and its own running values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "EXPANDING_METHODS",
    "expanding_apply",
    "expanding_carry",
    "expanding_summary",
]

#: The aggregations computed from carried summaries.
EXPANDING_METHODS = ("count", "sum", "mean", "min", "max", "var", "std")

Summary = dict[str, np.ndarray]


def _values(part: Any) -> np.ndarray:
    """The partition's values as a 2-D float array (missing as NaN)."""
    frame = part.to_frame() if isinstance(part, pd.Series) else part
    out = frame.to_numpy(dtype="float64", na_value=np.nan)
    return out.reshape(len(frame), frame.shape[1])


def expanding_summary(part: Any) -> Summary:
    """Count, sum, min, max, mean and ``m2`` of each column's values.

    Examples
    --------
    >>> s = expanding_summary(pd.Series([1.0, None, 3.0]))
    >>> s["n"].tolist(), s["mean"].tolist(), s["m2"].tolist()
    ([2.0], [2.0], [2.0])
    """
    x = _values(part)
    present = ~np.isnan(x)
    n = present.sum(axis=0).astype("float64")
    total = np.where(present, x, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / n, np.nan)
    m2 = np.where(present, (x - mean) ** 2, 0.0).sum(axis=0)
    low = np.where(present, x, np.inf).min(axis=0, initial=np.inf)
    high = np.where(present, x, -np.inf).max(axis=0, initial=-np.inf)
    rows = np.full(x.shape[1], float(len(x)))
    return {
        "rows": rows, "n": n, "sum": total, "mean": mean, "m2": m2, "min": low,
        "max": high,
    }  # fmt: skip


def _merge(a: Summary, b: Summary) -> Summary:
    """Two summaries of consecutive rows as one (Chan et al.)."""
    n = a["n"] + b["n"]
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = b["mean"] - a["mean"]
        mean = np.where(
            a["n"] == 0,
            b["mean"],
            np.where(b["n"] == 0, a["mean"], a["mean"] + delta * b["n"] / n),
        )
        extra = np.where(
            (a["n"] > 0) & (b["n"] > 0), delta**2 * a["n"] * b["n"] / n, 0.0
        )
    return {
        "rows": a["rows"] + b["rows"],
        "n": n,
        "sum": a["sum"] + b["sum"],
        "mean": mean,
        "m2": a["m2"] + b["m2"] + extra,
        "min": np.minimum(a["min"], b["min"]),
        "max": np.maximum(a["max"], b["max"]),
    }


def expanding_carry(prev: Summary | None, last: Summary) -> Summary:
    """What the rows up to the end of the partition before carry."""
    return last if prev is None else _merge(prev, last)


def expanding_apply(
    part: Any,
    carry: Summary | None,
    method: str,
    min_periods: int,
    ddof: int,
    meta: Any,
) -> Any:
    """``part.expanding(min_periods).method()`` continued from ``carry``.

    Examples
    --------
    >>> a, b = pd.Series([1.0, 2.0]), pd.Series([4.0], index=[2])
    >>> c = expanding_carry(None, expanding_summary(a))
    >>> expanding_apply(b, c, "mean", 1, 1, a.iloc[:0]).tolist()
    [2.3333333333333335]
    """
    x = _values(part)
    present = ~np.isnan(x)
    here = np.cumsum(present, axis=0, dtype="float64")
    before = carry if carry is not None else expanding_summary(part.iloc[:0])
    n = here + before["n"]
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "count":
            out = n
        elif method in ("sum", "mean"):
            out = np.cumsum(np.where(present, x, 0.0), axis=0) + before["sum"]
            if method == "mean":
                out = np.where(n > 0, out / n, np.nan)
        elif method == "min":
            out = np.minimum.accumulate(np.where(present, x, np.inf), axis=0)
            out = np.where(n > 0, np.minimum(out, before["min"]), np.nan)
        elif method == "max":
            out = np.maximum.accumulate(np.where(present, x, -np.inf), axis=0)
            out = np.where(n > 0, np.maximum(out, before["max"]), np.nan)
        else:  # var, std: the carry merged with each row's running moments
            frame = pd.DataFrame(x)
            mean_b = frame.expanding(min_periods=1).mean().to_numpy()
            var_b = frame.expanding(min_periods=1).var(ddof=0).to_numpy()
            m2_b = np.where(here > 0, var_b * here, 0.0)
            mean_b = np.where(here > 0, mean_b, 0.0)
            delta = mean_b - before["mean"]
            extra = np.where(
                (before["n"] > 0) & (here > 0), delta**2 * before["n"] * here / n, 0.0
            )
            m2 = before["m2"] + m2_b + extra
            out = np.where(n > ddof, m2 / (n - ddof), np.nan)
            if method == "std":
                out = np.sqrt(out)
    if method == "count":  # pandas counts the window's rows, values or not
        rows = before["rows"] + np.arange(1, len(x) + 1, dtype="float64")[:, None]
        out = np.where(rows >= min_periods, out, np.nan)
    else:
        out = np.where(n >= min_periods, out, np.nan)
    if isinstance(part, pd.Series):
        result: Any = pd.Series(out[:, 0], index=part.index, name=part.name)
        return result.astype(meta.dtype)
    result = pd.DataFrame(out, index=part.index, columns=part.columns)
    return result.astype(dict(zip(meta.columns, meta.dtypes)))
