"""Hash partitioning: which output partition each row goes to.

``partitioning_index(df, on, npartitions)`` hashes the key columns with
:func:`pandas.util.hash_pandas_object` (a fixed hash key, so the result is
the same in every process and on every machine) and takes the remainder.
Keys are normalized first so that values pandas treats as equal land in the
same partition whatever their dtype:

- numbers (int, uint, float, bool, nullable Int/Float) hash as float64, so
  ``1``, ``1.0`` and ``Int64`` ``1`` agree; ``-0.0`` hashes as ``0.0``;
- every missing value (``NaN``, ``None``, ``NA``, ``NaT`` in a numeric
  column) hashes as one canonical ``NaN``;
- strings hash by value whatever their dtype (``str``, ``object``,
  ``string[pyarrow]``); categoricals hash like their values;
- datetimes hash by their nanosecond value, whatever their unit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["hash_keys", "partitioning_index"]


def _normalize(values: pd.Series) -> pd.Series:
    """A Series whose hash depends only on the values pandas considers equal."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        if not len(dtype.categories):
            return pd.Series(np.full(len(values), np.nan), index=values.index)
        taken = dtype.categories.take(np.where(codes < 0, 0, codes))
        plain = pd.Series(taken, index=values.index).where(codes >= 0)
        return _normalize(plain)
    if pd.api.types.is_bool_dtype(dtype) or (
        pd.api.types.is_numeric_dtype(dtype) and dtype.kind in "iufb"
    ):
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        # One NaN bit pattern, and -0.0 == 0.0.
        arr = np.where(np.isnan(arr), np.nan, arr + 0.0)
        return pd.Series(arr, index=values.index)
    if dtype.kind == "M":
        if isinstance(dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        try:
            return values.astype("datetime64[ns]")
        except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
            return values
    if dtype.kind == "m":
        try:
            return values.astype("timedelta64[ns]")
        except (OverflowError, ValueError):
            return values
    if isinstance(dtype, pd.StringDtype):
        # str / string[python] / string[pyarrow]: hash like object strings.
        return pd.Series(
            values.to_numpy(dtype=object, na_value=None), index=values.index
        )
    if dtype.kind == "O":
        return values.where(values.notna(), None)
    return values


def hash_keys(keys: pd.DataFrame | pd.Series | pd.Index) -> np.ndarray:
    """A uint64 hash per row of ``keys``, stable across processes.

    Examples
    --------
    >>> import pandas as pd
    >>> a = hash_keys(pd.Series([1, 2]))
    >>> b = hash_keys(pd.Series([1.0, 2.0]))
    >>> bool((a == b).all())
    True
    """
    if isinstance(keys, pd.MultiIndex):
        keys = keys.to_frame(index=False)
    elif isinstance(keys, pd.Index):
        keys = keys.to_series(index=pd.RangeIndex(len(keys)))
    if isinstance(keys, pd.Series):
        keys = keys.to_frame()
    if len(keys.columns) == 0:
        return np.zeros(len(keys), dtype="uint64")
    norm = pd.DataFrame(
        {i: _normalize(keys.iloc[:, i]) for i in range(len(keys.columns))}
    )
    if len(norm.columns) == 1:
        return pd.util.hash_pandas_object(norm.iloc[:, 0], index=False).to_numpy()
    return pd.util.hash_pandas_object(norm, index=False).to_numpy()


def partitioning_index(
    df: pd.DataFrame | pd.Series | pd.Index,
    on: Any,
    npartitions: int,
) -> np.ndarray:
    """The output partition (``0 <= p < npartitions``) of every row of ``df``.

    Parameters
    ----------
    df : pandas.DataFrame, Series or Index
        The rows to assign.
    on : label, list of labels, or None
        Key columns of a DataFrame. ``None`` hashes the whole object: a
        Series' values, an Index (or MultiIndex), or every column of a
        DataFrame. The index of a frame is used when ``on`` is the string
        ``"__index__"``.
    npartitions : int
        How many output partitions.

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"k": [1, 2, 1], "v": [1.0, 2.0, 3.0]})
    >>> p = partitioning_index(df, "k", 4)
    >>> bool(p[0] == p[2]), bool(((0 <= p) & (p < 4)).all())
    (True, True)
    """
    if npartitions < 1:
        raise ValueError(f"npartitions must be at least 1, got {npartitions}")
    if on is None:
        keys = df
    elif isinstance(on, str) and on == "__index__":
        keys = df.index
    elif isinstance(on, list | tuple):
        keys = df[list(on)]
    else:
        keys = df[on]
    if npartitions == 1:
        return np.zeros(len(df), dtype="int64")
    h = hash_keys(keys)
    return (h % np.uint64(npartitions)).astype("int64")
