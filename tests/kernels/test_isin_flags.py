"""``isin`` of a whole Series of integers by a table of flags over their
range: equal to pandas' ``isin`` for every integer dtype on either side,
values outside the other dtype's range, and ranges too wide for a table.
(The semi-join filters of integer keys that use it are checked against
pandas in ``tests/expr/test_semi_joins.py``.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partframe.kernels.elementwise import Whole, isin_whole

INTS = ["int8", "uint8", "int16", "int32", "int64", "uint32", "uint64"]


def _draw(rng, dtype, n):
    info = np.iinfo(dtype)
    if rng.random() < 0.5:  # anywhere in the dtype's range
        return rng.integers(int(info.min), int(info.max), n, dtype=dtype, endpoint=True)
    lo = max(int(info.min), -6)
    return rng.integers(lo, min(int(info.max), lo + 30), n, dtype=dtype, endpoint=True)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    n=st.integers(1, 60),
    m=st.integers(1, 12),
    xdtype=st.sampled_from(INTS),
    vdtype=st.sampled_from(INTS),
    seed=st.integers(0, 2**32 - 1),
)
def test_isin_whole_equals_pandas(n, m, xdtype, vdtype, seed):
    rng = np.random.default_rng(seed)
    x = pd.Series(_draw(rng, xdtype, n), index=rng.permutation(n), name="k")
    values = pd.Series(_draw(rng, vdtype, m))
    if rng.random() < 0.5:  # values that are in x
        values = pd.concat([values, x.sample(min(3, n), random_state=seed)])
    whole = Whole(values)
    for _ in range(2):  # the table is built once, then reused
        got = isin_whole(x, whole)
        pd.testing.assert_series_equal(got, x.isin(values))


def test_isin_whole_other_dtypes_as_pandas():
    x = pd.Series([1.0, np.nan, 3.0])
    assert isin_whole(x, Whole(pd.Series([3]))).tolist() == [False, False, True]
    s = pd.Series(["a", "b"], dtype="str")
    assert isin_whole(s, Whole(pd.Series(["b"]))).tolist() == [False, True]
    nullable = pd.Series([1, None], dtype="Int64")
    assert isin_whole(nullable, Whole(pd.Series([1]))).tolist() == [True, False]
    ints = pd.Series([1, 2])
    assert isin_whole(ints, Whole(pd.Series([2.0, np.nan]))).tolist() == [False, True]
    assert not isin_whole(pd.Series([], dtype="int64"), Whole(pd.Series([1]))).any()
