"""Distinct (key, value) pairs of integers by a packed radix sort, the combine
of partials from disjoint key ranges without a dedup, and the counts by runs:
all equal pandas' nunique."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import partframe
from partframe.kernels.groupby import sorted_distinct_pairs
from partframe.kernels.groupby_combine import disjoint_ascending
from partframe.testing import assert_eq

DTYPES = ["int64", "int8", "uint8", "int32", "uint64"]


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    n=st.integers(1, 400),
    kdtype=st.sampled_from(DTYPES),
    vdtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**32 - 1),
)
def test_pairs_equal_drop_duplicates(n, kdtype, vdtype, seed):
    rng = np.random.default_rng(seed)

    def draw(dtype):
        info = np.iinfo(dtype)
        lo, hi = int(info.min), int(info.max)
        if rng.random() < 0.5:  # a narrow range, many repeats
            lo = max(lo, -5) if lo < 0 else lo
            hi = min(hi, lo + 9)
        return rng.integers(lo, hi, n, dtype=dtype, endpoint=True)

    k, v = draw(kdtype), draw(vdtype)
    res = sorted_distinct_pairs(k, v)
    expected = (
        pd.DataFrame({0: k, "v": v})
        .drop_duplicates()
        .sort_values([0, "v"], ignore_index=True)
    )
    if res is None:  # spans that do not pack into an int64
        kspan = int(k.max()) - int(k.min()) + 1
        vspan = int(v.max()) - int(v.min()) + 1
        assert kspan * vspan >= 2**63 or max(int(k.max()), int(v.max())) >= 2**63
        return
    got = pd.DataFrame({0: res[0], "v": res[1]})
    pd.testing.assert_frame_equal(got, expected)


def test_pairs_decline_floats_and_missing():
    assert sorted_distinct_pairs(np.array([1.0]), np.array([1])) is None
    assert sorted_distinct_pairs(np.array([1]), np.array([np.nan])) is None
    assert sorted_distinct_pairs(np.array([1]), pd.array([1], dtype="Int64")) is None


def testdisjoint_ascending():
    def f(keys):
        return pd.DataFrame({0: np.array(keys, dtype="int64"), "v": 0})

    assert disjoint_ascending([f([1, 2, 2]), f([]), f([3, 5])])
    assert not disjoint_ascending([f([1, 2]), f([2, 3])])  # key 2 in both
    assert not disjoint_ascending([f([1, 3, 2]), f([4])])  # unsorted
    assert not disjoint_ascending([f([4]), f([1])])
    floats = pd.DataFrame({0: [1.0], "v": 0})
    assert not disjoint_ascending([floats, floats.assign(**{"0": 2.0})])


@pytest.mark.parametrize("npartitions", [1, 3, 8, 50])
@pytest.mark.parametrize("sorted_keys", [True, False])
def test_nunique_matches_pandas(npartitions, sorted_keys):
    rng = np.random.default_rng(11)
    n = 40
    k = rng.integers(-3, 9, n)
    if sorted_keys:  # a table stored in key order: disjoint partitions
        k = np.sort(k)
    pdf = pd.DataFrame(
        {
            "k": k,
            "k8": k.astype("int8"),
            "v": rng.integers(0, 4, n),
            "f": rng.integers(0, 4, n).astype("float64"),
        }
    )
    pdf.loc[::5, "f"] = np.nan
    df = partframe.from_pandas(pdf, npartitions=npartitions)
    for by in ["k", "k8"]:
        assert_eq(df.groupby(by).v.nunique(), pdf.groupby(by).v.nunique())
        assert_eq(df.groupby(by).f.nunique(), pdf.groupby(by).f.nunique())
        assert_eq(
            df.groupby(by, sort=False).agg(n=("v", "nunique"), s=("v", "sum")),
            pdf.groupby(by, sort=False).agg(n=("v", "nunique"), s=("v", "sum")),
        )
    # a filter leaves some groups without rows in some partitions
    sub = df[df.v > 1]
    psub = pdf[pdf.v > 1]
    assert_eq(sub.groupby("k").v.nunique(), psub.groupby("k").v.nunique())
    assert_eq(df.groupby(["k", "v"]).f.nunique(), pdf.groupby(["k", "v"]).f.nunique())
