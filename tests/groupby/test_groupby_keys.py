"""Groupby where the keys are also values or come in pandas' other forms:
key columns selected or aggregated explicitly, ``pandas.Grouper`` keys,
list-like selections (Index, Series, array), and the arguments ``agg``
passes on to its functions (and Dask's ``shuffle_method``). Each against
pandas over the partitionings of ``frames.py`` and two schedulers."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, make_pdf, variant

import partframe
from partframe.testing import assert_eq

SCHEDULERS = ["sync", "threads"]
# every partitioning on the sync scheduler, two of them on threads too
RUNS = [(how, "sync") for how in PARTITIONINGS] + [
    ("7", "threads"),
    ("empty-parts", "threads"),
]


@pytest.fixture(scope="module")
def pdf():
    # small: "more-than-rows" has a partition per row, and every case runs
    # a shuffle over them
    return make_pdf(12)


def _check(fn, ddf, pdf, scheduler, **kw):
    with warnings.catch_warnings():
        # pandas warns about some of these calls (e.g. apply on a key
        # column); partframe runs the same calls on a stand-in and per
        # partition, so the warnings are pandas' own
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        expected = fn(pdf)
        got = fn(ddf)
    assert_eq(got, expected, scheduler=scheduler, **kw)


# pandas aggregates a key column a selection or a spec names explicitly
KEY_AS_VALUE = [
    lambda d, kw: d.groupby(["i", "s"], **kw).agg(
        {"s": "count", "i": "mean", "f": ["min", "max"]}
    ),
    lambda d, kw: d.groupby(["i", "s"], **kw).agg({"i": ["sum", "max"], "f": "sum"}),
    lambda d, kw: d.groupby("i", **kw)["i"].agg(["min", "max"]),
    lambda d, kw: d.groupby("i", **kw)[["i", "f"]].agg(["min", "max"]),
    lambda d, kw: d.groupby("i", **kw)[["i"]].sum(),
    lambda d, kw: d.groupby("i", **kw).i.max(),
    lambda d, kw: d.groupby(["i", "s"], **kw)[["i", "s", "f"]].count(),
    lambda d, kw: d.groupby("i", **kw)[["i", "s"]].nunique(),
    lambda d, kw: d.groupby("i", **kw)[["i", "f"]].var(),
    lambda d, kw: d.groupby("s", **kw)[["s", "f"]].first(),
    lambda d, kw: d.groupby("i", **kw).agg(x=("i", "sum"), y=("f", "mean")),
    lambda d, kw: d.groupby("i", **kw)[["i", "f"]].median(),
    lambda d, kw: d.groupby(["i", "s"], **kw)[["i", "f"]].median(),
    lambda d, kw: d.groupby(["i", "s"], **kw)[["i", "f"]].agg(["first", "median"]),
    lambda d, kw: d.groupby(["i", "s"], **kw).agg(s=("s", "first"), m=("f", "sum")),
    lambda d, kw: d.groupby("i", **kw)["i"].apply(lambda x: x.sum()),
    lambda d, kw: d.groupby(["i", "s"], **kw)[["i", "f"]].apply(lambda x: x.sum()),
    lambda d, kw: d.groupby("i", **kw)["i"].value_counts(),
    lambda d, kw: d.groupby("i", **kw)["i"].cumsum(),
    lambda d, kw: d.groupby(["i", "b"], **kw)[["i", "b"]].cumcount(),
    lambda d, kw: d.groupby(["i", "b"], **kw)[["i", "f"]].cumprod(),
    lambda d, kw: d.groupby("i", **kw)[["i", "f"]].shift(),
    lambda d, kw: d.groupby("i", **kw)[["i", "f"]].head(2),
    lambda d, kw: d.groupby("i", **kw)["i"].transform("sum"),
]


@pytest.mark.parametrize(("how", "scheduler"), RUNS)
@pytest.mark.parametrize(
    "kw", [{}, {"sort": False}, {"as_index": False}], ids=["sort", "unsorted", "flat"]
)
def test_key_column_as_value(pdf, how, kw, scheduler):
    """A key selected, or named in an agg spec, is aggregated as pandas
    does; with ``as_index=False`` pandas inserts no column for a key whose
    label an output has (the top level of a MultiIndex label too)."""
    ddf, p = variant(pdf, how)
    for fn in KEY_AS_VALUE:
        # shuffle-based results with sort=False come in another group order
        _check(lambda d, fn=fn: fn(d, kw), ddf, p, scheduler, sort_results=bool(kw))


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("split_out", [2, 3])
def test_key_column_as_value_split_out(pdf, split_out, scheduler):
    cases = [
        lambda d, so: d.groupby(["i", "s"]).agg(
            {"s": "count", "i": "mean", "f": ["min", "max"]}, **so
        ),
        lambda d, so: d.groupby("i")[["i", "f"]].agg(["min", "max"], **so),
        lambda d, so: d.groupby(["i", "b"])[["i", "b"]].sum(**so),
        lambda d, so: d.groupby("i").agg(x=("i", "sum"), y=("f", "mean"), **so),
        lambda d, so: d.groupby(["i", "s"], as_index=False).agg(
            {"i": ["sum", "max"], "f": "sum"}, **so
        ),
        lambda d, so: d.groupby(["i", "s"], as_index=False)[["i", "f"]].median(**so),
    ]
    for how in ("7", "empty-parts"):
        ddf, p = variant(pdf, how)
        for fn in cases:
            _check(
                lambda d, fn=fn: fn(
                    d, {} if isinstance(d, pd.DataFrame) else {"split_out": split_out}
                ),
                ddf,
                p,
                scheduler,
            )


def test_key_of_another_frame_is_no_column(pdf):
    """Only the frame's own columns may be selected: a key Series from
    elsewhere (held in an internal column) is not one."""
    ddf = partframe.from_pandas(pdf, npartitions=3)
    g = ddf.groupby(ddf.i + 1)
    with pytest.raises(KeyError, match="not found"):
        g["__pf_by_0"]
    with pytest.raises(KeyError, match="'x'"):
        ddf.groupby("i")[["f", "x"]]


@pytest.fixture(scope="module")
def grouper_pdf():
    return pd.DataFrame(
        {
            "k": ["b", "a", None, "b", "c"] * 4,
            "k2": [2, 1, 2, 2, 1] * 4,
            "v": range(20),
        },
        index=pd.Index(range(20), name="ix"),
    )


GROUPERS = [
    lambda d: d.groupby(pd.Grouper(key="k")).v.sum(),
    lambda d: d.groupby(pd.Grouper(key="k", sort=True), sort=False).v.sum(),
    lambda d: d.groupby(pd.Grouper(key="k", dropna=False)).v.sum(),
    lambda d: d.groupby(pd.Grouper(key="k", sort=True), dropna=False).sum(),
    lambda d: d.groupby(["k2", pd.Grouper(key="k", dropna=False)]).v.sum(),
    lambda d: d.groupby(["k2", pd.Grouper(key="k")], sort=False).v.sum(),
    lambda d: d.groupby([pd.Grouper(key="k"), "k2"], dropna=False).v.mean(),
    lambda d: d.groupby(pd.Grouper(key="k"), as_index=False).v.sum(),
    lambda d: d.groupby(pd.Grouper(level="ix")).v.sum(),
    lambda d: d.groupby(pd.Grouper(level=0, sort=True)).v.cumsum(),
    lambda d: d.groupby(["k", pd.Grouper(level="ix")]).v.max(),
]


@pytest.mark.parametrize(("how", "scheduler"), RUNS)
def test_pandas_grouper_key(grouper_pdf, how, scheduler):
    """``pd.Grouper(key=...)`` / ``(level=...)`` group as the column or level
    does; a lone Grouper's own ``sort`` (False by default) and ``dropna``
    override the groupby's, in a list the groupby's apply, as in pandas."""
    ddf, p = variant(grouper_pdf, how)
    for fn in GROUPERS:
        _check(fn, ddf, p, scheduler)
    median = lambda d: d.groupby(pd.Grouper(key="k")).v.median()  # noqa: E731
    # a shuffle-based result with sort=False comes in another group order
    _check(median, ddf, p, scheduler, sort_results=True)


def test_pandas_grouper_unsupported(grouper_pdf):
    """What partframe does not compute is refused before any work, naming
    the Grouper and the way around."""
    ddf = partframe.from_pandas(grouper_pdf.assign(t=pd.Timestamp(0)), 2)
    with pytest.raises(NotImplementedError, match=r"freq=.*dt\.floor"):
        ddf.groupby(pd.Grouper(key="t", freq="D"))
    with pytest.raises(NotImplementedError, match="neither key= nor level="):
        ddf.groupby(pd.Grouper())
    with pytest.raises(NotImplementedError, match="sort=True to the groupby"):
        ddf.groupby(["k2", pd.Grouper(key="k", sort=True)], sort=False)
    with pytest.raises(KeyError, match="'nope'"):
        ddf.groupby(pd.Grouper(key="nope"))


@pytest.mark.parametrize(("how", "scheduler"), RUNS)
def test_list_like_selection(how, scheduler):
    """A selection by an Index, a Series (its values) or an array selects
    those columns, as a list does."""
    pdf = pd.DataFrame(
        {
            "key1": ["a", "b", "a", "c"] * 3,
            "key2": ["c", "c", "d", "d"] * 3,
            "value": range(12),
            3: range(12),
        }
    )
    ddf, p = variant(pdf, how)
    keys = [pd.Index(["value"]), pd.Series(["value", 3]), np.array(["value"]), (3,)]
    for by in ("key1", ["key1", "key2"]):
        for key in keys:
            fn = lambda d, by=by, key=key: d.groupby(by)[key].count()  # noqa: E731
            _check(fn, ddf, p, scheduler)


@pytest.mark.parametrize(("how", "scheduler"), RUNS)
def test_agg_passes_arguments_to_functions(pdf, how, scheduler):
    """pandas passes ``agg``'s extra arguments and keywords to a function
    name or a list of them (and ignores keywords with a dict); partframe
    did drop them, which gave ``ddof=1`` variances for ``ddof=0``."""
    ddf, p = variant(pdf, how)
    cases = [
        lambda d: d.groupby("i")[["f", "n", "i"]].agg("var", ddof=0),
        lambda d: d.groupby("i")[["f", "n"]].agg(["var", "std"], ddof=0),
        lambda d: d.groupby("i").f.agg("sum", min_count=3),
        lambda d: d.groupby("i")[["f"]].agg("quantile", 0.25),
        lambda d: d.groupby("i").agg({"f": "var"}, ddof=0),
    ]
    for fn in cases:
        _check(fn, ddf, p, scheduler)


@pytest.mark.parametrize(("how", "scheduler"), RUNS)
@pytest.mark.parametrize(
    "kw",
    [
        {"shuffle_method": True},
        {"shuffle_method": False},
        {"shuffle_method": "tasks", "split_out": 2},
        {"shuffle_method": "disk", "split_out": 3},
    ],
    ids=str,
)
def test_agg_shuffle_method(pdf, how, kw, scheduler):
    """Dask's ``shuffle_method=`` chooses a shuffle instead of a tree
    reduction; the result is pandas' either way, and the keyword is never
    read as a named aggregation."""
    ddf, p = variant(pdf, how)
    cases = [
        lambda d, **k: d.groupby("s").agg({"f": "sum", "n": ["min", "mean"]}, **k),
        lambda d, **k: d.groupby(["s", "i"], sort=False).agg(
            {"f": "sum", "i": "mean"}, **k
        ),
        lambda d, **k: d.groupby("i").agg(
            x=pd.NamedAgg("f", aggfunc="sum"),
            y=pd.NamedAgg("f", aggfunc=partial(np.std, ddof=1)),
            **k,
        ),
        lambda d, **k: d.groupby("i").f.agg(c="count", d="sum", **k),
    ]
    for fn in cases:
        _check(
            lambda d, fn=fn: fn(d, **({} if isinstance(d, pd.DataFrame) else kw)),
            ddf,
            p,
            scheduler,
            sort_results=True,
        )


def test_agg_argument_errors(pdf):
    ddf = partframe.from_pandas(pdf, npartitions=3)
    with pytest.raises(ValueError, match="shuffle_method must be"):
        ddf.groupby("i").agg("sum", shuffle_method="p2p")
    mean = partframe.Aggregation(
        "my_mean",
        chunk=lambda s: (s.count(), s.sum()),
        combine=lambda c, t: (c.sum(), t.sum()),
        finalize=lambda c, t: t / c,
    )
    with pytest.raises(TypeError, match="custom Aggregation 'my_mean'"):
        ddf.groupby("i").f.agg(mean, ddof=0)


@pytest.mark.parametrize("how", PARTITIONINGS)
def test_group_by_the_lazy_index(how):
    """groupby(df.index) groups by the labels, as pandas (a lazy Index key
    was compared with the column names, which raised: an Index compared
    with a value is a lazy Array)."""
    pdf = pd.DataFrame(
        {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "b": [4, 5, 6, 3, 2, 1, 0, 0, 0]},
        index=pd.Index([0, 1, 3, 5, 6, 8, 9, 10, 12], name="ix") // 2,
    )  # repeated labels: groups of several rows
    # (variant's filtered frames select rows by label, so they are cut here)
    ddf, p = (
        variant(pdf, how)
        if how in ("1", "3", "7")
        else (partframe.from_pandas(pdf, npartitions=12), pdf)
    )
    assert_eq(ddf.groupby(ddf.index).b.mean(), p.groupby(p.index).b.mean())
    assert_eq(ddf.groupby(ddf.index).sum(), p.groupby(p.index).sum())
    assert_eq(ddf.groupby([ddf.index, "b"]).a.sum(), p.groupby([p.index, "b"]).a.sum())
    assert_eq(ddf.a.groupby(ddf.index).max(), p.a.groupby(p.index).max())
    by_a, p_a = ddf.set_index("a"), p.set_index("a")
    assert_eq(by_a.groupby(by_a.index).b.sum(), p_a.groupby(p_a.index).b.sum())


def test_shift_meta_accepted_and_freq_refused():
    pdf = pd.DataFrame(
        {"a": [1, 2, 3, 4, 5, 6], "b": [0, 0, 0, 1, 1, 1]},
        index=pd.date_range("2010-01-01", periods=6),
    )
    ddf = partframe.from_pandas(pdf, npartitions=3)
    want = pdf.groupby("b").shift(-2)
    assert_eq(ddf.groupby("b").shift(-2, meta=want), want)
    # pandas moves the index labels with freq=; partframe crashed or gave
    # partitions outside their divisions, so it refuses
    with pytest.raises(NotImplementedError, match="freq"):
        ddf.groupby("b").shift(-2, freq="D")
    with pytest.raises(NotImplementedError, match="freq"):
        ddf.groupby("b").a.shift(1, freq="D")


@pytest.mark.parametrize("npartitions", [1, 3, 40, 300])
@pytest.mark.parametrize("dropna", [True, False])
def test_unsorted_groups_in_order_of_first_appearance(npartitions, dropna):
    # sort=False: pandas gives the groups in order of first appearance; the
    # default split_out of several keys stays one output then (outputs
    # split by hash would not keep that order)
    rng = np.random.default_rng(0)
    n = 300
    pdf = pd.DataFrame(
        {
            "a": rng.integers(0, 4, n),
            "b": pd.array(rng.choice(["x", "y", "z"], n), dtype="str"),
            "c": rng.choice([1.0, np.nan], n),
            "x": rng.random(n),
        }
    )
    df = partframe.from_pandas(pdf, npartitions=npartitions)
    for keys in (["a", "b"], ["a", "c"], ["b", "a", "c"]):
        got = df.groupby(keys, sort=False, dropna=dropna).x.agg(["sum", "count"])
        want = pdf.groupby(keys, sort=False, dropna=dropna).x.agg(["sum", "count"])
        for scheduler in ("sync", "threads"):
            assert_eq(got, want, scheduler=scheduler)


@pytest.mark.parametrize("nparts", [1, 5, 50])
def test_groupby_by_a_key_of_the_unfiltered_frame(nparts):
    # pandas aligns the key Series on the filtered frame's index; so does
    # partframe (Dask raises ValueError for this)
    rng = np.random.default_rng(4)
    pdf = pd.DataFrame(
        {
            "a": rng.integers(0, 10, 50),
            "b": rng.normal(size=50),
            "c": rng.normal(size=50),
        }
    )
    ddf = partframe.from_pandas(pdf, npartitions=nparts)
    kept, dkept = pdf[pdf.b < 0.5], ddf[ddf.b < 0.5]
    g, pg = dkept.groupby(ddf.a), kept.groupby(pdf.a)
    s, ps = dkept.b.groupby(ddf.a), kept.b.groupby(pdf.a)
    key = kept.a.iloc[0]
    assert_eq(g.mean(), pg.mean())
    assert_eq(g.var(), pg.var())
    assert_eq(g.b.nunique(), pg.b.nunique())
    assert_eq(g.get_group(key), pg.get_group(key))
    assert_eq(s.mean(), ps.mean())
    assert_eq(s.nunique(), ps.nunique())
    assert_eq(s.get_group(key), ps.get_group(key))
