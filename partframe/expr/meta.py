"""Metadata: empty pandas objects that carry a result's exact schema.

``_meta`` of a node is computed by running the real pandas operation on its
inputs' metas. Empty data cannot always answer (a function that looks at the
first row, a reduction whose dtype depends on having values), so
:func:`meta_nonempty` builds a small stand-in with two rows of plausible
values of the same dtypes, and :func:`emulate` tries the empty metas first
only where that is reliable.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "column_labels",
    "emulate",
    "is_dataframe_like",
    "is_frame_or_series",
    "is_index_like",
    "is_series_like",
    "make_meta",
    "meta_nonempty",
]


# id of a columns Index -> (the Index, its labels); the Index is held so its
# id cannot be taken by another object while the entry lives
_LABELS: dict[int, tuple[pd.Index, tuple[Any, ...]]] = {}
_MAX_LABELS = 4096


def column_labels(frame: pd.DataFrame) -> tuple[Any, ...]:
    """The column labels of a frame meta, as a tuple, found once per
    columns Index.

    Planning reads the same metas' labels many times (projections, join
    keys, statistics), and iterating an Index of strings (Arrow-backed in
    pandas 3) costs several microseconds each time.

    Examples
    --------
    >>> column_labels(pd.DataFrame({"a": [1], "b": [2]}))
    ('a', 'b')
    """
    columns = frame.columns
    hit = _LABELS.get(id(columns))
    if hit is not None and hit[0] is columns:
        return hit[1]
    labels = tuple(columns.tolist())
    if len(_LABELS) >= _MAX_LABELS:
        _LABELS.clear()
    _LABELS[id(columns)] = (columns, labels)
    return labels


def is_dataframe_like(x: Any) -> bool:
    return isinstance(x, pd.DataFrame)


def is_series_like(x: Any) -> bool:
    return isinstance(x, pd.Series)


def is_index_like(x: Any) -> bool:
    return isinstance(x, pd.Index)


def is_frame_or_series(x: Any) -> bool:
    return isinstance(x, pd.DataFrame | pd.Series | pd.Index)


def make_meta(x: Any) -> Any:
    """An empty object with the schema of ``x`` (a scalar stays a scalar).

    Examples
    --------
    >>> make_meta(pd.DataFrame({"a": [1, 2]})).dtypes.to_dict()
    {'a': dtype('int64')}
    """
    if isinstance(x, pd.DataFrame | pd.Series):
        return x.iloc[:0]
    if isinstance(x, pd.Index):
        return x[:0]
    return x


def _nonempty_values(dtype: Any, n: int = 2) -> Any:
    """``n`` distinct non-missing values of ``dtype``."""
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        if len(cats):
            values = [cats[i % len(cats)] for i in range(n)]
            return pd.Categorical(values, dtype=dtype)
        return pd.Categorical([np.nan] * n, dtype=dtype)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pd.date_range("1970-01-01", periods=n, tz=dtype.tz, unit=dtype.unit)
    if isinstance(dtype, pd.PeriodDtype):
        return pd.period_range("2000-01-01", periods=n, freq=dtype.freq)
    if isinstance(dtype, pd.IntervalDtype):
        sub = _nonempty_values(dtype.subtype, n + 1)
        return pd.arrays.IntervalArray.from_breaks(sub, closed=dtype.closed)
    if isinstance(dtype, pd.SparseDtype):
        return pd.arrays.SparseArray(_nonempty_values(dtype.subtype, n))
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        typ = dtype.pyarrow_dtype
        if pa.types.is_string(typ) or pa.types.is_large_string(typ):
            return pd.array(["a", "b"][:n] + ["c"] * max(0, n - 2), dtype=dtype)
        if pa.types.is_boolean(typ):
            return pd.array([True, False] * n, dtype=dtype)[:n]
        if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
            return pd.array(
                pd.date_range("1970-01-01", periods=n).to_pydatetime(), dtype=dtype
            )
        return pd.array(list(range(1, n + 1)), dtype=dtype)
    if isinstance(dtype, pd.StringDtype):
        return pd.array([f"s{i}" for i in range(n)], dtype=dtype)
    if isinstance(dtype, pd.BooleanDtype):
        return pd.array([True, False] * n, dtype=dtype)[:n]
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        # Nullable integers and floats, and anything else that accepts ints.
        try:
            return pd.array(list(range(1, n + 1)), dtype=dtype)
        except Exception:
            return pd.array([None] * n, dtype=dtype)
    dtype = np.dtype(dtype)
    kind = dtype.kind
    if kind == "b":
        return np.array([True, False] * n, dtype=dtype)[:n]
    if kind in "iu":
        return np.arange(1, n + 1, dtype=dtype)
    if kind == "f":
        return np.arange(1, n + 1, dtype=dtype) + 0.5
    if kind == "c":
        return np.arange(1, n + 1).astype(dtype)
    if kind == "M":
        return np.array(
            [np.datetime64("1970-01-01") + np.timedelta64(i, "D") for i in range(n)]
        ).astype(dtype)
    if kind == "m":
        return np.array([np.timedelta64(i + 1, "s") for i in range(n)]).astype(dtype)
    if kind in "OSU":
        return np.array([f"s{i}" for i in range(n)], dtype=object)
    return np.array([None] * n, dtype=object)


def _nonempty_index(idx: pd.Index, n: int = 2) -> pd.Index:
    if isinstance(idx, pd.RangeIndex):
        return pd.RangeIndex(n, name=idx.name)
    if isinstance(idx, pd.MultiIndex):
        levels = [_nonempty_index(lvl, n) for lvl in idx.levels]
        return pd.MultiIndex.from_arrays(levels, names=idx.names)
    if isinstance(idx, pd.DatetimeIndex):
        return pd.date_range(
            "1970-01-01", periods=n, tz=idx.tz, freq=idx.freq or "D", name=idx.name
        ).as_unit(idx.unit)
    return pd.Index(_nonempty_values(idx.dtype, n), name=idx.name, dtype=idx.dtype)


def meta_nonempty(x: Any, n: int = 2) -> Any:
    """A stand-in for ``x`` with ``n`` rows of values of the same dtypes.

    Examples
    --------
    >>> meta = pd.DataFrame({"a": pd.Series([], dtype="Int64"), "b": []})
    >>> meta_nonempty(meta).dtypes.equals(meta.dtypes)
    True
    >>> len(meta_nonempty(meta))
    2
    """
    if isinstance(x, pd.DataFrame):
        idx = _nonempty_index(x.index, n)
        data = {
            i: pd.Series(_nonempty_values(dt, n), index=idx, dtype=dt)
            for i, dt in enumerate(x.dtypes)
        }
        out = pd.DataFrame(data, index=idx)
        out.columns = x.columns
        return out
    if isinstance(x, pd.Series):
        idx = _nonempty_index(x.index, n)
        return pd.Series(
            _nonempty_values(x.dtype, n), index=idx, name=x.name, dtype=x.dtype
        )
    if isinstance(x, pd.Index):
        return _nonempty_index(x, n)
    return x


def emulate(
    func: Callable[..., Any],
    *args: Any,
    nonempty: bool = False,
    check: bool = False,
    **kwargs: Any,
) -> Any:
    """Run ``func`` on metas to learn the schema of its result.

    With ``nonempty=False`` the empty metas are tried first and the
    non-empty stand-ins only if that fails; the result is always made empty.
    Errors from the non-empty attempt propagate: they are the user's errors.

    With ``check=True`` (for operations whose dtype errors empty data hides,
    such as ``clip`` or ``<`` on strings), a successful empty run is
    followed by a run on the non-empty stand-ins whose errors propagate. It
    only happens when an input has a non-numeric dtype other than
    ``object`` (whose stand-in values are guesses), so numeric plans pay
    nothing.

    Examples
    --------
    >>> s = pd.Series([], dtype="str")
    >>> len(emulate(pd.Series.clip, s, 0, 1))
    0
    >>> emulate(pd.Series.clip, s, 0, 1, check=True)
    Traceback (most recent call last):
    ...
    TypeError: Invalid comparison between dtype=str and int
    """
    if not nonempty:
        try:
            out = make_meta(func(*args, **kwargs))
        except Exception:
            pass
        else:
            if check and any(
                not (
                    pd.api.types.is_numeric_dtype(dt)
                    or pd.api.types.is_object_dtype(dt)
                )
                for a in [*args, *kwargs.values()]
                if isinstance(a, pd.DataFrame | pd.Series)
                for dt in (a.dtypes if isinstance(a, pd.DataFrame) else [a.dtype])
            ):
                func(
                    *[meta_nonempty(a) for a in args],
                    **{k: meta_nonempty(v) for k, v in kwargs.items()},
                )
            return out
    args2 = [meta_nonempty(a) for a in args]
    kwargs2 = {k: meta_nonempty(v) for k, v in kwargs.items()}
    return make_meta(func(*args2, **kwargs2))


def scalar_meta(dtype: Any) -> Any:
    """A sample scalar of ``dtype`` (the meta of a lazy scalar)."""
    values = _nonempty_values(dtype, 1)
    return values[0]


def dtype_of(meta: Any) -> Any:
    """The dtype of a scalar meta (numpy scalar, python scalar, timestamp)."""
    if hasattr(meta, "dtype"):
        return meta.dtype
    if isinstance(meta, bool):
        return np.dtype(bool)
    if isinstance(meta, int):
        return np.dtype("int64")
    if isinstance(meta, float):
        return np.dtype("float64")
    if isinstance(meta, datetime.datetime):
        return np.dtype("datetime64[ns]")
    return np.dtype(object)
