"""The direct grouped reductions equal pandas' groupby bit for bit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import partframe
from partframe.kernels import group_reduce as gr
from partframe.kernels.groupby import GroupByPlan, groupby_chunk
from partframe.kernels.groupby_combine import groupby_combine
from partframe.testing import assert_eq

OPS = ["sum", "min", "max", "count", "size"]


def pandas_reduce(keys, values, op, sort):
    k = pd.Series(keys)
    if op == "size":
        return k.groupby(k, sort=sort, dropna=True).size()
    return getattr(pd.Series(values).groupby(k, sort=sort, dropna=True), op)()


def check_equal(keys, values, op, sort):
    res = gr.group_reduce(keys, [("a", values, op)], sort=sort)
    assert res is not None
    uniques, out = res
    got = pd.Series(out["a"], index=pd.Index(uniques))
    expected = pandas_reduce(keys, values, op, sort)
    pd.testing.assert_series_equal(got, expected, check_names=False, check_exact=True)


@pytest.mark.parametrize("sort", [False, True])
def test_string_keys(sort):
    rng = np.random.default_rng(7)
    n = 200
    keys = pd.array(rng.choice(["b", "a", "ccc", "", None], n), dtype="str")
    values = rng.normal(size=n)
    values[::9] = np.nan
    for op in OPS:
        res = gr.group_reduce(keys, [("a", values, op)], sort=sort)
        uniques, out = res
        got = pd.Series(out["a"], index=pd.Index(uniques))
        expected = pandas_reduce(keys, values, op, sort)
        pd.testing.assert_series_equal(
            got, expected, check_names=False, check_exact=True, check_index_type=True
        )


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    n=st.integers(0, 60),
    key_dtype=st.sampled_from(["int64", "int32", "uint8", "float64"]),
    value_kind=st.sampled_from(["float", "int"]),
    op=st.sampled_from(OPS),
    sort=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_matches_pandas(n, key_dtype, value_kind, op, sort, seed):
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 7, n).astype(key_dtype)
    if key_dtype == "float64":
        keys[rng.random(n) < 0.2] = np.nan
    if value_kind == "float":
        values = rng.normal(size=n) * 10.0 ** rng.integers(0, 17)
        values[rng.random(n) < 0.3] = np.nan
    else:
        values = rng.integers(-(2**60), 2**60, n)
    check_equal(keys, values, op, sort)


def test_sum_is_compensated_as_in_pandas():
    # Adding 1e-16 to 1.0 one at a time loses every term; pandas' Kahan sum
    # keeps them, and so must the direct path.
    keys = np.ones(11, dtype="int64")
    values = np.array([1.0] + [1e-16] * 10)
    check_equal(keys, values, "sum", sort=False)
    _, out = gr.group_reduce(keys, [("a", values, "sum")])
    naive = 0.0
    for v in values:
        naive += v
    assert naive == 1.0
    assert out["a"][0] == 1.000000000000001


def test_all_missing_group():
    keys = np.array([1, 2, 2])
    values = np.array([np.nan, 1.0, np.nan])
    for op in OPS:
        check_equal(keys, values, op, sort=True)


def test_empty_and_all_missing_keys():
    for keys in [np.array([], dtype="int64"), np.array([np.nan, np.nan])]:
        values = np.ones(len(keys))
        for op in OPS:
            check_equal(keys, values, op, sort=False)


@pytest.mark.parametrize(
    ("keys", "values", "op"),
    [
        (pd.array([1, 2], dtype="Int64"), np.ones(2), "sum"),
        (np.array(["a", "b"], dtype=object), np.ones(2), "sum"),
        (np.array([True, False]), np.ones(2), "sum"),
        (pd.array(["a", None], dtype="string"), np.ones(2), "size"),
        (np.array([1, 2]), np.array([1, 2], dtype="int32"), "sum"),
        (np.array([1, 2]), pd.array([1.0, None], dtype="Float64"), "count"),
        (np.array([1, 2]), np.ones(2), "prod"),
    ],
    ids=[
        "Int64-keys",
        "object-keys",
        "bool-keys",
        "NA-string-keys",
        "int32-sum",
        "masked-count",
        "prod",
    ],
)
def test_declines_what_it_does_not_know(keys, values, op):
    assert not gr.supports(keys, [(values, op)])
    assert gr.group_reduce(keys, [("a", values, op)]) is None


def test_turns_itself_off_when_the_kernel_signature_changes(monkeypatch):
    def changed(*args, **kwargs):
        raise TypeError("unexpected keyword argument")

    monkeypatch.setattr(
        gr, "_KERNELS", {"sum": changed, "min": changed, "max": changed}
    )
    monkeypatch.setattr(gr, "_ENABLED", True)
    # keys out of order: the kernel runs (ascending ones may not need it)
    keys, values = np.array([1, 2, 1]), np.array([1.0, 2.0, 3.0])
    assert gr.group_reduce(keys, [("a", values, "sum")]) is None
    assert gr._ENABLED is False
    # the groupby falls back to pandas and stays right
    pdf = pd.DataFrame({"k": [1, 2, 1, 3], "v": [1.0, 2.0, 3.0, 4.0]})
    df = partframe.from_pandas(pdf, npartitions=2)
    assert_eq(df.groupby("k").v.sum(), pdf.groupby("k").v.sum())


PLAN = GroupByPlan(by=["k"], level=None, dropna=True, observed=True, sort=True)


def partials(pdf, plan, parts):
    size = -(-len(pdf) // parts)
    return [
        groupby_chunk(pdf.iloc[i : i + size], plan) for i in range(0, len(pdf), size)
    ]


@pytest.mark.parametrize("by", [["k"], ["k", "j"], ["s"]])
def test_partials_equal_the_pandas_path(monkeypatch, by):
    rng = np.random.default_rng(3)
    n = 500
    pdf = pd.DataFrame(
        {
            "k": rng.integers(0, 20, n),
            "j": rng.integers(0, 3, n).astype("float64"),
            "f": rng.normal(size=n),
            "i": rng.integers(0, 100, n),
            "s": pd.array(rng.choice(["x", "yy", None], n), dtype="str"),
        }
    )
    pdf.loc[rng.random(n) < 0.1, "f"] = np.nan
    pdf.loc[rng.random(n) < 0.05, "j"] = np.nan
    main = [
        ("p0", "f", "sum"),
        ("p1", "f", "count"),
        ("p2", "i", "max"),
        ("p3", None, "size"),
        ("p4", "f", "min"),
    ]
    plan = dataclasses.replace(PLAN, by=by, main=tuple(main))
    fast = partials(pdf, plan, 4)
    fast_combined = groupby_combine(fast, plan, sort=True)["main"]
    monkeypatch.setattr(gr, "_ENABLED", False)
    slow = partials(pdf, plan, 4)
    slow_combined = groupby_combine(slow, plan)["main"]
    for a, b in zip(fast, slow):
        pd.testing.assert_frame_equal(
            a["main"],
            b["main"][a["main"].columns],
            check_exact=True,
            check_column_type=False,
        )
    if len(by) == 1:
        slow_combined = slow_combined.sort_index()
    else:
        fast_combined = fast_combined.sort_index()
        slow_combined = slow_combined.sort_index()
    pd.testing.assert_frame_equal(
        fast_combined,
        slow_combined[fast_combined.columns],
        check_exact=True,
        check_column_type=False,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    n=st.integers(0, 3000),
    key_dtype=st.sampled_from(["int64", "uint8", "float64"]),
    op=st.sampled_from(OPS),
    sort=st.booleans(),
    unsorted_at=st.one_of(st.none(), st.integers(0, 3000)),
    seed=st.integers(0, 2**32 - 1),
)
def test_sorted_keys_match_pandas(n, key_dtype, op, sort, unsorted_at, seed):
    # keys in ascending order are grouped by runs (no factorize); one key out
    # of order anywhere (before or after the probed head) goes back to it
    rng = np.random.default_rng(seed)
    keys = np.sort(rng.integers(0, max(1, n // 3), n)).astype(key_dtype)
    if key_dtype == "float64" and n:
        keys[rng.random(n) < 0.1] *= -0.0  # -0.0 and 0.0 are one group
        if rng.random() < 0.3:
            keys[-1] = np.nan  # a missing key: factorize's case
    if unsorted_at is not None and n > 1:
        i = unsorted_at % (n - 1)
        keys[i], keys[i + 1] = keys[i + 1], keys[i]
    values = rng.normal(size=n) * 10.0 ** rng.integers(0, 17)
    values[rng.random(n) < 0.2] = np.nan
    check_equal(keys, values, op, sort)


def test_sorted_keys_skip_factorize(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("factorize called on sorted keys")

    keys = np.repeat(np.arange(5000, dtype="int64"), 3)
    values = np.arange(len(keys), dtype="float64")
    expected = pandas_reduce(keys, values, "sum", False)
    monkeypatch.setattr(gr.pd, "factorize", refuse)
    uniques, out = gr.group_reduce(keys, [("a", values, "sum")])
    got = pd.Series(out["a"], index=pd.Index(uniques))
    pd.testing.assert_series_equal(got, expected, check_names=False, check_exact=True)
    assert gr.run_codes(keys[::-1].copy()) is None  # descending: factorize


@pytest.mark.parametrize("npartitions", [1, 3, 7, 40])
def test_groupby_of_data_sorted_by_key(npartitions):
    # a table stored in key order: every chunk and the combine of partials
    # from disjoint ascending ranges see sorted keys
    rng = np.random.default_rng(5)
    n = 30
    pdf = pd.DataFrame({"k": np.sort(rng.integers(0, 12, n)), "v": rng.normal(size=n)})
    pdf.loc[::7, "v"] = np.nan
    df = partframe.from_pandas(pdf, npartitions=npartitions)
    assert_eq(df.groupby("k").v.sum(), pdf.groupby("k").v.sum())
    assert_eq(
        df.groupby("k").agg(s=("v", "sum"), c=("v", "count"), m=("v", "max")),
        pdf.groupby("k").agg(s=("v", "sum"), c=("v", "count"), m=("v", "max")),
    )
    assert_eq(
        df[df.v > 0].groupby("k", sort=False).v.min(),
        pdf[pdf.v > 0].groupby("k", sort=False).v.min(),
    )


@pytest.mark.parametrize(
    "keys",
    [
        np.zeros(4, dtype="int64"),  # one run (hypothesis found it)
        np.array([5, 5, 3, 3, 3, 9]),  # runs in order of appearance
        np.array([np.nan, np.nan, 2.0, 2.0, 7.0, 7.0]),  # missing keys first
        np.array([2, 1, 2, 1, 2, 1]),  # not runs: the Kahan kernel
    ],
)
@pytest.mark.parametrize("sort", [False, True])
def test_sums_of_runs_have_pandas_last_bits(keys, sort):
    # pandas (3.1+) sums ascending group ids with numpy.add.reduceat and
    # others with its Kahan-compensated kernel: the last bits differ
    rng = np.random.default_rng(0)
    values = rng.normal(size=len(keys)) * 10.0 ** rng.integers(0, 17, len(keys))
    check_equal(keys, values, "sum", sort)
    check_equal(keys, np.array([12.57302211, -13.21048633, 64.04226504, 10.49001172,
                                0.1, 0.2])[: len(keys)], "sum", sort)  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    n=st.integers(2, 400),
    key_dtype=st.sampled_from(["int64", "uint8", "float64"]),
    value_kind=st.sampled_from(["float", "int"]),
    op=st.sampled_from(OPS),
    sort=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_distinct_ascending_keys_match_pandas(n, key_dtype, value_kind, op, sort, seed):
    # one group per row (the combine of partials from disjoint key ranges):
    # each row's value is its group's, missing values sum to 0 and count 0
    rng = np.random.default_rng(seed)
    keys = np.cumsum(rng.integers(1, 4, n)).astype(key_dtype)
    if key_dtype == "uint8":
        keys = np.arange(min(n, 255), dtype="uint8")
    if value_kind == "float":
        values = rng.normal(size=len(keys)) * 10.0 ** rng.integers(0, 17)
        values[rng.random(len(keys)) < 0.2] = np.nan
        values[rng.random(len(keys)) < 0.05] = np.inf
    else:
        values = rng.integers(-(2**40), 2**40, len(keys))
    check_equal(keys, values, op, sort)


def test_combine_of_disjoint_partials_reduces_nothing(monkeypatch):
    # partials of a table stored in key order: their keys are distinct once
    # concatenated, so the combine copies values instead of reducing them
    plan = GroupByPlan(by=["k"], main=(("s", "v", "sum"), ("c", "v", "count")))
    parts = [
        pd.DataFrame({"k": np.arange(i * 10, i * 10 + 10), "v": np.arange(10.0)})
        for i in range(3)
    ]
    parts[1].loc[3, "v"] = np.nan
    partials = [groupby_chunk(p, plan) for p in parts]

    def refuse(*args, **kwargs):
        raise AssertionError("reduced groups of one row")

    copied = []
    one_row_groups = gr._one_row_groups

    def counted(*args):
        copied.append(args)
        return one_row_groups(*args)

    monkeypatch.setattr(gr, "_reduce", refuse)
    monkeypatch.setattr(gr, "_one_row_groups", counted)
    main = groupby_combine(partials, plan)["main"]
    assert len(copied) == 1
    whole = pd.concat(parts)
    expected = whole.groupby("k").v.agg(["sum", "count"])
    assert main["s"].tolist() == expected["sum"].tolist()
    assert main["c"].tolist() == expected["count"].tolist()
