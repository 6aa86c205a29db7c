"""Kernels of ``ffill``/``bfill`` across partitions (see ``expr/cumulative.py``).

A fill runs in the fill direction: forward for ``ffill``, backward for
``bfill`` (the kernels then look at the partition's rows in reverse). Each
partition is summarized by :func:`fill_summary`: per column, the last
non-missing value in the fill direction and the number of missing rows after
it (the whole length when there is none). :func:`fill_carry` chains the
summaries of the partitions before (``ffill``) or after (``bfill``) into a
carry of the same shape, and :func:`fill_apply` fills a partition on its own
and then fills its leading run of missing values from the carry, at most
``limit - gap`` of them, which is exactly what pandas does on the whole
column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["fill_apply", "fill_carry", "fill_summary"]


def _mask(obj: Any) -> np.ndarray:
    """``notna`` as a 2-d array (rows, columns); a Series is one column."""
    mask = obj.notna().to_numpy()
    return mask.reshape(len(obj), -1)


def fill_summary(part: Any, reverse: bool) -> Any:
    """``(row, gaps, length)`` of a partition, or ``None`` when it is empty.

    ``row`` is one row (same type and dtypes as ``part``) holding each
    column's last non-missing value in the fill direction (missing when the
    column has none); ``gaps[j]`` counts the missing rows after it.

    Examples
    --------
    >>> row, gaps, n = fill_summary(pd.Series([1.0, None, 2.0, None]), False)
    >>> row.tolist(), gaps.tolist(), n
    ([2.0], [1], 4)
    >>> row, gaps, n = fill_summary(pd.Series([1.0, None, 2.0, None]), True)
    >>> row.tolist(), gaps.tolist(), n
    ([1.0], [0], 4)
    """
    n = len(part)
    if n == 0:
        return None
    if reverse:
        part = part.iloc[::-1]
    mask = _mask(part)
    has = mask.any(axis=0)
    last = n - 1 - mask[::-1].argmax(axis=0)
    gaps = np.where(has, n - 1 - last, n)
    start = int(last[has].min()) if has.any() else n - 1
    # ffill of the tail only: each column's last value reaches the last row.
    row = part.iloc[start:].ffill().iloc[-1:]
    return row, gaps, n


def fill_carry(prev: Any, summary: Any) -> Any:
    """The carry after one more partition: ``(row, gaps)`` or ``None``.

    Examples
    --------
    >>> first = fill_summary(pd.Series([1.0, None]), False)
    >>> second = fill_summary(pd.Series([None, None, None]), False)
    >>> row, gaps = fill_carry(fill_carry(None, first), second)
    >>> row.tolist(), gaps.tolist()
    ([1.0], [4])
    """
    if summary is None:
        return prev
    row, gaps, n = summary
    if prev is None:
        return row, gaps
    prev_row, prev_gaps = prev
    has = _mask(row)[0]
    if has.all():
        return row, gaps
    both = pd.concat([prev_row, row])
    return both.ffill().iloc[-1:], np.where(has, gaps, prev_gaps + n)


def fill_apply(part: Any, carry: Any, method: str, limit: int | None) -> Any:
    """``part.<method>(limit=limit)``, then its leading missing run (in the
    fill direction) filled from ``carry`` (at most ``limit - gap`` rows).

    Examples
    --------
    >>> carry = fill_carry(None, fill_summary(pd.Series([5.0, None]), False))
    >>> fill_apply(pd.Series([None, None, 1.0, None]), carry, "ffill", 2).tolist()
    [5.0, nan, 1.0, 1.0]
    """
    out = getattr(part, method)(limit=limit)
    n = len(part)
    if carry is None or n == 0:
        return out
    row, gaps = carry
    mask = _mask(part)
    if method == "bfill":
        mask = mask[::-1]
    has = mask.any(axis=0)
    lead = np.where(has, mask.argmax(axis=0), n)
    count = lead if limit is None else np.clip(limit - gaps, 0, lead)
    count = np.where(_mask(row)[0], count, 0)
    if not count.any():
        return out
    if isinstance(out, pd.Series):
        return _fill_run(out, row.iloc[0], int(count[0]), method)
    out = out.copy(deep=False)
    for j in np.flatnonzero(count):
        column = _fill_run(out.iloc[:, j], row.iloc[0, j], int(count[j]), method)
        out.isetitem(int(j), column)
    return out


def _fill_run(column: pd.Series, value: Any, count: int, method: str) -> pd.Series:
    """``column`` with its first (ffill) or last (bfill) ``count`` rows set to
    ``value`` (rows that are all missing; the dtype is kept)."""
    column = column.copy()
    n = len(column)
    if method == "ffill":
        column.iloc[:count] = value
    else:
        column.iloc[n - count :] = value
    return column
