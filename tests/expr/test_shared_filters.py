"""One row filter per frame and predicate (``share_filters``): the filters
that column selections of a filtered frame become are one filter of the
columns they select, and results stay pandas'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, variant

import partframe
from partframe.expr.base import walk
from partframe.expr.optimize import optimize, shared_filters
from partframe.testing import assert_eq


@pytest.fixture(autouse=True)
def _any_size(monkeypatch):
    # the frames here are small: share whatever their size
    monkeypatch.setattr(shared_filters, "MIN_ROWS", 0)


_RNG = np.random.default_rng(5)
PDF = pd.DataFrame(
    {
        "x": _RNG.normal(size=60),
        "a": _RNG.integers(0, 9, 60),
        "b": _RNG.normal(size=60),
        "c": pd.array([f"s{i % 7}" for i in range(60)], dtype="str"),
        "d": np.arange(60.0),
    }
)


def _filters(expr) -> int:
    return sum(type(n).__name__ == "Filter" for n in walk(optimize(expr, fuse=False)))


def _columns(f):
    # several columns of one filtered frame, each used on its own
    return f.a * (1 - f.b) + f.d


@pytest.mark.parametrize("partitioning", PARTITIONINGS)
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_columns_of_one_filter_share_it(partitioning, scheduler):
    ddf, pdf = variant(PDF, partitioning)
    f, pf = ddf[ddf.x > 0], pdf[pdf.x > 0]
    out = _columns(f)
    assert _filters(out.expr) == 1
    assert_eq(out, _columns(pf), scheduler=scheduler)
    assert_eq(out.sum(), _columns(pf).sum(), scheduler=scheduler)


def test_the_whole_frame_and_its_columns_share_one_filter():
    ddf = partframe.from_pandas(PDF, npartitions=3)
    f = ddf[ddf.x > 0]
    out = f.assign(e=f.a * f.b)
    assert _filters(out.expr) == 1
    pf = PDF[PDF.x > 0]
    assert_eq(out, pf.assign(e=pf.a * pf.b))


def test_filters_by_other_predicates_stay_apart():
    ddf = partframe.from_pandas(PDF, npartitions=3)
    f, g = ddf[ddf.x > 0], ddf[ddf.x < 0.5]
    out = f.a.sum() + g.b.sum() + f.b.sum() + g.d.sum()
    assert _filters(out.expr) == 2  # one per predicate
    pf, pg = PDF[PDF.x > 0], PDF[PDF.x < 0.5]
    want = pf.a.sum() + pg.b.sum() + pf.b.sum() + pg.d.sum()
    assert np.isclose(out.compute(), want)


def test_one_column_filter_stays_as_it_is():
    ddf = partframe.from_pandas(PDF, npartitions=3)
    f = ddf[ddf.x > 0]
    plan = optimize(f.c.str.len().expr, fuse=False)
    filters = [n for n in walk(plan) if type(n).__name__ == "Filter"]
    assert len(filters) == 1
    assert type(filters[0].operand("frame")).__name__ == "Projection"
    assert_eq(f.c.str.len(), PDF[PDF.x > 0].c.str.len())


def test_computed_together_share_too():
    ddf = partframe.from_pandas(PDF, npartitions=4)
    f = ddf[ddf.x > 0]
    got = partframe.compute(f.a.sum(), f.b.max(), f.c)
    pf = PDF[PDF.x > 0]
    assert got[0] == pf.a.sum() and got[1] == pf.b.max()
    pd.testing.assert_series_equal(got[2], pf.c)


def test_small_frames_keep_a_filter_per_selection(monkeypatch):
    # sharing rebuilds the plan above (a fixed cost) to save work per row
    monkeypatch.setattr(shared_filters, "MIN_ROWS", len(PDF) + 1)
    ddf = partframe.from_pandas(PDF, npartitions=3)
    f = ddf[ddf.x > 0]
    assert _filters(_columns(f).expr) == 3
    monkeypatch.setattr(shared_filters, "MIN_ROWS", len(PDF))
    assert _filters(_columns(f).expr) == 1
    assert_eq(_columns(f), _columns(PDF[PDF.x > 0]))
