"""Kernels of cumulative operations across partitions (``cumsum``...).

See :class:`partframe.expr.cumulative.CumulativeCarry`: each partition is
cumulated on its own; :func:`cum_last` takes its running value (one row),
:func:`cum_carry` carries it from partition to partition and
:func:`cum_apply` shifts the next partition by it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["cum_apply", "cum_carry", "cum_last"]


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
