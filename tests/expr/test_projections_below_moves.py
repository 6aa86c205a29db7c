"""Projections below merges, sorts, shuffles and groupbys
(``push_projections_below``): sources read, and moves carry, only the
columns used after them.

Each rule is checked twice: on the optimized plan (the columns a source
reads, the selection right below the move) and on the results, which equal
pandas and the plan computed without optimization, over several
partitionings.
"""

from __future__ import annotations

import io
import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, variant

import partframe
from partframe.expr.base import Expr, walk
from partframe.expr.optimize import fuse_blockwise, lower, optimize
from partframe.expr.optimize import projections as projections_pass
from partframe.testing import assert_eq

_RNG = np.random.default_rng(7)
N = 60
LEFT = pd.DataFrame(
    {
        "k": _RNG.integers(0, 12, N),
        "a": _RNG.normal(size=N),
        "b": _RNG.integers(0, 5, N),
        "s": pd.array(_RNG.choice(list("pqrs"), N), dtype="str"),
        "x": _RNG.integers(0, 9, N),
        "t": pd.date_range("2021", periods=N, freq="h"),
    }
)
RIGHT = pd.DataFrame(
    {
        "k": np.arange(15),
        "b": _RNG.integers(0, 5, 15),
        "x": np.arange(15.0),
        "y": pd.array(_RNG.integers(0, 3, 15), dtype="Int64"),
        "z": list("abcde") * 3,
    }
)


def _plan(expr: Expr) -> Expr:
    return optimize(expr, fuse=False)


_MOVE_STEPS = ("ShuffleSplit", "ShuffleAssign", "RepartitionPieces")


def _selections_below_moves(expr: Expr) -> list[list]:
    """The columns of every selection a shuffle split or a gather (the
    first step of a move) reads, in the optimized plan."""
    out = []
    for node in walk(_plan(expr)):
        if type(node).__name__ not in _MOVE_STEPS:
            continue
        below = node.operand("frame")
        if type(below).__name__ == "Projection":
            out.append(below.operand("columns"))
    return out


def _unoptimized(lazy):
    return lazy.compute(optimize_graph=False)


def _check(lazy, want, **kw):
    assert_eq(lazy, want, **kw)
    assert_eq(_unoptimized(lazy), want, **kw)


# -- which columns a merge needs of each side -----------------------------------

_L = pd.DataFrame(
    {"k": [1, 2, 3, 4], "a": [1, 2, 2, 5], "x": [1.0, 2, 3, 4], "b": [2, 3, 4, 5]},
    index=[1, 2, 3, 9],
).assign(kk=[1, 1, 2, 2])
_R = pd.DataFrame(
    {"k": [1, 2, 3, 7], "b": [1, 2, 3, 4], "x": [1, 5, 3, 3], "y": [1, 2, 3, 4]},
    index=[2, 3, 4, 1],
).assign(a=[3, 2, 1, 0])

_MERGES = [
    {"on": "k"},
    {"left_on": "a", "right_on": "b"},
    {"left_on": "k", "right_on": "y"},
    {"on": ["k", "a"]},
    {"left_on": ["k", "a"], "right_on": ["k", "b"]},
    {"left_index": True, "right_on": "k"},
    {"left_on": "k", "right_index": True},
    {"left_index": True, "right_index": True},
    {"left_on": "a", "right_index": True},
    {"on": "k", "suffixes": (None, "_r")},
    {"on": "k", "suffixes": ("_l", None)},
    {"on": "k", "indicator": True},
    {"on": "k", "indicator": "ind"},
    {"left_on": "kk", "right_on": "k"},
]
_JOINS = [
    {"on": "k", "lsuffix": "_l", "rsuffix": "_r"},
    {"lsuffix": "_l", "rsuffix": "_r"},
    {"on": "a", "lsuffix": "_l", "rsuffix": "_r"},
]


def _merge_cases():
    for how in ("inner", "left", "right", "outer"):
        for kw in _MERGES:
            yield "merge", how, kw
        for kw in _JOINS:
            yield "join", how, kw


@pytest.mark.parametrize(("op", "how", "kw"), list(_merge_cases()))
def test_merge_needs_give_the_used_columns_as_pandas_does(op, how, kw):
    # For every one or two output columns: pandas on the sides narrowed to
    # what the merge says it needs gives those columns, with their values
    # (suffixes decided from the narrowed sides included).
    right = _R.set_index("k") if op == "join" and kw.get("on") == "k" else _R
    left_pf = partframe.from_pandas(_L, npartitions=2)
    right_pf = partframe.from_pandas(right, npartitions=1)
    if op == "merge":
        merged = left_pf.merge(right_pf, how=how, **kw)

        def run(a, b):
            return pd.merge(a, b, how=how, **kw)
    else:
        merged = left_pf.join(right_pf, how=how, **kw)

        def run(a, b):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                warnings.simplefilter("ignore", DeprecationWarning)
                return a.join(b, how=how, **kw)

    full = run(_L, right)
    assert list(full.columns) == list(merged._meta.columns)
    narrowed_somewhere = False
    for size in (1, 2):
        for used in itertools.combinations(full.columns, size):
            (lchild, lneed), (rchild, rneed) = merged.expr._column_needs(set(used))
            assert lchild is left_pf.expr and rchild is right_pf.expr
            a = _L if lneed is None else _L[[c for c in _L.columns if c in lneed]]
            b = right if rneed is None else right[[c for c in right if c in rneed]]
            narrowed_somewhere |= a.shape != _L.shape or b.shape != right.shape
            got = run(a, b)
            pd.testing.assert_frame_equal(got[list(used)], full[list(used)])
    assert narrowed_somewhere


def test_leftsemi_needs_only_the_right_keys():
    left = partframe.from_pandas(LEFT, npartitions=3)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    merged = left.merge(right, on="k", how="leftsemi", broadcast=False)
    (_, lneed), (_, rneed) = merged.expr._column_needs({"a"})
    assert lneed == {"k", "a"} and rneed == {"k"}
    out = merged[["a"]]
    assert sorted(_selections_below_moves(out.expr)) == [["k"], ["k", "a"]]
    want = LEFT[LEFT.k.isin(RIGHT.k)][["a"]]
    _check(out, want, sort_results=True, check_index=False)


# -- merges of in-memory frames: a selection below the move ------------------------


@pytest.mark.parametrize("how", ["inner", "left", "right", "outer"])
@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_merge_of_in_memory_frames_moves_the_used_columns(how, partitioning):
    left, pleft = variant(LEFT, partitioning)
    right = partframe.from_pandas(RIGHT, npartitions=3)
    out = left.merge(right, on="k", how=how, broadcast=False)[["a", "y"]]
    want = pleft.merge(RIGHT, on="k", how=how)[["a", "y"]]
    if left.npartitions > 1:
        assert sorted(map(tuple, _selections_below_moves(out.expr))) == [
            ("k", "a"),
            ("k", "y"),
        ]
    _check(out, want, sort_results=True, check_index=False)


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_overlapping_column_used_under_one_suffix_stays_on_both_sides(partitioning):
    # x is on both sides: x_y needs the left's x too, or the right's would
    # come out as "x"
    left, pleft = variant(LEFT, partitioning)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    out = left.merge(right, on="k", broadcast=False)[["x_y", "s"]]
    want = pleft.merge(RIGHT, on="k")[["x_y", "s"]]
    if left.npartitions > 1:
        assert sorted(map(tuple, _selections_below_moves(out.expr))) == [
            ("k", "s", "x"),
            ("k", "x"),
        ]
    _check(out, want, sort_results=True, check_index=False)


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_broadcast_merge_gathers_the_used_columns(partitioning):
    left, pleft = variant(LEFT, partitioning)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    out = left.merge(right, left_on="b", right_on="k", how="left", broadcast=True)
    out = out[["a", "z"]]
    want = pleft.merge(RIGHT, left_on="b", right_on="k", how="left")[["a", "z"]]
    if left.npartitions > 1:
        assert ["k", "z"] in _selections_below_moves(out.expr)
    _check(out, want, sort_results=True, check_index=False)


@pytest.mark.parametrize("partitioning", ["1", "3", "7"])
def test_index_join_keeps_the_index_and_the_used_columns(partitioning):
    left, pleft = variant(LEFT, partitioning)
    pright = RIGHT.set_index("k")
    right = partframe.from_pandas(pright, npartitions=2)
    out = left.join(right, on="k", rsuffix="_r", npartitions=4)[["a", "z"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = pleft.join(pright, on="k", rsuffix="_r")[["a", "z"]]
    _check(out, want, sort_results=True, check_index=False)


def test_merge_narrowing_adds_no_task():
    left = partframe.from_pandas(LEFT, npartitions=4)
    right = partframe.from_pandas(RIGHT, npartitions=3)
    out = left.merge(right, on="k", broadcast=False)[["a", "y"]]

    def tasks(expr):
        return len(fuse_blockwise(expr).__dask_graph__())

    narrowed = optimize(out.expr)
    plain = lower(out.expr)  # no projection below the move
    assert tasks(narrowed) == tasks(plain)
    # the selection is fused into the split before the move
    fused = [n for n in walk(narrowed) if type(n).__name__ == "Fused"]
    assert any(
        [type(m).__name__ for m in n.members] == ["Projection", "ShuffleSplit"]
        for n in fused
    )


def test_selection_fuses_with_the_steps_below_it():
    left = partframe.from_pandas(LEFT, npartitions=4)
    left = left.assign(w=left.a * 2)
    right = partframe.from_pandas(RIGHT, npartitions=3)
    out = left.merge(right, on="k", broadcast=False)[["w", "y"]]
    narrowed = optimize(out.expr)
    plain = fuse_blockwise(lower(out.expr))
    assert len(narrowed.__dask_graph__()) == len(plain.__dask_graph__())
    members = [
        [type(m).__name__ for m in n.members]
        for n in walk(narrowed)
        if type(n).__name__ == "Fused"
    ]
    assert ["Assign", "Projection", "ShuffleSplit"] in [m[-3:] for m in members]
    want = LEFT.assign(w=LEFT.a * 2).merge(RIGHT, on="k")[["w", "y"]]
    _check(out, want, sort_results=True, check_index=False)


def test_self_merge_moves_what_both_uses_need():
    df = partframe.from_pandas(LEFT, npartitions=3)
    out = df.merge(df, on="k", broadcast=False)[["a_x", "b_y"]]
    assert _selections_below_moves(out.expr) == [["k", "a", "b"]]
    want = LEFT.merge(LEFT, on="k")[["a_x", "b_y"]]
    _check(out, want, sort_results=True, check_index=False)


def test_merge_used_whole_is_not_narrowed():
    left = partframe.from_pandas(LEFT, npartitions=3)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    out = left.merge(right, on="k", broadcast=False)
    assert _selections_below_moves(out.expr) == []
    # a column used by a parent with no exact needs: all columns
    out = out.map_partitions(lambda p: p[["a"]], meta=out._meta[["a"]])
    assert _selections_below_moves(out.expr) == []


# -- sources below merges read only what is used -------------------------------------


@pytest.fixture(scope="module")
def parquet_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("proj")
    LEFT.to_parquet(folder / "left.parquet", row_group_size=17)
    RIGHT.to_parquet(folder / "right.parquet", row_group_size=4)
    return str(folder / "left.parquet"), str(folder / "right.parquet")


def _read_columns(expr: Expr) -> list[list]:
    return sorted(
        list(n.operand("columns"))
        for n in walk(_plan(expr))
        if type(n).__name__ == "ReadParquet"
    )


@pytest.mark.parametrize("split", [False, True])
def test_merge_of_parquet_reads_the_used_columns(parquet_pair, split):
    lpath, rpath = parquet_pair
    left = partframe.read_parquet(lpath, split_row_groups=split)
    right = partframe.read_parquet(rpath, split_row_groups=split)
    out = left.merge(right, on="k", how="left", npartitions=3)[["a"]]
    assert _read_columns(out.expr) == [["k"], ["k", "a"]]
    want = LEFT.merge(RIGHT, on="k", how="left")[["a"]]
    _check(out, want, sort_results=True, check_index=False)


def test_explain_shows_the_narrowed_columns(parquet_pair):
    lpath, _ = parquet_pair
    left = partframe.read_parquet(lpath, split_row_groups=True)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    out = left.merge(right, on="k", broadcast=False)[["a", "z"]]
    buf = io.StringIO()
    out.explain(file=buf)
    logical, optimized = buf.getvalue().split("Optimized plan:")
    assert "columns=['k', 'a', 'b', 's', 'x', 't']" in logical
    assert "Projection(['k', 'z'])" not in logical
    assert "columns=['k', 'a']" in optimized
    assert "ShuffleSplit(on=['k'], npartitions_out=4), Projection(['k', 'z'])" in (
        optimized
    )


# -- sorts, set_index, shuffles, drop_duplicates ----------------------------------


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_sort_values_moves_the_key_and_used_columns(partitioning):
    df, pdf = variant(LEFT, partitioning)
    out = df.sort_values("a")[["b"]]
    if df.npartitions > 1:
        assert _selections_below_moves(out.expr) == [["a", "b"]]
    _check(out, pdf.sort_values("a")[["b"]], check_divisions=False)


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_set_index_moves_the_key_and_used_columns(partitioning):
    df, pdf = variant(LEFT, partitioning)
    out = df.set_index("a").s
    if df.npartitions > 1:
        assert _selections_below_moves(out.expr) == [["a", "s"]]
    _check(out, pdf.set_index("a").s.sort_index())


def test_set_index_keeps_its_computed_divisions_when_narrowed():
    df = partframe.from_pandas(LEFT, npartitions=4)
    indexed = df.set_index("a")
    divisions = indexed.divisions  # computed from the data now
    out = indexed[["b"]]
    plan = _plan(out.expr)
    assert plan.divisions == divisions
    _check(out, LEFT.set_index("a")[["b"]].sort_index())


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_shuffle_moves_the_key_and_used_columns(partitioning):
    df, pdf = variant(LEFT, partitioning)
    out = df.shuffle("k", npartitions=3)[["x"]]
    assert _selections_below_moves(out.expr) == [["k", "x"]]
    _check(out, pdf[["x"]], sort_results=True, check_divisions=False)


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_drop_duplicates_moves_the_subset_and_used_columns(partitioning):
    df, pdf = variant(LEFT, partitioning)
    out = df.drop_duplicates(subset=["k", "b"])[["s"]]
    if df.npartitions > 1:
        # below the local drop_duplicates and the tags
        plan = _plan(out.expr)
        (tags,) = [n for n in walk(plan) if type(n).__name__ == "TagRows"]
        selection = tags.operand("frame").operand("frame")
        assert selection.operand("columns") == ["k", "b", "s"]
    _check(out, pdf.drop_duplicates(subset=["k", "b"])[["s"]])


# -- groupby -------------------------------------------------------------------------


def _groupby_frames(parquet_pair):
    lpath, _ = parquet_pair
    return partframe.read_parquet(lpath, split_row_groups=True)


def test_groupby_aggregation_reads_the_keys_and_the_column(parquet_pair):
    df = _groupby_frames(parquet_pair)
    out = df.groupby("k").x.sum()
    assert _read_columns(out.expr) == [["k", "x"]]
    _check(out, LEFT.groupby("k").x.sum())


def test_groupby_apply_reads_the_keys_and_the_column(parquet_pair):
    df = _groupby_frames(parquet_pair)
    out = df.groupby("k").a.median()
    assert _read_columns(out.expr) == [["k", "a"]]
    _check(out, LEFT.groupby("k").a.median())


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_groupby_transform_moves_the_keys_and_the_selection(partitioning):
    df, pdf = variant(LEFT, partitioning)
    out = df.groupby("k").x.cumsum()
    if df.npartitions > 1:
        # the tagged rows are shuffled: the selection is below the tags
        plan = _plan(out.expr)
        tags = [n for n in walk(plan) if type(n).__name__ == "TagRows"]
        assert [t.operand("frame").operand("columns") for t in tags] == [["k", "x"]]
    _check(out, pdf.groupby("k").x.cumsum())


@pytest.mark.parametrize("partitioning", ["1", "3", "empty-parts"])
def test_groupby_head_with_a_selection_keeps_whole_rows(partitioning):
    # head/tail return whole rows: the selection above takes the columns
    df, pdf = variant(LEFT, partitioning)
    out = df.groupby("k")[["a", "s"]].head(2)
    _check(out, pdf.groupby("k")[["a", "s"]].head(2))


def test_merge_then_groupby_moves_only_what_the_aggregation_reads():
    left = partframe.from_pandas(LEFT, npartitions=4)
    right = partframe.from_pandas(RIGHT, npartitions=3)
    out = left.merge(right, on="k", broadcast=False).groupby("z").a.sum()
    assert sorted(map(tuple, _selections_below_moves(out.expr))) == [
        ("k", "a"),
        ("k", "z"),
    ]
    _check(out, LEFT.merge(RIGHT, on="k").groupby("z").a.sum())


def test_pass_leaves_plans_without_moves_alone():
    df = partframe.from_pandas(LEFT, npartitions=3)
    out = (df.a + df.b).sum()
    assert projections_pass.push_projections_below(out.expr)._name == out.expr._name


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_selection_goes_below_a_filter_pushed_below_the_merge(partitioning):
    # the filter above is pushed below the join (filters below joins) and,
    # applied there in full, dropped above: the selection goes under it,
    # so the filter copies fewer columns, and "a" stops at the filter
    left, pleft = variant(LEFT, partitioning)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    m = left.merge(right, on="k", broadcast=False)
    out = m[m.a > 0][["x_x", "z"]]
    pm = pleft.merge(RIGHT, on="k")
    want = pm[pm.a > 0][["x_x", "z"]]
    if left.npartitions > 1:
        plan = _plan(out.expr)
        splits = [n for n in walk(plan) if type(n).__name__ in _MOVE_STEPS]
        below = sorted(
            type(s.operand("frame")).__name__
            + repr(s.operand("frame").operand("frame").operand("columns"))
            for s in splits
            if type(s.operand("frame")).__name__ == "Filter"
        )
        assert below == ["Filter['k', 'x']"]
    _check(out, want, sort_results=True, check_index=False)


@pytest.mark.parametrize("how", ["inner", "left", "right", "outer"])
@pytest.mark.parametrize("partitioning", ["1", "3", "7", "empty-parts"])
def test_index_merge_moves_a_side_without_columns(how, partitioning):
    # joined on the indexes, the left side is needed for its index only
    left, pleft = variant(LEFT, partitioning)
    right = partframe.from_pandas(RIGHT, npartitions=2)
    kw = {"left_index": True, "right_index": True, "how": how}
    out = left.merge(right, npartitions=4, broadcast=False, **kw)[["z"]]
    assert sorted(_selections_below_moves(out.expr)) == [[], ["z"]]
    _check(out, pleft.merge(RIGHT, **kw)[["z"]], sort_results=True)
