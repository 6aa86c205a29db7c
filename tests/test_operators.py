"""Operator methods (add, sub, ..., eq, ...) and operators against pandas."""

from __future__ import annotations

import operator

import pandas as pd
import pytest
from frames import make_pdf, variants

import partframe
from partframe.testing import assert_eq

# No zeros and no negative integers: pandas itself gives int // 0 a float
# dtype (data-dependent) and refuses negative integer powers.
PDF = make_pdf()[["i", "f", "n"]].assign(i=lambda d: d.i + 1, n=lambda d: d.n.abs() + 1)
VARIANTS = variants(PDF)
ARITHMETIC = [
    "add", "sub", "mul", "div", "truediv", "floordiv", "mod", "pow",
    "radd", "rsub", "rmul", "rdiv", "rtruediv", "rfloordiv", "rmod", "rpow",
]  # fmt: skip
COMPARISON = ["eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("name", ARITHMETIC)
def test_arithmetic_methods(name):
    for _how, ddf, pdf in VARIANTS:
        assert_eq(getattr(ddf, name)(2), getattr(pdf, name)(2))
        assert_eq(getattr(ddf.f, name)(ddf.i), getattr(pdf.f, name)(pdf.i))
        assert_eq(
            getattr(ddf, name)(ddf, fill_value=1), getattr(pdf, name)(pdf, fill_value=1)
        )
        assert_eq(
            getattr(ddf.f, name)(ddf.n, fill_value=2),
            getattr(pdf.f, name)(pdf.n, fill_value=2),
        )


@pytest.mark.parametrize("name", COMPARISON)
def test_comparison_methods(name):
    for _how, ddf, pdf in VARIANTS:
        assert_eq(getattr(ddf, name)(3), getattr(pdf, name)(3))
        assert_eq(getattr(ddf.f, name)(ddf.i), getattr(pdf.f, name)(pdf.i))
        assert_eq(getattr(ddf.n, name)(2), getattr(pdf.n, name)(2))


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_other_schedulers(scheduler):
    _, ddf, pdf = VARIANTS[1]
    assert_eq(
        ddf.add(ddf, fill_value=0), pdf.add(pdf, fill_value=0), scheduler=scheduler
    )
    assert_eq(ddf.f.lt(ddf.i), pdf.f.lt(pdf.i), scheduler=scheduler)


def test_axis_forms():
    for _how, ddf, pdf in VARIANTS:
        assert_eq(ddf.sub(ddf.i, axis=0), pdf.sub(pdf.i, axis=0))
        per_column = pd.Series({"i": 1, "f": 2.0, "n": 3})
        assert_eq(ddf.mul(per_column, axis=1), pdf.mul(per_column, axis=1))


def test_lazy_scalar_operand():
    for _how, ddf, pdf in VARIANTS:
        scalar = ddf.i.sum()
        assert_eq(ddf.f.add(scalar), pdf.f.add(pdf.i.sum()))
        assert_eq(ddf.f.gt(scalar / 100), pdf.f.gt(pdf.i.sum() / 100))


def test_filter_by_mean():
    for _how, ddf, pdf in VARIANTS:
        assert_eq(ddf[ddf.f > ddf.f.mean()], pdf[pdf.f > pdf.f.mean()])


@pytest.mark.parametrize(
    "op", [operator.add, operator.sub, operator.mul, operator.truediv, operator.gt]
)
def test_operators_match_methods(op):
    _, ddf, pdf = VARIANTS[2]
    assert_eq(op(ddf, 2), op(pdf, 2))
    assert_eq(op(ddf.f, ddf.n), op(pdf.f, pdf.n))


def test_unknown_divisions_cannot_align():
    a = partframe.from_pandas(PDF, npartitions=3, sort=False)
    b = partframe.from_pandas(PDF.iloc[::-1], npartitions=2, sort=False)
    with pytest.raises(ValueError, match="unknown divisions"):
        a.add(b)
    with pytest.raises(ValueError, match="unknown divisions"):
        a.f.where(b.f > 0)


def test_different_known_divisions_align():
    a = partframe.from_pandas(PDF, npartitions=3)
    b = partframe.from_pandas(PDF, npartitions=4)
    out = a.add(b, fill_value=0)
    assert_eq(out, PDF.add(PDF, fill_value=0))
    assert_eq(a.f.lt(b.i), PDF.f.lt(PDF.i))


def test_in_memory_other_is_rejected():
    ddf = VARIANTS[1][1]
    with pytest.raises(TypeError, match="from_pandas"):
        ddf.add(PDF)
    with pytest.raises(TypeError, match="from_pandas"):
        ddf.sub(PDF.i, axis=0)


def test_string_and_datetime_dtype_errors():
    ddf = partframe.from_pandas(make_pdf(), npartitions=2)
    with pytest.raises(TypeError, match=r"'s'.*str"):
        ddf.s.add(1)
    with pytest.raises(TypeError, match=r"'t'.*datetime64"):
        ddf.t.mul(2)
    with pytest.raises(TypeError, match=r"'s' \(dtype str\)"):
        ddf[["i", "s"]].mul(ddf[["i", "s"]])
