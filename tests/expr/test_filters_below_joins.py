"""Row filters above a merge also filter the merge's inputs they commute
with (``push_filters_below``); the filter above stays unless the inputs'
filters apply all of it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, variant

import partframe
from partframe.expr.base import Expr, walk
from partframe.expr.optimize import optimize

_RNG = np.random.default_rng(0)
LEFT = pd.DataFrame(
    {
        "k": _RNG.integers(0, 20, 120),
        "a": _RNG.normal(size=120),
        "d": pd.date_range("2020", periods=120, freq="D"),
        "x": _RNG.integers(0, 9, 120),
    }
)
RIGHT = pd.DataFrame(
    {
        "k": np.arange(25),
        "b": _RNG.integers(0, 5, 25),
        "s": list("abcde") * 5,
        "x": np.arange(25.0),
    }
)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def _filters_on(expr: Expr, source_rows: int) -> int:
    """Filters right above the source with ``source_rows`` rows (or above
    a selection of its columns)."""
    plan = optimize(expr, fuse=False)
    count = 0
    for node in walk(plan):
        if type(node).__name__ != "Filter":
            continue
        below = node.operand("frame")
        if type(below).__name__ == "Projection":
            below = below.operand("frame")
        if type(below).__name__ == "FromPandas" and len(below.operand("data")) == (
            source_rows
        ):
            count += 1
    return count


def _query(m):
    return m[(m.a > 0) & m.b.isin([1, 2]) & (m.k < 15) & (m.d >= "2020-02-01")]


@pytest.mark.parametrize("how", ["inner", "left", "right", "outer"])
@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_filter_above_merge_matches_pandas(how, partitioning):
    left, pleft = variant(LEFT, partitioning)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    got = _query(left.merge(right, on="k", how=how)).compute()
    want = _query(pleft.merge(RIGHT, on="k", how=how))
    pd.testing.assert_frame_equal(_sorted(got), _sorted(want))


@pytest.mark.parametrize(
    "how, left_filtered, right_filtered",
    [("inner", 1, 1), ("left", 1, 0), ("right", 0, 1), ("outer", 0, 0)],
)
def test_terms_go_to_the_sides_they_commute_with(how, left_filtered, right_filtered):
    # inner: each side's own columns and the shared key; left/right: the
    # kept side only (filtering the other would turn matches into misses).
    # Float columns: a miss does not change their dtype.
    pleft, pright = LEFT.astype({"x": float}), RIGHT.astype({"b": float})
    left = partframe.from_pandas(pleft, npartitions=3)
    right = partframe.from_pandas(pright, npartitions=2)
    out = _query(left.merge(right, on="k", how=how))
    assert _filters_on(out.expr, len(LEFT)) == left_filtered
    assert _filters_on(out.expr, len(RIGHT)) == right_filtered
    want = _query(pleft.merge(pright, on="k", how=how))
    pd.testing.assert_frame_equal(_sorted(out.compute()), _sorted(want))


@pytest.mark.parametrize("how", ["left", "right"])
def test_kept_side_not_filtered_when_misses_widen_the_other(how):
    # pandas makes the other side's ints float64 when a kept row has no
    # match, before the filter drops that row: with the kept side filtered
    # first there may be no miss left, and the ints would stay int64
    left = partframe.from_pandas(LEFT, npartitions=3)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    out = _query(left.merge(right, on="k", how=how))
    assert _filters_on(out.expr, len(LEFT)) == 0
    assert _filters_on(out.expr, len(RIGHT)) == 0
    want = _query(LEFT.merge(RIGHT, on="k", how=how))
    pd.testing.assert_frame_equal(_sorted(out.compute()), _sorted(want))


def test_suffixed_columns_stay_above():
    # "x" is on both sides: the output has x_x and x_y, neither a side's own
    left = partframe.from_pandas(LEFT, npartitions=3)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    m = left.merge(right, on="k")
    out = m[(m.x_x > 3) & (m.x_y < 10)]
    assert _filters_on(out.expr, len(LEFT)) == 0
    assert _filters_on(out.expr, len(RIGHT)) == 0
    pm = LEFT.merge(RIGHT, on="k")
    want = pm[(pm.x_x > 3) & (pm.x_y < 10)]
    pd.testing.assert_frame_equal(_sorted(out.compute()), _sorted(want))


def test_merge_used_elsewhere_is_not_rewritten():
    # the unfiltered merge is also computed: filtering its inputs would
    # change the other use (and compute the join twice)
    left = partframe.from_pandas(LEFT, npartitions=3)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    m = left.merge(right, on="k")
    both = partframe.concat([m[m.a > 0], m])
    assert _filters_on(both.expr, len(LEFT)) == 0
    pm = LEFT.merge(RIGHT, on="k")
    want = pd.concat([pm[pm.a > 0], pm])
    pd.testing.assert_frame_equal(_sorted(both.compute()), _sorted(want))


def test_predicate_reading_a_reduction_is_not_pushed():
    # the mean is over every merged row: with fewer rows it would change
    left = partframe.from_pandas(LEFT, npartitions=3)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    m = left.merge(right, on="k")
    out = m[(m.a > 0) & (m.b > m.b.mean())]
    assert _filters_on(out.expr, len(LEFT)) == 0
    pm = LEFT.merge(RIGHT, on="k")
    want = pm[(pm.a > 0) & (pm.b > pm.b.mean())]
    pd.testing.assert_frame_equal(_sorted(out.compute()), _sorted(want))


def test_pushed_once_and_shown_by_explain(capsys):
    left = partframe.from_pandas(LEFT, npartitions=3)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    m = left.merge(right, on="k")
    out = _query(m)
    assert _filters_on(out.expr, len(LEFT)) == 1  # not once per round
    out.explain()
    text = capsys.readouterr().out
    optimized = text.split("Optimized plan:")[1]
    # one per side: every term went below, the filter above is dropped
    assert optimized.count("Filter()") == 2


def test_columns_of_a_filtered_merge_push_once():
    # each column selection of the filtered merge is a filter of its own
    # after simplification (same predicate): together they hold every use
    # of the merge, so the terms they share go below it
    left = partframe.from_pandas(LEFT, npartitions=3)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    m = left.merge(right, on="k")
    f = m[(m.d >= "2020-02-01") & (m.d < "2020-03-01") & (m.a > 0)]
    out = (f.a * (1 - f.b)).where(f.s.str.startswith("a"), 0.0).sum()
    assert _filters_on(out.expr, len(LEFT)) == 1
    pm = LEFT.merge(RIGHT, on="k")
    pf = pm[(pm.d >= "2020-02-01") & (pm.d < "2020-03-01") & (pm.a > 0)]
    want = (pf.a * (1 - pf.b)).where(pf.s.str.startswith("a"), 0.0).sum()
    assert np.isclose(out.compute(), want)


def _filters_above_merge(expr: Expr) -> int:
    plan = optimize(expr, fuse=False)
    count = 0
    for node in walk(plan):
        if type(node).__name__ == "Filter":
            below = node.operand("frame")
            while type(below).__name__ == "Projection":
                below = below.operand("frame")
            count += type(below).__name__ in ("Merge", "NarrowIfComplete", "CastAlike")
            count += type(below).__name__ == "MergePartitions"
    return count


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_filter_applied_in_full_below_is_dropped(partitioning, scheduler):
    left, pleft = variant(LEFT, partitioning)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    out = _query(left.merge(right, on="k"))
    assert _filters_above_merge(out.expr) == 0
    want = _query(pleft.merge(RIGHT, on="k"))
    got = out.compute(scheduler=scheduler)
    pd.testing.assert_frame_equal(_sorted(got), _sorted(want))


def test_filter_kept_above_where_part_of_it_stays():
    # the suffixed column's term and the reduction's term cannot go below
    left = partframe.from_pandas(LEFT, npartitions=3)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    m = left.merge(right, on="k")
    pm = LEFT.merge(RIGHT, on="k")
    for out, want in [
        (m[(m.a > 0) & (m.x_x > 3)], pm[(pm.a > 0) & (pm.x_x > 3)]),
        (m[(m.a > 0) & (m.b > m.b.mean())], pm[(pm.a > 0) & (pm.b > pm.b.mean())]),
        (m[(m.a > 0) | (m.b > 2)], pm[(pm.a > 0) | (pm.b > 2)]),
    ]:
        assert _filters_above_merge(out.expr) == 1
        pd.testing.assert_frame_equal(_sorted(out.compute()), _sorted(want))


def test_filter_on_keys_of_two_dtypes():
    # int keys on the left, float keys on the right: the side whose key has
    # the output's dtype applies the term as the filter above would
    pright = RIGHT.astype({"k": "float64"})
    left = partframe.from_pandas(LEFT, npartitions=3)
    right = partframe.from_pandas(pright, npartitions=2)
    m = left.merge(right, on="k")
    out = m[m.k < 7]
    pm = LEFT.merge(pright, on="k")
    assert _filters_above_merge(out.expr) == 0
    pd.testing.assert_frame_equal(_sorted(out.compute()), _sorted(pm[pm.k < 7]))
