"""The unique-right join kernel's lookup: several integer keys packed into
one int64, and the lookup of a broadcast side built once per frame."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import partframe as pf
from partframe.kernels import join as kj
from partframe.testing import assert_eq

INTS = ["int64", "int8", "uint8", "uint64", "int32"]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    dtypes=st.lists(st.sampled_from(INTS), min_size=2, max_size=3),
    n=st.integers(1, 30),
    how=st.sampled_from(["inner", "left"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_packed_keys_equal_pandas(dtypes, n, how, seed):
    rng = np.random.default_rng(seed)
    keys = [f"k{i}" for i in range(len(dtypes))]

    def draw(dtype, size):
        info = np.iinfo(dtype)
        if rng.random() < 0.3:  # extremes: spans that may not pack
            pool = [int(info.min), int(info.max), 0, 1]
            return np.array([pool[i] for i in rng.integers(0, 4, size)], dtype=dtype)
        lo, hi = max(int(info.min), -3), min(int(info.max), 6)
        return rng.integers(lo, hi, size).astype(dtype)

    right = pd.DataFrame({k: draw(d, n) for k, d in zip(keys, dtypes)})
    right = right.drop_duplicates(ignore_index=True).assign(
        r=lambda f: np.arange(len(f))
    )
    left = pd.DataFrame({k: draw(d, 2 * n) for k, d in zip(keys, dtypes)})
    left = pd.concat([left, right[keys].iloc[::2]], ignore_index=True)
    left["l"] = np.arange(len(left))
    want = pd.merge(left, right, how=how, on=keys)
    got = kj.unique_right_merge(left, right, {"how": how, "on": keys}, want.columns)
    assert got is not None
    pd.testing.assert_frame_equal(got, want)


def test_repeated_packed_keys_step_aside():
    right = pd.DataFrame({"a": [1, 1], "b": [2, 2], "r": [0, 1]})
    left = pd.DataFrame({"a": [1, 1], "b": [2, 3]})
    kw = {"on": ["a", "b"], "how": "left"}
    want = pd.merge(left, right, **kw)
    assert kj.unique_right_merge(left, right, kw, want.columns) is None
    # an inner join with a smaller left side looks the right keys up in
    # the left's unique ones
    left = left.iloc[:1]
    want = pd.merge(left, right, on=["a", "b"])
    got = kj.unique_right_merge(left, right, {"on": ["a", "b"]}, want.columns)
    pd.testing.assert_frame_equal(got, want)


def test_lookup_built_once_per_right_frame(monkeypatch):
    built = []
    real = kj._build_lookup

    def counting(right, rk):
        built.append(id(right))
        return real(right, rk)

    monkeypatch.setattr(kj, "_build_lookup", counting)
    right = pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6], "r": [7, 8, 9]})
    kw = {"how": "inner", "on": ["a", "b"]}
    for part in range(3):
        left = pd.DataFrame({"a": [3, 1, part], "b": [6, 4, 5]})
        want = pd.merge(left, right, **kw)
        got = kj.unique_right_merge(left, right, dict(kw), want.columns)
        pd.testing.assert_frame_equal(got, want)
    assert len(built) == 1
    # a new frame (even at a reused id) gets its own lookup
    del right
    gc.collect()
    right = pd.DataFrame({"a": [3], "b": [6], "r": [0]})
    want = pd.merge(left, right, **kw)
    got = kj.unique_right_merge(left, right, dict(kw), want.columns)
    pd.testing.assert_frame_equal(got, want)
    assert len(built) == 2
    n = len(kj._LOOKUPS)
    del right
    gc.collect()
    assert len(kj._LOOKUPS) == n - 1  # the entry goes with the frame


@pytest.mark.parametrize("npartitions", [1, 3, 12])
def test_broadcast_join_on_two_keys(npartitions):
    rng = np.random.default_rng(2)
    n = 60
    big = pd.DataFrame(
        {
            "a": rng.integers(0, 5, n),
            "b": rng.integers(-2, 4, n),
            "x": rng.normal(size=n),
        }
    )
    dim = pd.DataFrame({"a": [0, 1, 4, 9], "b": [0, -2, 3, 1], "y": [1, 2, 3, 4]})
    left = pf.from_pandas(big, npartitions=npartitions)
    right = pf.from_pandas(dim, npartitions=1)
    for how in ["inner", "left"]:
        assert_eq(
            left.merge(right, on=["a", "b"], how=how),
            big.merge(dim, on=["a", "b"], how=how),
            check_index=False,
        )


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    kdtype=st.sampled_from(INTS + ["uint32", "int16"]),
    vdtype=st.sampled_from(INTS + ["uint32", "int16"]),
    n=st.integers(1, 40),
    m=st.integers(0, 60),
    spread=st.sampled_from([1, 3, 100]),
    seed=st.integers(0, 2**32 - 1),
)
def test_dense_lookup_equals_get_indexer(kdtype, vdtype, n, m, spread, seed):
    # integer keys in a table of positions over their range: the
    # positions an Index of them gives, for values of any integer dtype
    rng = np.random.default_rng(seed)
    kinfo, vinfo = np.iinfo(kdtype), np.iinfo(vdtype)
    lo = max(int(kinfo.min), -20) if rng.random() < 0.7 else int(kinfo.min)
    hi = min(int(kinfo.max), lo + n * spread)
    keys = rng.integers(lo, hi, n, endpoint=True, dtype=kdtype)
    if rng.random() < 0.5:
        keys = np.unique(keys)
    vlo, vhi = max(int(vinfo.min), lo - 5), min(int(vinfo.max), hi + 5)
    if vhi < vlo:  # no value of vdtype near the keys
        vlo, vhi = int(vinfo.min), int(vinfo.min) + 10
    values = rng.integers(vlo, vhi, m, endpoint=True).astype(vdtype)
    if m and rng.random() < 0.3:
        values[0] = vinfo.max  # far outside the table
    lookup = kj._dense_lookup(keys)
    index = pd.Index(keys)
    if not index.is_unique:
        assert lookup is False or lookup is None
        return
    if lookup is None:  # too sparse for a table
        assert int(keys.max()) - int(keys.min()) + 1 > kj._DENSE_FACTOR * len(keys)
        return
    got = lookup.get_indexer(values)
    assert got.tolist() == index.get_indexer(values).tolist()


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_dense_keys_join_as_pandas(scheduler):
    rng = np.random.default_rng(3)
    dim = pd.DataFrame({"k": rng.permutation(500) + 7, "name": np.arange(500) % 9})
    facts = pd.DataFrame({"k": rng.integers(0, 520, 300), "v": rng.random(300)})
    d = pf.from_pandas(dim, npartitions=1)
    for nparts in [1, 4, 350]:
        f = pf.from_pandas(facts, npartitions=nparts)
        for how in ["inner", "left"]:
            assert_eq(
                f.merge(d, on="k", how=how),
                facts.merge(dim, on="k", how=how),
                check_index=False,
                sort_results=True,
                scheduler=scheduler,
            )
        assert_eq(
            d.merge(f, on="k"),
            dim.merge(facts, on="k"),
            check_index=False,
            sort_results=True,
            scheduler=scheduler,
        )
