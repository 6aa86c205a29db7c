"""Cumulative operations against pandas: values, dtypes, divisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, make_pdf, variant

import partframe
from partframe.expr.blockwise import MethodCall
from partframe.expr.optimize import column_needs, optimize
from partframe.testing import assert_eq

PDF = make_pdf()
VARIANTS = {how: variant(PDF, how) for how in PARTITIONINGS}
METHODS = ["cumsum", "cumprod", "cummin", "cummax"]


@pytest.mark.parametrize(
    ("how", "scheduler"), [(how, "sync") for how in PARTITIONINGS] + [("7", "threads")]
)
@pytest.mark.parametrize("method", METHODS)
def test_series_cumulative(method, how, scheduler):
    df, pdf = VARIANTS[how]
    for col in PDF.columns:
        for skipna in (True, False):
            try:
                want = getattr(pdf[col], method)(skipna=skipna)
            except TypeError:
                with pytest.raises(TypeError):
                    getattr(df[col], method)(skipna=skipna)
                continue
            got = getattr(df[col], method)(skipna=skipna)
            assert got.divisions == df.divisions
            assert_eq(got, want, scheduler=scheduler)


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("method", METHODS)
def test_frame_cumulative(method, how):
    df, pdf = VARIANTS[how]
    cols = ["i", "f", "n", "b"] if method != "cummin" else ["i", "f", "n", "s", "t"]
    for skipna in (True, False):
        assert_eq(
            getattr(df[cols], method)(skipna=skipna),
            getattr(pdf[cols], method)(skipna=skipna),
        )
    num = ["i", "f"]
    assert_eq(getattr(df[num], method)(axis=1), getattr(pdf[num], method)(axis=1))


def test_nan_runs_across_partitions():
    values = [np.nan, np.nan, 1.0, np.nan, 2.0, np.nan, np.nan, -3.0, np.nan]
    ps = pd.Series(values)
    pn = pd.Series(pd.array([None, 2, None, None, -1, 3, None, 4, None], "Int64"))
    for nparts in (1, 2, 4, 9):
        for p in (ps, pn):
            s = partframe.from_pandas(p, npartitions=nparts)
            for method in METHODS:
                for skipna in (True, False):
                    want = getattr(p, method)(skipna=skipna)
                    assert_eq(getattr(s, method)(skipna=skipna), want)


def test_processes():
    df, pdf = VARIANTS["7"]
    assert_eq(df[["i", "f"]].cumsum(), pdf[["i", "f"]].cumsum(), scheduler="processes")


def test_in_expressions_and_pushdown():
    df, pdf = VARIANTS["3"]
    assert_eq(df.f - df.f.cummax(), pdf.f - pdf.f.cummax())
    assert_eq(df.i.cumsum() / df.i.sum(), pdf.i.cumsum() / pdf.i.sum())
    lazy = df[["i", "f"]].cumsum()["f"]
    opt = optimize(lazy.expr, fuse=False)
    needs = column_needs(opt)
    (cum,) = [n for n in _walk(opt) if isinstance(n, MethodCall)]
    assert needs[cum._name] == {"f"}


def _walk(expr):
    from partframe.expr.base import walk

    return list(walk(expr))


def test_empty():
    pdf = PDF[["i", "f", "n"]].iloc[:0]
    df = partframe.from_pandas(pdf, npartitions=2)
    for method in METHODS:
        assert_eq(getattr(df, method)(), getattr(pdf, method)())
