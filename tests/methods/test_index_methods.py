"""Index methods code written for Dask uses: map, unique, nunique,
drop_duplicates and the ``.str`` accessor, checked against pandas over
several partitionings (one, several, more partitions than labels, and
unsorted partitions, whose labels repeat across partitions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import partframe
from partframe.testing import assert_eq

INDEXES = {
    "str": pd.Index(["x", "yy", "x", None, "zz", "yy"], dtype="str", name="i"),
    "int": pd.Index([5, 3, 5, 7, 3, 1], name="j"),
    "float-nan": pd.Index([5.0, np.nan, 5, 7, np.nan, 1]),
    "empty": pd.Index([], dtype="int64"),
}


def _frames(kind: str, nparts: int, sort: bool):
    pdf = pd.DataFrame({"a": range(len(INDEXES[kind]))}, index=INDEXES[kind])
    ddf = partframe.from_pandas(pdf, npartitions=nparts, sort=sort)
    # pandas on the rows in partframe's order: from_pandas sorts labels
    # unless told not to or some is missing (then divisions are unknown)
    return ddf, pdf.sort_index(kind="stable") if ddf.known_divisions else pdf


@pytest.fixture(params=[(1, True), (2, True), (9, True), (3, False)])
def parts(request):
    return request.param


@pytest.mark.parametrize("kind", sorted(INDEXES))
def test_distinct_labels(kind, parts):
    ddf, pdf = _frames(kind, *parts)
    idx, pidx = ddf.index, pdf.index
    assert_eq(idx.nunique(), pidx.nunique())
    assert_eq(idx.nunique(dropna=False), pidx.nunique(dropna=False))
    assert_eq(idx.unique(), pidx.unique())
    assert_eq(idx.drop_duplicates(), pidx.drop_duplicates())
    for keep in ("last", False):
        assert_eq(
            idx.drop_duplicates(keep=keep),
            pidx.drop_duplicates(keep=keep),
            sort_results=True,
        )


@pytest.mark.parametrize("kind", ["int", "float-nan"])
def test_map(kind, parts):
    ddf, pdf = _frames(kind, *parts)
    assert_eq(ddf.index.map(lambda v: v * 2), pdf.index.map(lambda v: v * 2))
    got = ddf[ddf.a > 1].index.map(lambda v: -v, meta=pdf.index.dtype)
    assert_eq(got, pdf[pdf.a > 1].index.map(lambda v: -v))
    assert not got.known_divisions  # the labels changed


def test_map_strings(parts):
    ddf, pdf = _frames("str", *parts)

    def bang(s):
        return s + "!" if isinstance(s, str) else s

    assert_eq(ddf.index.map(bang), pdf.index.map(bang))


def test_str_accessor(parts):
    ddf, pdf = _frames("str", *parts)
    idx, pidx = ddf.index, pdf.index
    assert_eq(idx.str.upper(), pidx.str.upper())
    # missing labels make lengths float64, as pandas does
    assert_eq(idx.str.len(), pidx.str.len())
    # pandas gives a NumPy array: a lazy boolean Array that filters the frame
    assert_eq(idx.str.startswith("x"), pidx.str.startswith("x"))
    mask = idx.str.contains("y", na=False)
    assert_eq(ddf[mask], pdf[pidx.str.contains("y", na=False)])


def test_str_accessor_needs_strings():
    ddf = partframe.from_pandas(pd.DataFrame({"a": [1]}, index=[3]), npartitions=1)
    with pytest.raises(AttributeError, match="Index"):
        ddf.index.str  # noqa: B018
