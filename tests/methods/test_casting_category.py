"""astype("category") without categories: pandas' inferred categories, exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, make_pdf, variant

import partframe
from partframe.testing import assert_eq

PDF = make_pdf()
PDF["o"] = pd.Series(["b", None, 3, "a", 1.5] * 6, dtype=object, index=PDF.index)
PDF["t"] = PDF["t"].mask(PDF.index % 3 == 0)
VARIANTS = {how: variant(PDF, how) for how in PARTITIONINGS}
SCHEDULED = [(how, "sync") for how in PARTITIONINGS] + [
    ("7", "threads"),
    ("empty-parts", "threads"),
]
TARGETS = ["category", pd.CategoricalDtype(), pd.CategoricalDtype(ordered=True)]


@pytest.mark.parametrize(("how", "scheduler"), SCHEDULED)
def test_series(how, scheduler):
    df, pdf = VARIANTS[how]
    for col in PDF.columns:
        for target in TARGETS:
            want = pdf[col].astype(target)
            got = df[col].astype(target)
            assert got.dtype == want.dtype  # known categories, in the plan
            assert_eq(got, want, scheduler=scheduler)
            assert_eq(got.cat.codes, want.cat.codes, scheduler=scheduler)


@pytest.mark.parametrize(("how", "scheduler"), SCHEDULED)
def test_frame(how, scheduler):
    df, pdf = VARIANTS[how]
    mapping = {"i": "category", "s": "category", "f": "float32", "tz": "category"}
    assert_eq(df.astype(mapping), pdf.astype(mapping), scheduler=scheduler)
    assert_eq(df.astype("category"), pdf.astype("category"), scheduler=scheduler)
    ordered = {"n": pd.CategoricalDtype(ordered=True)}
    assert_eq(df.astype(ordered), pdf.astype(ordered), scheduler=scheduler)


def test_after_filter_and_downstream():
    df, pdf = VARIANTS["7"]
    got = df[df.i > 4].s.astype("category")
    want = pdf[pdf.i > 4].s.astype("category")
    assert list(got.cat.categories) == list(want.cat.categories)
    assert_eq(got, want)
    assert_eq(partframe.concat([got, got]), pd.concat([want, want]))
    assert_eq(got.value_counts(), want.value_counts(), check_divisions=False)


def test_all_missing_and_empty():
    for p in (
        pd.Series([np.nan] * 5),
        pd.Series([], dtype="str"),
        pd.Series([None, None], dtype="Int64"),
    ):
        for nparts in (1, 2, 3):
            s = partframe.from_pandas(p, npartitions=nparts)
            assert_eq(s.astype("category"), p.astype("category"))


def test_processes():
    df, pdf = VARIANTS["3"]
    assert_eq(df.s.astype("category"), pdf.s.astype("category"), scheduler="processes")


def test_known_categories_compute_nothing():
    df = partframe.from_pandas(PDF, npartitions=3)
    dtype = pd.CategoricalDtype(sorted(PDF.s.unique()))
    with partframe.config.set(scheduler="raise"):
        df.astype({"s": dtype, "i": "float64"})
        df.c.astype("category")  # already categorical: kept as is
    assert_eq(df.astype({"s": dtype}), PDF.astype({"s": dtype}))
