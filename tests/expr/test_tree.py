"""The one builder of tree reductions (partframe.expr.tree) and the nodes
that use it: every partial reaches the root once, in order, and no task
reads more than ``split_every`` inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import partframe
from partframe.expr.tree import combine_tree, split_every
from partframe.testing import assert_eq


def _reach(graph: dict, keys: list) -> list:
    """The leaf keys under ``keys``, in order (each inner task's one arg is
    its list of inputs)."""
    out: list = []
    for key in keys:
        if key in graph:
            out.extend(_reach(graph, graph[key][1]))
        else:
            out.append(key)
    return out


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 8, 9, 64, 65, 100])
@pytest.mark.parametrize("fan_in", [2, 3, 8])
def test_combine_tree_keeps_every_partial_once_in_order(n, fan_in):
    leaves = [("x", i) for i in range(n)]
    graph: dict = {}
    root = combine_tree(graph, leaves, lambda g: ("combine", g), "c", fan_in)
    assert len(root) <= fan_in
    assert _reach(graph, root) == leaves
    assert all(len(task[1]) <= fan_in for task in graph.values())
    # the levels shrink by fan_in: as few tasks as the tree needs
    expected, m = 0, n
    while m > fan_in:
        m = -(-m // fan_in)
        expected += m
    assert len(graph) == expected


def test_combine_tree_to_one_key_and_indexed_names():
    graph: dict = {}
    leaves = [("x", i) for i in range(5)]
    root = combine_tree(graph, leaves, lambda g: ("f", g), "c", 2, until=1)
    assert root == [("c2", 0)]
    assert _reach(graph, root) == leaves
    graph = {}
    root = combine_tree(graph, leaves, lambda g: ("f", g), "c", 4, index=(3,))
    assert root == [("c0", 3, 0), ("c0", 3, 1)]
    assert combine_tree({}, [("x", 0)], lambda g: ("f", g), "c", 2, until=1) == [
        ("x", 0)
    ]


def test_split_every():
    assert split_every(3) == 3
    assert split_every(None) == partframe.config.get("split_every")
    with partframe.config.set(split_every=5):
        assert split_every() == 5
    for bad in [1, -2]:
        with pytest.raises(ValueError, match="at least 2"):
            split_every(bad)
    ddf = partframe.from_pandas(pd.DataFrame({"x": [1, 2]}), npartitions=2)
    with partframe.config.set(split_every=1), pytest.raises(ValueError, match="least"):
        ddf.head(1, npartitions=-1, compute=False).__dask_graph__()


@pytest.mark.parametrize("fan_in", [2, 3])
def test_tree_reductions_through_the_api(fan_in):
    """Reductions, groupby aggregations, head over all partitions and an
    outer broadcast join all build their trees with the shared builder."""
    pdf = pd.DataFrame(
        {"k": np.arange(200) % 7, "x": np.arange(200.0), "y": np.arange(200) % 3},
        index=np.arange(200),
    )
    ddf = partframe.from_pandas(pdf, npartitions=17)
    with partframe.config.set(split_every=fan_in, scheduler="sync"):
        assert_eq(ddf.x.sum(), pdf.x.sum())
        assert_eq(ddf.groupby("k").x.mean(), pdf.groupby("k").x.mean())
        assert_eq(ddf.groupby("k").x.sum(split_out=3), pdf.groupby("k").x.sum())
        assert_eq(ddf.head(150, npartitions=-1), pdf.head(150))
        small = pd.DataFrame({"y": [0, 1, 5], "z": ["a", "b", "c"]})
        joined = ddf.merge(small, on="y", how="outer", broadcast=True).compute()
        want = pdf.merge(small, on="y", how="outer")
        pd.testing.assert_frame_equal(_rows(joined), _rows(want))


def _rows(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns), kind="stable").reset_index(drop=True)
