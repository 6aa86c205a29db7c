"""iloc against pandas: columns by position, row slices with in-graph offsets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, make_pdf, variant

import partframe
from partframe.expr.base import walk
from partframe.expr.optimize import column_needs, lower
from partframe.expr.sources import FromPandas
from partframe.testing import assert_eq

PDF = make_pdf()
VARIANTS = {how: variant(PDF, how) for how in PARTITIONINGS}
SCHEDULED = [(how, "sync") for how in PARTITIONINGS] + [
    ("7", "threads"),
    ("empty-parts", "threads"),
]
NCOLS = PDF.shape[1]

COLUMN_KEYS = [
    0,
    3,
    -1,
    np.int64(4),
    [0, 2],
    [5, 1, 7],
    [],
    slice(1, 4),
    slice(None, None, 2),
    slice(-3, None),
    [True, False] * (NCOLS // 2),
    np.array([False] * (NCOLS - 1) + [True]),
    range(2, 5),
]
ROW_SLICES = [
    slice(None),
    slice(2, 10),
    slice(None, 5),
    slice(5, None),
    slice(1, None, 4),
    slice(3, 25, 7),
    slice(-5, None),
    slice(None, -3),
    slice(-20, -3, 3),
    slice(-100, 3),
    slice(3, -100),
    slice(100, None),
    slice(0, 0),
    slice(7, 8),
]


@pytest.mark.parametrize(("how", "scheduler"), SCHEDULED)
def test_columns(how, scheduler):
    df, pdf = VARIANTS[how]
    for key in COLUMN_KEYS:
        assert_eq(df.iloc[:, key], pdf.iloc[:, key], scheduler=scheduler)


@pytest.mark.parametrize(("how", "scheduler"), SCHEDULED)
def test_row_slices(how, scheduler):
    df, pdf = VARIANTS[how]
    for key in ROW_SLICES:
        got = df.iloc[key]
        assert got.divisions == df.divisions
        assert_eq(got, pdf.iloc[key], scheduler=scheduler)
        assert_eq(df.n.iloc[key], pdf.n.iloc[key], scheduler=scheduler)


@pytest.mark.parametrize("how", PARTITIONINGS)
def test_rows_and_columns(how):
    df, pdf = VARIANTS[how]
    for rows in (slice(2, 10), slice(-4, None), slice(None, None, 3)):
        for cols in (1, [0, 6, 7], slice(2, 5), [False, True] * (NCOLS // 2)):
            assert_eq(df.iloc[rows, cols], pdf.iloc[rows, cols])


def test_after_filter_and_in_expressions():
    df, pdf = VARIANTS["7"]
    assert_eq(df[df.i > 4].iloc[3:9], pdf[pdf.i > 4].iloc[3:9])
    assert_eq(df.iloc[:, 0] * 2, pdf.iloc[:, 0] * 2)
    assert_eq(df.iloc[5:].f.sum(), pdf.iloc[5:].f.sum())
    assert_eq(df.iloc[-6:, [0, 1]], pdf.iloc[-6:, [0, 1]], scheduler="processes")


def _source_columns(obj):
    expr = lower(obj.expr)
    (src,) = [n for n in walk(expr) if isinstance(n, FromPandas)]
    return column_needs(expr)[src._name]


def test_projection_pushdown():
    df = partframe.from_pandas(PDF, npartitions=3)
    assert _source_columns(df.iloc[:, [1, 4]]) == {"f", "s"}
    out = df.iloc[2:9, [1]]
    assert _source_columns(out) == {"f"}
    assert_eq(out, PDF.iloc[2:9, [1]])


def test_building_computes_nothing():
    df = partframe.from_pandas(PDF, npartitions=3)
    with partframe.config.set(scheduler="raise"):
        df.iloc[2:10]
        df.iloc[-5:, 0]
        df.iloc[:, [0, 1]]


def test_unsupported_rows_name_the_fix():
    df = VARIANTS["3"][0]
    with pytest.raises(NotImplementedError, match=r"row position.*iloc\[5:6\]"):
        df.iloc[5]
    with pytest.raises(NotImplementedError, match=r"row position.*iloc\[:, cols\]"):
        df.iloc[[1, 2], 0]
    with pytest.raises(NotImplementedError, match=r"boolean mask.*loc"):
        df.iloc[[True, False] * 15]
    with pytest.raises(NotImplementedError, match="row position"):
        df.f.iloc[3]
    with pytest.raises(NotImplementedError, match="positive step"):
        df.iloc[::-1]


def test_bad_keys():
    df = VARIANTS["3"][0]
    with pytest.raises(IndexError):
        df.iloc[:, 99]
    # too many indexers: pandas' IndexingError
    with pytest.raises(pd.errors.IndexingError, match="Series takes iloc"):
        df.f.iloc[:, 0]
    with pytest.raises(pd.errors.IndexingError, match=r"Too many indexers.*3"):
        df.iloc[:, 0, 1]
    with pytest.raises(TypeError, match="integer or None"):
        df.iloc["a":"b"]
    with pytest.raises(TypeError, match="iloc columns"):
        df.iloc[:, "i"]
    dup = partframe.from_pandas(pd.DataFrame([[1, 2]], columns=["a", "a"]), 1)
    with pytest.raises(NotImplementedError, match="duplicate column labels"):
        dup.iloc[:, 0]
