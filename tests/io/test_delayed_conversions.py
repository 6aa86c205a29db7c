"""Conversions: from_delayed, from_map, to_delayed, persist."""

from __future__ import annotations

import pandas as pd
import pandas.testing as tm
import pytest
from frames import make_pdf

import partframe
from partframe.testing import assert_eq

PDF = make_pdf()
SCHEDULERS = ["sync", "threads"]

CALLS: list = []


def _slice(start: int, stop: int, step: int = 1) -> pd.DataFrame:
    CALLS.append((start, stop))
    return PDF.iloc[start:stop:step]


def _bad_part(i: int) -> pd.DataFrame:
    if i == 2:
        return PDF.iloc[:2][["i", "f"]]
    return PDF.iloc[:2]


@pytest.fixture
def no_compute():
    with partframe.config.set(scheduler="raise"):
        yield


# -- from_delayed ----------------------------------------------------------------------


def _delayed_parts(bounds=((0, 10), (10, 22), (22, 30))):
    make = partframe.delayed(_slice, pure=True)
    return [make(a, b) for a, b in bounds]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_from_delayed_with_meta_is_lazy(scheduler, no_compute):
    parts = _delayed_parts()
    ddf = partframe.from_delayed(parts, meta=PDF.iloc[:0])
    assert ddf.npartitions == 3 and not ddf.known_divisions
    assert_eq(ddf, PDF, scheduler=scheduler)
    divs = [PDF.index[0], PDF.index[10], PDF.index[22], PDF.index[-1]]
    ddf = partframe.from_delayed(parts, meta=PDF, divisions=divs)
    assert ddf.divisions == tuple(divs)
    assert_eq(ddf, PDF, scheduler=scheduler)
    assert_eq(ddf.loc[30:50], PDF.loc[30:50], scheduler=scheduler)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_from_delayed_and_from_map_take_a_meta_description(scheduler, no_compute):
    """``meta=`` as ``map_partitions`` takes it: ``{column: dtype}``,
    ``[(column, dtype), ...]`` or ``(name, dtype)``; lazy, as a pandas meta."""
    cols = PDF[["i", "f"]]
    desc = {"i": "int64", "f": "float64"}
    for meta in (desc, list(desc.items())):
        parts = [p[["i", "f"]] for p in _delayed_parts()]
        ddf = partframe.from_delayed(parts, meta=meta)
        assert ddf.dtypes.to_dict() == cols.dtypes.to_dict()
        assert_eq(ddf, cols, scheduler=scheduler)
    s = partframe.from_delayed([p.f for p in _delayed_parts()], meta=("f", "float64"))
    assert_eq(s, PDF.f, scheduler=scheduler)
    ranges = [(0, 10), (10, 22), (22, 30)]
    mapped = partframe.from_map(lambda b: _slice(*b)[["i", "f"]], ranges, meta=desc)
    assert_eq(mapped, cols, scheduler=scheduler)


def test_from_delayed_infers_meta_from_the_first_part():
    CALLS.clear()
    with partframe.config.set(scheduler="sync"):
        ddf = partframe.from_delayed(_delayed_parts())
        assert CALLS == [(0, 10)]
        assert ddf.dtypes.equals(PDF.dtypes)
        assert_eq(ddf, PDF)
        s = partframe.from_delayed([p.i for p in _delayed_parts()])
        assert_eq(s, PDF.i)


def test_from_delayed_verifies_meta():
    make = partframe.delayed(_bad_part, pure=True)
    parts = [make(i) for i in range(3)]
    ddf = partframe.from_delayed(parts, meta=PDF.iloc[:0])
    with pytest.raises(
        ValueError, match=r"from_delayed returned columns .* partition 2"
    ):
        ddf.compute(scheduler="sync")
    unchecked = partframe.from_delayed(parts, meta=PDF.iloc[:0], verify_meta=False)
    assert len(unchecked.partitions[:2].compute(scheduler="sync")) == 4


def test_from_delayed_errors():
    parts = _delayed_parts()
    with pytest.raises(ValueError, match="npartitions \\+ 1"):
        partframe.from_delayed(parts, meta=PDF, divisions=[0, 1])
    with pytest.raises(ValueError, match="at least one"):
        partframe.from_delayed([], meta=PDF)
    with pytest.raises(TypeError, match="meta"):
        partframe.from_delayed(parts, meta=3)


# -- from_map --------------------------------------------------------------------------


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_from_map(scheduler):
    CALLS.clear()
    ddf = partframe.from_map(_slice, [0, 10, 20], args=(30,), step=2)
    assert CALLS == [(0, 30)]  # meta from the first element, called once
    assert ddf.npartitions == 3
    expected = pd.concat([PDF.iloc[a:30:2] for a in (0, 10, 20)])
    assert_eq(ddf, expected, scheduler=scheduler)


def test_from_map_with_meta_is_lazy(no_compute):
    bounds = [(0, 10), (10, 22), (22, 30)]
    divs = [PDF.index[0], PDF.index[10], PDF.index[22], PDF.index[-1]]
    ddf = partframe.from_map(_unpack_slice, bounds, meta=PDF, divisions=divs)
    assert ddf.divisions == tuple(divs)
    with partframe.config.set(scheduler="sync"):
        assert_eq(ddf, PDF)
        assert_eq(ddf.f.sum(), PDF.f.sum())


def _unpack_slice(bounds: tuple) -> pd.DataFrame:
    return _slice(*bounds)


def test_from_map_enforces_meta():
    ddf = partframe.from_map(_bad_part, range(3), meta=PDF)
    with pytest.raises(
        ValueError, match=r"from_map\(_bad_part\) returned .* partition 2"
    ):
        ddf.compute(scheduler="sync")
    with pytest.raises(ValueError, match="at least one"):
        partframe.from_map(_bad_part, [])


# -- to_delayed / persist --------------------------------------------------------------


def test_to_delayed():
    ddf = partframe.from_pandas(PDF, npartitions=3)
    expr = ddf[ddf.i > 3].f * 2
    parts = expr.to_delayed()
    assert len(parts) == 3
    assert all(isinstance(p, partframe.Delayed) for p in parts)
    graphs = {id(p._layer) for p in parts}
    assert len(graphs) == 1  # one shared graph
    values = partframe.compute(*parts, scheduler="threads")
    tm.assert_series_equal(pd.concat(values), (PDF[PDF.i > 3].f * 2))
    # back again
    with partframe.config.set(scheduler="sync"):
        assert_eq(partframe.from_delayed(parts, meta=expr._meta), PDF[PDF.i > 3].f * 2)
    raw = expr.to_delayed(optimize_graph=False)
    tm.assert_series_equal(raw[1].compute(scheduler="sync"), values[1])


def _count(part: pd.DataFrame) -> pd.DataFrame:
    CALLS.append(len(part))
    return part


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_persist(scheduler):
    ddf = partframe.from_pandas(PDF, npartitions=4)
    lazy = ddf.map_partitions(_count, meta=PDF, preserves_index=True)
    lazy = lazy[lazy.i > 2]
    CALLS.clear()
    kept = lazy.persist(scheduler=scheduler)
    assert len(CALLS) == 4
    assert kept.divisions == lazy.divisions and kept.npartitions == 4
    assert_eq(kept, PDF[PDF.i > 2], scheduler=scheduler)
    assert_eq(kept.reset_index(drop=True), PDF[PDF.i > 2].reset_index(drop=True))
    assert len(CALLS) == 4  # computing the persisted frame reruns nothing
    (a, b) = partframe.persist(kept.f, kept.s, scheduler=scheduler)
    assert_eq(a, PDF[PDF.i > 2].f)
    assert_eq(b, PDF[PDF.i > 2].s)


def test_on_processes():
    with partframe.config.set(scheduler="processes"):
        ddf = partframe.from_map(_slice, [0, 10, 20], args=(30,), meta=PDF)
        assert_eq(ddf, pd.concat([PDF.iloc[a:30] for a in (0, 10, 20)]))
        parts = partframe.from_pandas(PDF, npartitions=2).to_delayed()
        assert_eq(partframe.from_delayed(parts, meta=PDF), PDF)
