"""The unique-right-keys join kernel equals ``pandas.merge`` exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import partframe as pf
from partframe.kernels.join import unique_right_merge
from partframe.testing import assert_eq


def _both(left, right, **kw):
    want = pd.merge(left, right, **kw)
    got = unique_right_merge(left, right, dict(kw), want.columns)
    return got, want


KEYS = {
    "int": lambda v: pd.array(v, dtype="int64"),
    "float-nan": lambda v: pd.array([np.nan if x == 0 else float(x) for x in v]),
    "Int64-na": lambda v: pd.array([None if x == 0 else x for x in v], dtype="Int64"),
    "str-na": lambda v: pd.array([None if x == 0 else f"k{x}" for x in v], dtype="str"),
    "datetime-tz": lambda v: pd.array(
        pd.to_datetime(np.asarray(v), unit="D").tz_localize("UTC")
    ),
}


@pytest.mark.parametrize("how", ["inner", "left"])
@pytest.mark.parametrize("kind", list(KEYS))
def test_kernel_equals_pandas(kind, how):
    make = KEYS[kind]
    left = pd.DataFrame(
        {
            "k": make([1, 2, 0, 3, 2, 9, 0]),
            "v": np.arange(7),
            "s": pd.array(list("abcdefg"), dtype="str"),
        }
    )
    right = pd.DataFrame(
        {
            "k": make([2, 0, 1, 5]),
            "v": [10, 20, 30, 40],
            "b": [True, False, True, False],
            "c": pd.Categorical(["x", "y", "x", "z"]),
            "rs": pd.array(["p", "q", "r", "t"], dtype="str"),
            "rn": pd.array(["p", None, "r", "t"], dtype="str"),
            "ra": pd.array(["p", "q", "r", "t"], dtype="string[pyarrow]"),
        }
    )
    got, want = _both(left, right, on="k", how=how)
    assert got is not None
    pd.testing.assert_frame_equal(got, want)


def test_kernel_steps_aside():
    left = pd.DataFrame({"k": [1, 2, 3], "v": [1, 2, 3]})
    dup = pd.DataFrame({"k": [1, 1], "w": [1, 2]})
    assert _both(left, dup, on="k", how="left")[0] is None  # right keys repeat
    other = pd.DataFrame({"k": [1.0, 2.0], "w": [1, 2]})
    assert _both(left, other, on="k", how="left")[0] is None  # key dtypes differ
    right = pd.DataFrame({"k": [1, 2], "w": [1, 2]})
    for how in ("outer", "right"):
        assert _both(left, right, on="k", how=how)[0] is None
    assert _both(left, right, on="k", how="left", indicator=True)[0] is None


def test_kernel_left_on_right_on_and_suffixes():
    left = pd.DataFrame(
        {"a": [1, 2, 3, 4], "v": [1.5, 2.5, 3.5, 4.5], "k2": [1, 1, 2, 2]}
    )
    right = pd.DataFrame({"b": [4, 3, 7], "v": [7, 8, 9], "k2": [2, 2, 2]})
    got, want = _both(left, right, left_on="a", right_on="b", how="left",
                      suffixes=("_l", "_r"))  # fmt: skip
    assert got is not None
    pd.testing.assert_frame_equal(got, want)
    left["m"], right["m"] = [0, 1, 0, 1], [1, 0, 1]
    right["k2"] = [2, 2, 1]
    got, want = _both(left, right, on=["k2", "m"], how="inner")  # two keys
    assert got is not None
    pd.testing.assert_frame_equal(got, want)


frames = st.integers(0, 25).flatmap(
    lambda n: st.tuples(
        st.lists(st.one_of(st.none(), st.integers(0, 8)), min_size=n, max_size=n),
        st.lists(st.integers(0, 8), min_size=0, max_size=9, unique=True),
    )
)


@settings(max_examples=60, deadline=None)
@given(frames, st.sampled_from(["inner", "left"]), st.sampled_from(["Int64", "str"]))
def test_kernel_property(keys, how, dtype):
    lkeys, rkeys = keys
    conv = (
        (lambda v: v) if dtype == "Int64" else (lambda v: None if v is None else str(v))
    )
    left = pd.DataFrame({"k": pd.array([conv(v) for v in lkeys], dtype=dtype),
                         "x": np.arange(len(lkeys), dtype="int64")})  # fmt: skip
    right = pd.DataFrame({"k": pd.array([conv(v) for v in rkeys], dtype=dtype),
                          "y": np.arange(len(rkeys), dtype="int64") * 10})  # fmt: skip
    got, want = _both(left, right, on="k", how=how)
    if not len(left) or not len(right):
        assert got is None  # empty sides: pandas decides the dtypes
        return
    assert got is not None
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("npartitions", [1, 3, 12])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_broadcast_join_through_the_kernel(npartitions, scheduler):
    rng = np.random.default_rng(0)
    left = pd.DataFrame({"k": pd.array([f"id{i}" for i in rng.integers(0, 30, 10)],
                                       dtype="str"),
                         "v": rng.random(10)})  # fmt: skip
    right = pd.DataFrame({"k": pd.array([f"id{i}" for i in range(20)], dtype="str"),
                          "w": np.arange(20)})  # fmt: skip
    dl = pf.from_pandas(left, npartitions=npartitions)
    dr = pf.from_pandas(right, npartitions=1)
    for how in ("inner", "left"):
        out = dl.merge(dr, on="k", how=how)
        want = "single" if npartitions == 1 else "broadcast-right"
        assert out.expr.strategy() == want
        assert_eq(out, left.merge(right, on="k", how=how), check_index=False,
                  scheduler=scheduler)  # fmt: skip


@pytest.mark.parametrize("how", ["inner", "left"])
def test_kernel_missing_values_in_two_keys(how):
    left = pd.DataFrame(
        {
            "a": [1.0, np.nan, 2.0, np.nan],
            "b": [1, 1, 2, 2],
            "s": pd.array(["p", None, "q", None], dtype="str"),
        }
    )
    right = pd.DataFrame(
        {
            "a": [np.nan, 2.0, 1.0],
            "b": [1, 2, 1],
            "s": pd.array([None, "q", "p"], dtype="str"),
            "y": [10, 20, 30],
        }
    )
    for on in (["a", "b"], ["s", "b"]):
        got, want = _both(left, right, on=on, how=how)
        assert got is not None
        pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("kind", list(KEYS))
def test_unique_left_inner_equals_pandas(kind):
    # a small left side with unique keys, a larger right side whose keys
    # repeat (out of order): pandas orders the result by the left rows
    make = KEYS[kind]
    left = pd.DataFrame({"k": make([3, 0, 1, 2, 7]), "v": np.arange(5),
                         "s": pd.array(list("abcde"), dtype="str")})  # fmt: skip
    right = pd.DataFrame(
        {
            "k": make([1, 2, 3, 1, 0, 3, 5, 2, 2, 0]),
            "v": np.arange(10) * 10,
            "rs": pd.array(list("pqrstuvwxy"), dtype="str"),
        }
    )
    got, want = _both(left, right, on="k", how="inner")
    assert got is not None
    pd.testing.assert_frame_equal(got, want)
    got, want = _both(left.rename(columns={"k": "a"}), right, left_on="a",
                      right_on="k", how="inner", suffixes=("_l", "_r"))  # fmt: skip
    assert got is not None
    pd.testing.assert_frame_equal(got, want)


def test_unique_left_two_keys_and_steps_aside():
    left = pd.DataFrame({"a": [2, 1, 2], "b": [1, 1, 0], "x": [1.5, 2.5, 3.5]})
    right = pd.DataFrame({"a": [1, 2, 2, 1, 9], "b": [1, 0, 1, 1, 1],
                          "y": [10, 20, 30, 40, 50]})  # fmt: skip
    got, want = _both(left, right, on=["a", "b"], how="inner")
    assert got is not None
    pd.testing.assert_frame_equal(got, want)
    dup = pd.DataFrame({"a": [1, 1], "b": [1, 1], "x": [0.0, 1.0]})
    assert _both(dup, right, on=["a", "b"], how="inner")[0] is None  # both repeat
    assert _both(left, right, on=["a", "b"], how="left")[0] is None  # left join


@settings(max_examples=60, deadline=None)
@given(frames, st.sampled_from(["Int64", "str"]))
def test_unique_left_property(keys, dtype):
    rkeys, lkeys = keys  # the unique keys on the left
    conv = (
        (lambda v: v) if dtype == "Int64" else (lambda v: None if v is None else str(v))
    )
    left = pd.DataFrame({"k": pd.array([conv(v) for v in lkeys], dtype=dtype),
                         "x": np.arange(len(lkeys), dtype="int64")})  # fmt: skip
    right = pd.DataFrame({"k": pd.array([conv(v) for v in rkeys], dtype=dtype),
                          "y": np.arange(len(rkeys), dtype="int64") * 10})  # fmt: skip
    got, want = _both(left, right, on="k", how="inner")
    if len(left) and len(right):
        assert got is not None
        pd.testing.assert_frame_equal(got, want)
    # a left side with unique keys larger than the right (a broadcast side
    # larger than the partition it joins) is looked up too
    got, want = _both(left, right.iloc[: len(left) // 2], on="k", how="inner")
    if len(left) > 1 and len(right):
        assert got is not None
        pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("npartitions", [1, 3, 25])
def test_broadcast_left_join_through_the_kernel(npartitions):
    rng = np.random.default_rng(1)
    small = pd.DataFrame({"k": rng.permutation(12), "w": np.arange(12)})
    big = pd.DataFrame({"k": rng.integers(0, 20, 20), "v": rng.random(20)})
    ds = pf.from_pandas(small, npartitions=1)
    db = pf.from_pandas(big, npartitions=npartitions)
    out = ds.merge(db, on="k")
    assert out.expr.strategy() == ("single" if npartitions == 1 else "broadcast-left")
    assert_eq(out, small.merge(big, on="k"), check_index=False, sort_results=True)
    empty = db[db.v > 2]  # every partition empty
    assert_eq(ds.merge(empty, on="k"), small.merge(big[big.v > 2], on="k"),
              check_index=False)  # fmt: skip


@pytest.mark.parametrize("how", ["inner", "left", "right", "outer", "cross"])
@pytest.mark.parametrize("empty", ["left", "right", "both"])
def test_a_join_of_an_empty_side_is_pandas(how, empty):
    # merge_partitions answers a side that keeps only matches being empty
    # without pandas.merge; the result is pandas', cast to the meta
    from partframe.kernels.enforce import conform
    from partframe.kernels.merge import merge_partitions

    left = pd.DataFrame({"k": [1, 2, 2], "a": pd.array(["x", "y", "z"], dtype="str")})
    right = pd.DataFrame({"k": [2, 3], "b": [0.5, 1.5]})
    if empty in ("left", "both"):
        left = left.iloc[:0]
    if empty in ("right", "both"):
        right = right.iloc[:0]
    kwargs = {"how": how} if how == "cross" else {"how": how, "on": "k"}
    if how == "cross":
        right = right.rename(columns={"k": "k2"})
    meta = pd.merge(left.iloc[:0], right.iloc[:0], **kwargs)
    meta = meta.astype({"a": "str"}) if "a" in meta else meta
    got = merge_partitions(left, right, "merge", kwargs, meta)
    want = conform(pd.merge(left, right, **kwargs), meta)
    pd.testing.assert_frame_equal(got, want)
