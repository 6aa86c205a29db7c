"""map_overlap and what is built on it (shift, diff, pct_change, rolling)
against pandas on the whole frame: rows borrowed across partition
boundaries, from as many partitions as needed (more partitions than rows,
empty partitions), by row count and by time span."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, make_pdf, variant
from hypothesis import given, settings
from hypothesis import strategies as st

import partframe
from partframe.testing import assert_eq

SCHEDULERS = ["sync", "threads"]
NUMERIC = ["i", "f", "n"]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("periods", [-3, -1, 0, 1, 2, 40])
def test_shift_every_dtype(how, periods, scheduler):
    ddf, pdf = variant(make_pdf(), how)
    assert_eq(ddf.shift(periods), pdf.shift(periods), scheduler=scheduler)
    assert_eq(ddf.s.shift(periods), pdf.s.shift(periods), scheduler=scheduler)


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("periods", [-2, 1, 3])
def test_shift_with_fill_value_keeps_int(how, periods):
    ddf, pdf = variant(make_pdf(), how)
    got = ddf[["i", "n"]].shift(periods, fill_value=0)
    assert_eq(got, pdf[["i", "n"]].shift(periods, fill_value=0))
    assert got.dtypes.tolist() == ["int64", "Int64"]


def test_shift_several_periods_with_suffix():
    ddf, pdf = variant(make_pdf(), "7")
    want = pdf[NUMERIC].shift([1, -2], suffix="_s")
    assert_eq(ddf[NUMERIC].shift([1, -2], suffix="_s"), want)


def test_shift_by_freq_moves_the_index():
    pdf = make_pdf().set_index("t")
    ddf = partframe.from_pandas(pdf, npartitions=4)
    for freq, known in [("h", True), (pd.Timedelta("90min"), True), ("W", False)]:
        got = ddf.f.shift(2, freq=freq)
        assert_eq(got, pdf.f.shift(2, freq=freq))
        assert got.known_divisions == known  # moved alike when every label is
    # moved divisions align with the frame it came from (on the index)
    got = ddf[["f"]].shift(3, freq="h") + ddf[["f"]]
    assert_eq(got, pdf[["f"]].shift(3, freq="h") + pdf[["f"]])
    periods = pdf.set_index(pd.period_range("2000-01-01", periods=len(pdf), freq="D"))
    dperiods = partframe.from_pandas(periods, npartitions=3)
    got = dperiods.f.shift(2, freq="D")
    assert_eq(got, periods.f.shift(2, freq="D"))
    assert got.known_divisions


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("periods", [-2, 1, 5])
def test_diff_and_pct_change(how, periods, scheduler):
    ddf, pdf = variant(make_pdf(), how)
    cols = [*NUMERIC, "t", "tz"]
    assert_eq(ddf[cols].diff(periods), pdf[cols].diff(periods), scheduler=scheduler)
    assert_eq(ddf.f.diff(periods), pdf.f.diff(periods), scheduler=scheduler)
    assert_eq(
        ddf[NUMERIC].pct_change(periods),
        pdf[NUMERIC].pct_change(periods),
        scheduler=scheduler,
    )


def test_pct_change_fills_across_partitions_first():
    pdf = pd.DataFrame({"x": [1.0, np.nan, np.nan, np.nan, 4.0, 2.0]})
    ddf = partframe.from_pandas(pdf, npartitions=3)
    assert_eq(
        ddf.x.pct_change(fill_method="ffill"),
        pdf.x.ffill().pct_change(),
    )


ROLLING = [
    ("mean", (), {}),
    ("sum", (), {}),
    ("count", (), {}),
    ("std", (), {}),
    ("median", (), {}),
    ("max", (), {}),
    ("quantile", (0.25,), {}),
    ("apply", (np.ptp,), {"raw": True}),
    ("agg", (["sum", "min"],), {}),
]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("window", [1, 3, 7])
@pytest.mark.parametrize("center", [False, True])
def test_rolling_by_rows(how, window, center, scheduler):
    ddf, pdf = variant(make_pdf(n=40), how)
    for method, args, kwargs in ROLLING:
        roll, want = ddf[NUMERIC].rolling(window, center=center), None
        want = getattr(pdf[NUMERIC].rolling(window, center=center), method)
        got = getattr(roll, method)(*args, **kwargs)
        assert_eq(got, want(*args, **kwargs), scheduler=scheduler)
    got = ddf.f.rolling(window, min_periods=1, center=center, closed="both").sum()
    want = pdf.f.rolling(window, min_periods=1, center=center, closed="both").sum()
    assert_eq(got, want, scheduler=scheduler)


def test_rolling_column_selection():
    ddf, pdf = variant(make_pdf(n=40), "7")
    assert_eq(ddf.rolling(3)["f"].mean(), pdf.rolling(3)["f"].mean())
    assert_eq(ddf[NUMERIC].rolling(3).f.max(), pdf[NUMERIC].rolling(3).f.max())


def _timed(n: int = 60, seed: int = 3) -> pd.DataFrame:
    """Irregular times: gaps of minutes to a day, some repeated."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([0, 5, 60, 300, 1440], size=n) * pd.Timedelta("1min")
    index = pd.Timestamp("2024-01-01") + np.cumsum(steps)
    return pd.DataFrame(
        {"x": rng.normal(size=n), "k": rng.integers(0, 5, size=n)},
        index=pd.DatetimeIndex(index, name="when"),
    )


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("nparts", [1, 4, 13, 60])
@pytest.mark.parametrize("window", ["10min", "2h", "1D", "3D"])
@pytest.mark.parametrize("closed", [None, "both", "left", "neither"])
def test_rolling_by_time(nparts, window, closed, scheduler):
    pdf = _timed()
    ddf = partframe.from_pandas(pdf, npartitions=nparts)
    for center in (False, True):
        got = ddf.rolling(window, closed=closed, center=center).sum()
        want = pdf.rolling(window, closed=closed, center=center).sum()
        assert_eq(got, want, scheduler=scheduler)
    assert_eq(ddf.x.rolling(window).count(), pdf.x.rolling(window).count())


def _scaled(part: pd.DataFrame, by: float) -> pd.DataFrame:
    return (part - part.shift(1)) * by + part.shift(-1)


@pytest.mark.parametrize("how", PARTITIONINGS)
def test_map_overlap_user_function(how):
    ddf, pdf = variant(make_pdf(n=40), how)
    got = ddf[NUMERIC].map_overlap(_scaled, 1, 1, 2.0)
    assert_eq(got, _scaled(pdf[NUMERIC], 2.0))
    meta = _scaled(pdf[NUMERIC], 2.0).iloc[:0]
    got = ddf[NUMERIC].map_overlap(_scaled, 1, 1, by=2.0, meta=meta)
    assert_eq(got, _scaled(pdf[NUMERIC], 2.0))


def test_map_overlap_by_time_span():
    pdf = _timed()
    ddf = partframe.from_pandas(pdf, npartitions=9)

    def summed(p: pd.DataFrame) -> pd.Series:
        return p.x.rolling("2h").sum()

    assert_eq(ddf.map_overlap(summed, "2h", 0), summed(pdf))
    assert_eq(ddf.map_overlap(summed, pd.Timedelta("2h"), 0), summed(pdf))


def test_map_overlap_errors_name_the_problem():
    ddf = partframe.from_pandas(pd.DataFrame({"x": range(10)}), npartitions=3)
    with pytest.raises(ValueError, match=r"partition 0 .* returned 1 rows"):
        ddf.map_overlap(lambda p: p.head(1), 2, 0, meta=ddf._meta).compute()
    with pytest.raises(TypeError, match=r"time span.*int64.*set_index"):
        ddf.map_overlap(lambda p: p, "2h", 0)
    with pytest.raises(ValueError, match=r"before=0\.5 must be a whole number"):
        ddf.map_overlap(lambda p: p, 0.5, 0)
    with pytest.raises(ValueError, match="before=-1 must not be negative"):
        ddf.map_overlap(lambda p: p, -1, 0)
    with pytest.raises(NotImplementedError, match="step"):
        ddf.rolling(3, step=2)
    with pytest.raises(NotImplementedError, match="set_index"):
        ddf.rolling("2h", on="x")
    with pytest.raises(ValueError, match="min_periods"):
        ddf.rolling(3, min_periods=5)  # pandas' own check
    with pytest.raises(TypeError, match="periods must be integers"):
        ddf.shift(1.5)


def test_overlap_composes_with_filters_sorts_and_joins():
    pdf = make_pdf(n=50)
    ddf = partframe.from_pandas(pdf, npartitions=6)
    # rows dropped before: neighbours are the rows kept
    assert_eq(ddf[ddf.f > -0.5].f.diff(), pdf[pdf.f > -0.5].f.diff())
    # after a sort: the sorted partitions' neighbours
    got = ddf.sort_values("f").f.rolling(3).mean()
    assert_eq(got, pdf.sort_values("f").f.rolling(3).mean())
    # an overlap below a groupby and a merge
    got = ddf.assign(d=ddf.i.diff()).groupby("c", observed=True).d.sum()
    assert_eq(got, pdf.assign(d=pdf.i.diff()).groupby("c", observed=True).d.sum())
    other = pdf[["i"]].drop_duplicates().assign(w=1.5)
    got = ddf.assign(p=ddf.f.shift(2)).merge(other, on="i")[["i", "p", "w"]]
    want = pdf.assign(p=pdf.f.shift(2)).merge(other, on="i")[["i", "p", "w"]]
    assert_eq(got, want, sort_results=True, check_index=False)
    # a projection of the result reads only what it uses
    got = ddf.shift(1)[["f"]]
    assert_eq(got, pdf.shift(1)[["f"]])


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(-5, 5) | st.none(), min_size=0, max_size=30),
    nparts=st.integers(1, 35),
    periods=st.integers(-6, 6),
    window=st.integers(1, 6),
    center=st.booleans(),
)
def test_overlap_equals_pandas_on_any_partitioning(
    values, nparts, periods, window, center
):
    pdf = pd.DataFrame({"x": pd.array(values, dtype="float64")})
    ddf = partframe.from_pandas(pdf, npartitions=max(1, min(nparts, len(pdf) or 1)))
    if len(pdf) and nparts > len(pdf):  # more partitions than rows
        ddf = partframe.from_pandas(pdf, npartitions=len(pdf))
    assert_eq(ddf.x.shift(periods), pdf.x.shift(periods))
    assert_eq(ddf.x.diff(periods), pdf.x.diff(periods))
    got = ddf.x.rolling(window, min_periods=1, center=center).sum()
    assert_eq(got, pdf.x.rolling(window, min_periods=1, center=center).sum())


def test_map_overlap_refuses_a_meta_the_function_contradicts():
    pdf = pd.DataFrame({"x": [1, 2, 4, 7, 11], "y": [1.0, 2.0, 3.0, 4.0, 5.0]})
    ddf = partframe.from_pandas(pdf, npartitions=2)
    got = ddf.map_overlap(lambda p: p.rolling(2).sum(), 2, 0, meta={"x": "i8"})
    assert got._meta.index.dtype == pdf.index.dtype  # the description's index
    with pytest.raises(ValueError, match=r"columns|meta=\{'x': 'float64'"):
        got.compute()
    wrong = ddf.map_overlap(
        lambda p: p.rolling(2).sum(), 2, 0, meta={"x": "i8", "y": "i8"}
    )
    with pytest.raises(ValueError, match=r"'x': float64 \(meta: int64\)"):
        wrong.compute()
    good = ddf.map_overlap(
        lambda p: p.rolling(2).sum(), 2, 0, meta={"x": "f8", "y": "f8"}
    )
    assert_eq(good, pdf.rolling(2).sum())


def test_top_level_map_overlap():
    ddf, pdf = variant(make_pdf(n=40), "7")
    got = partframe.map_overlap(_scaled, ddf[NUMERIC], 1, 1, 3.0)
    assert_eq(got, _scaled(pdf[NUMERIC], 3.0))
    # pandas inputs are one partition
    got = partframe.map_overlap(_scaled, pdf[NUMERIC], 1, 1, 3.0)
    assert_eq(got, _scaled(pdf[NUMERIC], 3.0))
    with pytest.raises(TypeError, match="from_pandas"):
        partframe.map_overlap(_scaled, [1, 2], 1, 1, 3.0)


def _with_other(part: pd.DataFrame, other: pd.DataFrame, lag: int) -> pd.DataFrame:
    return part + other.shift(lag)


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("other_parts", [1, 2, 5])
def test_map_overlap_with_other_frames(how, other_parts):
    ddf, pdf = variant(make_pdf(n=40), how)
    pdf = pdf[NUMERIC]
    other = pdf * 2
    dother = partframe.from_pandas(other, npartitions=other_parts)
    want = _with_other(pdf, other, 2)
    assert_eq(ddf[NUMERIC].map_overlap(_with_other, 2, 0, dother, 2), want)
    assert_eq(ddf[NUMERIC].map_overlap(_with_other, 2, 1, other, 2), want)
    assert_eq(
        ddf.f.map_overlap(_with_other, 0, 3, dother.f, -3), pdf.f + other.f.shift(-3)
    )


def test_map_overlap_with_other_frames_by_time_span():
    pdf = _timed()
    ddf = partframe.from_pandas(pdf, npartitions=7)
    other = partframe.from_pandas(pdf * 3, npartitions=3)

    def summed(p: pd.DataFrame, o: pd.DataFrame) -> pd.Series:
        return p.x.rolling("2h").sum() + o.x.rolling("1h").max()

    want = summed(pdf, pdf * 3)
    assert_eq(ddf.map_overlap(summed, "2h", 0, other), want)


def test_map_overlap_other_frames_need_alignment_or_partitions():
    ddf, pdf = variant(make_pdf(n=40), "3")
    other = partframe.from_pandas(pdf[NUMERIC] * 2, npartitions=5)
    with pytest.raises(
        ValueError, match=r"argument 0 has 5 partitions.*align_dataframes"
    ):
        ddf.map_overlap(_with_other, 2, 0, other, 2, align_dataframes=False)
    with pytest.raises(NotImplementedError, match="positional"):
        ddf.map_overlap(_with_other, 2, 0, other=other, lag=2)
    plain = ddf[NUMERIC].map_overlap(_scaled, 1, 1, 2.0, enforce_metadata=False)
    assert_eq(plain, _scaled(pdf[NUMERIC], 2.0))


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("window", [1, 3, 6])
@pytest.mark.parametrize("center", [False, True])
def test_rolling_cov_and_corr(how, window, center):
    ddf, pdf = variant(make_pdf(n=40), how)
    for method in ("cov", "corr"):
        roll = ddf[["i", "f"]].rolling(window, center=center)
        want = getattr(pdf[["i", "f"]].rolling(window, center=center), method)()
        assert_eq(getattr(roll, method)(), want)
        got = getattr(ddf.f.rolling(window, center=center), method)()
        assert_eq(got, getattr(pdf.f.rolling(window, center=center), method)())
    got = ddf[["i", "f"]].rolling(window).cov(pairwise=False)
    assert_eq(got, pdf[["i", "f"]].rolling(window).cov(pairwise=False))
    with pytest.raises(NotImplementedError, match="assign it"):
        ddf.f.rolling(window).cov(ddf.i)


def test_rolling_cov_by_time():
    pdf = _timed()
    ddf = partframe.from_pandas(pdf, npartitions=9)
    assert_eq(ddf.rolling("2h").cov(), pdf.rolling("2h").cov())


def test_rolling_keeps_its_arguments():
    ddf = partframe.from_pandas(_timed(), npartitions=3)
    r = ddf.rolling("4s", min_periods=2)
    assert (r.window, r.min_periods, r.win_type, r.center) == ("4s", 2, None, False)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", PARTITIONINGS)
def test_groupby_rolling(how, scheduler):
    ddf, pdf = variant(make_pdf(n=60), how)
    cols = ["i", "f", "n", "c"]
    got = ddf[cols].groupby("c", observed=True).rolling(3, min_periods=1).sum()
    want = pdf[cols].groupby("c", observed=True).rolling(3, min_periods=1).sum()
    assert_eq(got, want, scheduler=scheduler, check_divisions=False)
    got = ddf.groupby(["i", "b"]).f.rolling(2, center=True).mean()
    want = pdf.groupby(["i", "b"]).f.rolling(2, center=True).mean()
    assert_eq(got, want, scheduler=scheduler, check_divisions=False)
    assert ddf.groupby("i").rolling(4).window == 4


def test_groupby_rolling_by_time():
    pdf = _timed()
    ddf = partframe.from_pandas(pdf, npartitions=8)
    got = ddf.groupby("k").rolling("3h").x.max()
    assert_eq(got, pdf.groupby("k").rolling("3h").x.max(), check_divisions=False)
    got = ddf.groupby("k").x.rolling("1D", closed="both").count()
    want = pdf.groupby("k").x.rolling("1D", closed="both").count()
    assert_eq(got, want, check_divisions=False)


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("method", ["pct_change", "ffill", "bfill", "shift", "diff"])
def test_groupby_row_to_row_methods(how, method):
    ddf, pdf = variant(make_pdf(n=50), how)
    cols = ["i", "f", "n"]
    kwargs = {"limit": 1} if method in ("ffill", "bfill") else {}
    got = getattr(ddf.groupby("c", observed=True)[cols], method)(**kwargs)
    want = getattr(pdf.groupby("c", observed=True)[cols], method)(**kwargs)
    assert_eq(got, want)
    assert_eq(
        getattr(ddf.groupby("i").f, method)(), getattr(pdf.groupby("i").f, method)()
    )


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("min_periods", [0, 1, 3])
def test_expanding(how, min_periods, scheduler):
    ddf, pdf = variant(make_pdf(n=40), how)
    cols = [*NUMERIC, "b"]
    for method in ("count", "sum", "mean", "min", "max", "var", "std"):
        got = getattr(ddf[cols].expanding(min_periods), method)()
        want = getattr(pdf[cols].expanding(min_periods), method)()
        assert_eq(got, want, scheduler=scheduler)
        got = getattr(ddf.f.expanding(min_periods), method)()
        assert_eq(got, getattr(pdf.f.expanding(min_periods), method)())
    assert_eq(ddf.f.expanding().var(ddof=0), pdf.f.expanding().var(ddof=0))
    assert_eq(ddf.expanding()[["i", "f"]].max(), pdf.expanding()[["i", "f"]].max())


def test_expanding_variance_keeps_its_digits():
    # a large offset: sums of squares (1e16 each) would lose every digit of
    # the spread; merged deviations keep them
    pdf = pd.DataFrame({"x": 1e8 + np.arange(40) % 3})
    ddf = partframe.from_pandas(pdf, npartitions=7)
    assert_eq(ddf.x.expanding().std(), pdf.x.expanding().std(), rtol=1e-9)


def test_expanding_refuses_what_needs_every_earlier_value():
    ddf, _ = variant(make_pdf(n=10), "3")
    with pytest.raises(NotImplementedError, match="every earlier"):
        ddf.f.expanding().median()
    with pytest.raises(ValueError, match="min_periods"):
        ddf.f.expanding(-1)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(-1e3, 1e3) | st.none(), min_size=0, max_size=30),
    nparts=st.integers(1, 30),
    min_periods=st.integers(0, 4),
    method=st.sampled_from(["count", "sum", "mean", "min", "max", "var", "std"]),
)
def test_expanding_equals_pandas_on_any_partitioning(
    values, nparts, min_periods, method
):
    pdf = pd.DataFrame({"x": pd.array(values, dtype="float64")})
    ddf = partframe.from_pandas(pdf, npartitions=max(1, min(nparts, len(pdf) or 1)))
    got = getattr(ddf.x.expanding(min_periods), method)()
    want = getattr(pdf.x.expanding(min_periods), method)()
    assert_eq(got, want, rtol=1e-9, atol=1e-9)


def test_filters_stay_above_what_reads_neighbouring_rows(tmp_path):
    # a filter after a shift, a window or an expanding sum must not reach
    # the Parquet reader below them: they would see fewer rows
    pdf = pd.DataFrame({"x": np.arange(100), "y": np.arange(100.0) * 2})
    pdf.to_parquet(tmp_path / "a.parquet", row_group_size=10)
    df = partframe.read_parquet(str(tmp_path), split_row_groups=True)
    got = df.assign(z=df.y.shift(3))
    want = pdf.assign(z=pdf.y.shift(3))
    assert_eq(got[got.x > 50], want[want.x > 50], check_index=False)
    got = df.assign(r=df.y.rolling(5).sum(), e=df.y.expanding().max())
    want = pdf.assign(r=pdf.y.rolling(5).sum(), e=pdf.y.expanding().max())
    assert_eq(got[got.x > 80], want[want.x > 80], check_index=False)
    got = df.y.diff(-2)[df.x < 30]
    assert_eq(got, pdf.y.diff(-2)[pdf.x < 30], check_index=False)
