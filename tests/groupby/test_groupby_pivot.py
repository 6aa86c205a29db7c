"""pivot_table against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import partframe

FUNCS = ["sum", "mean", "count", "size", "min", "max"]


@pytest.fixture(scope="module")
def pdf():
    rng = np.random.default_rng(3)
    n = 400
    x = rng.normal(size=n)
    x[::7] = np.nan
    return pd.DataFrame(
        {
            "a": rng.integers(0, 6, n),
            "k": pd.array(rng.choice(["p", "q", "r", None], n), dtype="str"),
            "b": pd.array(rng.choice(["x", "y", "z"], n), dtype="str"),
            "v": rng.integers(0, 100, n),
            "x": x,
        }
    )


@pytest.mark.parametrize("aggfunc", FUNCS)
@pytest.mark.parametrize("values", ["v", "x", ["v", "x"], None], ids=str)
@pytest.mark.parametrize("nparts", [1, 4])
def test_against_pandas(pdf, aggfunc, values, nparts):
    df = partframe.from_pandas(pdf, npartitions=nparts)
    for index in ["a", ["a", "k"]]:
        kw = {"values": values, "index": index, "columns": "b", "aggfunc": aggfunc}
        try:
            expected = pdf.pivot_table(**kw)
        except TypeError:
            with pytest.raises(TypeError):
                df.pivot_table(**kw, column_values="compute").compute()
            continue
        got = df.pivot_table(**kw, column_values="compute")
        assert got.npartitions == 1
        res = got.compute()
        pd.testing.assert_frame_equal(res, expected)
        assert list(got.columns) == list(expected.columns)


def test_holes_fill_value_and_given_values(pdf):
    p = pdf[~((pdf.a == 0) & (pdf.b == "x"))]  # an empty cell
    df = partframe.from_pandas(p, npartitions=3)
    for fill in [None, 0]:
        kw = {"values": "v", "index": "a", "columns": "b", "aggfunc": "sum"}
        expected = p.pivot_table(**kw, fill_value=fill)
        got = df.pivot_table(**kw, fill_value=fill, column_values=["x", "y", "z"])
        pd.testing.assert_frame_equal(got.compute(), expected)


def test_categorical_columns(pdf):
    p = pdf.assign(b=pdf.b.astype(pd.CategoricalDtype(["z", "y", "x", "w"])))
    df = partframe.from_pandas(p, npartitions=3)
    kw = {"values": "x", "index": "a", "columns": "b", "aggfunc": "mean"}
    expected = p.pivot_table(**kw, observed=False)
    got = df.pivot_table(**kw, observed=False)
    pd.testing.assert_frame_equal(got.compute(), expected)


def test_unknown_columns_need_a_choice(pdf):
    df = partframe.from_pandas(pdf, npartitions=2)
    with pytest.raises(ValueError, match="column_values"):
        df.pivot_table("v", "a", "b")
    with pytest.raises(NotImplementedError):
        df.pivot_table("v", "a", "b", aggfunc="median", column_values=["x"])


@pytest.mark.parametrize("nparts", [1, 3])
def test_crosstab(pdf, nparts):
    from partframe.groupby import crosstab

    df = partframe.from_pandas(pdf, npartitions=nparts)
    expected = pd.crosstab(pdf.a, pdf.b)
    got = crosstab(df.a, df.b, column_values="compute")
    pd.testing.assert_frame_equal(got.compute(), expected)
    expected = pd.crosstab(pdf.k, pdf.b)
    got = crosstab(df.k, df.b, column_values=["x", "y", "z"])
    pd.testing.assert_frame_equal(got.compute(), expected)
