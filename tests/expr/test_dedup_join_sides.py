"""A join side that drops duplicates keeps its rows in the partition of
their key (``DropDuplicates(in_place=False)``): a join on columns has its
own row order, so the shuffle back home is left out. Results equal pandas'
(rows compared in any order, as joins are); elsewhere drop_duplicates keeps
pandas' order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, variant

import partframe
from partframe.expr.base import walk
from partframe.expr.optimize import optimize
from partframe.testing import assert_eq

_RNG = np.random.default_rng(3)
ROWS = pd.DataFrame(
    {
        "k": _RNG.integers(0, 15, 90),
        "v": _RNG.integers(0, 4, 90),
        "x": np.arange(90.0),
    }
)
DIM = pd.DataFrame({"k": np.arange(0, 20, 2), "name": [f"n{i}" for i in range(10)]})


def _kinds(expr) -> list[str]:
    return [type(n).__name__ for n in walk(optimize(expr, fuse=False))]


def _cases(frame):
    """Join sides that end in a dedup, through the steps it sees through."""
    return {
        "keys-only": frame[["k"]].drop_duplicates(),
        "assign": frame[["k"]].drop_duplicates().assign(seen=1),
        "renamed": frame[["k", "v"]].drop_duplicates().rename(columns={"v": "w"}),
        "first": frame.drop_duplicates(subset=["k"]),
        "last": frame.drop_duplicates(subset=["k"], keep="last"),
        "none": frame.drop_duplicates(subset=["k", "v"], keep=False),
    }


@pytest.mark.parametrize("case", sorted(_cases(ROWS)))
@pytest.mark.parametrize("how", ["inner", "left", "right", "outer"])
@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_join_on_a_deduplicated_side_equals_pandas(case, how, partitioning):
    ddf, pdf = variant(ROWS, partitioning)
    dim = partframe.from_pandas(DIM, npartitions=2)
    got = _cases(ddf)[case].merge(dim, on="k", how=how)
    want = _cases(pdf)[case].merge(DIM, on="k", how=how)
    for scheduler in ("sync", "threads"):
        assert_eq(got, want, check_index=False, sort_results=True, scheduler=scheduler)


@pytest.mark.parametrize("case", sorted(_cases(ROWS)))
def test_no_shuffle_back_below_a_join(case):
    ddf = partframe.from_pandas(ROWS, npartitions=4)
    dim = partframe.from_pandas(DIM, npartitions=2)
    side = _cases(ddf)[case]
    assert "RestoreRows" in _kinds(side.expr)  # alone: pandas' order, home
    kinds = _kinds(side.merge(dim, on="k").expr)
    assert "RestoreRows" not in kinds
    # tags only where they decide which row stays
    tagged = case in ("first", "last")
    assert ("TagRows" in kinds) == tagged


def test_dedup_used_elsewhere_keeps_pandas_order():
    ddf = partframe.from_pandas(ROWS, npartitions=4)
    dim = partframe.from_pandas(DIM, npartitions=2)
    side = ddf.drop_duplicates(subset=["k"])
    joined = side.merge(dim, on="k")
    both = partframe.compute(side, joined)
    pside = ROWS.drop_duplicates(subset=["k"])
    pd.testing.assert_frame_equal(both[0], pside)
    want = pside.merge(DIM, on="k")
    got = both[1].sort_values(["k", "x"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        got, want.sort_values(["k", "x"]).reset_index(drop=True)
    )


def test_join_on_the_index_keeps_the_dedup_in_place():
    ddf = partframe.from_pandas(ROWS, npartitions=4)
    dim = partframe.from_pandas(DIM.set_index("k"), npartitions=2)
    side = ddf.drop_duplicates(subset=["k"])
    out = side.merge(dim, left_on="k", right_index=True)
    assert "RestoreRows" in _kinds(out.expr)
    want = ROWS.drop_duplicates(subset=["k"]).merge(
        DIM.set_index("k"), left_on="k", right_index=True
    )
    assert_eq(out, want, check_index=False, sort_results=True)


def _shuffles(expr) -> int:
    kinds = _kinds(expr)
    return sum(k in ("ShuffleCollect", "StagedShuffle", "DiskShuffle") for k in kinds)


@pytest.mark.parametrize("how", ["inner", "left", "right", "outer"])
@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_a_side_hashed_by_its_key_is_not_shuffled_again(how, partitioning):
    # the dedup hashes the rows by "k" into the frame's partition count; a
    # hash join on "k" with that many partitions shuffles only the other side
    ddf, pdf = variant(ROWS, partitioning)
    other = pd.DataFrame({"k": np.arange(30) % 17, "o": np.arange(30.0)})
    dother = partframe.from_pandas(other, npartitions=max(1, ddf.npartitions))
    side = ddf[["k", "v"]].drop_duplicates(subset=["k"], keep=False).assign(seen=1)
    got = dother.merge(side, on="k", how=how, broadcast=False)
    if ddf.npartitions > 1:
        # one shuffle for the dedup, one for the other side
        assert _shuffles(got.expr) == 2
    want = other.merge(
        pdf[["k", "v"]].drop_duplicates(subset=["k"], keep=False).assign(seen=1),
        on="k",
        how=how,
    )
    for scheduler in ("sync", "threads"):
        assert_eq(got, want, check_index=False, sort_results=True, scheduler=scheduler)


def test_keys_of_other_dtypes_are_shuffled_alike():
    # float keys on the other side: both sides go through the shuffle
    ddf = partframe.from_pandas(ROWS, npartitions=4)
    other = pd.DataFrame({"k": (np.arange(30) % 17).astype("float64"), "o": 1.0})
    dother = partframe.from_pandas(other, npartitions=4)
    side = ddf[["k"]].drop_duplicates()
    got = dother.merge(side, on="k", broadcast=False)
    assert _shuffles(got.expr) == 3
    want = other.merge(ROWS[["k"]].drop_duplicates(), on="k")
    assert_eq(got, want, check_index=False, sort_results=True)
