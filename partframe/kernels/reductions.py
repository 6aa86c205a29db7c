"""Kernels of tree reductions: sum, prod, min, max, any, all, count,
idxmin, idxmax, memory_usage; row-wise and all-values helpers.

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
A numpy-typed Series reduces to scalar partials instead (one pandas call
per partition, a numpy merge), and numeric frame partials are numpy arrays
merged column-wise, so a small reduction costs little more than pandas'.

``mean``/``var``/``std``/``sem`` are in :mod:`partframe.kernels.moments`,
distinct-value reductions in :mod:`partframe.kernels.distinct`,
``quantile`` and ``describe`` in :mod:`partframe.kernels.quantile`, the
carry of cumulative operations in :mod:`partframe.kernels.cumulative`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .enforce import missing_widened

__all__ = [
    "all_values",
    "idx_aggregate",
    "idx_chunk",
    "idx_combine",
    "memory_aggregate",
    "memory_chunk",
    "memory_combine",
    "reduce_aggregate",
    "reduce_chunk",
    "reduce_combine",
    "rowwise",
    "scalar_aggregate",
    "scalar_chunk",
    "scalar_combine",
]


def _as_frame(part: Any) -> pd.DataFrame:
    if isinstance(part, pd.Series):
        return part.to_frame()
    if isinstance(part, pd.Index):
        # An Index's values as the one column (``Index.min()`` and the like).
        return part.to_frame(index=False)
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


# Series of these numpy kinds reduce to numpy scalars that merge exactly like
# pandas' own (sum/prod of ints in int64/uint64, floats in their width).
SCALAR_KINDS = "biuf"


# Column groups up to this size are reduced column by column (no take).
_FEW_COLUMNS = 4


def _is_numeric_array(res: pd.Series) -> bool:
    dtype = res.dtype
    return isinstance(dtype, np.dtype) and dtype.kind in SCALAR_KINDS


def reduce_chunk(
    part: Any, op: str, kwargs: dict, groups: list, count: bool = False
) -> Any:
    """Reduce each group of same-dtype columns of ``part`` with ``op``.

    Returns ``(values, counts or None, groups)``, or ``None`` for an empty
    partition. ``values`` has one entry per group: a numpy array when the
    group's result has a numpy dtype of kind ``SCALAR_KINDS`` (merged with
    numpy, cheaply), else a Series indexed by column position.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2], "b": [0.5, None]})
    >>> values, counts, _ = reduce_chunk(df, "sum", {}, [[0], [1]], count=True)
    >>> [v.tolist() for v in values], counts.tolist()
    ([[3], [0.5]], [2, 1])
    """
    df = _as_frame(part)
    if len(df) == 0 or df.shape[1] == 0:
        return None
    values = []
    for positions in groups:
        if len(positions) == df.shape[1]:
            # One dtype: one pandas call over the whole frame, no column take.
            res = getattr(df, op)(**kwargs)
        elif len(positions) <= _FEW_COLUMNS and _is_numeric_array(
            first := df.iloc[:, positions[0]]
        ):
            # Taking a few columns out of a frame costs more than reducing
            # them one by one; a numpy column's scalar has the frame's dtype.
            cols = [first] + [df.iloc[:, j] for j in positions[1:]]
            values.append(np.array([getattr(c, op)(**kwargs) for c in cols]))
            continue
        else:
            res = getattr(df.iloc[:, positions], op)(**kwargs)
        values.append(
            res.to_numpy() if _is_numeric_array(res) else res.set_axis(positions)
        )
    counts = df.count().to_numpy() if count else None
    return values, counts, groups


def _merge(arr: np.ndarray, op: str, skipna: bool) -> Any:
    """``op`` along the first axis of partials, as pandas over the values.

    A NaN partial of ``sum``/``prod`` (``inf - inf``) stays NaN; a NaN
    partial of ``min``/``max`` is an all-missing partition, skipped when
    ``skipna``. Array reductions, not scalar arithmetic: integers wrap
    silently, as in pandas.
    """
    if op == "min":
        return (np.fmin if skipna else np.minimum).reduce(arr, axis=0)
    if op == "max":
        return (np.fmax if skipna else np.maximum).reduce(arr, axis=0)
    return getattr(arr, op)(axis=0)


def _as_series(value: Any, positions: list) -> pd.Series:
    if isinstance(value, pd.Series):
        return value
    return pd.Series(value, index=positions)


def reduce_combine(partials: list, op: str, kwargs: dict) -> Any:
    """Combine partials of :func:`reduce_chunk` with ``op`` along rows."""
    live = _live(partials)
    if len(live) <= 1:
        return live[0] if live else None
    groups = live[0][2]
    values = []
    for g, positions in enumerate(groups):
        parts = [p[0][g] for p in live]
        if all(isinstance(v, np.ndarray) for v in parts):
            values.append(_merge(np.vstack(parts), op, kwargs.get("skipna", True)))
            continue
        frame = pd.concat(
            [_as_series(v, positions) for v in parts], axis=1, ignore_index=True
        )
        values.append(getattr(frame, op)(axis=1, **kwargs))
    counts = live[0][1]
    if counts is not None:
        counts = sum(p[1] for p in live[1:]) + counts
    return values, counts, groups


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
    values, counts, groups = out
    short = None
    if counts is not None and min_count > 0:
        short = counts < min_count
        if not short.any():
            short = None
    if (
        short is None
        and isinstance(dtype, np.dtype)
        and dtype.kind in SCALAR_KINDS + "O"
        and all(isinstance(v, np.ndarray) for v in values)
    ):
        res = np.empty(sum(len(p) for p in groups), dtype=dtype)
        for positions, v in zip(groups, values):
            if dtype.kind == "O":  # mixed kinds: each keeps its scalar type
                for j, x in zip(positions, v):
                    res[j] = x
            else:
                res[positions] = v
        if isinstance(empty, pd.Series | pd.Index):
            return _like(res[0], like)
        return pd.Series(res, index=empty.columns)
    series = [_as_series(v, p) for v, p in zip(values, groups)]
    s = pd.concat(series) if len(series) > 1 else series[0]
    s = s.sort_index()
    if short is not None:
        s = s.where(~short)
    elif dtype is not None and s.dtype != dtype:
        s = s.astype(dtype)
    if isinstance(empty, pd.Series | pd.Index):
        return _like(s.iloc[0], like)
    s.index = empty.columns
    return s


def all_values(
    part: pd.DataFrame, dtype: Any, positions: list[int] | None = None
) -> pd.Series:
    """Every value of ``part`` (of the columns at ``positions``; None: all),
    row after row, as one Series of ``dtype`` (the columns' common dtype):
    what pandas reduces for ``axis=None`` (its ``DataFrame.values``
    raveled; the order decides which of equal values ``min`` of an object
    column returns, ``0`` or ``False``).

    Examples
    --------
    >>> all_values(pd.DataFrame({"a": [1, 2], "b": [3.5, 4.0]}), "float64").tolist()
    [1.0, 3.5, 2.0, 4.0]
    """
    if positions is not None:
        part = part.iloc[:, positions]
    rows, ncols = part.shape
    columns = [part.iloc[:, j].astype(dtype) for j in range(ncols)]
    if not columns:
        return pd.Series([], dtype=dtype)
    flat = pd.concat(columns, ignore_index=True)
    order = np.arange(rows * ncols).reshape(ncols, rows).T.ravel()
    return flat.take(order).reset_index(drop=True)


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


def scalar_chunk(part: pd.Series, op: str, kwargs: dict, count: bool = False) -> Any:
    """A Series partition's reduction: one pandas call, a scalar partial.

    Returns ``(value, non-missing count or None)``, or ``None`` for an empty
    partition. Used for numpy dtypes of kinds ``SCALAR_KINDS`` only.

    Examples
    --------
    >>> scalar_chunk(pd.Series([1.0, None, 2.0]), "sum", {}, count=True)
    (np.float64(3.0), 2)
    """
    if len(part) == 0:
        return None
    value = getattr(part, op)(**kwargs)
    return value, (int(part.count()) if count else None)


def scalar_combine(partials: list, op: str, skipna: bool = True) -> Any:
    """Combine partials of :func:`scalar_chunk` with ``op``.

    Examples
    --------
    >>> scalar_combine([(np.int64(3), 2), None, (np.int64(4), 1)], "sum")
    (np.int64(7), 3)
    """
    live = _live(partials)
    if len(live) <= 1:
        return live[0] if live else None
    value = _merge(np.array([p[0] for p in live]), op, skipna)
    counts = live[0][1]
    if counts is not None:
        counts = sum(p[1] for p in live)
    return value, counts


def scalar_aggregate(
    partials: list,
    op: str,
    kwargs: dict,
    combine_op: str,
    empty: pd.Series,
    dtype: Any,
    skipna: bool = True,
    min_count: int = 0,
    like: Any = None,
) -> Any:
    """Finish a Series reduction of scalar partials (see :func:`scalar_chunk`).

    With no data, or fewer than ``min_count`` values, the answer is pandas'
    own on the empty meta ``empty``.
    """
    out = scalar_combine(partials, combine_op, skipna)
    if out is None:
        return getattr(empty, op)(**kwargs)
    value, count = out
    if count is not None and count < min_count:
        return getattr(empty, op)(**kwargs)
    if (
        dtype is not None
        and isinstance(value, np.generic)
        and value.dtype != dtype
        and not missing_widened(np.dtype(dtype), value.dtype)
    ):
        # ints that some partition holds as float64 (pandas' widening by
        # missing values, str.len of a missing string) reduce as pandas
        # reduces the whole, widened column: to a float
        value = np.asarray(value).astype(dtype)[()]
    return _like(value, like)


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
    if isinstance(empty, pd.Series | pd.Index):
        return labels[0]
    return pd.Series(labels, index=frame.columns, dtype=dtype)


# -- memory_usage -------------------------------------------------------------


def _range_of(index: pd.Index) -> Any:
    """``(first, last, step)`` of a non-empty RangeIndex; None otherwise."""
    if not isinstance(index, pd.RangeIndex) or len(index) == 0:
        return None
    step = index.step if len(index) > 1 else None
    return (index[0], index[-1], step)


def _chain(a: Any, b: Any) -> Any:
    """Two consecutive pieces of one range as one piece, else None (pandas'
    ``RangeIndex._concat`` rule: same step, no gap)."""
    if a is None or b is None:
        return None
    step = a[2] if a[2] is not None else (b[2] if b[2] is not None else b[0] - a[1])
    if step == 0 or b[0] - a[1] != step:
        return None
    if (a[2] is not None and a[2] != step) or (b[2] is not None and b[2] != step):
        return None
    return (a[0], b[1], step)


def memory_chunk(part: Any, index: bool, deep: bool) -> tuple:
    """Bytes per column (the index first) as the concatenated result holds them.

    Returns ``(bytes, once, rows, pieces, index_bytes)``: ``once`` are
    bytes that all partitions share and that count once (the categories of
    a categorical column); a RangeIndex's bytes are given as an int64
    index's, and ``pieces`` describes it so the aggregate can tell whether
    the partitions' ranges concatenate into one RangeIndex.
    ``index_bytes`` is the partition's own index size (used when every
    partition is empty: the computed result is then the first partition).

    Examples
    --------
    >>> df = pd.DataFrame({"c": pd.Categorical(["a", "b"])})
    >>> usage, once, rows, pieces, _ = memory_chunk(df, True, False)
    >>> usage.tolist(), once.tolist(), rows, pieces
    ([16, 21], [0, 19], 2, (0, 1, 1))
    """
    df = _as_frame(part)
    usage = df.memory_usage(index=index, deep=deep).to_numpy(dtype="int64", copy=True)
    once = np.zeros(len(usage), dtype="int64")
    first = 1 if index else 0
    index_bytes = int(usage[0]) if index else 0
    pieces: Any = None
    if index and isinstance(df.index, pd.RangeIndex):
        usage[0] = 8 * len(df)
        pieces = _range_of(df.index) if len(df) else "empty"
    elif index and len(df) == 0:
        pieces = "empty"
    for j in range(df.shape[1]):
        dtype = df.dtypes.iloc[j]
        if isinstance(dtype, pd.CategoricalDtype):
            once[first + j] = int(dtype.categories.memory_usage(deep=deep))
    return usage, once, len(df), pieces, index_bytes


def memory_combine(partials: list) -> tuple:
    """Sum bytes; shared bytes count once; chain the RangeIndex pieces."""
    usage = sum(p[0] - p[1] for p in partials)
    once = np.max([p[1] for p in partials], axis=0)
    pieces: Any = "empty"
    for p in partials:
        if p[3] == "empty":
            continue
        pieces = p[3] if pieces == "empty" else _chain(pieces, p[3])
    rows = sum(p[2] for p in partials)
    return usage + once, once, rows, pieces, partials[0][4]


def memory_aggregate(partials: list, empty: Any, index: bool, deep: bool) -> Any:
    """Finish ``memory_usage``: an int for a Series, a Series for a frame.

    The result is pandas' ``memory_usage`` of the computed frame: when the
    partitions' RangeIndexes concatenate into one RangeIndex, the index
    counts as that RangeIndex.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1, 2, 3, 4]})
    >>> parts = [memory_chunk(df.iloc[:2], True, False),
    ...          memory_chunk(df.iloc[2:], True, False)]
    >>> memory_aggregate(parts, df.iloc[:0], True, False).to_dict()
    {'Index': 132, 'x': 32}
    """
    usage, _once, rows, pieces, first_index_bytes = memory_combine(partials)
    if index and rows == 0:
        usage[0] = first_index_bytes
    elif index and isinstance(pieces, tuple):
        first, last, step = pieces
        step = step or 1
        usage[0] = pd.RangeIndex(first, last + step, step).memory_usage()
    if isinstance(empty, pd.Series | pd.Index):
        return int(usage.sum())
    labels = empty.memory_usage(index=index, deep=deep).index
    return pd.Series(usage, index=labels, dtype="int64")
