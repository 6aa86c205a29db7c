"""kernels.arrays: pandas' private fast paths and the public fallbacks give
the same numbers (a pandas release without the private names stays
correct)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partframe.kernels import arrays
from partframe.tokenize import tokenize


@pytest.mark.parametrize(
    "arr",
    [
        pd.array([1, None, 3], dtype="Int64"),
        pd.array([True, None, False], dtype="boolean"),
        pd.array([1.5, None], dtype="Float32"),
        pd.array([], dtype="UInt8"),
    ],
)
def test_masked_parts_public_fallback_agrees(arr):
    data, mask = arrays.masked_parts(arr)
    pdata, pmask = arrays._public_masked_parts(arr)
    np.testing.assert_array_equal(mask, pmask)
    np.testing.assert_array_equal(data[~mask], pdata[~pmask])
    assert pdata.dtype == arr.dtype.numpy_dtype


class _NoPrivate:
    """An array exposing only public API (as a pandas without ``asi8``)."""

    def __init__(self, arr):
        self._arr = arr

    def view(self, dtype):
        return self._arr.view(dtype)


@pytest.mark.parametrize("tz", [None, "Europe/Paris"])
def test_datetime_ints_without_asi8(tz):
    arr = pd.array(pd.date_range("2026-01-01", periods=3, freq="h", tz=tz))
    np.testing.assert_array_equal(
        arrays.datetime_ints(arr), arrays.datetime_ints(_NoPrivate(arr))
    )


def test_masked_dtypes_are_pandas_nullable_dtypes():
    for name in ["Int8", "UInt64", "Float64", "boolean"]:
        assert arrays.is_masked_dtype(pd.Series([], dtype=name).dtype)
    for dtype in ["int64", "float64", "string[pyarrow]", "category"]:
        assert not arrays.is_masked_dtype(pd.Series([], dtype=dtype).dtype)


def test_tokens_of_masked_arrays_ignore_values_under_the_mask():
    a = pd.array([1, None], dtype="Int64")
    b = pd.array([1, 2], dtype="Int64")
    b[1] = None
    assert tokenize(pd.Series(a)) == tokenize(pd.Series(b))
