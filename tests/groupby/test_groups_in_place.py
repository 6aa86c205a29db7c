"""A groupby whose first key's partition ranges ascend without overlapping
(a Parquet table stored in key order) aggregates each partition where it is
and concatenates: equal to pandas for every aggregation, and chosen only
when the statistics prove no group spans two partitions."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import partframe
from partframe.aggregation import Aggregation
from partframe.expr.base import walk
from partframe.expr.optimize import optimize
from partframe.testing import assert_eq


def _kinds(collection):
    return {type(node).__name__ for node in walk(optimize(collection.expr, fuse=False))}


def _table(n_files=4, rows=24, seed=0, null_keys=False, overlap=False):
    """Files holding ascending, disjoint key ranges (``overlap``: file 2's
    first key repeats file 1's last), several row groups each."""
    rng = np.random.default_rng(seed)
    frames = []
    start = 0
    for i in range(n_files):
        keys = np.sort(rng.integers(start, start + rows // 2, rows))
        if overlap and i == 2:
            keys[0] = frames[-1]["k"].max()
            keys.sort()
        start = int(keys.max()) + 1
        pdf = pd.DataFrame(
            {
                "k": keys.astype("int64"),
                "j": rng.integers(0, 3, rows),
                "v": rng.normal(size=rows),
                "w": rng.integers(-5, 5, rows),
                "s": rng.choice(["a", "b", "c"], rows),
                "t": pd.Timestamp("2024-01-01")
                + pd.to_timedelta(np.sort(rng.integers(0, 50, rows)) + 100 * i, "D"),
            }
        )
        pdf.loc[rng.random(rows) < 0.15, "v"] = np.nan
        if null_keys:
            pdf["k"] = pdf["k"].astype("Float64").astype("float64")
            pdf.loc[rng.random(rows) < 0.1, "k"] = np.nan
        frames.append(pdf)
    return frames


@pytest.fixture
def table(tmp_path):
    def write(**kwargs):
        frames = _table(**kwargs)
        folder = tmp_path / f"t{len(os.listdir(tmp_path))}"
        folder.mkdir()
        for i, pdf in enumerate(frames):
            pdf.to_parquet(folder / f"part.{i}.parquet", row_group_size=7, index=False)
        return str(folder), pd.concat(frames, ignore_index=True)

    return write


AGGS = [
    lambda g: g.v.sum(),
    lambda g: g.v.mean(),
    lambda g: g.v.std(),
    lambda g: g.w.var(ddof=0),
    lambda g: g.v.count(),
    lambda g: g.size(),
    lambda g: g.s.nunique(),
    lambda g: g.s.first(),
    lambda g: g.v.last(),
    lambda g: g.w.idxmax(),
    lambda g: g.agg({"v": ["min", "max"], "w": "sum"}),
    lambda g: g.agg(total=("w", "sum"), kinds=("s", "nunique"), avg=("v", "mean")),
]


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("agg", range(len(AGGS)))
def test_aggregations_equal_pandas(table, agg, scheduler):
    path, pdf = table()
    df = partframe.read_parquet(path)
    got, expected = AGGS[agg](df.groupby("k")), AGGS[agg](pdf.groupby("k"))
    assert "GroupByPartitions" in _kinds(got)
    assert got.npartitions == 1
    assert_eq(got, expected, scheduler=scheduler)


@pytest.mark.parametrize(
    "kwargs", [{"sort": False}, {"as_index": False}, {"dropna": False}]
)
def test_options(table, kwargs):
    path, pdf = table()
    df = partframe.read_parquet(path)
    got = df.groupby("k", **kwargs).agg(s=("v", "sum"), n=("s", "count"))
    expected = pdf.groupby("k", **kwargs).agg(s=("v", "sum"), n=("s", "count"))
    assert "GroupByPartitions" in _kinds(got)
    assert_eq(got, expected)


def test_several_keys_and_a_datetime_key(table):
    path, pdf = table()
    df = partframe.read_parquet(path)
    got = df.groupby(["k", "j"]).v.sum()
    assert "GroupByPartitions" in _kinds(got)
    assert_eq(got, pdf.groupby(["k", "j"]).v.sum())
    by_time = df.groupby(["t", "s"], sort=False).w.max()
    assert "GroupByPartitions" in _kinds(by_time)
    assert_eq(by_time, pdf.groupby(["t", "s"], sort=False).w.max())


def test_after_filters_and_selections(table):
    path, pdf = table()
    df = partframe.read_parquet(path)
    # a pushed filter empties whole row groups and files
    got = df[(df.k > 20) & (df.v > 0)][["k", "v"]].groupby("k").v.mean()
    assert "GroupByPartitions" in _kinds(got)
    assert_eq(got, pdf[(pdf.k > 20) & (pdf.v > 0)].groupby("k").v.mean())
    none = df[df.k < -1].groupby("k").v.sum()
    assert_eq(none, pdf[pdf.k < -1].groupby("k").v.sum())


def test_custom_aggregation_is_finalized_once(table):
    # pandas decides a custom aggregation's dtype from the data: partitions
    # finalized apart could disagree, so its partials go to one finalize
    path, pdf = table()
    df = partframe.read_parquet(path)
    spread = Aggregation(
        "spread",
        chunk=lambda g: (g.max(), g.min()),
        combine=lambda hi, lo: (hi.max(), lo.min()),
        finalize=lambda hi, lo: hi - lo,
    )
    got = df.groupby("k").w.agg(spread)
    expected = pdf.groupby("k").w.agg(lambda s: s.max() - s.min()).rename("w")
    assert "GroupByPartitions" not in _kinds(got)
    assert_eq(got, expected, check_names=False)


def test_not_used_when_ranges_overlap_or_keys_change(table):
    path, pdf = table(overlap=True)
    df = partframe.read_parquet(path)
    got = df.groupby("k").v.sum()
    assert "GroupByPartitions" not in _kinds(got)
    assert_eq(got, pdf.groupby("k").v.sum())
    path, pdf = table()
    df = partframe.read_parquet(path)
    # a key assigned anew: the statistics no longer bound it
    moved = df.assign(k=df.k % 5).groupby("k").v.sum()
    assert "GroupByPartitions" not in _kinds(moved)
    assert_eq(moved, pdf.assign(k=pdf.k % 5).groupby("k").v.sum())
    # an unsorted key, and a key that is not the first
    assert "GroupByPartitions" not in _kinds(df.groupby("j").v.sum())
    assert "GroupByPartitions" not in _kinds(df.groupby(["j", "k"]).v.sum())
    assert_eq(df.groupby(["j", "k"]).v.sum(), pdf.groupby(["j", "k"]).v.sum())


def test_missing_keys(table):
    path, pdf = table(null_keys=True)
    df = partframe.read_parquet(path)
    got = df.groupby("k").v.sum()
    assert "GroupByPartitions" in _kinds(got)  # missing keys are dropped
    assert_eq(got, pdf.groupby("k").v.sum())
    # dropna=False: the missing key's group spans partitions
    kept = df.groupby("k", dropna=False).v.sum()
    assert "GroupByPartitions" not in _kinds(kept)
    assert_eq(kept, pdf.groupby("k", dropna=False).v.sum())


def test_one_partition_after_the_merge_below(table):
    # the result stays one partition: a join above it still broadcasts it
    path, pdf = table()
    df = partframe.read_parquet(path)
    sums = df.groupby("k").v.sum().reset_index()
    big = sums[sums.v > 0]
    got = df.merge(big, on="k", suffixes=("", "_sum"))
    expected = pdf.merge(pdf.groupby("k").v.sum().reset_index().query("v > 0"),
                         on="k", suffixes=("", "_sum"))  # fmt: skip
    assert_eq(got, expected, check_index=False)
