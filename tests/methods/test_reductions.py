"""Reductions against pandas: values and dtypes, every partitioning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, make_pdf, variant
from hypothesis import given, settings
from hypothesis import strategies as st

import partframe
from partframe.expr.optimize import column_needs, optimize
from partframe.expr.sources import FromPandas
from partframe.testing import assert_eq

PDF = make_pdf()
VARIANTS = {how: variant(PDF, how) for how in PARTITIONINGS}
COLUMNS = list(PDF.columns)
SIMPLE = ["sum", "prod", "min", "max", "count", "any", "all"]
MOMENTS = ["mean", "var", "std", "sem"]
IDX = ["idxmin", "idxmax"]


def _call(obj, op, **kwargs):
    return getattr(obj, op)(**kwargs)


def _expected(obj, op, **kwargs):
    """pandas' answer, or the exception type it raises."""
    try:
        return _call(obj, op, **kwargs), None
    except (TypeError, ValueError) as err:
        return None, type(err)


def _kwargs(op, skipna):
    return {} if op == "count" else {"skipna": skipna}


@pytest.mark.parametrize(
    ("how", "scheduler"), [(how, "sync") for how in PARTITIONINGS] + [("7", "threads")]
)
@pytest.mark.parametrize("op", SIMPLE + MOMENTS + IDX)
def test_series_reductions(op, how, scheduler):
    df, pdf = VARIANTS[how]
    for col in COLUMNS:
        for skipna in (True, False):
            kw = _kwargs(op, skipna)
            want, err = _expected(pdf[col], op, **kw)
            if err is not None:
                if len(pdf) == len(PDF):  # the user's error, raised at plan time
                    with pytest.raises(err):
                        _call(df[col], op, **kw).compute(scheduler=scheduler)
                continue
            got = _call(df[col], op, split_every=2, **kw)
            assert isinstance(got, partframe.Scalar)
            # idx labels: the scalar type follows each partition's own index
            assert_eq(got, want, scheduler=scheduler, check_dtype=op not in IDX)


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("op", SIMPLE + MOMENTS + IDX)
def test_frame_reductions(op, how):
    df, pdf = VARIANTS[how]
    numeric = ["i", "f", "n", "b"]
    cases = [
        (numeric, {}),
        (COLUMNS, {"numeric_only": True}),
        (["s", "t", "tz"], {}),
        (["i", "t"], {}),
    ]
    for cols, extra in cases:
        if op in ("any", "all") and extra:
            extra = {"bool_only": True}
        for skipna in (True, False):
            kw = {**_kwargs(op, skipna), **extra}
            want, err = _expected(pdf[cols], op, **kw)
            if err is not None:
                if len(pdf) == len(PDF):
                    with pytest.raises(err):
                        _call(df[cols], op, **kw).compute()
                continue
            got = _call(df[cols], op, split_every=2, **kw)
            assert isinstance(got, partframe.Series)
            assert got.npartitions == 1
            assert_eq(got, want)


@pytest.mark.parametrize("op", SIMPLE + MOMENTS)
def test_rowwise(op):
    df, pdf = VARIANTS["empty-parts"]
    cols = ["i", "f", "n", "b"]
    assert_eq(_call(df[cols], op, axis=1), _call(pdf[cols], op, axis=1))


@pytest.mark.parametrize("op", ["sum", "mean", "min", "count", "var", "idxmax"])
def test_processes_scheduler(op):
    df, pdf = VARIANTS["7"]
    cols = ["i", "f", "n"]
    assert_eq(_call(df[cols], op), _call(pdf[cols], op), scheduler="processes")
    assert_eq(_call(df.f, op), _call(pdf.f, op), scheduler="processes")


def test_plan_time_errors_name_the_column():
    df, _ = VARIANTS["3"]
    with pytest.raises(TypeError, match=r"'s'.*str"):
        df.s.mean()
    with pytest.raises(TypeError, match="column 'c' of dtype category"):
        df[["i", "c"]].sum()
    with pytest.raises(TypeError, match="column 's'"):
        df[["i", "s"]].var()
    with pytest.raises(TypeError, match="numeric_only"):
        df.mean()
    with pytest.raises(TypeError):
        df.c.cumsum()
    with pytest.raises(ValueError, match="axis"):
        df.sum(axis=2)


def test_min_count():
    pdf = pd.DataFrame(
        {"x": [1.0, np.nan, np.nan, 2.0], "y": pd.array([1, 2, 3, 4], dtype="Int64")}
    )
    df = partframe.from_pandas(pdf, npartitions=3)
    for mc in (0, 1, 2, 3):
        assert_eq(df.sum(min_count=mc), pdf.sum(min_count=mc))
        assert_eq(df.y.prod(min_count=mc), pdf.y.prod(min_count=mc))
    assert_eq(df.x.sum(min_count=3), pdf.x.sum(min_count=3))
    assert_eq(df.y.sum(min_count=5), pdf.y.sum(min_count=5))


def test_ddof():
    df, pdf = VARIANTS["7"]
    for ddof in (0, 1, 2):
        assert_eq(df.f.var(ddof=ddof), pdf.f.var(ddof=ddof))
        assert_eq(df[["i", "n"]].std(ddof=ddof), pdf[["i", "n"]].std(ddof=ddof))
        assert_eq(df.n.sem(ddof=ddof), pdf.n.sem(ddof=ddof))


def test_var_large_offset_is_stable():
    rng = np.random.default_rng(1)
    pdf = pd.DataFrame({"x": 1e9 + rng.normal(scale=1e-3, size=1000)})
    df = partframe.from_pandas(pdf, npartitions=13)
    got = df.x.var(split_every=2).compute()
    assert got > 0
    assert_eq(df.x.var(split_every=2), pdf.x.var(), rtol=1e-6)
    assert_eq(df.std(split_every=3), pdf.std(), rtol=1e-6)


def test_empty_frame():
    pdf = PDF.iloc[:0]
    df = partframe.from_pandas(pdf, npartitions=2)
    num = ["i", "f", "n", "b"]
    for op in ["sum", "prod", "count", "mean", "var", "min", "max", "any", "all"]:
        if op not in ("min", "max"):  # pandas: Float64 when empty, else object
            assert_eq(_call(df[num], op), _call(pdf[num], op))
        assert_eq(_call(df.f, op), _call(pdf.f, op))
    assert_eq(df.n.sum(), pdf.n.sum())


def test_lazy_scalars_in_expressions():
    df, pdf = VARIANTS["3"]
    assert_eq(df[df.i > df.i.mean()], pdf[pdf.i > pdf.i.mean()])
    assert_eq(df.f - df.f.mean(), pdf.f - pdf.f.mean())
    assert_eq(df.i.sum() / df.i.count(), pdf.i.sum() / pdf.i.count())
    assert_eq((df.f - df.f.mean()) / df.f.std(), (pdf.f - pdf.f.mean()) / pdf.f.std())
    assert_eq(df.f.max() - df.f.min(), pdf.f.max() - pdf.f.min())


def test_projection_pushdown():
    df, _ = VARIANTS["3"]
    cases = {
        "f": df.f.sum(),
        "i": df.i.var(),
        "n": df.n.idxmin(),
        "numeric": df.sum(numeric_only=True),
        "count": df[["i", "s"]].count(),
    }
    expected = {
        "f": {"f"},
        "i": {"i"},
        "n": {"n"},
        "numeric": {"i", "f", "n", "b"},
        "count": {"i", "s"},
    }
    for key, lazy in cases.items():
        opt = optimize(lazy.expr, fuse=False)
        needs = column_needs(opt)
        (src,) = [n for n in _walk(opt) if isinstance(n, FromPandas)]
        assert needs[src._name] == expected[key], key


def _walk(expr):
    from partframe.expr.base import walk

    return list(walk(expr))


@settings(max_examples=30, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.floats(min_value=-1e6, max_value=1e6), st.just(float("nan"))),
        max_size=40,
    ),
    nparts=st.integers(min_value=1, max_value=12),
    split_every=st.integers(min_value=2, max_value=5),
    offset=st.sampled_from([0.0, 1e9]),
)
def test_hypothesis_moments(values, nparts, split_every, offset):
    ps = pd.Series(np.asarray(values, dtype="float64") + offset, name="x")
    s = partframe.from_pandas(ps, npartitions=nparts)
    for op in ("sum", "mean", "var", "std"):
        got = _call(s, op, split_every=split_every).compute()
        want = _call(ps, op)
        if np.isnan(want):
            assert np.isnan(got)
        else:
            scale = max(1.0, float(np.abs(ps).max()) if len(ps) else 1.0)
            tol = 1e-9 * scale * (scale if op == "var" else 1.0)
            assert abs(got - want) <= tol + 1e-9 * abs(want), (op, got, want)


# -- axis=None reduces every value to one scalar (pandas 3; issue 13) --------


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize(
    "op", ["sum", "prod", "min", "max", "any", "all", "mean", "var", "std", "sem"]
)
def test_frame_reduction_axis_none(op, scheduler):
    pdf = make_pdf(30)
    small = pdf[["i", "f"]].assign(f=lambda d: d.f.round(1))
    frames = [small, pdf[["i", "b"]], pdf[["n", "f"]].head(0), pdf[["i"]]]
    for frame in frames:
        for how in PARTITIONINGS:
            ddf, p = variant(frame, how)
            # Ints mixed with bools are object values in pandas: its prod
            # returns a Python int (partframe an equal numpy int64), and
            # which of the equal 0 and False min returns is not the same.
            exact = not (op in ("prod", "min", "max") and "b" in frame.columns)
            assert_eq(
                getattr(ddf, op)(axis=None), getattr(p, op)(axis=None),
                check_dtype=exact, scheduler=scheduler,
            )  # fmt: skip
    ddf, p = variant(pdf[["i", "f", "s"]], "3")
    if op in ("sum", "prod", "mean", "var", "std", "sem"):
        assert_eq(
            getattr(ddf, op)(axis=None, numeric_only=True),
            getattr(p, op)(axis=None, numeric_only=True),
        )
    if op in ("sum", "prod"):
        ddf, p = variant(small, "3")
        for n in (1, 1000):
            assert_eq(
                getattr(ddf, op)(axis=None, min_count=n),
                getattr(p, op)(axis=None, min_count=n),
            )


def test_frame_reduction_axis_none_strings_and_errors():
    pdf = make_pdf(30)[["s"]]
    ddf, p = variant(pdf, "3")
    assert_eq(ddf.min(axis=None), p.min(axis=None))
    with pytest.raises(ValueError, match="No axis named None"):
        ddf.count(axis=None)
    with pytest.raises(TypeError, match="mean"):
        ddf.mean(axis=None)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("how", PARTITIONINGS)
def test_series_numeric_only_keeps_a_datetime_series(how, scheduler):
    """A Series ignores ``numeric_only`` where pandas accepts it (a datetime
    Series' std is a Timedelta), so the result's dtype must too."""
    pdf = PDF[["t", "tz"]].copy()
    pdf.loc[pdf.index[:4], "t"] = pd.NaT
    ddf, expected = variant(pdf, how)
    for col in ("t", "tz"):
        for op in ("std", "mean", "min", "max"):
            for skipna in (True, False):
                kwargs = {"numeric_only": True, "skipna": skipna}
                assert_eq(
                    getattr(ddf[col], op)(**kwargs),
                    getattr(expected[col], op)(**kwargs),
                    scheduler=scheduler,
                )


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("how", PARTITIONINGS)
def test_index_reductions(how, scheduler):
    """An Index reduces its labels as pandas (min/max), and counts the
    non-missing ones as Dask's ``Index.count`` (pandas: ``notna().sum()``)."""
    for index in (
        pd.Index(np.where(np.arange(30) % 7 == 0, np.nan, np.arange(30.0) * 2)),
        pd.date_range("2024", periods=30, freq="5h"),
        pd.Index([f"k{i:02}" for i in range(30)]),
    ):
        ddf, expected = variant(PDF[["i"]].set_axis(index), how)
        for split_every in (None, 2):
            for op in ("min", "max"):
                assert_eq(
                    getattr(ddf.index, op)(split_every=split_every),
                    getattr(expected.index, op)(),
                    scheduler=scheduler,
                )
            assert_eq(
                ddf.index.count(split_every=split_every),
                expected.index.notna().sum(),
                scheduler=scheduler,
            )


_REPEATED = pd.DataFrame(
    {
        "a": [1, 3, 5, 7, 2, 4],
        "b": list("abcdef"),
        "c": [2.0, 4.0, None, 1.5, 0.5, 3.0],
        "d": [True, False, True, True, False, True],
    }
).set_axis(["x", "x", "y", "z"], axis=1)


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize(
    "call",
    [
        lambda d: d.sum(numeric_only=True),
        lambda d: d.mean(numeric_only=True),
        lambda d: d.std(numeric_only=True),
        lambda d: d.min(numeric_only=True),
        lambda d: d.max(),
        lambda d: d.count(),
        lambda d: d.nunique(),
        lambda d: d.any(bool_only=True),
        lambda d: d.sum(axis=None, numeric_only=True),
        lambda d: d.describe(),
        lambda d: d.describe(include="all"),
    ],
    ids=[
        "sum", "mean", "std", "min", "max", "count", "nunique", "any-bool",
        "sum-all-values", "describe", "describe-all",
    ],
)  # fmt: skip
def test_reductions_of_repeated_labels(how, call):
    # labels cannot say which of two "x" columns numeric_only keeps: the
    # reduction selects the columns by position
    ddf, pdf = variant(_REPEATED, how)
    assert_eq(call(ddf), call(pdf))


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("q", [0.5, [0.25, 0.5]])
def test_quantile_of_repeated_labels(how, q):
    # (pandas cannot take quantiles of the bool column)
    ddf, pdf = variant(_REPEATED.iloc[:, :3], how)
    assert_eq(ddf.quantile(q, numeric_only=True), pdf.quantile(q, numeric_only=True))
