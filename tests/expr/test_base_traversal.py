"""The tree machinery of ``partframe.expr.base`` on toy nodes.

One function (``operand_exprs``) finds the expressions inside a node's
operands; ``dependencies``, ``walk``, ``_postorder``, ``rewrite`` and the
fusion pass all go through it, so a child nested in a list, tuple or dict
is never seen by one traversal and missed by another.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import partframe
from partframe.collection import new_collection
from partframe.expr.base import (
    Expr,
    _postorder,
    map_operand_exprs,
    operand_exprs,
    rewrite,
    walk,
)
from partframe.expr.optimize import optimize
from partframe.expr.optimize.fuse import Fused
from partframe.testing import assert_eq


class Leaf(Expr):
    _parameters = ["label"]


class Node(Expr):
    """Children anywhere in its one operand."""

    _parameters = ["payload"]


class Lowers(Expr):
    """Lowers to ``Node([Lowers2(child)])``: the replacement brings a new
    node that must be lowered too."""

    _parameters = ["child"]

    def _lower(self) -> Expr:
        return Node([Lowers2(self.child)])


class Lowers2(Expr):
    _parameters = ["child"]

    def _lower(self) -> Expr:
        return Node({"inner": self.child})


def lower_step(node: Expr) -> Expr | None:
    return node._lower()


def labels(nodes):
    return [n.label if isinstance(n, Leaf) else type(n).__name__ for n in nodes]


def test_operand_exprs_finds_nested_children_in_order():
    a, b, c = Leaf("a"), Leaf("b"), Leaf("c")
    op = [a, (1, {"k": b, "j": [c, "text"]}), {"x": 2}]
    assert labels(operand_exprs(op)) == ["a", "b", "c"]
    assert list(operand_exprs("plain")) == []
    assert labels(operand_exprs(a)) == ["a"]


def test_dependencies_walk_and_postorder_agree_on_nested_children():
    a, b, c = Leaf("a"), Leaf("b"), Leaf("c")
    root = Node({"first": [a, (b,)], "again": a, "deep": {"x": [[c]]}})
    assert labels(root.dependencies()) == ["a", "b", "c"]  # each once
    assert set(labels(walk(root))) == {"Node", "a", "b", "c"}
    order = _postorder(root)
    assert labels(order)[-1] == "Node"
    assert sorted(labels(order[:-1])) == ["a", "b", "c"]


def test_map_operand_exprs_rebuilds_only_what_changed():
    a, b = Leaf("a"), Leaf("b")
    op = [a, ("keep", {"k": b}), ("untouched",)]
    same = map_operand_exprs(op, lambda e: e)
    assert same is op
    out = map_operand_exprs(op, lambda e: Leaf(e.label * 2) if e.label == "b" else e)
    assert out[0] is a
    assert out[1][1]["k"].label == "bb"
    assert out[2] is op[2]
    assert type(out[1]) is tuple


def test_rewrite_reaches_children_inside_dicts_and_tuples():
    root = Node({"k": (Leaf("a"), [Leaf("b")])})

    def upper(node):
        if isinstance(node, Leaf) and node.label.islower():
            return Leaf(node.label.upper())
        return None

    out = rewrite(root, upper)
    assert labels(out.dependencies()) == ["A", "B"]
    assert isinstance(out.payload["k"], tuple)


def test_rewrite_lowers_what_a_replacement_introduces():
    # Lowers -> Node([Lowers2(leaf)]) -> Node([Node({"inner": leaf})])
    out = rewrite(Node([Lowers(Leaf("x"))]), lower_step)
    kinds = {type(n).__name__ for n in walk(out)}
    assert "Lowers" not in kinds and "Lowers2" not in kinds
    assert labels(walk(out)).count("x") == 1


def test_rewrite_visits_a_shared_subplan_once():
    shared = Leaf("s")
    root = Node([Node([shared]), Node({"again": shared}), shared])
    calls = []

    def count(node):
        calls.append(node._name)
        return None

    assert rewrite(root, count) is root
    assert len(calls) == len(set(calls)) == 4


def test_rewrite_keeps_sharing_of_replaced_nodes():
    shared = Lowers(Leaf("s"))
    out = rewrite(Node([Node([shared]), Node([shared])]), lower_step)
    first, second = out.payload
    assert first.payload[0] is second.payload[0]


def test_rewrite_of_a_replacement_that_never_settles_raises():
    class Grows(Expr):
        _parameters = ["n"]

    with pytest.raises(RuntimeError, match="did not settle"):
        rewrite(Grows(0), lambda node: Grows(node.n + 1))


def test_deep_chains_rewrite_without_recursion():
    node: Expr = Leaf("x")
    for _ in range(3000):
        node = Node([node])
    out = rewrite(node, lambda n: None)
    assert out is node
    assert len(_postorder(node)) == 3001


def test_fused_nodes_are_rewritten_through_their_external_inputs():
    pdf = pd.DataFrame({"x": np.arange(10), "y": np.arange(10) % 3})
    df = partframe.from_pandas(pdf, npartitions=2)
    fused = optimize((df.x + 1).abs().expr)
    assert isinstance(fused, Fused)
    (source,) = fused.dependencies()
    other = partframe.from_pandas(pdf * 10, npartitions=2).expr
    swapped = fused._with_dependencies({source._name: other})
    assert swapped._name != fused._name
    assert_eq(new_collection(swapped), (pdf.x * 10 + 1).abs())


@functools.cache
def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "x": rng.integers(-20, 20, size=60),
            "y": rng.normal(size=60),
            "k": rng.integers(0, 5, size=60),
        }
    )


def sort(d, by, **kwargs):
    """``sort_values``; pandas' own default sort is not stable, so ties
    would be in an unspecified order: ask it for the stable order that
    partframe gives."""
    if isinstance(d, pd.DataFrame):
        kwargs["kind"] = "stable"
    return d.sort_values(by, **kwargs)


PIPELINES = {
    "abs-sort": lambda d: sort(d[["x", "y"]].abs(), "x"),
    "assign-sort-2keys": lambda d: sort(d.assign(z=d.x * 2), ["y", "x"]),
    "filter-sort": lambda d: sort(d[d.x > 0], "x"),
    "filter-set-index": lambda d: d[d.x > 0].set_index("x"),
    "filter-sort-desc": lambda d: sort(d[d.k != 2], "y", ascending=False),
    "sort-filter-sort": lambda d: sort(sort(d, "y")[lambda f: f.x > -5], "x"),
    "merge-filter-sort": lambda d: sort(
        d.merge(d[["k", "y"]], on="k").query("x > 0"), ["x", "y_x", "y_y"]
    ),
    "groupby-sort": lambda d: sort(d.groupby("k").y.sum().reset_index(), "y"),
}


@pytest.mark.parametrize("npartitions", [1, 3, 70])
@pytest.mark.parametrize("name", sorted(PIPELINES))
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_operations_followed_by_sort_match_pandas(name, npartitions, scheduler):
    pdf = _frame()
    ddf = partframe.from_pandas(pdf, npartitions=npartitions)
    want = PIPELINES[name](pdf)
    got = PIPELINES[name](ddf)
    if "set-index" in name:
        want = want.sort_index(kind="stable")
    # A merge's row labels are pandas' positions in its own output order,
    # which a partitioned join does not reproduce (Dask's neither).
    check_index = "merge" not in name
    assert_eq(got, want, scheduler=scheduler, check_index=check_index)
