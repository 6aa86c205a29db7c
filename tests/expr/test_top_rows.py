"""``sort_values(...).head(n)``: each partition's first rows, no full sort."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import partframe as pf
from partframe.collection import new_collection
from partframe.expr.base import walk
from partframe.expr.optimize import lower, optimize
from partframe.expr.partitions import Head
from partframe.expr.sort import SortValues, TopRows
from partframe.testing import assert_eq


def _frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, n).astype(float)  # many ties
    x[::7] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "s": pd.array([f"w{i}" for i in rng.integers(0, 4, n)], dtype="str"),
            "v": np.arange(n),
        },
        index=pd.RangeIndex(n) * 2,
    )


def _kinds(plan):
    return {type(node).__name__ for node in walk(plan)}


CASES = [
    ({"by": "x"}, 5),
    ({"by": "x", "ascending": False, "na_position": "first"}, 12),
    ({"by": ["s", "x"], "ascending": [False, True]}, 20),
    ({"by": ["x", "s"]}, 100),  # more than the rows
    ({"by": "v", "ascending": False}, 0),
]


@pytest.mark.parametrize("npartitions", [1, 3, 8, 90])  # 90: more than rows
@pytest.mark.parametrize(("kwargs", "n"), CASES)
def test_sort_head_equals_pandas_and_full_sort(npartitions, kwargs, n):
    pdf = _frame()
    df = pf.from_pandas(pdf, npartitions=npartitions)
    kind = dict(kwargs, kind="stable")
    want = pdf.sort_values(**kind).head(n)
    pd.testing.assert_frame_equal(df.sort_values(**kwargs).head(n), want)
    lazy = df.sort_values(**kwargs).head(n, compute=False)
    assert isinstance(lazy.expr, Head) and isinstance(lazy.expr.frame, SortValues)
    plan = optimize(lazy.expr, fuse=False)
    assert "TopRows" in _kinds(plan) and "Shuffle" not in _kinds(plan)
    assert_eq(lazy, want)
    full = new_collection(lower(lazy.expr))  # the shuffle and sort of every row
    assert "TopRows" not in _kinds(full.expr)
    assert_eq(lazy, full.compute())


@pytest.mark.parametrize("npartitions", [1, 4])
def test_empty_partitions_series_and_tail(npartitions):
    pdf = _frame()
    df = pf.from_pandas(pdf, npartitions=npartitions)
    kept = df[df.v % 10 == 0]  # most partitions (nearly) empty
    want = pdf[pdf.v % 10 == 0].sort_values("x", kind="stable").head(3)
    pd.testing.assert_frame_equal(kept.sort_values("x").head(3), want)
    none = df[df.v < 0].sort_values("x").head(3)
    pd.testing.assert_frame_equal(none, pdf.iloc[:0])
    s = df.x.sort_values(ascending=False).head(4)
    pd.testing.assert_series_equal(
        s, pdf.x.sort_values(ascending=False, kind="stable").head(4)
    )
    # tail and negative n keep the full sort
    tail = df.sort_values("x").tail(3, compute=False)
    assert "TopRows" not in _kinds(optimize(tail.expr, fuse=False))
    assert_eq(tail, pdf.sort_values("x", kind="stable").tail(3))


def test_projection_keeps_the_sort_keys():
    pdf = _frame()
    df = pf.from_pandas(pdf, npartitions=5)
    out = df.sort_values(["s", "x"]).head(6, compute=False)[["v"]]
    plan = optimize(out.expr, fuse=False)
    tops = [n for n in walk(plan) if isinstance(n, TopRows)]
    assert len(tops) == 1
    assert_eq(out, pdf.sort_values(["s", "x"], kind="stable").head(6)[["v"]])
