"""Groupby-apply and transform where a shuffled partition holds only rows
whose key is missing (pandas finds no group there), and transforms combined
with the frame they came from after a merge: each against pandas over the
partitionings of ``frames.py`` and two schedulers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, variant

import partframe
from partframe.testing import assert_eq

SCHEDULERS = ["sync", "threads"]


def _demean(s: pd.Series) -> pd.Series:
    return s - s.mean()


def _top2(g: pd.DataFrame) -> pd.DataFrame:
    return g.nlargest(2, "v")


@pytest.fixture(scope="module")
def pdf():
    # keys missing in most rows: several shuffled partitions get only those
    # (rows 0, 10 and 20, which "more-than-rows" keeps, have a key)
    k = pd.array([1, None, None, 1, None, 2, None, None, 3, None] * 3, "Int64")
    return pd.DataFrame({"k": k, "v": np.arange(30) * 1.5, "w": np.arange(30)})


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_transform_callable_missing_keys(pdf, how, scheduler):
    ddf, expected = variant(pdf, how)
    got = ddf.assign(t=ddf.groupby("k").v.transform(_demean))
    want = expected.assign(t=expected.groupby("k").v.transform(_demean))
    assert_eq(got, want, scheduler=scheduler)


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_apply_missing_keys_partitions_match_meta(pdf, how, scheduler, tmp_path):
    ddf, expected = variant(pdf, how)
    got = ddf.groupby("k").apply(_top2)
    want = expected.groupby("k").apply(_top2)
    assert_eq(got, want, scheduler=scheduler, sort_results=True)
    # every partition, empty ones included, has the two index levels
    got.to_parquet(str(tmp_path / "out"), scheduler=scheduler)
    back = partframe.read_parquet(str(tmp_path / "out"))
    assert back.compute().index.nlevels == 2


@pytest.mark.parametrize("how", ["left", "right", "inner"])
@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_transform_assigned_after_merge(how, scheduler):
    """The transform's rows go back to the merge's partitions: the assign
    stays aligned when the merge is lowered into its physical plan."""
    rng = np.random.default_rng(1)
    left = pd.DataFrame({"a": rng.integers(-3, 5, 40), "b": rng.random(40) > 0.5})
    right = pd.DataFrame({"a": np.arange(-3, 5), "o": rng.integers(0, 9, 8)})
    ddf = partframe.from_pandas(left, npartitions=4).merge(
        partframe.from_pandas(right, npartitions=3), on="a", how=how
    )
    want = left.merge(right, on="a", how=how)
    for func in ("sum", "cumsum", _demean):
        got = ddf.assign(t=ddf.groupby("b").o.transform(func))
        expected = want.assign(t=want.groupby("b").o.transform(func))
        assert_eq(
            got, expected, scheduler=scheduler, check_index=False, sort_results=True
        )


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_nunique_counts_missing_values_with_dropna_false(how, scheduler):
    # missing values (of the values, and of the keys with dropna=False on
    # the groupby) count as one more distinct value, as in pandas
    pdf = pd.DataFrame(
        {
            "g": pd.array(["a", "a", "b", "b", "c", None] * 5, dtype="str"),
            "s": pd.array(["x", None, "y", "y", None, "z"] * 5, dtype="str"),
            "v": [1.0, np.nan, 2.0, 3.0, np.nan, 1.0] * 5,
            "n": pd.array([1, None, 2, 2, None, 3] * 5, dtype="Int64"),
        }
    )
    ddf, expected = variant(pdf, how)
    for group_dropna in (True, False):
        g, want = (
            ddf.groupby("g", dropna=group_dropna),
            expected.groupby("g", dropna=group_dropna),
        )
        assert_eq(
            g.s.nunique(dropna=False), want.s.nunique(dropna=False), scheduler=scheduler
        )
        assert_eq(
            g.nunique(dropna=False), want.nunique(dropna=False), scheduler=scheduler
        )
        assert_eq(
            g[["v", "n"]].nunique(), want[["v", "n"]].nunique(), scheduler=scheduler
        )
