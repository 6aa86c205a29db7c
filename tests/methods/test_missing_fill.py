"""ffill/bfill against pandas: carried values and limit= across partitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, make_pdf, variant

import partframe
from partframe.expr.optimize import column_needs, lower
from partframe.expr.sources import FromPandas
from partframe.testing import assert_eq

METHODS = ["ffill", "bfill"]
LIMITS = [None, 1, 2, 3, 7]


def make_gappy(n: int = 40, seed: int = 1) -> pd.DataFrame:
    """Long runs of missing values (whole partitions of them) in every dtype."""
    rng = np.random.default_rng(seed)
    missing = np.zeros(n, dtype=bool)
    missing[:3] = True  # leading run: nothing to fill from (ffill)
    missing[8:21] = True  # spans several partitions
    missing[25:27] = True
    missing[-4:] = True  # trailing run: nothing to fill from (bfill)
    missing |= rng.random(n) < 0.2

    def gaps(values: pd.Series) -> pd.Series:
        return values.mask(missing)

    base = pd.Series(rng.integers(0, 100, size=n))
    words = np.array(["apple", "Banana", "cherry", "date ", "fig"])
    frame = pd.DataFrame(
        {
            "i": rng.integers(0, 10, size=n),  # no missing values
            "f": gaps(base.astype("float64")),
            "n": gaps(base.astype("Int64")),
            "s": gaps(pd.Series(words[base % 5], dtype="str")),
            "o": gaps(pd.Series(words[base % 5], dtype=object)),
            "c": gaps(pd.Series(pd.Categorical(words[base % 3]))),
            "t": gaps(pd.Series(pd.date_range("2024-01-01", periods=n, freq="7h"))),
            "tz": gaps(
                pd.Series(pd.date_range("2024-03-01", periods=n, tz="Europe/Paris"))
            ),
            "b": rng.integers(0, 2, size=n).astype(bool),
        }
    )
    # a different missing pattern per column
    frame["f"] = frame["f"].mask(rng.random(n) < 0.2)
    frame.index = pd.RangeIndex(n) * 3
    return frame


GAPPY = make_gappy()
VARIANTS = {how: variant(GAPPY, how) for how in PARTITIONINGS}
SCHEDULED = [(how, "sync") for how in PARTITIONINGS] + [
    ("7", "threads"),
    ("empty-parts", "threads"),
]


@pytest.mark.parametrize(("how", "scheduler"), SCHEDULED)
@pytest.mark.parametrize("method", METHODS)
def test_frame_fill(method, how, scheduler):
    df, pdf = VARIANTS[how]
    for limit in LIMITS:
        got = getattr(df, method)(limit=limit)
        assert got.divisions == df.divisions
        assert_eq(got, getattr(pdf, method)(limit=limit), scheduler=scheduler)


@pytest.mark.parametrize(("how", "scheduler"), SCHEDULED)
@pytest.mark.parametrize("method", METHODS)
def test_series_fill(method, how, scheduler):
    df, pdf = VARIANTS[how]
    for col in GAPPY.columns:
        for limit in (None, 2):
            assert_eq(
                getattr(df[col], method)(limit=limit),
                getattr(pdf[col], method)(limit=limit),
                scheduler=scheduler,
            )


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("method", METHODS)
def test_shared_frames(method, how):
    df, pdf = variant(make_pdf(), how)
    assert_eq(getattr(df, method)(), getattr(pdf, method)())
    assert_eq(getattr(df.f, method)(limit=1), getattr(pdf.f, method)(limit=1))


@pytest.mark.parametrize("method", METHODS)
def test_random_patterns(method):
    rng = np.random.default_rng(7)
    for _ in range(60):
        n = int(rng.integers(0, 25))
        values = rng.normal(size=n)
        values[rng.random(n) < rng.random()] = np.nan
        ps = pd.Series(values)
        pn = ps.round(0).astype("Int64")
        for p in (ps, pn):
            s = partframe.from_pandas(p, npartitions=int(rng.integers(1, n + 2)))
            for limit in (None, 1, 2, 4):
                assert_eq(
                    getattr(s, method)(limit=limit), getattr(p, method)(limit=limit)
                )


def test_all_missing_and_empty():
    for p in (
        pd.Series([np.nan] * 6),
        pd.Series([], dtype="float64"),
        pd.Series([None] * 5, dtype="str"),
        pd.DataFrame({"a": [np.nan] * 4, "b": pd.array([None] * 4, "Int64")}),
    ):
        for nparts in (1, 2, 3):
            s = partframe.from_pandas(p, npartitions=nparts)
            for method in METHODS:
                assert_eq(getattr(s, method)(), getattr(p, method)())
                assert_eq(getattr(s, method)(limit=1), getattr(p, method)(limit=1))


def test_in_expressions_and_processes():
    df, pdf = VARIANTS["7"]
    assert_eq(df.f.ffill() - df.f.bfill(), pdf.f.ffill() - pdf.f.bfill())
    assert_eq(df[df.i > 3].ffill(limit=2), pdf[pdf.i > 3].ffill(limit=2))
    assert_eq(df.bfill(limit=3), pdf.bfill(limit=3), scheduler="processes")


def test_projection_pushdown():
    df = partframe.from_pandas(GAPPY, npartitions=4)
    out = df.ffill(limit=2)[["f", "s"]]
    expr = lower(out.expr)
    (src,) = [n for n in _walk(expr) if isinstance(n, FromPandas)]
    assert column_needs(expr)[src._name] == {"f", "s"}
    assert_eq(out, GAPPY.ffill(limit=2)[["f", "s"]])


def _walk(expr):
    from partframe.expr.base import walk

    return walk(expr)


def test_building_computes_nothing():
    df = partframe.from_pandas(GAPPY, npartitions=4)
    with partframe.config.set(scheduler="raise"):
        df.ffill(limit=2)
        df.f.bfill()


def test_unsupported_arguments():
    df, pdf = VARIANTS["3"]
    for method in METHODS:
        with pytest.raises(NotImplementedError, match=r"axis=1.*axis=0"):
            getattr(df, method)(axis=1)
        with pytest.raises(NotImplementedError, match="limit_area"):
            getattr(df, method)(limit_area="inside")
        with pytest.raises(ValueError, match="inplace"):
            getattr(df, method)(inplace=True)
        with pytest.raises(ValueError, match="Limit must be greater than 0"):
            getattr(df.f, method)(limit=0)
        assert_eq(getattr(df, method)(axis=0), getattr(pdf, method)(axis=0))
        assert_eq(getattr(df, method)(axis="index"), getattr(pdf, method)())
