"""The optimizer's contract with the nodes: declared hooks, immutable nodes.

The passes in :mod:`partframe.expr.optimize` ask nodes what they can do only
through hooks declared on :class:`~partframe.expr.base.Expr`; the toy source
here takes predicates without the pass knowing its class, as the Parquet
reader does.
"""

from __future__ import annotations

import ast
import functools
import importlib
import pathlib
import pickle

import numpy as np
import pandas as pd
import pytest

import partframe
from partframe.collection import new_collection
from partframe.expr.base import Expr, walk
from partframe.expr.optimize import optimize, push_predicates
from partframe.expr.sources import FromPandas, split_pandas
from partframe.testing import assert_eq
from partframe.tokenize import tokenize

HOOKS = [
    ("_simplify", ()),
    ("_lower", ()),
    ("_with_columns", (["a"],)),
    ("_narrowable_inputs", ()),
    ("_row_filter", ()),
    ("_predicate_through", ()),
    ("_with_predicate", ([("a", ">", 1)],)),
    ("_fill_operands", ()),
    ("_estimate_rows", ([],)),
    ("_column_widths", ()),
    ("_column_range", ("a",)),
    ("_column_sample", (["a"],)),
    ("_estimated_as", ()),
    ("_with_estimates", ()),
]


class Leaf(Expr):
    _parameters = ["label", "values"]
    _defaults = {"values": ()}


@pytest.mark.parametrize(("hook", "args"), HOOKS)
def test_hooks_are_declared_on_expr_and_default_to_none(hook, args):
    assert hook in vars(Expr)
    assert getattr(Leaf("x"), hook)(*args) is None


def test_operands_cannot_be_changed_in_place():
    node = Leaf("x", [1, 2])
    assert isinstance(node.operands, tuple)
    with pytest.raises(TypeError):
        node.operands[0] = "y"  # type: ignore[index]
    with pytest.raises(AttributeError):
        node.operands = ("y",)  # type: ignore[misc]
    assert node.label == "x" and node._name == Leaf("x", [1, 2])._name


def test_operands_tuple_survives_pickle_and_substitution():
    node = Leaf("x")
    again = pickle.loads(pickle.dumps(node))
    assert isinstance(again.operands, tuple) and again._name == node._name
    other = node.substitute_operands(label="y")
    assert isinstance(other.operands, tuple)
    assert node.label == "x" and other.label == "y"


def test_from_pandas_fills_its_split_once():
    pdf = pd.DataFrame({"a": np.arange(10), "b": list("abcdefghij")})
    node = FromPandas(pdf, npartitions_=3)
    split = node.split
    assert split is not None and len(split[0]) == 3
    assert node.divisions == split_pandas(pdf, 3)[1]
    # a rebuild passes the split on: the data is not split again
    rebuilt = type(node)(*node.operands)
    assert rebuilt.split is split and rebuilt._name == node._name
    assert node.substitute_operands(sort=True).split is split
    assert pickle.loads(pickle.dumps(node))._name == node._name
    df = new_collection(node)
    assert_eq(df, pdf)
    assert_eq(df[df.a > 4].b, pdf[pdf.a > 4].b)


def test_merge_strategy_is_an_operand_filled_when_built():
    left = partframe.from_pandas(pd.DataFrame({"k": range(8), "x": 1.0}), 2)
    right = partframe.from_pandas(pd.DataFrame({"k": range(8), "y": 2}), 2)
    out = left.merge(right, on="k")
    node = out.expr
    assert node.strategy_ is not None
    assert node.strategy() == node.strategy_
    assert type(node)(*node.operands).strategy_ == node.strategy_
    expected = left.compute().merge(right.compute(), on="k")
    assert_eq(out, expected, check_index=False)


class TermsSource(FromPandas):
    """A pandas source that records the terms it was offered (a stand-in
    for a reader that would skip data with them)."""

    _parameters = [*FromPandas._parameters, "terms"]
    _defaults = {**FromPandas._defaults, "terms": ()}

    @functools.cached_property
    def _name(self) -> str:
        return "termssource-" + tokenize(self.token, self.npartitions_, self.terms)

    def _with_predicate(self, terms: list) -> Expr | None:
        new = tuple(t for t in terms if t not in self.terms)
        if not new:
            return None
        return self.substitute_operands(terms=self.terms + new)


@pytest.fixture
def pdf():
    return pd.DataFrame(
        {"a": np.arange(20), "b": np.arange(20) * 0.5, "c": list("xy") * 10}
    )


def _terms_source(pdf):
    node = TermsSource(pdf, npartitions_=4, token=tokenize(pdf))
    return node, new_collection(node)


def _sources(expr):
    return [n for n in walk(expr) if isinstance(n, TermsSource)]


def test_predicates_reach_any_source_that_declares_the_hook(pdf):
    _, df = _terms_source(pdf)
    q = df[["a", "c"]][(df.a > 3) & df.b.between(1, 6) & df.c.isin(["x"])]
    (source,) = _sources(optimize(q.expr, fuse=False))
    assert set(source.terms) == {
        ("a", ">", 3),
        ("b", ">=", 1),
        ("b", "<=", 6),
        ("c", "in", ("x",)),
    }
    expected = pdf[["a", "c"]][(pdf.a > 3) & pdf.b.between(1, 6) & pdf.c.isin(["x"])]
    assert_eq(q, expected)


def test_filter_of_a_column_reaches_the_source(pdf):
    # a selection of one column passes its frame's rows unchanged
    _, df = _terms_source(pdf)
    q = df.b[df.a > 3]
    (source,) = _sources(optimize(q.expr, fuse=False))
    assert source.terms == (("a", ">", 3),)
    assert_eq(q, pdf.b[pdf.a > 3])


def test_predicates_stay_when_the_source_has_another_use(pdf):
    _, df = _terms_source(pdf)
    q = df[df.a > 3].a.sum() + df.a.sum()
    assert all(not s.terms for s in _sources(optimize(q.expr, fuse=False)))
    assert q.compute() == pdf[pdf.a > 3].a.sum() + pdf.a.sum()


def test_predicate_pass_leaves_unreadable_filters_alone(pdf):
    _, df = _terms_source(pdf)
    q = df[df.a > df.b]  # column against column: no term
    assert push_predicates(q.expr)._name == q.expr._name
    plain = partframe.from_pandas(pdf, 4)
    q = plain[plain.a > 3]  # a source without the hook
    assert push_predicates(q.expr)._name == q.expr._name


def test_optimize_package_never_imports_io():
    # (``partframe.expr.optimize`` as an attribute is the function)
    package = importlib.import_module("partframe.expr.optimize")
    folder = pathlib.Path(package.__file__).parent
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        for stmt in ast.walk(tree):
            if isinstance(stmt, ast.ImportFrom):
                module = "." * stmt.level + (stmt.module or "")
                assert "io" not in module.split("."), (path.name, module)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    assert not alias.name.startswith("partframe.io"), path.name
        assert "getattr(node" not in path.read_text(), path.name


def _all_subclasses(cls):
    out, stack = [], [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            out.append(sub)
            stack.append(sub)
    return out


HOOK_NAMES = [h for h, _ in HOOKS] + ["_column_needs", "_to_client"]


def test_hook_overrides_keep_their_signatures():
    import inspect
    import pkgutil

    for info in pkgutil.walk_packages(partframe.__path__, "partframe."):
        if ".diagnostics" in info.name or info.name.endswith("distributed"):
            continue  # optional engines; they define no nodes
        importlib.import_module(info.name)
    for sub in _all_subclasses(Expr):
        for hook in HOOK_NAMES:
            if hook not in vars(sub):
                continue
            base = list(inspect.signature(vars(Expr)[hook]).parameters)
            own = list(inspect.signature(vars(sub)[hook]).parameters)
            assert own == base, f"{sub.__module__}.{sub.__name__}.{hook}{own}"
