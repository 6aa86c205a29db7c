"""Hash partitioning: which output partition each row goes to.

``partitioning_index(df, on, npartitions)`` hashes the key columns as
:func:`pandas.util.hash_pandas_object` does (a fixed hash key, so the result
is the same in every process and on every machine) and takes the remainder.
The hashes are pandas', computed from the columns' arrays with
:func:`pandas.util.hash_array` and combined as pandas combines a frame's
columns: building the key frame and its Series cost a small partition ten
times the hashing. Keys are normalized first so that values pandas treats
as equal land in the same partition whatever their dtype:

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

from .gather import frame_columns, plain_array
from .selection import select_columns

__all__ = ["hash_keys", "partitioning_index"]


def _key_array(values: Any) -> Any:
    """A key column's array (numpy or extension), as the array its hash is
    computed from: equal for the values pandas considers equal."""
    values = plain_array(values)
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = np.asarray(values.codes)
        if not len(dtype.categories):
            return np.full(len(values), np.nan)
        taken = dtype.categories.take(np.where(codes < 0, 0, codes))
        return _key_array(pd.Series(taken).where(codes >= 0).array)
    if pd.api.types.is_bool_dtype(dtype) or (
        pd.api.types.is_numeric_dtype(dtype) and dtype.kind in "iufb"
    ):
        arr = (
            values.astype("float64")
            if isinstance(values, np.ndarray)
            else values.to_numpy(dtype="float64", na_value=np.nan)
        )
        # One NaN bit pattern, and -0.0 == 0.0.
        return np.where(np.isnan(arr), np.nan, arr + 0.0)
    if dtype.kind == "M":
        series = pd.Series(values)
        if isinstance(dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        try:
            return series.astype("datetime64[ns]").array
        except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
            return series.array
    if dtype.kind == "m":
        try:
            return pd.Series(values).astype("timedelta64[ns]").array
        except (OverflowError, ValueError):
            return values
    if isinstance(dtype, pd.StringDtype):
        # str / string[python] / string[pyarrow]: hash like object strings.
        return values.to_numpy(dtype=object, na_value=None)
    if dtype.kind == "O":
        arr = np.array(values, dtype=object)
        arr[pd.isna(arr)] = None
        return arr
    return values


#: Rows from which object keys are factorized before hashing (pandas'
#: ``categorize``): a hash per distinct value then saves work when values
#: repeat, while below it the factorizing costs more than hashing each row.
CATEGORIZE_ROWS = 10_000

_U8MAX = np.iinfo(np.uint64).max


def _hash_column(values: Any) -> np.ndarray:
    """pandas' hash of one key column's normalized values (what
    ``hash_pandas_object(..., index=False)`` gives for them)."""
    arr = _key_array(values)
    if (
        isinstance(arr, np.ndarray)
        and arr.dtype == object
        and len(arr) < CATEGORIZE_ROWS
    ):
        # pandas' categorized hash, without the factorizing: each value's
        # hash, and missing values the largest uint64
        missing = pd.isna(arr)
        out = pd.util.hash_array(np.where(missing, "", arr), categorize=False)
        out[missing] = _U8MAX
        return out
    return np.asarray(pd.util.hash_array(arr), dtype="uint64")


def _combine(hashes: list[np.ndarray]) -> np.ndarray:
    """One hash per row from the hashes of its key columns, as
    ``hash_pandas_object`` of a frame combines its columns'."""
    try:
        from pandas.core.util.hashing import combine_hash_arrays
    except ImportError:  # pragma: no cover - pandas moved it
        frame = pd.DataFrame(dict(enumerate(hashes)))
        return pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return combine_hash_arrays(iter(hashes), len(hashes))


def _key_columns(keys: pd.DataFrame | pd.Series | pd.Index) -> list:
    """The arrays of ``keys``' columns (one for a Series or an Index)."""
    if isinstance(keys, pd.MultiIndex):
        return [keys.get_level_values(i).array for i in range(keys.nlevels)]
    if isinstance(keys, pd.Index | pd.Series):
        return [keys.array]
    return frame_columns(keys)


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
    return _hash_arrays(_key_columns(keys), len(keys))


def _hash_arrays(columns: list, rows: int) -> np.ndarray:
    """:func:`hash_keys` of the key columns' arrays."""
    if not columns:
        return np.zeros(rows, dtype="uint64")
    hashes = [_hash_column(values) for values in columns]
    return hashes[0] if len(hashes) == 1 else _combine(hashes)


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
        columns = _key_columns(df)
    elif isinstance(on, str) and on == "__index__":
        columns = _key_columns(df.index)
    elif isinstance(on, list | tuple) and df.columns.is_unique:
        columns = [df[label].array for label in on]  # no key frame built
    elif isinstance(on, list | tuple):
        columns = _key_columns(select_columns(df, list(on)))
    else:
        columns = _key_columns(df[on])
    if npartitions == 1:
        return np.zeros(len(df), dtype="int64")
    h = _hash_arrays(columns, len(df))
    return (h % np.uint64(npartitions)).astype("int64")
