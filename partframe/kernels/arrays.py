"""The raw numbers behind pandas arrays, through public API where it has them.

Hashing, quantiles and float conversions need a pandas array's numbers as
numpy: the int64s of datetimes, the values and mask of nullable arrays.
pandas' own attributes for these (``asi8``, ``_data``, ``_mask``) are not
all public, so each helper uses them when present and a public spelling of
the same numbers otherwise: a pandas release that renames them makes these
slower, never wrong, and never breaks ``import partframe``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MASKED_DTYPES", "datetime_ints", "is_masked_dtype", "masked_parts"]

#: pandas' nullable ("masked") dtypes: numpy values plus a missing mask.
MASKED_DTYPES: tuple[type, ...] = (
    pd.BooleanDtype,
    pd.Int8Dtype,
    pd.Int16Dtype,
    pd.Int32Dtype,
    pd.Int64Dtype,
    pd.UInt8Dtype,
    pd.UInt16Dtype,
    pd.UInt32Dtype,
    pd.UInt64Dtype,
    pd.Float32Dtype,
    pd.Float64Dtype,
)


def is_masked_dtype(dtype: Any) -> bool:
    """Is ``dtype`` one of pandas' nullable numeric or boolean dtypes?

    Examples
    --------
    >>> is_masked_dtype(pd.Int64Dtype()), is_masked_dtype(np.dtype("int64"))
    (True, False)
    """
    return isinstance(dtype, MASKED_DTYPES)


def datetime_ints(arr: Any) -> np.ndarray:
    """The int64 values of a datetime or timedelta array (in its unit, UTC
    for time zones; missing values are the minimum int64).

    Examples
    --------
    >>> stamps = pd.to_datetime(["1970-01-01 00:00:01"]).as_unit("ms")
    >>> datetime_ints(pd.array(stamps)).tolist()
    [1000]
    """
    ints = getattr(arr, "asi8", None)
    if ints is None:
        ints = arr.view("i8")
    return np.asarray(ints)


def masked_parts(arr: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(values, mask)`` of a nullable array: the numpy values (arbitrary
    under the mask) and the boolean missing mask.

    Examples
    --------
    >>> values, mask = masked_parts(pd.array([1, None], dtype="Int64"))
    >>> mask.tolist()
    [False, True]
    """
    data, mask = getattr(arr, "_data", None), getattr(arr, "_mask", None)
    if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray):
        return data, mask
    return _public_masked_parts(arr)


def _public_masked_parts(arr: Any) -> tuple[np.ndarray, np.ndarray]:
    numpy_dtype = arr.dtype.numpy_dtype
    fill = False if numpy_dtype.kind == "b" else 0
    return arr.to_numpy(dtype=numpy_dtype, na_value=fill), np.asarray(arr.isna())
