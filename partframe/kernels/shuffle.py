"""Task functions of shuffles: each input partition split by output, each
output concatenated from its pieces; the staged variant that regroups in
rounds; the range split of sorts.

The plans that call these are in :mod:`partframe.expr.shuffle`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .hashing import partitioning_index
from .keys import (
    assign_ranges,
    boundary_rows,
    index_frame,
    sorted_positions,
    spaced_rows,
)

__all__ = [
    "assign_partitions",
    "concat_sorted",
    "range_assign",
    "range_boundaries",
    "sample_keys",
    "shuffle_assign",
    "shuffle_concat",
    "shuffle_split",
    "split_by_partition",
    "split_by_range",
    "staged_concat",
    "staged_empty",
    "staged_finish",
    "staged_split",
]


def split_by_partition(df: Any, parts: np.ndarray, npartitions: int) -> list:
    """Split ``df`` into ``npartitions`` pieces; row ``r`` goes to ``parts[r]``.

    Rows keep their relative order inside each piece (one stable sort and one
    ``take`` instead of one boolean mask per piece).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> pieces = split_by_partition(pd.Series([10, 11, 12]), np.array([1, 0, 1]), 2)
    >>> [p.tolist() for p in pieces]
    [[11], [10, 12]]
    """
    if npartitions == 1:
        return [df]
    # Small partition numbers sort by radix (several times faster than a
    # stable sort of int64); the bounds come from counts, not a search.
    small = _small_ints(parts, npartitions)
    bounds = np.zeros(npartitions + 1, dtype="int64")
    np.cumsum(np.bincount(small, minlength=npartitions), out=bounds[1:])
    return _pieces(df, _digit_order(small), bounds, _rows)


def _digit_order(digit: np.ndarray) -> np.ndarray | None:
    """The stable order of ``digit``; ``None`` when it ascends already."""
    if len(digit) < 2 or (digit[1:] >= digit[:-1]).all():
        return None
    return np.argsort(digit, kind="stable")


def _pieces(df: Any, order: Any, bounds: np.ndarray, cut: Any) -> list:
    """``cut(ordered, start, stop)`` for each run of ``bounds`` of ``df``
    taken in ``order`` (``None``: as it is). A piece of every row is the
    frame itself, and empty pieces share one: on small partitions most
    pieces are empty, and a row slice of a frame costs tens of us."""
    if order is not None:
        df = df.take(order)
    empty = None
    out = []
    for d in range(len(bounds) - 1):
        a, b = int(bounds[d]), int(bounds[d + 1])
        if a == b:
            if empty is None:
                empty = cut(df, 0, 0)
            out.append(empty)
        else:
            out.append(cut(df, a, b))
    return out


def _rows(frame: Any, a: int, b: int) -> Any:
    """Rows ``a`` to ``b`` of ``frame``: the frame itself when that is all."""
    return frame if a == 0 and b == len(frame) else frame.iloc[a:b]


def _small_ints(parts: np.ndarray, npartitions: int) -> np.ndarray:
    """``parts`` (each in ``0 .. npartitions - 1``) in the smallest int dtype."""
    dtype = (
        "uint8" if npartitions <= 256 else "uint16" if npartitions <= 65536 else "int64"
    )
    return np.asarray(parts).astype(dtype, copy=False)


def assign_partitions(
    df: Any, on: Any, npartitions: int, how: Any = "hash", bounds: Any = None
) -> np.ndarray:
    """The output partition of every row of ``df`` (see the module docstring).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"k": [5, 1, 9]})
    >>> assign_partitions(df, ["k"], 2, ("range", [True], "last"),
    ...                   pd.DataFrame({"k": [4]})).tolist()
    [1, 0, 1]
    """
    if how == "hash":
        return partitioning_index(df, on, npartitions)
    if how == "direct":
        return np.asarray(df[on], dtype="int64")
    if is_range(how):
        from .sorting import range_partition

        return range_partition(df, on, bounds, how[1], how[2])
    raise ValueError(f"unknown shuffle partitioning {how!r}")


def shuffle_split(
    df: Any, on: Any, npartitions: int, how: Any = "hash", bounds: Any = None
) -> list:
    """Split one partition into ``npartitions`` pieces by key."""
    if npartitions == 1:
        return [df]
    parts = assign_partitions(df, on, npartitions, how, bounds)
    return split_by_partition(df, parts, npartitions)


def shuffle_concat(pieces: list) -> Any:
    """Concatenate the pieces of one output partition, in input order."""
    nonempty = [p for p in pieces if len(p)]
    if not nonempty:
        return pieces[0]
    if len(nonempty) == 1:
        return nonempty[0]
    return pd.concat(nonempty)


def is_range(how: Any) -> bool:
    return isinstance(how, tuple) and len(how) == 3 and how[0] == "range"


def shuffle_assign(
    df: Any, on: Any, npartitions: int, how: Any = "hash", bounds: Any = None
) -> tuple:
    """``(df, destinations)``: the first step of a staged shuffle."""
    return df, assign_partitions(df, on, npartitions, how, bounds)


def staged_empty(meta: Any) -> tuple:
    """An empty ``(frame, destinations)`` pair (grid positions without input)."""
    return meta, np.zeros(0, dtype="int64")


def staged_split(pair: tuple, divisor: int, k: int) -> list:
    """Split a pair by digit ``(dest // divisor) % k``; rows keep their order."""
    df, dest = pair
    digit = _small_ints((dest // divisor) % k, k)
    bounds = np.zeros(k + 1, dtype="int64")
    np.cumsum(np.bincount(digit, minlength=k), out=bounds[1:])
    order = _digit_order(digit)
    sorted_dest = dest if order is None else dest[order]
    return _pieces(
        df,
        order,
        bounds,
        lambda ordered, a, b: (_rows(ordered, a, b), sorted_dest[a:b]),
    )


def staged_concat(pairs: list) -> tuple:
    """Concatenate pairs in order."""
    live = [p for p in pairs if len(p[1])]
    if not live:
        return pairs[0]
    if len(live) == 1:
        return live[0]
    return pd.concat([p[0] for p in live]), np.concatenate([p[1] for p in live])


def staged_finish(pair: tuple) -> Any:
    """The frame of a pair."""
    return pair[0]


def sample_keys(obj: Any, nlevels: int, size: int) -> pd.DataFrame:
    """Up to ``size`` evenly spaced keys (first index levels) of ``obj``."""
    return spaced_rows(index_frame(obj.index, nlevels), size)


def range_boundaries(samples: list, npartitions: int) -> pd.DataFrame:
    """``npartitions - 1`` distinct keys that split the sampled keys into
    even ranges (groupby's order: missing last, mixed objects ordered)."""
    bounds = boundary_rows(samples, npartitions, mixed=True)
    return bounds.drop_duplicates(ignore_index=True)


def range_assign(keys: pd.DataFrame, bounds: pd.DataFrame) -> np.ndarray:
    """For every key row, how many boundaries sort at or before it."""
    return assign_ranges(keys, bounds, mixed=True)


def split_by_range(
    obj: Any, bounds: pd.DataFrame, nlevels: int, npartitions: int
) -> list:
    """Split ``obj`` into ``npartitions`` pieces by ranges of its index keys."""
    parts = range_assign(index_frame(obj.index, nlevels), bounds)
    return split_by_partition(obj, parts, npartitions)


def concat_sorted(pieces: list, nlevels: int) -> Any:
    """Concatenate pieces and sort by the first ``nlevels`` index levels."""
    out = shuffle_concat(pieces)
    if len(out) < 2:
        return out
    order = sorted_positions(index_frame(out.index, nlevels), mixed=True)
    if (order[1:] >= order[:-1]).all():
        return out
    return out.iloc[order]
