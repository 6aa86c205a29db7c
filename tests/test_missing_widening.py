"""Dtypes pandas decides from the values: an int result holding a missing
value is float64 (``str.len()`` over missing strings). Partitions keep
pandas' widened dtype where they hold one, through shuffles, merges and
``set_index``; the final result equals pandas' (see docs/architecture.md,
"Dtypes that pandas decides from the data")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, variant

import partframe
from partframe.testing import assert_eq

SCHEDULERS = ["sync", "threads"]


@pytest.fixture(scope="module")
def pdf():
    # missing strings only in the second half: some partitions have none
    words = ["a", "bb", "ccc", "dddd", "ee", "f", "gg", "hhh"] * 3
    s = pd.array(words, dtype="str")
    s[[14, 19, 22]] = np.nan
    return pd.DataFrame({"s": s, "v": np.arange(24) * 0.5})


def _len(d):
    return d.assign(n=d.s.str.len())


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_widened_through_shuffle_and_set_index(pdf, how, scheduler):
    ddf, expected = variant(pdf, how)
    assert_eq(_len(ddf), _len(expected), scheduler=scheduler)
    assert_eq(
        _len(ddf).set_index("n"),
        _len(expected).set_index("n").sort_index(kind="stable"),
        scheduler=scheduler,
        check_index=False,
        sort_results=True,
    )
    got = _len(ddf).sort_values(["n", "v"])
    want = _len(expected).sort_values(["n", "v"])
    assert_eq(got, want, scheduler=scheduler, check_index=False)


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("on_how", ["left", "inner"])
def test_widened_key_through_merge(pdf, how, scheduler, on_how):
    ddf, expected = variant(pdf, how)
    other = pd.DataFrame({"n": [1, 2, 3], "o": [10, 20, 30]})
    dother = partframe.from_pandas(other, npartitions=2)
    got = _len(ddf).merge(dother, on="n", how=on_how, broadcast=False)
    want = _len(expected).merge(other, on="n", how=on_how)
    assert_eq(got, want, scheduler=scheduler, check_index=False, sort_results=True)


def test_user_meta_still_refuses_missing_values():
    ddf = partframe.from_pandas(pd.DataFrame({"x": [1.0, np.nan]}), npartitions=1)
    out = ddf.map_partitions(lambda d: d, meta={"x": "int64"})
    with pytest.raises(ValueError, match="'x': float64"):
        out.compute()


def test_hooks_follow_a_deep_plan_without_recursing():
    # the join asks each input column whether it may be widened (and the
    # accessor whether it holds missing values) down a chain of 1500 steps
    pdf = pd.DataFrame({"k": np.arange(20) % 5, "v": np.arange(20)})
    d, p = partframe.from_pandas(pdf, npartitions=2), pdf
    for _ in range(1500):
        d, p = d.assign(v=d.v + 1), p.assign(v=p.v + 1)
    other = pd.DataFrame({"k": range(5), "w": range(5)})
    got = d.merge(partframe.from_pandas(other, npartitions=1), on="k")
    assert_eq(got, p.merge(other, on="k"), check_index=False, sort_results=True)
