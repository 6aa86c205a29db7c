"""Operator methods (add, sub, ..., eq, ...) and operators against pandas."""

from __future__ import annotations

import operator

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, make_pdf, variant, variants

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


def test_in_memory_other_is_aligned_or_rejected():
    # pandas objects that pandas aligns on the index are aligned by the
    # divisions (issue 13); a pandas Index cannot be aligned.
    ddf = VARIANTS[1][1]
    assert_eq(ddf.add(PDF), PDF.add(PDF))
    assert_eq(ddf.sub(PDF.i, axis=0), PDF.sub(PDF.i, axis=0))
    with pytest.raises(TypeError, match="from_pandas"):
        ddf.i.sub(pd.Index(PDF.i))


def test_string_and_datetime_dtype_errors():
    ddf = partframe.from_pandas(make_pdf(), npartitions=2)
    with pytest.raises(TypeError, match=r"'s'.*str"):
        ddf.s.add(1)
    with pytest.raises(TypeError, match=r"'t'.*datetime64"):
        ddf.t.mul(2)
    with pytest.raises(TypeError, match=r"'s' \(dtype str\)"):
        ddf[["i", "s"]].mul(ddf[["i", "s"]])


# -- issue 13: pandas operands, fill_value of comparisons, assignment ---------

SCHEDULERS = ["sync", "threads"]
NUMS = make_pdf(30)[["i", "f"]]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_pandas_operand_aligns_on_the_index(scheduler):
    """A pandas Series or DataFrame operand aligns on labels as in pandas
    (broadcast to every partition, it duplicated rows: 12 rows, not 7)."""
    other = pd.Series(range(40), index=range(-10, 70, 2), dtype="float64")[::3]
    frame = pd.DataFrame({"i": other * 2, "g": other}, index=other.index)
    for _how, ddf, pdf in variants(NUMS):
        assert_eq(ddf.f + other, pdf.f + other, scheduler=scheduler)
        assert_eq(other - ddf.i, other - pdf.i, scheduler=scheduler)
        assert_eq(
            ddf.i.add(other, fill_value=0),
            pdf.i.add(other, fill_value=0),
            scheduler=scheduler,
        )
        assert_eq(ddf + frame, pdf + frame, scheduler=scheduler)
        assert_eq(ddf.mul(other, axis=0), pdf.mul(other, axis=0), scheduler=scheduler)
        # along the columns a pandas Series is broadcast, as in pandas
        by_column = pd.Series({"i": 1, "f": 2.5})
        assert_eq(ddf + by_column, pdf + by_column, scheduler=scheduler)
        empty = pd.Series([], dtype="float64")
        assert_eq(ddf.f + empty, pdf.f + empty, scheduler=scheduler)


def test_pandas_operand_needs_divisions():
    ddf = partframe.from_pandas(NUMS, npartitions=3, sort=False)
    with pytest.raises(ValueError, match=r"divisions are unknown.*set_index"):
        ddf.f + pd.Series([1.0], index=[0])


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("name", COMPARISON)
def test_comparison_fill_value(name, scheduler):
    """``fill_value`` replaces a value missing on one side (Series, as
    pandas); DataFrame comparisons take none, as in pandas."""
    pdf = pd.DataFrame(
        {
            "a": [1.0, None, 3.0, 4.0, None, 6.0] * 3,
            "b": [None, 2.0, 2.0, None, None, 7.0] * 3,
        }
    )
    for _how, ddf, p in variants(pdf):
        for fill in (2, 2.5):
            assert_eq(
                getattr(ddf.a, name)(ddf.b, fill_value=fill),
                getattr(p.a, name)(p.b, fill_value=fill),
                scheduler=scheduler,
            )
            assert_eq(
                getattr(ddf.a, name)(3.0, fill_value=fill),
                getattr(p.a, name)(3.0, fill_value=fill),
                scheduler=scheduler,
            )
    with pytest.raises(TypeError, match="fill_value"):
        getattr(ddf, name)(ddf, fill_value=0)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_attribute_assignment_sets_the_column(scheduler):
    for _how, ddf, pdf in variants(NUMS):
        pdf = pdf.copy()
        ddf.f = ddf.i + ddf.f
        pdf.f = pdf.i + pdf.f
        ddf.i = 3
        pdf.i = 3
        assert_eq(ddf, pdf, scheduler=scheduler)
    # not a column: a plain attribute, with pandas' warning for list-likes
    with pytest.warns(UserWarning, match="new attribute name"):
        ddf.new = ddf.i
    assert "new" not in ddf.columns and ddf.new is not None
    ddf.note = "kept"
    assert ddf.note == "kept" and "note" not in ddf.columns
    with pytest.raises(ValueError, match="Length mismatch"):
        ddf.columns = ["only-one"]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_setitem_with_integer_column_labels(scheduler):
    """As pandas (Dask raises NotImplementedError for numeric labels)."""
    for _how, ddf, pdf in variants(NUMS.set_axis([0, 1], axis=1)):
        pdf = pdf.copy()
        ddf[0] = 5
        pdf[0] = 5
        ddf[3] = ddf[1] * 2
        pdf[3] = pdf[1] * 2
        assert_eq(ddf, pdf, scheduler=scheduler)
        assert_eq(ddf[[3, 0]], pdf[[3, 0]], scheduler=scheduler)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_copies_do_not_see_later_assignments(scheduler):
    for _how, ddf, pdf in variants(NUMS):
        copies = [ddf.copy(), ddf.copy(deep=False), ddf.copy(deep=True)]
        ddf["y"] = ddf.i * 2
        for c in copies:
            assert_eq(c, pdf, scheduler=scheduler)
        c = copies[0]
        c["z"] = 1
        assert_eq(ddf, pdf.assign(y=pdf.i * 2), scheduler=scheduler)
        assert_eq(c, pdf.assign(z=1), scheduler=scheduler)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_setitem_with_an_index_of_columns(scheduler):
    for _how, ddf, pdf in variants(NUMS):
        pdf = pdf.copy()
        cols = pd.Index(["f", "i"])
        ddf[cols] = ddf[["i", "f"]] * 2
        pdf[cols] = pdf[["i", "f"]] * 2
        ddf[["x", "y"]] = 1.5
        pdf[["x", "y"]] = 1.5
        ddf[np.array(["z"])] = ddf[["x"]]
        pdf[np.array(["z"])] = pdf[["x"]]
        assert_eq(ddf, pdf, scheduler=scheduler)
    with pytest.raises(ValueError, match="same length as key"):
        ddf[["a", "b"]] = ddf.i
    with pytest.raises(ValueError, match="same length as key"):
        ddf[["a", "b"]] = ddf[["i"]]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("other", [1, 7])
def test_assign_a_column_of_another_frame(other, scheduler):
    """The value aligns with the frame's rows, as pandas aligns it: an empty
    partition stays empty (pandas would give an empty frame the value's
    rows), rows the value lacks get missing values."""
    full = make_pdf()
    source = partframe.from_pandas(full, npartitions=other)
    for _how, ddf, pdf in variants(full):
        got = ddf.assign(k=source.i, g=source.f * 2)
        assert_eq(got, pdf.assign(k=full.i, g=full.f * 2), scheduler=scheduler)
        ddf = ddf.copy()
        pdf = pdf.copy()
        ddf["k"] = source.s
        pdf["k"] = full.s
        ddf[["x", "y"]] = source[["n", "t"]]
        pdf[["x", "y"]] = full[["n", "t"]]
        assert_eq(ddf, pdf, scheduler=scheduler)
    # fewer rows in the value: the frame's other rows get missing values
    part, pdf = variants(full)[-1][1:]
    got = partframe.from_pandas(full, npartitions=3).assign(k=part.f)
    assert_eq(got, full.assign(k=pdf.f), scheduler=scheduler)


# -- a frame with a lazy Series whose labels are its columns ---------------

REDUCTIONS = ["sum", "mean", "std", "count", "min", "idxmax", "prod", "all"]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_frame_with_its_reduction(reduction, scheduler):
    """pandas aligns a Series' labels with a DataFrame's columns
    (``df - df.mean()``): the reduction is passed whole to every partition,
    whatever its partitioning."""
    pdf = NUMS.assign(g=NUMS.i * 0.5).fillna(0.5)  # idxmax of all-NaN raises
    for _how, ddf, expected in variants(pdf):
        red, pred = getattr(ddf, reduction)(), getattr(expected, reduction)()
        for op in (operator.sub, operator.truediv, operator.lt):
            assert_eq(op(ddf, red + 1), op(expected, pred + 1), scheduler=scheduler)
            assert_eq(op(red, ddf), op(pred, expected), scheduler=scheduler)
        assert_eq(ddf.sub(red), expected.sub(pred), scheduler=scheduler)
        assert_eq(
            ddf.rsub(red, axis="columns"),
            expected.rsub(pred, axis="columns"),
            scheduler=scheduler,
        )
        assert_eq(ddf[["f"]] - red[["f"]], expected[["f"]] - pred[["f"]])


def test_frame_with_a_series_of_other_labels_raises():
    ddf = partframe.from_pandas(NUMS, npartitions=3)
    with pytest.raises(ValueError, match=r"labels are \[0, 2, 4.*frame.s columns"):
        (ddf - ddf.i).compute()
    with pytest.raises(ValueError, match="labels are"):
        (ddf - ddf.mean()[["f"]]).compute()


# -- getitem, iteration and membership as pandas ----------------------------------


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_getitem_keys_as_pandas(scheduler):
    pdf = NUMS.assign(s=NUMS.i.astype(str))
    for _how, ddf, expected in variants(pdf):
        cols = pd.Series(["s", "i"])
        assert_eq(ddf[cols], expected[cols], scheduler=scheduler)
        # a boolean frame masks the values (pandas: ``where``)
        num = ddf[["i", "f"]]
        want = expected[["i", "f"]]
        assert_eq(num[num > 3], want[want > 3], scheduler=scheduler)
        # a list of labels on a Series selects rows by label
        labels = list(expected.index[[2, 0, 2]]) if len(expected) > 2 else []
        assert_eq(ddf.f[labels], expected.f[labels], scheduler=scheduler)
    with pytest.raises(TypeError, match="from_pandas"):
        ddf[expected.i > 3]


def test_iteration_and_membership():
    ddf = partframe.from_pandas(NUMS, npartitions=3)
    assert list(ddf) == list(NUMS)
    assert "i" in ddf and "z" not in ddf
    assert ddf._ipython_key_completions_() == list(NUMS.columns)
    for how in ("1", "7", "empty-parts"):
        got, expected = variant(NUMS, how)
        # values of the same types as pandas' (nan != nan: compare reprs)
        assert repr(list(got.f)) == repr(list(expected.f))
        assert repr(list(got.i)) == repr(list(expected.i))
    with pytest.raises(TypeError, match="index label"):
        3 in ddf.i  # noqa: B015


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
@pytest.mark.parametrize("op", ["lt", "le", "gt", "ge", "eq", "ne"])
def test_index_compared_with_a_value_filters_the_frame(partitioning, op):
    pdf = pd.DataFrame({"x": range(12)}, index=pd.Index(np.arange(12) * 3 % 13))
    ddf, want = variant(pdf, partitioning)
    want = want.sort_index(kind="stable")  # from_pandas sorts by the index
    compare = getattr(operator, op)
    got = ddf[compare(ddf.index, 10)]
    assert_eq(got, want[compare(want.index, 10)])
    mask = compare(ddf.index, 10).compute()
    assert list(mask) == list(compare(ddf.compute().index, 10))
    with pytest.raises(TypeError, match="plain value"):
        compare(ddf.index, ddf.x)
