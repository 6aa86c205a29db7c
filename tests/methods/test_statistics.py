"""nunique, unique, value_counts, mode, memory_usage, quantile, describe.

Every result is compared with pandas on the same data (values and dtypes),
over every partitioning of ``frames.make_pdf`` and with ``split_every=2``
so that the combine steps run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as tm
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
QUANTILE_COLUMNS = ["i", "f", "n", "t", "tz"]
INTERPOLATIONS = ["linear", "lower", "higher", "nearest", "midpoint"]
CASES = [(how, "sync") for how in PARTITIONINGS] + [("7", "threads")]


def _assert_array_eq(got, want):
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, np.ndarray):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    else:
        tm.assert_extension_array_equal(got, want)


@pytest.mark.parametrize(("how", "scheduler"), CASES)
def test_nunique(how, scheduler):
    df, pdf = VARIANTS[how]
    for dropna in (True, False):
        for col in COLUMNS:
            got = df[col].nunique(dropna=dropna, split_every=2)
            assert isinstance(got, partframe.Scalar)
            assert_eq(got, pdf[col].nunique(dropna=dropna), scheduler=scheduler)
        got = df.nunique(dropna=dropna, split_every=2)
        assert_eq(got, pdf.nunique(dropna=dropna), scheduler=scheduler)


@pytest.mark.parametrize(("how", "scheduler"), CASES)
def test_unique(how, scheduler):
    df, pdf = VARIANTS[how]
    for col in COLUMNS:
        got = df[col].unique(split_every=2).compute(scheduler=scheduler)
        _assert_array_eq(got, pdf[col].unique())


@pytest.mark.parametrize(("how", "scheduler"), CASES)
def test_value_counts(how, scheduler):
    df, pdf = VARIANTS[how]
    options = [
        {},
        {"dropna": False},
        {"normalize": True},
        {"sort": False, "dropna": False},
        {"ascending": True, "normalize": True, "dropna": False},
    ]
    for col in COLUMNS:
        for kw in options:
            got = df[col].value_counts(split_every=2, **kw)
            assert got.npartitions == 1
            assert_eq(got, pdf[col].value_counts(**kw), scheduler=scheduler)


def test_value_counts_ties_follow_first_appearance():
    # every value twice: pandas keeps the order of first appearance
    values = ["d", "b", "a", "c", "c", "a", "b", "d", None, None]
    ps = pd.Series(values, dtype="str", name="w")
    for nparts in (1, 2, 3, 5, 10):
        s = partframe.from_pandas(ps, npartitions=nparts)
        for kw in ({}, {"dropna": False}, {"ascending": True}):
            assert_eq(s.value_counts(split_every=2, **kw), ps.value_counts(**kw))
    ints = pd.Series([5, 3, 5, 3, 1, 1, 7], dtype="Int64")
    s = partframe.from_pandas(ints, npartitions=3)
    assert_eq(s.value_counts(), ints.value_counts())


OBJECT_MISSING = [
    ["x", np.nan, None, "x", None, "y"],
    [True, None, False, None, np.nan, True],
    [None] * 5,
    [1, 2.5, None, "a", np.nan, 1],
    [2.5, 2.5, None, None],
]


@pytest.mark.parametrize("values", OBJECT_MISSING)
def test_object_missing_labels_kept_as_pandas(values):
    # pandas keeps None, NaN and NA as separate labels of object data, and
    # the label is the object itself (None stays None); merging partitions'
    # counts folded them into one NaN, and [2.5] + [None] became float64.
    ps = pd.Series(values, dtype=object, name="o")
    for nparts in (1, 2, 3, 8):
        s = partframe.from_pandas(ps, npartitions=nparts)
        for kw in ({"dropna": False}, {"dropna": False, "sort": False}, {}):
            assert_eq(s.value_counts(split_every=2, **kw), ps.value_counts(**kw))
        assert_eq(
            s.value_counts(dropna=False, normalize=True),
            ps.value_counts(dropna=False, normalize=True),
        )
        assert_eq(s.nunique(dropna=False), ps.nunique(dropna=False))
        assert_eq(s.mode(dropna=False), ps.mode(dropna=False))
        # a filter leaves partitions holding only numbers or only None
        keep = s.index % 2 == 0
        assert_eq(
            s[keep].value_counts(dropna=False),
            ps[ps.index % 2 == 0].value_counts(dropna=False),
        )


@pytest.mark.parametrize(("how", "scheduler"), CASES)
def test_mode(how, scheduler):
    df, pdf = VARIANTS[how]
    for dropna in (True, False):
        for col in COLUMNS:
            got = df[col].mode(dropna=dropna, split_every=2)
            assert_eq(got, pdf[col].mode(dropna=dropna), scheduler=scheduler)
        # DataFrame.mode pads columns with NaN, so pandas' dtypes depend on
        # the data: compare the computed results directly.
        for kw in ({}, {"numeric_only": True}):
            got = df.mode(dropna=dropna, split_every=2, **kw)
            want = pdf.mode(dropna=dropna, **kw)
            tm.assert_frame_equal(got.compute(scheduler=scheduler), want)


@pytest.mark.parametrize(("how", "scheduler"), CASES)
def test_memory_usage(how, scheduler):
    df, pdf = VARIANTS[how]
    computed = df.compute()
    for deep in (False, True):
        for index in (False, True):
            kw = {"index": index, "deep": deep}
            # the definition: pandas' answer on the computed frame
            assert_eq(df.memory_usage(split_every=2, **kw), computed.memory_usage(**kw))
            for col in COLUMNS if deep and index else ():
                got = df[col].memory_usage(split_every=2, **kw)
                assert_eq(got, computed[col].memory_usage(**kw))
            if how in ("1", "3", "7"):  # from_pandas: equal to the original too
                assert_eq(df.memory_usage(**kw), pdf.memory_usage(**kw))


@pytest.mark.parametrize(("how", "scheduler"), CASES)
def test_quantile_series(how, scheduler):
    df, pdf = VARIANTS[how]
    # many tiny partitions: one interpolation (the kernels are the same)
    methods = INTERPOLATIONS if how in ("3", "7") else ["linear"]
    for col in QUANTILE_COLUMNS:
        for interpolation in methods:
            for q in (0.5, [0.0, 0.1, 0.25, 0.33, 0.9, 1.0]):
                got = df[col].quantile(q, interpolation=interpolation, split_every=2)
                want = pdf[col].quantile(q, interpolation=interpolation)
                assert_eq(got, want, scheduler=scheduler, check_exact=True)


@pytest.mark.parametrize(("how", "scheduler"), CASES)
def test_quantile_frame(how, scheduler):
    df, pdf = VARIANTS[how]
    cases = [
        ([c for c in COLUMNS if c != "b"], {"numeric_only": True}),
        (["i", "f", "n"], {}),
        (QUANTILE_COLUMNS, {}),
        (["f", "t"], {"interpolation": "nearest"}),
    ]
    for cols, kw in cases:
        for q in (0.3, [0.05, 0.5, 0.95]):
            got = df[cols].quantile(q, split_every=2, **kw)
            want = pdf[cols].quantile(q, **kw)
            if isinstance(want, pd.DataFrame) or want.dtype != object:
                assert_eq(got, want, scheduler=scheduler, check_exact=True)
            else:  # mixed datetime and numbers: object values
                tm.assert_series_equal(got.compute(scheduler=scheduler), want)


def test_quantile_nullable_dtype_follows_pandas():
    # Int64 with NA: pandas gives Int64 when the results are integral
    for values, q in (([1, None, 3], 0.5), ([1, None, 4], 0.5), ([1, 2, 3], 0.5)):
        ps = pd.Series(values, dtype="Int64")
        s = partframe.from_pandas(ps, npartitions=2)
        tm.assert_series_equal(s.quantile([q]).compute(), ps.quantile([q]))
    ps = pd.Series([None, None], dtype="Int64")
    s = partframe.from_pandas(ps, npartitions=2)
    tm.assert_series_equal(s.quantile([0.5]).compute(), ps.quantile([0.5]))


def test_quantile_errors_at_plan_time():
    df, _ = VARIANTS["3"]
    with pytest.raises(TypeError, match="column 's'"):
        df[["i", "s"]].quantile()
    with pytest.raises(NotImplementedError, match=r"'c'.*category"):
        df[["i", "c"]].quantile()
    with pytest.raises(TypeError, match="Series 's'"):
        df.s.quantile()
    with pytest.raises(ValueError):
        df.f.quantile(1.5)
    with pytest.raises(ValueError, match="interpolation"):
        df.f.quantile(0.5, interpolation="cubic")


@pytest.mark.parametrize(("how", "scheduler"), CASES)
def test_describe(how, scheduler):
    df, pdf = VARIANTS[how]
    for col in COLUMNS:
        got = df[col].describe(split_every=2)
        assert_eq(got, pdf[col].describe(), scheduler=scheduler, rtol=1e-9)
    cases = [
        {},
        {"include": "all"},
        {"include": ["number"], "percentiles": [0.1, 0.9, 0.5]},
        {"exclude": ["number", "datetime", "datetimetz"]},
        {"include": ["datetime", "datetimetz", "bool"]},
        {"percentiles": []},
    ]
    for kw in cases:
        want = pdf.describe(**kw)
        got = df.describe(split_every=2, **kw).compute(scheduler=scheduler)
        tm.assert_frame_equal(got, want, rtol=1e-9)


@pytest.mark.parametrize(("how", "scheduler"), CASES)
def test_describe_unnamed_series(how, scheduler):
    """An unnamed Series' description is unnamed (not named 0, its column
    in a frame), for every kind of column."""
    df, pdf = VARIANTS[how]
    for col in COLUMNS:
        got = df[col].rename(None).describe(split_every=2)
        want = pdf[col].rename(None).describe()
        assert got.name is None
        assert_eq(got, want, scheduler=scheduler, rtol=1e-9)


def test_describe_errors_at_plan_time():
    df, _ = VARIANTS["3"]
    with pytest.raises(ValueError, match="percentiles"):
        df.f.describe(percentiles=[0.5, 0.5])
    with pytest.raises(ValueError):
        df.describe(include=["complex"])


def test_empty():
    pdf = PDF.iloc[:0]
    df = partframe.from_pandas(pdf, npartitions=2)
    for col in COLUMNS:
        s, ps = df[col], pdf[col]
        assert_eq(s.nunique(), ps.nunique())
        _assert_array_eq(s.unique().compute(), ps.unique())
        assert_eq(s.value_counts(), ps.value_counts())
        assert_eq(s.mode(), ps.mode())
        assert_eq(s.memory_usage(), ps.memory_usage())
        tm.assert_series_equal(s.describe().compute(), ps.describe())
    for col in ["i", "f", "n", "t"]:
        assert_eq(df[col].quantile([0.5]), pdf[col].quantile([0.5]))
    assert_eq(df.nunique(), pdf.nunique())
    tm.assert_frame_equal(df.mode().compute(), pdf.mode())
    tm.assert_frame_equal(df.describe().compute(), pdf.describe())
    tm.assert_frame_equal(
        df.drop(columns="b").quantile([0.5], numeric_only=True).compute(),
        pdf.drop(columns="b").quantile([0.5], numeric_only=True),
    )


def test_all_missing_partitions():
    ps = pd.Series([np.nan, np.nan, 1.0, 2.0, np.nan, np.nan], name="x")
    s = partframe.from_pandas(ps, npartitions=3)
    assert_eq(s.quantile([0.2, 0.8]), ps.quantile([0.2, 0.8]))
    assert_eq(s.value_counts(dropna=False), ps.value_counts(dropna=False))
    assert_eq(s.mode(dropna=False), ps.mode(dropna=False))
    assert_eq(s.describe(), ps.describe())
    allna = pd.Series([np.nan] * 4)
    s = partframe.from_pandas(allna, npartitions=2)
    assert_eq(s.quantile(0.5), allna.quantile(0.5))
    assert_eq(s.mode(), allna.mode())
    assert_eq(s.nunique(), allna.nunique())


def test_projection_pushdown():
    df, _ = VARIANTS["3"]
    cases = {
        "quantile": (df.drop(columns="b").quantile(numeric_only=True), {"i", "f", "n"}),
        "describe": (df.describe(), {"i", "f", "n", "t"}),
        "mode": (df.mode(numeric_only=True), {"i", "f", "n", "b"}),
        "vc": (df.s.value_counts(), {"s"}),
        "nunique": (df[["i", "c"]].nunique(), {"i", "c"}),
    }
    for key, (lazy, expected) in cases.items():
        opt = optimize(lazy.expr, fuse=False)
        needs = column_needs(opt)
        (src,) = [n for n in _walk(opt) if isinstance(n, FromPandas)]
        assert needs[src._name] == expected, key


def _walk(expr):
    from partframe.expr.base import walk

    return list(walk(expr))


def test_processes_scheduler():
    df, pdf = VARIANTS["7"]
    assert_eq(
        df.f.quantile([0.1, 0.5]), pdf.f.quantile([0.1, 0.5]), scheduler="processes"
    )
    assert_eq(df.s.value_counts(), pdf.s.value_counts(), scheduler="processes")


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.integers(min_value=-5, max_value=5), st.just(None)), max_size=40
    ),
    nparts=st.integers(min_value=1, max_value=12),
    split_every=st.integers(min_value=2, max_value=5),
    qs=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=4),
    interpolation=st.sampled_from(INTERPOLATIONS),
)
def test_hypothesis_quantile_value_counts(
    values, nparts, split_every, qs, interpolation
):
    data = [np.nan if v is None else v / 4 for v in values]
    ps = pd.Series(data, name="x", dtype="float64")
    s = partframe.from_pandas(ps, npartitions=nparts)
    got = s.quantile(qs, interpolation=interpolation, split_every=split_every)
    assert_eq(got, ps.quantile(qs, interpolation=interpolation), check_exact=True)
    for kw in ({}, {"dropna": False}, {"normalize": True, "ascending": True}):
        got = s.value_counts(split_every=split_every, **kw)
        assert_eq(got, ps.value_counts(**kw), check_exact=True)
    nullable = ps.astype("Int64") if (ps.dropna() % 1 == 0).all() else None
    if nullable is not None:
        n = partframe.from_pandas(nullable, npartitions=nparts)
        got = n.quantile(qs, interpolation=interpolation, split_every=split_every)
        tm.assert_series_equal(
            got.compute(), nullable.quantile(qs, interpolation=interpolation)
        )
        assert_eq(n.value_counts(dropna=False), nullable.value_counts(dropna=False))


@pytest.mark.parametrize("split_out", [2, 5])
def test_value_counts_and_nunique_split_out(split_out):
    rng = np.random.default_rng(3)
    s = pd.Series(rng.integers(0, 300, 2000), name="v")
    s[::17] = np.nan
    ds = partframe.from_pandas(s, npartitions=6)
    counts = ds.value_counts(split_out=split_out)
    assert counts.npartitions == split_out
    assert_eq(counts, s.value_counts(), sort_results=True, check_divisions=False)
    assert ds.nunique(split_out=split_out).compute() == s.nunique()
    assert ds.nunique(split_out=split_out, dropna=False).compute() == s.nunique(
        dropna=False
    )
