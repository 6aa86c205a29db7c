"""Sorted split_out aggregations: key-range split of raw rows or partials."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import partframe
from partframe.kernels.estimate import distinct_total
from partframe.testing import assert_eq

AGGS = [
    "sum", "count", "size", "mean", "var", "std", "min", "max",
    "first", "last", "nunique", "idxmin", "idxmax",
]  # fmt: skip


def mixed_frame(n: int = 40000, seed: int = 1) -> pd.DataFrame:
    """First half: nearly unique keys (split raw); second half: few keys
    (split as partials), so one output merges both kinds of pieces."""
    rng = np.random.default_rng(seed)
    half = n // 2
    a = np.concatenate([rng.integers(0, 10**6, half), rng.integers(0, 30, half)])
    words = np.array([f"w{i:03d}" for i in range(40)], dtype=object)
    s = words[rng.integers(0, 40, n)]
    s[::97] = None
    x = rng.normal(size=n)
    x[::13] = np.nan
    return pd.DataFrame(
        {
            "a": a,
            "s": pd.array(s, dtype="str"),
            "x": x,
            "y": rng.integers(0, 5, n),
        },
        index=pd.RangeIndex(n) * 3,
    )


@pytest.fixture(scope="module")
def pdf():
    return mixed_frame()


@pytest.mark.parametrize("keys", ["a", ["s", "a"], ["a", "s"]], ids=str)
def test_every_aggregation(pdf, keys):
    df = partframe.from_pandas(pdf, npartitions=4)
    for agg in AGGS:
        col = "y" if agg.startswith("idx") else "x"  # x has all-NaN groups
        got = getattr(df.groupby(keys)[col], agg)(split_out=3)
        expected = getattr(pdf.groupby(keys)[col], agg)()
        assert_eq(got, expected, check_divisions=False)


@pytest.mark.parametrize("dropna", [True, False])
@pytest.mark.parametrize("as_index", [True, False])
def test_string_keys_with_missing(pdf, dropna, as_index):
    df = partframe.from_pandas(pdf, npartitions=4)
    kw = {"dropna": dropna, "as_index": as_index}
    got = df.groupby(["s", "a"], **kw).agg({"x": ["sum", "mean"], "y": "max"})
    expected = pdf.groupby(["s", "a"], **kw).agg({"x": ["sum", "mean"], "y": "max"})
    assert_eq(got.compute(), expected)
    got = df.groupby(["s", "y", "a"], **kw).agg({"x": ["sum", "size"]}, split_out=3)
    expected = pdf.groupby(["s", "y", "a"], **kw).agg({"x": ["sum", "size"]})
    assert_eq(got.compute(), expected)


def test_outputs_are_sorted_ranges(pdf):
    df = partframe.from_pandas(pdf, npartitions=4)
    res = df.groupby("a").x.sum(split_out=4)
    parts = partframe.compute(*[res.partitions[i] for i in range(4)])
    assert sum(len(p) > 0 for p in parts) >= 3
    full = pd.concat(parts)
    assert full.index.is_monotonic_increasing
    assert_eq(full, pdf.groupby("a").x.sum())


def test_level_keys_and_threads(pdf):
    p = pdf.set_index("a")
    df = partframe.from_pandas(p, npartitions=5)
    got = df.groupby(level=0).x.agg(["sum", "first"], split_out=3)
    expected = p.groupby(level=0).x.agg(["sum", "first"])
    assert_eq(got, expected, check_divisions=False, scheduler="threads")


def test_distinct_total():
    rng = np.random.default_rng(0)
    for groups in [10, 1000, 10**5]:
        d = len(np.unique(rng.integers(0, groups, 4000)))
        est = distinct_total(d, 4000)
        assert 0.7 * groups < est < 1.4 * groups
    assert distinct_total(4000, 4000) == float("inf")


@pytest.mark.parametrize("dropna", [True, False])
def test_shuffle_methods_by_ranges(pdf, dropna):
    df = partframe.from_pandas(pdf, npartitions=4)
    p = pdf.head(3000)
    small = partframe.from_pandas(p, npartitions=4)
    kw = {"dropna": dropna}
    cases = [
        (
            df.groupby(["s", "y"], **kw).agg({"x": ["median", "std"]}, split_out=3),
            pdf.groupby(["s", "y"], **kw).agg({"x": ["median", "std"]}),
        ),
        (
            df.groupby(["s", "y"], as_index=False, **kw).x.median(split_out=3),
            pdf.groupby(["s", "y"], as_index=False, **kw).x.median(),
        ),
        (
            df.groupby("s", **kw).x.quantile([0.2, 0.9], split_out=2),
            pdf.groupby("s", **kw).x.quantile([0.2, 0.9]),
        ),
        (
            small.groupby(["s", "y"], **kw).x.nlargest(2),
            p.groupby(["s", "y"], **kw).x.nlargest(2),
        ),
    ]
    for got, expected in cases:
        assert_eq(got, expected, check_divisions=False)
    got = small.groupby("s", **kw)[["x", "y"]].apply(lambda g: g.x.sum() + g.y.max())
    expected = p.groupby("s", **kw)[["x", "y"]].apply(lambda g: g.x.sum() + g.y.max())
    assert_eq(got, expected, check_divisions=False)


@pytest.mark.parametrize("split_out", [1, 3])
def test_nunique_missing_keys_in_several_levels(split_out):
    pdf = pd.DataFrame(
        {
            "u": [1, 1, 2, 2, 3, 3],
            "f": [np.nan, np.nan, 1.0, 1.0, np.nan, 2.0],
            "i": [1, 2, 3, 3, 5, 5],
        }
    )
    df = partframe.from_pandas(pdf, npartitions=2)
    got = df.groupby(["u", "f"], dropna=False).i.nunique(split_out=split_out)
    expected = pdf.groupby(["u", "f"], dropna=False).i.nunique()
    assert_eq(got, expected, check_divisions=False)


@pytest.mark.parametrize("dropna", [True, False])
@pytest.mark.parametrize("keys", ["a", ["s", "a"]], ids=str)
def test_raw_rows_only_grouped_sorted(keys, dropna, monkeypatch):
    """Every input sends raw rows: each output groups them sorted, once."""
    from partframe.kernels import groupby_range as kernels

    pdf = mixed_frame(30000, seed=4)  # 10,000 rows a partition: sampled
    pdf["a"] = np.random.default_rng(4).integers(0, 10**7, len(pdf))
    df = partframe.from_pandas(pdf, npartitions=3)
    sorts = []
    chunk = kernels.groupby_chunk

    def spy(df, plan, sort=False):
        sorts.append(sort)
        return chunk(df, plan, sort)

    monkeypatch.setattr(kernels, "groupby_chunk", spy)
    for agg in AGGS:
        col = "y" if agg.startswith("idx") else "x"
        got = getattr(df.groupby(keys, dropna=dropna)[col], agg)(split_out=3)
        expected = getattr(pdf.groupby(keys, dropna=dropna)[col], agg)()
        assert_eq(got, expected, check_divisions=False)
    got = df.groupby(keys, dropna=dropna).agg({"x": ["sum", "var"], "y": "size"})
    expected = pdf.groupby(keys, dropna=dropna).agg({"x": ["sum", "var"], "y": "size"})
    assert_eq(got, expected, check_divisions=False)
    assert True in sorts


@pytest.mark.parametrize("npartitions", [1, 5, 12])
def test_inputs_released_once_prepared(npartitions):
    # Only the prepare task reads an input partition (so the partition is
    # released once sampled and grouped), and an input with few groups waits
    # for the boundaries as its partial, not its rows.
    from partframe.graph.dependencies import all_dependencies, get_dependents
    from partframe.kernels.groupby_range import groupby_range_prepare

    rng = np.random.default_rng(3)
    n = 20_000
    pdf = pd.DataFrame({"a": rng.integers(0, 3, n), "b": rng.integers(0, 2, n),
                        "x": rng.random(n)})  # fmt: skip
    df = partframe.from_pandas(pdf, npartitions=npartitions)
    got = df.groupby(["a", "b"]).x.sum(split_out=3)
    assert_eq(got, pdf.groupby(["a", "b"]).x.sum())
    graph = dict(got.__dask_graph__())
    deps = all_dependencies(graph)
    dependents = get_dependents(deps)
    prepares = [k for k in graph if str(k[0]).endswith("-prepare")]
    assert len(prepares) == npartitions
    for key in prepares:
        (src,) = deps[key]
        assert dependents[src] == {key}
    sample, (kind, partial) = groupby_range_prepare(pdf, got.expr.plan, 10)
    assert len(sample) == 10 and kind == "partial"
    assert sum(map(len, partial.values())) == 6  # the groups, not the rows
