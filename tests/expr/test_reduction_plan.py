"""Reductions are one logical node per call, lowered to a tree in expr/.

A reduction method builds one :class:`Reduction` (a cumulative method one
:class:`Cumulative`) on the frame's own plan; the optimizer narrows the
input to the columns the result describes and lowers the node to the
chunk and combine steps of a :class:`TreeReduction`. Results against pandas
are in ``test_reductions.py`` and ``test_reductions_more.py``.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import partframe
from partframe.expr.base import walk
from partframe.expr.cumulative import Cumulative, CumulativeCarry
from partframe.expr.optimize import column_needs, lower, optimize
from partframe.expr.reduction_plan import reduced_columns, tree_steps
from partframe.expr.reductions import (
    Reduction,
    ReductionChunk,
    TreeCombine,
    TreeReduction,
)
from partframe.expr.sources import FromPandas
from partframe.kernels import distinct as D
from partframe.kernels import moments as M
from partframe.kernels import reductions as K
from partframe.testing import assert_eq

PDF = pd.DataFrame(
    {
        "i": np.arange(12) % 5,
        "f": np.linspace(0, 1, 12),
        "s": list("abcd") * 3,
    }
)


@pytest.fixture
def df():
    return partframe.from_pandas(PDF, npartitions=3)


# op: (the object reduced, the call)
CALLS = {
    "sum": (lambda d: d, lambda x: x.sum(numeric_only=True)),
    "count": (lambda d: d, lambda x: x.count()),
    "max": (lambda d: d.i, lambda x: x.max()),
    "mean": (lambda d: d[["i", "f"]], lambda x: x.mean()),
    "std": (lambda d: d.f, lambda x: x.std(ddof=0)),
    "idxmin": (lambda d: d.f, lambda x: x.idxmin()),
    "nunique": (lambda d: d, lambda x: x.nunique()),
    "mode": (lambda d: d, lambda x: x.mode()),
    "quantile": (lambda d: d, lambda x: x.quantile(0.5, numeric_only=True)),
    "describe": (lambda d: d, lambda x: x.describe()),
    "memory_usage": (lambda d: d, lambda x: x.memory_usage()),
    "unique": (lambda d: d.s, lambda x: x.unique()),
    "value_counts": (lambda d: d.s, lambda x: x.value_counts()),
}


@pytest.mark.parametrize("op", sorted(CALLS))
def test_one_reduction_node_on_the_frame(df, op):
    """The call builds one node, directly on the frame's plan; lowering
    leaves no logical reduction."""
    select, call = CALLS[op]
    reduced = select(df)
    node = call(reduced).expr
    assert isinstance(node, Reduction)
    assert node.op == op
    assert node.frame._name == reduced.expr._name
    lowered = lower(node)
    assert isinstance(lowered, TreeCombine)
    assert not any(isinstance(n, Reduction | TreeReduction) for n in walk(lowered))


def test_explain_shows_the_logical_node_and_the_tree(df):
    buf = io.StringIO()
    df.f.sum().explain(file=buf)
    logical, optimized = buf.getvalue().split("Optimized plan:")
    assert "Reduction(sum, skipna=True, min_count=0)" in logical
    assert "TreeCombine" not in logical
    assert "TreeCombine(sum-agg)" in optimized
    assert "Reduction(" not in optimized


def test_the_input_is_narrowed_to_the_result_columns(df):
    """``numeric_only`` reads the numeric columns only: the selection is made
    by the optimizer, below the filter."""
    lazy = df[df.i > 1].sum(numeric_only=True)
    assert isinstance(lazy.expr, Reduction)
    opt = optimize(lazy.expr, fuse=False)
    (chunk,) = [n for n in walk(opt) if isinstance(n, ReductionChunk)]
    assert chunk.columns == ["i", "f"]
    needs = column_needs(opt)
    (source,) = [n for n in walk(opt) if isinstance(n, FromPandas)]
    assert needs[source._name] == {"i", "f"}
    assert_eq(lazy, PDF[PDF.i > 1].sum(numeric_only=True))


def test_lowering_plans_the_same_tree_as_the_kernels_say(df):
    """The scalar fast path for a numpy Series, dtype groups for a frame,
    moments for var."""
    s_sum = lower(df.f.sum().expr)
    assert {n.func for n in walk(s_sum) if isinstance(n, ReductionChunk)} == {
        K.scalar_chunk
    }
    f_sum = lower(df.sum(numeric_only=True).expr)
    (chunk,) = [n for n in walk(f_sum) if isinstance(n, ReductionChunk)]
    assert chunk.func is K.reduce_chunk
    assert chunk.kwargs["groups"] == [[0], [1]]
    var = lower(df.f.var().expr)
    assert {n.func for n in walk(var) if isinstance(n, ReductionChunk)} == {
        M.moments_chunk
    }


def test_tree_steps_and_reduced_columns():
    meta = PDF.iloc[:0]
    result = PDF.nunique()
    assert reduced_columns(meta, result, "nunique") == ["i", "f", "s"]
    assert reduced_columns(meta, PDF.memory_usage(), "memory_usage") is None
    assert reduced_columns(meta.i, 3, "sum") is None
    steps = tree_steps("nunique", meta, {"dropna": True}, result)
    assert (steps.chunk, steps.combine, steps.aggregate) == (
        D.vc_chunk,
        D.vc_combine,
        D.nunique_aggregate,
    )
    assert steps.chunk_kwargs == {"dropna": True}


def test_unknown_op_fails_when_built(df):
    with pytest.raises(ValueError, match="unknown op 'median'"):
        Reduction(df.expr, "median", None, PDF.median(numeric_only=True))


def test_unlowered_graph_aliases_the_tree(df):
    """``optimize_graph=False`` and the node's own graph give the result."""
    lazy = df.f.sum()
    assert lazy.compute(optimize_graph=False) == PDF.f.sum()
    graph = lazy.expr.__dask_graph__()
    assert (lazy.expr._name, 0) in graph


def test_cumulative_is_one_logical_node(df):
    lazy = df[["i", "f"]].cumsum()
    assert isinstance(lazy.expr, Cumulative)
    assert lazy.expr.method == "cumsum"
    opt = optimize(lazy.expr, fuse=False)
    assert isinstance(opt, CumulativeCarry)
    assert not any(isinstance(n, Cumulative) for n in walk(opt))
    assert_eq(lazy, PDF[["i", "f"]].cumsum())
    assert lazy.compute(optimize_graph=False).equals(PDF[["i", "f"]].cumsum())


def test_all_values_is_one_node(df):
    """``axis=None`` reduces every value of the selected columns: one node,
    lowered to the values as one Series and its reduction."""
    lazy = df.mean(axis=None, numeric_only=True)
    node = lazy.expr
    assert isinstance(node, Reduction)
    assert node.frame._name == df.expr._name
    assert node.kwargs == {"skipna": True, "numeric_only": True, "axis": None}
    opt = optimize(node, fuse=False)
    (chunk,) = [n for n in walk(opt) if isinstance(n, ReductionChunk)]
    assert chunk.func is M.mean_chunk
    needs = column_needs(opt)
    (source,) = [n for n in walk(opt) if isinstance(n, FromPandas)]
    assert needs[source._name] == {"i", "f"}
    assert_eq(lazy, PDF.mean(axis=None, numeric_only=True))
    with pytest.raises(ValueError, match="axis=None"):
        Reduction(df.expr, "count", {"axis": None}, 3)


def test_all_values_of_repeated_labels():
    """Labels that repeat cannot be selected by label: the values are taken
    by position (pandas' answer, each column once)."""
    pdf = pd.DataFrame([[1, 2.5, "x"], [3, 4.5, "y"]], columns=["a", "a", "s"])
    df = partframe.from_pandas(pdf, npartitions=2)
    assert_eq(
        df.sum(axis=None, numeric_only=True), pdf.sum(axis=None, numeric_only=True)
    )
    assert_eq(df[["a"]].mean(axis=None), pdf[["a"]].mean(axis=None))
