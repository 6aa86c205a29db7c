"""Row filters move below the nodes they commute with (``move_filters``),
and their terms reach the sources (``push_predicates``).

Each rule: the optimized plan has the filter where expected, and the
result equals pandas and the unoptimized plan, over several partitionings
(empty partitions included) with nullable and string columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, make_pdf, variant

import partframe
from partframe.expr.base import Expr, walk
from partframe.expr.optimize import move_filters, optimize, simplify
from partframe.testing import assert_eq

PDF = make_pdf(40, seed=3)


def _moved(out) -> Expr:
    """The plan after simplification and filter moves (before lowering)."""
    return move_filters(simplify(out.expr))


def _kind(e: Expr) -> str:
    return type(e).__name__


def _check(out, want, sort_results=False):
    """``out`` equals pandas' ``want`` and ``out`` computed unoptimized."""
    assert_eq(out, want, sort_results=sort_results)
    plain = out.compute(optimize_graph=False)
    got = out.compute()
    if sort_results:
        plain, got = plain.sort_index(kind="stable"), got.sort_index(kind="stable")
    if isinstance(got, pd.DataFrame):
        pd.testing.assert_frame_equal(got, plain)
    else:
        pd.testing.assert_series_equal(got, plain)


def _rows(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def _conj(d):
    return d[(d.i > 2) & (d.n.fillna(0) < 30) & (d.s != "fig")]


# -- sort_values, set_index, shuffle ------------------------------------------


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_filter_moves_below_sort(partitioning):
    df, pdf = variant(PDF, partitioning)
    s, ps = (
        df.sort_values(["f", "i"], na_position="first"),
        pdf.sort_values(["f", "i"], na_position="first", kind="stable"),
    )
    out = _conj(s)
    plan = _moved(out)
    assert _kind(plan) == "SortValues"
    assert _kind(plan.operand("frame")) == "Filter"
    _check(out, _conj(ps))


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_filter_keeping_no_row_moves_below_sort(partitioning):
    df, pdf = variant(PDF, partitioning)
    out = df.sort_values("t")
    out = out[out.i > 100]
    assert _kind(_moved(out)) == "SortValues"
    _check(out, pdf.sort_values("t")[pdf.sort_values("t").i > 100])


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_filter_moves_below_shuffle(partitioning):
    df, pdf = variant(PDF, partitioning)
    out = df.shuffle("c")
    out = out[(out.s == "fig") | (out.n > 0)]
    plan = _moved(out)
    assert _kind(plan) == "Shuffle"
    assert _kind(plan.operand("frame")) == "Filter"
    want = pdf[(pdf.s == "fig") | (pdf.n > 0)]
    _check(out, want, sort_results=True)


def test_filter_moves_below_set_index_with_given_divisions():
    df = partframe.from_pandas(PDF, npartitions=4)
    s = df.set_index("i", divisions=[0, 3, 6, 9])
    out = s[s.f > 0]
    plan = _moved(out)
    assert _kind(plan) == "SetIndexShuffled"
    assert _kind(plan.operand("frame")) == "Filter"
    assert out.divisions == (0, 3, 6, 9)
    ps = PDF.set_index("i").sort_index(kind="stable")
    assert_eq(out, ps[ps.f > 0])


def test_filter_stays_above_set_index_whose_divisions_were_computed():
    # the divisions were read (to build the plan above, maybe): computed
    # again from fewer rows they could differ from those read
    df = partframe.from_pandas(PDF, npartitions=4)
    s = df.set_index("i")
    assert _kind(s.expr) == "SetIndexShuffled"
    assert s.known_divisions
    out = s[s.f > 0]
    assert _kind(_moved(out)) == "Filter"
    ps = PDF.set_index("i").sort_index(kind="stable")
    assert_eq(out, ps[ps.f > 0])


# -- assign, rename, astype ---------------------------------------------------


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_filter_moves_below_assign_of_other_columns(partitioning):
    df, pdf = variant(PDF, partitioning)
    out = _conj(df.assign(z=df.f * 2, w=1, u="x"))  # three assigns
    plan = _moved(out)
    for _ in range(3):
        assert _kind(plan) == "Assign"
        plan = plan.operand("frame")
    assert _kind(plan) == "Filter"
    _check(out, _conj(pdf.assign(z=pdf.f * 2, w=1, u="x")))


@pytest.mark.parametrize("partitioning", ["1", "7", "empty-parts"])
def test_terms_on_assigned_columns_stay_above(partitioning):
    # a term on an assigned row-wise value moves (computed from the frame
    # below); the term on a running sum stays above
    df, pdf = variant(PDF, partitioning)

    def q(d):
        a = d.assign(z=d.i.cumsum(), y=d.f * 2)
        return a[(a.z > 30) & (a.i > 3) & (a.y > 0)]

    out = q(df)
    plan = _moved(out)
    assert _kind(plan) == "Filter"
    assert _kind(plan.operand("frame")) == "Assign"
    assert _kind(plan.operand("frame").operand("frame")) == "Filter"
    _check(out, q(pdf))


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_filter_moves_below_rename(partitioning):
    df, pdf = variant(PDF, partitioning)

    def q(d):
        r = d.rename(columns={"i": "I", "s": "S"})
        return r[(r.I > 3) & (r.S != "fig") & r.n.notna()]

    out = q(df)
    plan = _moved(out)
    assert _kind(plan) == "RenameColumns"
    assert _kind(plan.operand("frame")) == "Filter"
    _check(out, q(pdf))


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_filter_moves_below_safe_astype_of_other_columns(partitioning):
    df, pdf = variant(PDF, partitioning)

    def q(d):
        a = d.astype({"i": "float64", "b": "Int64", "s": "object"})
        return a[(a.n > -10) & (a.t < "2024-01-05")]

    out = q(df)
    plan = _moved(out)
    assert _kind(plan) == "ColumnwiseCall"
    assert _kind(plan.operand("frame")) == "Filter"
    _check(out, q(pdf))


@pytest.mark.parametrize(
    "dtypes",
    [{"n": "float64"}, {"i": "int8"}, {"f": "Int64"}],
    ids=["reads-the-cast-column", "cast-may-wrap", "cast-may-fail"],
)
def test_filter_stays_above_astype_it_does_not_commute_with(dtypes):
    # a cast that may fail stays before the filter: it fails as pandas does
    data = PDF.assign(f=PDF.f.fillna(1.0).round())
    df = partframe.from_pandas(data, npartitions=3)

    def q(d):
        a = d.astype(dtypes)
        return a[a.n > 0]

    out = q(df)
    assert _kind(_moved(out)) == "Filter"
    _check(out, q(data))


# -- concat -------------------------------------------------------------------


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_filter_moves_into_each_concat_input(partitioning):
    df, pdf = variant(PDF, partitioning)
    other = PDF.iloc[:13].assign(i=PDF.i.iloc[:13] + 5)
    out = partframe.concat([df, partframe.from_pandas(other, npartitions=2)])
    out = _conj(out)
    plan = _moved(out)
    assert _kind(plan) == "ConcatPartitions"
    assert all(_kind(f) == "Filter" for f in plan.operand("frames"))
    _check(out, _conj(pd.concat([pdf, other])))


def test_concat_input_missing_a_column_keeps_that_term_above():
    # rows of the input without "n" have it missing: "n.isna()" holds of
    # them, so the term cannot go into that input; the term on "i" can
    df = partframe.from_pandas(PDF, npartitions=3)
    other = PDF[["i", "s"]].iloc[:9]

    def q(d):
        return d[(d.i > 2) & d.n.isna()]

    out = q(partframe.concat([df, partframe.from_pandas(other, npartitions=2)]))
    plan = _moved(out)
    assert _kind(plan) == "Filter"
    assert _kind(plan.operand("frame")) == "ConcatPartitions"
    assert all(_kind(f) == "Filter" for f in plan.operand("frame").operand("frames"))
    _check(out, q(pd.concat([PDF, other])))


def test_concat_input_with_another_dtype_keeps_the_filter_above():
    # int64 values beyond 2**53 equal others once upcast to float64
    big = 2**53
    a = pd.DataFrame({"x": [big, big + 1, 3]})
    b = pd.DataFrame({"x": [0.5]})
    out = partframe.concat(
        [
            partframe.from_pandas(a, npartitions=2),
            partframe.from_pandas(b, npartitions=1),
        ]
    )
    out = out[out.x == float(big)]
    assert _kind(_moved(out)) == "Filter"
    want = pd.concat([a, b])
    _check(out, want[want.x == float(big)])


# -- what does not move -------------------------------------------------------


def test_sort_used_elsewhere_is_not_rewritten():
    df = partframe.from_pandas(PDF, npartitions=3)
    s = df.sort_values("f")
    out = partframe.concat([s[s.i > 3], s])
    plan = _moved(out)
    sorts = [n for n in walk(plan) if _kind(n) == "SortValues"]
    assert len(sorts) == 1  # not sorted twice
    ps = PDF.sort_values("f", kind="stable")
    _check(out, pd.concat([ps[ps.i > 3], ps]))


def test_predicate_not_row_by_row_stays_above():
    # a running sum over the sorted rows depends on the rows before
    df = partframe.from_pandas(PDF, npartitions=3)
    s = df.sort_values("f")
    out = s[(s.i.cumsum() > 40) & (s.i > 2)]
    assert _kind(_moved(out)) == "Filter"
    ps = PDF.sort_values("f", kind="stable")
    _check(out, ps[(ps.i.cumsum() > 40) & (ps.i > 2)])


# -- lazy scalars -------------------------------------------------------------


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_reduction_of_the_filtered_frame_keeps_the_filter_above(partitioning):
    # the mean is of every sorted row
    df, pdf = variant(PDF, partitioning)
    s = df.sort_values("i")
    out = s[(s.f > s.f.mean()) & (s.i > 1)]
    assert _kind(_moved(out)) == "Filter"
    ps = pdf.sort_values("i", kind="stable")
    _check(out, ps[(ps.f > ps.f.mean()) & (ps.i > 1)])


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
def test_reduction_of_another_frame_moves(partitioning):
    df, pdf = variant(PDF, partitioning)
    other = partframe.from_pandas(PDF.iloc[:10], npartitions=2)
    s = df.sort_values("i")
    out = s[s.f > other.f.mean()]
    assert _kind(_moved(out)) == "SortValues"
    ps = pdf.sort_values("i", kind="stable")
    _check(out, ps[ps.f > PDF.iloc[:10].f.mean()])


def test_reduction_of_the_assigned_frame_moves_below_assign():
    # ``a.f`` is the frame's column: its mean is of the frame's rows
    df = partframe.from_pandas(PDF, npartitions=3)
    a = df.assign(z=1)
    out = a[a.f > a.f.mean()]
    assert _kind(_moved(out)) == "Assign"
    pa = PDF.assign(z=1)
    _check(out, pa[pa.f > pa.f.mean()])


def test_lazy_scalar_term_filters_merge_input():
    left = partframe.from_pandas(PDF, npartitions=3)
    right = partframe.from_pandas(
        pd.DataFrame({"i": np.arange(10), "r": np.arange(10.0)}), npartitions=2
    )
    limit = partframe.from_pandas(PDF.iloc[:10], npartitions=1).f.mean()
    m = left.merge(right, on="i")
    out = m[(m.f > limit) & (m.r < 7)]
    plan = optimize(out.expr, fuse=False)
    below = [
        n
        for n in walk(plan)
        if _kind(n) == "Filter" and _kind(n.operand("frame")) == "FromPandas"
    ]
    assert len(below) == 2  # one per side
    pm = PDF.merge(pd.DataFrame({"i": np.arange(10), "r": np.arange(10.0)}), on="i")
    want = pm[(pm.f > PDF.iloc[:10].f.mean()) & (pm.r < 7)]
    # a merge numbers its rows per partition: compare the rows
    for got in (out.compute(), out.compute(optimize_graph=False)):
        pd.testing.assert_frame_equal(_rows(got), _rows(want))


# -- sources ------------------------------------------------------------------


@pytest.fixture
def parquet_path(tmp_path):
    path = tmp_path / "data.parquet"
    data = PDF.drop(columns=["tz"]).reset_index(drop=True)
    data.to_parquet(path, row_group_size=8)
    return str(path), data


def test_filter_below_sort_reaches_read_parquet(parquet_path, capsys):
    path, data = parquet_path
    df = partframe.read_parquet(path, split_row_groups=True)
    assert df.npartitions > 2
    s = df.sort_values("f")
    out = s[(s.t >= pd.Timestamp("2024-01-08")) & (s.i > 2)]
    out.explain()
    optimized = capsys.readouterr().out.split("Optimized plan:")[1]
    assert "pushed=[('t', '>=', Timestamp('2024-01-08 00:00:00')), ('i', '>', 2)]" in (
        optimized
    )
    plan = optimize(out.expr, fuse=False)
    sources = [n for n in walk(plan) if _kind(n) == "ReadParquet"]
    assert sources and all(n.operand("pushed") for n in sources)
    assert len(sources[0]._plan[0][1]) == 0  # the first row group is skipped
    ps = data.sort_values("f", kind="stable")
    _check(out, ps[(ps.t >= pd.Timestamp("2024-01-08")) & (ps.i > 2)])


def test_lazy_scalar_term_over_read_parquet(parquet_path):
    # not known while planning: no statistics are read with it
    path, data = parquet_path
    df = partframe.read_parquet(path, split_row_groups=True)
    out = df[(df.f > df.f.mean()) & (df.i > 4)]
    plan = optimize(out.expr, fuse=False)
    sources = [n for n in walk(plan) if _kind(n) == "ReadParquet"]
    assert sources and all(
        not isinstance(t[2], Expr) for n in sources for t in n.operand("pushed") or ()
    )
    _check(out, data[(data.f > data.f.mean()) & (data.i > 4)])


def test_filter_over_read_csv_runs_in_the_block_task(tmp_path, capsys):
    path = tmp_path / "data.csv"
    data = pd.DataFrame({"x": np.arange(200), "y": np.arange(200.0) / 3})
    data.to_csv(path, index=False)
    df = partframe.read_csv(str(path), blocksize=500)
    assert df.npartitions > 2
    s = df.rename(columns={"x": "X"})
    out = s[(s.X > 50) & (s.y < 60)]
    out.explain()
    optimized = capsys.readouterr().out.split("Optimized plan:")[1]
    assert "filtered in the block task by [('x', '>', 50), ('y', '<', 60)]" in optimized
    # one task per block reads and filters: no unfiltered block is an output
    fused = [n for n in walk(optimize(out.expr)) if _kind(n) == "Fused"]
    assert any(
        "ReadCSV" in n._tree_line() and "Filter" in n._tree_line() for n in fused
    )
    r = data.rename(columns={"x": "X"})
    want = r[(r.X > 50) & (r.y < 60)]
    assert_eq(out, want, check_index=False)
    pd.testing.assert_frame_equal(out.compute(), out.compute(optimize_graph=False))


def test_chain_of_moves_reaches_the_source():
    df = partframe.from_pandas(PDF, npartitions=4)

    def q(d):
        r = d.rename(columns={"i": "I"})
        c = r.assign(z=r.f * 3).sort_values("z")
        return c[(c.I > 4) & (c.c == "x")][["I", "z", "s"]]

    out = q(df)
    plan = _moved(out)
    filters = [n for n in walk(plan) if _kind(n) == "Filter"]
    assert len(filters) == 1
    assert _kind(filters[0].operand("frame")) == "FromPandas"
    _check(out, q(PDF))


@pytest.mark.parametrize("partitioning", ["1", "3", "empty-parts"])
def test_series_filter_with_a_running_sum_stays_above_concat(partitioning):
    # the running sum is of every concatenated value: with the other term
    # moved below, it would be of fewer, so nothing moves
    df, pdf = variant(PDF, partitioning)

    def q(s):
        return s[(s > -20) & (s.cumsum() > 0)]

    out = q(partframe.concat([df.n, df.n + 1]))
    plan = _moved(out)
    assert _kind(plan) == "Filter"
    assert _kind(plan.operand("frame")) == "ConcatPartitions"
    assert not any(
        _kind(f) == "Filter" for f in plan.operand("frame").operand("frames")
    )
    _check(out, q(pd.concat([pdf.n, pdf.n + 1])))


@pytest.mark.parametrize("partitioning", ["1", "3", "empty-parts"])
def test_series_filter_moves_into_concat(partitioning):
    df, pdf = variant(PDF, partitioning)

    def q(s):
        return s[(s > -20) & s.notna()]

    out = q(partframe.concat([df.n, df.n + 1]))
    plan = _moved(out)
    assert _kind(plan) == "ConcatPartitions"
    assert all(_kind(f) == "Filter" for f in plan.operand("frames"))
    _check(out, q(pd.concat([pdf.n, pdf.n + 1])))
