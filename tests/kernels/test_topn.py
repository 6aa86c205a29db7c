"""groupby nlargest / nsmallest (kernels/topn.py) against pandas: ties, missing
values and keys, several keys, every partitioning, both selection methods
(n passes for small n, one sort for larger n)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, variant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import partframe
from partframe.kernels import topn
from partframe.kernels.groupby_range import row_ranges
from partframe.kernels.topn import fast_top_n_ok, group_codes, top_n_mask
from partframe.testing import assert_eq


def _frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fk = rng.integers(0, 9, n).astype(float)
    fk[rng.random(n) < 0.1] = np.nan
    f = rng.integers(0, 4, n).astype(float)  # many ties
    f[rng.random(n) < 0.25] = np.nan
    f[::17] = -np.inf
    words = np.array(["a", "bb", "c", "dd"])
    s = pd.array(words[rng.integers(0, 4, n)], dtype="str")
    s[::11] = None
    return pd.DataFrame(
        {
            "i": rng.integers(-3, 5, n),
            "fk": fk,
            "s": s,
            "f": f,
            "v": rng.integers(-2, 3, n),
            "u": rng.integers(0, 3, n).astype("uint8"),
        },
        index=pd.RangeIndex(n) * 3,
    )


@pytest.fixture(scope="module")
def pdf():
    return _frame()


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("method", ["nlargest", "nsmallest"])
def test_top_n_every_partitioning(pdf, how, method):
    # one partition per row: a small frame keeps the shuffle graphs small
    df, p = variant(pdf.head(30) if how == "more-than-rows" else pdf, how)
    cases = [("f", 1, True), ("f", 2, False), ("v", 3, False), ("u", 2, True)]
    cases += [("f", 7, False), ("v", 6, True)]  # n above _PASSES_MAX_N: a sort
    for key in ["i", "fk", "s", ["s", "i"], ["fk", "s"]]:
        for col, n, dropna in cases:
            got = getattr(df.groupby(key, dropna=dropna)[col], method)(n)
            exp = getattr(p.groupby(key, dropna=dropna)[col], method)(n)
            assert_eq(got, exp, check_divisions=False)


@pytest.mark.parametrize("method", ["nlargest", "nsmallest"])
def test_top_n_unsorted_groups(pdf, method):
    """``sort=False``: groups in order of first appearance (one partition)."""
    df = partframe.from_pandas(pdf, npartitions=1)
    for key in ["i", "fk", ["s", "i"]]:
        for dropna in [True, False]:
            got = getattr(df.groupby(key, sort=False, dropna=dropna).f, method)(2)
            exp = getattr(pdf.groupby(key, sort=False, dropna=dropna).f, method)(2)
            assert_eq(got, exp)


def test_top_n_named_index_split_out_and_fallback():
    pdf = _frame(200, seed=3)
    pdf.index = pd.Index(pdf.index, name="row")
    df = partframe.from_pandas(pdf, npartitions=4)
    exp = pdf.groupby("i").f.nlargest(2)
    assert_eq(df.groupby("i").f.nlargest(2), exp)
    assert_eq(df.groupby("i", split_out=3).f.nlargest(2), exp, check_divisions=False)
    assert_eq(df.groupby("i", split_out=1).f.nlargest(2), exp)
    # nullable values take pandas' own path
    pdf["n"] = pd.array(pdf["v"], dtype="Int64")
    df = partframe.from_pandas(pdf, npartitions=4)
    assert not fast_top_n_ok(pdf, ["i"], "n")
    assert_eq(df.groupby("i").n.nlargest(2), pdf.groupby("i").n.nlargest(2))


def test_top_n_mask_methods_agree():
    """n passes and one sort select the same rows."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        m = int(rng.integers(1, 300))
        values = rng.integers(0, 4, m).astype(float)
        values[rng.random(m) < 0.3] = np.nan
        codes = rng.integers(-1, 6, m)
        for n in (1, 2, 3, 4):
            for largest in (True, False):
                a = topn._mask_by_passes(values, codes, 6, n, largest)
                b = topn._mask_by_sort(values, codes, 6, n, largest)
                np.testing.assert_array_equal(a, b)
    assert not top_n_mask(np.array([1.0]), np.array([0]), 1, 0, True).any()


def test_group_codes_int_range_and_order():
    df = pd.DataFrame({"k": [5, 3, 5, 9], "s": ["b", "a", "b", "a"]})
    codes, ngroups = group_codes(df, ["k"], True, True)
    assert ngroups == 7 and codes.tolist() == [2, 0, 2, 6]
    codes, ngroups = group_codes(df, ["k"], False, True)
    assert ngroups == 3 and codes.tolist() == [0, 1, 0, 2]
    codes, ngroups = group_codes(df, ["s", "k"], True, True)
    assert ngroups == 3 and codes.tolist() == [2, 0, 2, 1]


@pytest.mark.parametrize("dtype", ["int64", "uint8", "float64"])
def test_assign_numeric_matches_generic(dtype):
    rng = np.random.default_rng(2)
    keys = pd.DataFrame({0: rng.integers(0, 20, 500).astype(dtype)})
    bounds = pd.DataFrame({0: np.array([2, 7, 7, 15]).astype(dtype)}).iloc[[0, 1, 3]]
    if dtype == "float64":
        keys.iloc[::7, 0] = np.nan
        with_nan = pd.DataFrame({0: [2.0, 7.0, np.nan]})
        generic = row_ranges(keys.astype(object), with_nan.astype(object))
        np.testing.assert_array_equal(row_ranges(keys, with_nan), generic)
    generic = row_ranges(keys.astype(object), bounds.astype(object))
    np.testing.assert_array_equal(row_ranges(keys, bounds), generic)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    keys=st.lists(st.integers(0, 4), min_size=1, max_size=40),
    nparts=st.integers(1, 5),
    n=st.integers(1, 6),
)
def test_random_top_n(keys, nparts, n):
    m = len(keys)
    values = np.round(np.sin(np.arange(m)) * 3)
    values[::4] = np.nan
    pdf = pd.DataFrame({"k": keys, "x": values})
    df = partframe.from_pandas(pdf, npartitions=nparts)
    assert_eq(df.groupby("k").x.nlargest(n), pdf.groupby("k").x.nlargest(n))
    assert_eq(df.groupby("k").x.nsmallest(n), pdf.groupby("k").x.nsmallest(n))


def test_top_n_series_and_level_keys():
    pdf = pd.DataFrame(
        {"k": [1, 2, 1, 2, 1, 3, 3, 1] * 5, "x": np.arange(40.0) % 7},
        index=pd.RangeIndex(40) * 2,
    )
    df = partframe.from_pandas(pdf, npartitions=3)
    exp = pdf.x.groupby(pdf.k).nlargest(2)
    assert_eq(df.x.groupby(df.k).nlargest(2), exp, check_divisions=False)
    exp = pdf.x.rename(None).groupby(pdf.k).nsmallest(3)
    got = df.x.rename(None).groupby(df.k).nsmallest(3)
    assert_eq(got, exp, check_divisions=False)
    exp = pdf.set_index("k").x.groupby(level=0).nlargest(2)
    got = df.set_index("k").x.groupby(level=0).nlargest(2)
    assert_eq(got, exp, check_divisions=False)
