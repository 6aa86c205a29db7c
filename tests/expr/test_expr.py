"""The expression layer and the optimizer: names, metas, pushdown, fusion."""

from __future__ import annotations

import io
import pickle
import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest
from complexity import assert_linear, count_steps

import partframe
from partframe.expr.base import walk
from partframe.expr.blockwise import Projection
from partframe.expr.optimize import column_needs, lower
from partframe.expr.optimize.fuse import Fused
from partframe.expr.sources import FromPandas
from partframe.testing import assert_eq


@pytest.fixture
def pdf():
    return pd.DataFrame(
        {
            "x": np.arange(20),
            "y": np.arange(20) * 1.5,
            "z": pd.array([f"s{i % 3}" for i in range(20)], dtype="str"),
            "w": np.arange(20) % 2 == 0,
        }
    )


def sources(expr):
    return [n for n in walk(expr) if isinstance(n, FromPandas)]


def source_columns(collection):
    """The columns the optimizer finds the plan needs from its one source."""
    expr = lower(collection.expr)
    (src,) = sources(expr)
    need = column_needs(expr)[src._name]
    return None if need is None else [c for c in src._meta.columns if c in need]


def test_names_are_deterministic_and_structural(pdf):
    a = partframe.from_pandas(pdf, npartitions=3)
    b = partframe.from_pandas(pdf.copy(), npartitions=3)
    assert a[a.x > 3].y._name == b[b.x > 3].y._name
    assert a[a.x > 3].y._name != a[a.x > 4].y._name
    assert a._name != partframe.from_pandas(pdf, npartitions=4)._name


def test_plans_pickle_and_rebuild(pdf):
    df = partframe.from_pandas(pdf, npartitions=3)
    expr = df[df.x > 3].y.expr
    again = pickle.loads(pickle.dumps(expr))
    assert again._name == expr._name


def test_unknown_column_error_lists_columns_and_closest(pdf):
    df = partframe.from_pandas(pdf, npartitions=2)
    with pytest.raises(KeyError, match=r"'xx' \(did you mean 'x'\?\).*available"):
        df["xx"]
    with pytest.raises(AttributeError, match="did you mean 'y'"):
        _ = df.yy


def test_filter_needs_boolean(pdf):
    df = partframe.from_pandas(pdf, npartitions=2)
    with pytest.raises(TypeError, match="boolean Series"):
        df[df.x]


def test_projection_pushed_into_source(pdf):
    df = partframe.from_pandas(pdf, npartitions=3)
    out = df[df.x > 3][["y"]]
    assert source_columns(out) == ["x", "y"]
    assert_eq(out, pdf[pdf.x > 3][["y"]])


def test_projection_through_assign(pdf):
    df = partframe.from_pandas(pdf, npartitions=3)
    out = df.assign(v=df.x * 2)[["v", "y"]]
    assert source_columns(out) == ["x", "y"]
    assert_eq(out, pdf.assign(v=pdf.x * 2)[["v", "y"]])


def test_projection_union_over_shared_source(pdf):
    df = partframe.from_pandas(pdf, npartitions=3)
    out = df.x + df.y
    assert source_columns(out) == ["x", "y"]
    assert_eq(out, pdf.x + pdf.y)


def test_len_reads_no_columns(pdf):
    df = partframe.from_pandas(pdf, npartitions=3)
    assert source_columns(df[df.x > 3]._length()) == ["x"]
    assert source_columns(df._length()) == []
    assert len(df) == 20
    assert len(df[df.x > 3]) == 16


def test_no_pushdown_past_unknown_node(pdf):
    df = partframe.from_pandas(pdf, npartitions=3)
    out = df.map_partitions(lambda p: p.iloc[:, ::-1])[["x"]]
    assert source_columns(out) is None
    assert_eq(out, pdf.iloc[:, ::-1][["x"]])


def test_fusion_one_task_per_partition(pdf):
    df = partframe.from_pandas(pdf, npartitions=4)
    out = df[df.x > 3].assign(v=lambda d: d.y + 1)[["v", "z"]]
    graph = out.__dask_graph__()
    # 4 source partitions (data) + 4 fused tasks.
    assert len(graph) == 8
    fused = [n for n in walk(out._optimized) if isinstance(n, Fused)]
    assert len(fused) == 1 and len(fused[0].members) >= 4
    unfused = out.expr.__dask_graph__()
    assert len(unfused) > len(graph)
    assert_eq(out, pdf[pdf.x > 3].assign(v=lambda d: d.y + 1)[["v", "z"]])


def test_fusion_computes_shared_member_once(pdf):
    calls = []
    lock = threading.Lock()

    def tag(part):
        with lock:
            calls.append(len(part))
        return part

    df = partframe.from_pandas(pdf, npartitions=2)
    tagged = df.map_partitions(tag, meta=pdf.iloc[:0], preserves_index=True)
    out = tagged.x + tagged.y
    assert_eq(out, pdf.x + pdf.y)
    # assert_eq computes once: two partitions, each tagged once.
    assert len(calls) == 2


def test_shared_subplan_computed_once_across_outputs(pdf):
    calls = []
    lock = threading.Lock()

    def tag(part):
        with lock:
            calls.append(1)
        return part

    df = partframe.from_pandas(pdf, npartitions=3)
    tagged = df.map_partitions(tag, meta=pdf.iloc[:0], preserves_index=True)
    lengths, b = partframe.compute(tagged.x.map_partitions(len), tagged[tagged.w].y)
    assert lengths.sum() == 20
    assert len(calls) == 3
    pd.testing.assert_series_equal(b, pdf[pdf.w].y)


def test_explain_shows_both_plans(pdf):
    df = partframe.from_pandas(pdf, npartitions=2)
    buf = io.StringIO()
    df[df.x > 1].y.explain(file=buf)
    text = buf.getvalue()
    assert "Logical plan:" in text and "Optimized plan:" in text
    assert "Fused[" in text and "Projection('y')" in text


def _assign_chain(pdf: pd.DataFrame, depth: int) -> Any:
    df = partframe.from_pandas(pdf, npartitions=5)
    for _ in range(depth):
        df = df.assign(x=df.x + 1)
    return df


def test_deep_plan_optimizes_in_linear_steps():
    """Building and optimizing a chain of n assigns does work proportional
    to n (counted, not timed: a clock fails on a busy machine)."""
    pdf = pd.DataFrame({"x": np.arange(50)})
    sizes, steps = [50, 100, 200], []
    for depth in sizes:
        built, df = count_steps(_assign_chain, pdf, depth)
        optimized, graph = count_steps(df.__dask_graph__)
        steps.append(built + optimized)
        assert len(graph) == 10  # the source's and one fused task per partition
    assert_linear(sizes, steps)
    df = _assign_chain(pdf, 300)
    assert len(df.__dask_graph__()) == 10
    assert_eq(df, pdf.assign(x=pdf.x + 300))


def test_lazy_scalar_broadcasts(pdf):
    df = partframe.from_pandas(pdf, npartitions=3)
    n = df._length()
    out = df.x * n
    assert_eq(out, pdf.x * 20)


def test_projection_node_keeps_meta(pdf):
    df = partframe.from_pandas(pdf, npartitions=3)
    node = Projection(df.expr, ["z", "x"])
    assert list(node._meta.columns) == ["z", "x"]
    assert node._meta.dtypes["z"] == pdf.z.dtype


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_schedulers_agree(pdf, scheduler):
    df = partframe.from_pandas(pdf, npartitions=4)
    out = df[df.x % 3 == 0].assign(q=df.y * 2)
    assert_eq(out, pdf[pdf.x % 3 == 0].assign(q=pdf.y * 2), scheduler=scheduler)


def test_filter_rows_kernel_matches_pandas_alignment():
    from partframe.kernels.selection import filter_rows, select_columns

    df = pd.DataFrame({"a": [1, 2, 3], "b": [4.0, 5.0, 6.0]}, index=[7, 7, 8])
    same = pd.Series([True, False, True], index=df.index)
    pd.testing.assert_frame_equal(filter_rows(df, same), df[same])
    # a mask keeping every row (a reader dropped the others): no copy
    every = pd.Series(True, index=df.index)
    assert filter_rows(df, every) is df
    column = df.a
    assert filter_rows(column, every) is column
    # a mask on other labels: pandas' alignment decides, as before
    other = pd.Series([True, True, False], index=[8, 7, 7])
    with pytest.raises(Exception) as expected:
        df[other]
    with pytest.raises(type(expected.value)):
        filter_rows(df, other)
    nullable = pd.Series(pd.array([True, None, True]), index=df.index)
    pd.testing.assert_frame_equal(filter_rows(df, nullable), df[nullable])
    pd.testing.assert_frame_equal(select_columns(df, ["b", "a"]), df[["b", "a"]])
    dup = pd.DataFrame([[1, 2, 3]], columns=["x", "x", "y"])
    pd.testing.assert_frame_equal(select_columns(dup, ["x"]), dup[["x"]])
