"""Task functions of ``map_overlap``: rows borrowed from neighbouring
partitions, a function run on the extended partition, the borrowed rows
cut off again.

A partition borrows the last ``before`` rows of the partitions before it
and the first ``after`` rows of those after it: a count of rows, or a time
span of a sorted datetime-like index. The borrowed rows are carried from
partition to partition (:func:`overlap_tail` forward, :func:`overlap_head`
backward), so partitions shorter than the overlap (or empty) borrow from
further away, exactly as the rows of one pandas frame would be.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from .partitions import concat_parts

__all__ = [
    "differenced",
    "overlap_call",
    "overlap_extend",
    "overlap_head",
    "overlap_tail",
    "pct_changed",
    "rolled",
    "shifted",
]


def _is_count(span: Any) -> bool:
    return isinstance(span, int)


def overlap_tail(prev: Any, part: Any, before: Any) -> Any:
    """The rows the next partition borrows: the last ``before`` rows (a
    count, or those within a time span of the last index) of ``prev`` (what
    the partitions before carried) followed by ``part``.

    Examples
    --------
    >>> a, b = pd.Series([1, 2, 3]), pd.Series([4], index=[3])
    >>> overlap_tail(overlap_tail(None, a, 2), b, 2).tolist()
    [3, 4]
    """
    if _is_count(before):
        if prev is None or len(part) >= before:
            return part.iloc[max(0, len(part) - before) :]
        return concat_parts([prev, part]).iloc[max(0, len(prev) + len(part) - before) :]
    if (
        prev is None
        or not len(prev)
        or (len(part) and part.index[0] < part.index[-1] - before)
    ):
        rows = part
    else:
        rows = concat_parts([prev, part])
    if not len(rows):
        return rows
    return rows[rows.index >= rows.index[-1] - before]


def overlap_head(part: Any, nxt: Any, after: Any) -> Any:
    """The rows the partition before borrows: the first ``after`` rows (a
    count, or those within a time span of the first index) of ``part``
    followed by ``nxt`` (what the partitions after carried).

    Examples
    --------
    >>> a, b = pd.Series([1]), pd.Series([2, 3], index=[1, 2])
    >>> overlap_head(a, overlap_head(b, None, 2), 2).tolist()
    [1, 2]
    """
    if _is_count(after):
        if nxt is None or len(part) >= after:
            return part.iloc[:after]
        return concat_parts([part, nxt]).iloc[:after]
    if (
        nxt is None
        or not len(nxt)
        or (len(part) and part.index[-1] > part.index[0] + after)
    ):
        rows = part
    else:
        rows = concat_parts([part, nxt])
    if not len(rows):
        return rows
    return rows[rows.index <= rows.index[0] + after]


def _extended(prev: Any, part: Any, nxt: Any, before: Any, after: Any) -> tuple:
    """``part`` with the rows it borrows (those of a time span filtered to
    the span of ``part``'s own index), and how many came before and after."""
    if prev is not None and len(part) and not _is_count(before):
        prev = prev[prev.index >= part.index[0] - before]
    if nxt is not None and len(part) and not _is_count(after):
        nxt = nxt[nxt.index <= part.index[-1] + after]
    nprev = 0 if prev is None else len(prev)
    nnext = 0 if nxt is None else len(nxt)
    if not (nprev or nnext):
        return part, 0, 0
    pieces = [p for p in (prev, part, nxt) if p is not None]
    return concat_parts(pieces), nprev, nnext


def overlap_extend(prev: Any, part: Any, nxt: Any, before: Any, after: Any) -> Any:
    """``part`` of another frame given to the function, with the rows it
    borrows from its own neighbours.

    Examples
    --------
    >>> a, b = pd.Series([1, 2]), pd.Series([3], index=[2])
    >>> overlap_extend(overlap_tail(None, a, 1), b, None, 1, 0).tolist()
    [2, 3]
    """
    return _extended(prev, part, nxt, before, after)[0]


def overlap_call(
    prev: Any,
    part: Any,
    nxt: Any,
    before: Any,
    after: Any,
    func: Callable[..., Any],
    args: list,
    kwargs: dict,
    label: str,
    index: int,
    meta: Any,
    rows_per_row: int = 1,
) -> Any:
    """``func`` of ``part`` extended by the rows it borrows, those rows cut
    off its result (by position: ``func`` must keep the rows). ``args``
    may hold other frames' partitions, extended by :func:`overlap_extend`.

    An empty result has ``meta``'s dtypes: pandas widens an ``int`` column
    where the whole frame's shift or window adds missing values, which
    ``func`` of an empty partition alone would not. ``rows_per_row``: the
    result has that many rows per row given, in blocks (a pairwise rolling
    ``cov``: one per column)."""
    ext, nprev, nnext = _extended(prev, part, nxt, before, after)
    out = func(ext, *args, **kwargs)
    k = rows_per_row
    if not isinstance(out, pd.DataFrame | pd.Series) or len(out) != len(ext) * k:
        got = (
            f"{len(out)} rows"
            if isinstance(out, pd.DataFrame | pd.Series)
            else f"a {type(out).__name__}"
        )
        raise ValueError(
            f"{label}: partition {index} with the rows it borrows has "
            f"{len(ext)} rows and the function returned {got}; map_overlap "
            "needs a function that returns one row per row it is given "
            "(use map_partitions for other functions)"
        )
    if nprev or nnext:
        out = out.iloc[nprev * k : len(out) - nnext * k]
    if not len(out) and isinstance(meta, type(out)) and k == 1:
        return meta.iloc[:0].set_axis(part.index[:0])
    return out


# -- the pandas methods built on it (module functions: tasks pickle them) --


def shifted(part: Any, periods: int, fill_value: Any) -> Any:
    """``part.shift(periods, fill_value=)``."""
    return part.shift(periods, fill_value=fill_value)


def differenced(part: Any, periods: int) -> Any:
    """``part.diff(periods)``."""
    return part.diff(periods)


def pct_changed(part: Any, periods: int, kwargs: dict) -> Any:
    """``part.pct_change(periods, **kwargs)``."""
    return part.pct_change(periods, **kwargs)


def rolled(part: Any, window: dict, method: str, args: tuple, kwargs: dict) -> Any:
    """``getattr(part.rolling(**window), method)(*args, **kwargs)``."""
    return getattr(part.rolling(**window), method)(*args, **kwargs)
