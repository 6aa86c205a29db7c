"""Groupby against pandas: aggregations, split_out, shuffle-based operations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, make_pdf, variant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import partframe
from partframe.testing import assert_eq

AGGS = [
    "sum", "count", "size", "mean", "var", "std", "sem", "prod", "min", "max",
    "first", "last", "nunique", "any", "all", "idxmin", "idxmax",
]  # fmt: skip
KEYS = ["i", "s", ["s", "i"], "c", "n", "t", "b"]


def check(fn, df, pdf, **kw):
    """``fn(df)`` equals ``fn(pdf)``, or both raise the same error type."""
    try:
        expected = fn(pdf)
    except Exception as err:
        with pytest.raises(type(err)):
            fn(df).compute(scheduler="sync")
        return
    assert_eq(fn(df), expected, **kw)


@pytest.fixture(scope="module")
def pdf():
    return make_pdf()


CASES = [(how, key) for how in ["1", "7", "empty-parts"] for key in KEYS] + [
    ("more-than-rows", "i"),
    ("more-than-rows", ["s", "i"]),
]


@pytest.mark.parametrize(("how", "key"), CASES, ids=str)
def test_every_aggregation(pdf, how, key):
    df, p = variant(pdf, how)
    for agg in AGGS:
        check(lambda d, agg=agg: getattr(d.groupby(key), agg)(), df, p)


@pytest.mark.parametrize("how", PARTITIONINGS)
def test_agg_forms(pdf, how):
    df, p = variant(pdf, how)
    check(lambda d: d.groupby("i").agg("mean"), df, p)
    check(lambda d: d.groupby("i")[["f", "n"]].agg(["sum", "mean", "std"]), df, p)
    check(lambda d: d.groupby("s").agg({"f": ["sum", "var"], "n": "max"}), df, p)
    check(lambda d: d.groupby("s").agg({"f": "sum", "t": "min"}), df, p)
    check(
        lambda d: d.groupby("s").agg(a=("f", "sum"), b=("n", "mean"), c=("t", "max")),
        df,
        p,
    )
    check(lambda d: d.groupby("i").f.agg(["min", "max", "count"]), df, p)
    check(lambda d: d.groupby(["s", "i"], as_index=False).f.sum(), df, p)
    check(lambda d: d.groupby("s", as_index=False).size(), df, p)
    check(lambda d: d.groupby("s", sort=False).f.sum(), df, p)
    check(lambda d: d.groupby("i").t.mean(), df, p)  # datetimes: via shuffle
    check(lambda d: d.groupby("n", dropna=False).f.sum(), df, p)
    check(
        lambda d: d.groupby("n", dropna=False)[["i", "f"]].agg(["mean", "last"]), df, p
    )
    check(lambda d: d.groupby("i").var(ddof=0), df[["i", "f", "n"]], p[["i", "f", "n"]])
    check(lambda d: d.f.groupby(d.i).sum(), df, p)
    check(lambda d: d.groupby(d.i % 3).f.mean(), df, p)


@pytest.mark.parametrize("observed", [True, False])
def test_categorical_keys(pdf, observed):
    df, p = variant(pdf[pdf.c != "x"], "3")
    fn = lambda d: d.groupby("c", observed=observed).f.agg(["sum", "count", "mean"])  # noqa: E731
    check(fn, df, p)
    check(lambda d: d.groupby(["c", "b"], observed=observed).n.sum(), df, p)


def test_float_keys_with_nan():
    pdf = pd.DataFrame({"k": [1.0, np.nan, 2.0, np.nan, 1.0], "x": [1, 2, 3, 4, 5]})
    df = partframe.from_pandas(pdf, npartitions=3)
    for dropna in (True, False):
        check(
            lambda d, dn=dropna: d.groupby("k", dropna=dn).x.agg(["sum", "mean"]),
            df,
            pdf,
        )


def test_values_of_nullable_and_string_dtypes(pdf):
    df, p = variant(pdf, "3")
    for agg in ["sum", "min", "max", "first", "last", "count", "nunique"]:
        check(lambda d, agg=agg: getattr(d.groupby("i")[["n", "s", "t"]], agg)(), df, p)


def test_level_and_series_groupby(pdf):
    p = pdf.set_index("i").sort_index(kind="stable")
    df = partframe.from_pandas(p, npartitions=4)
    check(lambda d: d.groupby(level=0).f.sum(), df, p)
    check(lambda d: d.groupby(level="i")[["f", "n"]].mean(), df, p)
    check(lambda d: d.f.groupby(level=0).agg(["max", "var"]), df, p)
    check(lambda d: d.groupby(level=0).f.cumsum(), df, p)


def test_single_group_and_all_distinct():
    pdf = pd.DataFrame({"k": [7] * 20, "u": range(20), "x": np.arange(20.0)})
    df = partframe.from_pandas(pdf, npartitions=4)
    check(lambda d: d.groupby("k").x.agg(["sum", "std", "nunique"]), df, pdf)
    check(lambda d: d.groupby("u").x.agg(["sum", "std", "nunique"]), df, pdf)


def test_var_is_stable_near_1e9():
    rng = np.random.default_rng(1)
    pdf = pd.DataFrame(
        {"k": rng.integers(0, 3, 3000), "x": 1e9 + rng.normal(size=3000)}
    )
    df = partframe.from_pandas(pdf, npartitions=10)
    got = df.groupby("k").x.var(split_every=2).compute()
    pd.testing.assert_series_equal(got, pdf.groupby("k").x.var(), rtol=1e-6)
    assert (got > 0.5).all()
    assert_eq(df.groupby("k").x.std(), pdf.groupby("k").x.std(), rtol=1e-6)


def test_custom_aggregation(pdf):
    df, p = variant(pdf, "7")
    mean = partframe.Aggregation(
        "mymean",
        chunk=lambda g: (g.count(), g.sum()),
        combine=lambda c, s: (c.sum(), s.sum()),
        finalize=lambda c, s: s / c,
    )
    assert_eq(df.groupby("i").f.agg(mean), p.groupby("i").f.mean())
    got = df.groupby("i").f.agg([mean, "sum"])
    exp = p.groupby("i").f.agg(["mean", "sum"]).rename(columns={"mean": "mymean"})
    assert_eq(got, exp)


def test_errors_at_plan_time(pdf):
    df = partframe.from_pandas(pdf, npartitions=2)
    with pytest.raises(KeyError, match="nope"):
        df.groupby("nope")
    with pytest.raises(KeyError, match="zz"):
        df.groupby("i")["zz"]
    with pytest.raises(KeyError, match="zz"):
        df.groupby("i").agg({"zz": "sum"})
    with pytest.raises(TypeError, match=r"'s'.*str"):
        df.groupby("i").s.mean()
    with pytest.raises(TypeError, match="'s'"):
        df.groupby("i").mean()


@pytest.mark.parametrize("how", ["3", "empty-parts"])
def test_through_shuffle(pdf, how):
    df, p = variant(pdf, how)
    check(lambda d: d.groupby("i")[["f", "n"]].median(), df, p)
    check(lambda d: d.groupby("s").f.quantile(0.3), df, p)
    check(lambda d: d.groupby("i").apply(lambda g: g.f.sum() + g.n.max()), df, p)
    check(lambda d: d.groupby("i").f.nlargest(2), df, p)
    check(lambda d: d.groupby("i").s.value_counts(), df, p, sort_results=True)
    check(lambda d: d.groupby("i", as_index=False).f.median(), df, p)


@pytest.mark.parametrize("how", PARTITIONINGS)
def test_index_aligned(pdf, how):
    df, p = variant(pdf, how)
    check(lambda d: d.groupby("i")[["f", "n"]].cumsum(), df, p)
    check(lambda d: d.groupby("s").cumcount(), df, p)
    check(lambda d: d.groupby(["s", "b"]).n.cummax(), df, p)
    check(lambda d: d.groupby("i").f.cumprod(), df, p)
    check(lambda d: d.groupby("i").f.cummin(), df, p)
    check(lambda d: d.groupby("i").f.shift(), df, p)
    check(lambda d: d.groupby("i").f.diff(), df, p)
    check(lambda d: d.groupby("i").f.rank(), df, p)
    check(lambda d: d.groupby("i").f.transform("mean"), df, p)
    check(lambda d: d.groupby("i").head(2), df, p)
    check(lambda d: d.groupby("i")[["f"]].tail(1), df, p)
    check(lambda d: d.groupby(d.i % 3).f.cumsum(), df, p)


def test_transform_result_aligns_with_frame(pdf):
    df = partframe.from_pandas(pdf, npartitions=3)
    out = df.assign(cs=df.groupby("i").f.cumsum())
    assert_eq(out, pdf.assign(cs=pdf.groupby("i").f.cumsum()))


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("split_out", [1, 3, True])
def test_split_out(split_out, scheduler):
    rng = np.random.default_rng(0)
    n = 5000
    pdf = pd.DataFrame(
        {
            "a": rng.integers(0, 2000, n),
            "b": pd.array(rng.choice(["x", "y", None], n), dtype="str"),
            "x": rng.normal(size=n),
        }
    )
    df = partframe.from_pandas(pdf, npartitions=6)
    so = {"split_out": split_out}
    cases = [
        (
            df.groupby("a").x.agg(["sum", "var", "nunique"], **so),
            pdf.groupby("a").x.agg(["sum", "var", "nunique"]),
        ),
        (df.groupby(["b", "a"]).x.mean(**so), pdf.groupby(["b", "a"]).x.mean()),
        (
            df.groupby(["b", "a"], as_index=False).x.mean(**so),
            pdf.groupby(["b", "a"], as_index=False).x.mean(),
        ),
        (df.groupby("a").x.median(**so), pdf.groupby("a").x.median()),
    ]
    for got, expected in cases:
        assert_eq(got, expected, scheduler=scheduler, check_divisions=False)
    # sort=False: first-appearance order only within each output partition
    got = df.groupby("a", sort=False).x.sum(**so)
    expected = pdf.groupby("a", sort=False).x.sum()
    assert_eq(got, expected, sort_results=True, scheduler=scheduler)


def test_split_out_does_not_funnel():
    from partframe.graph import get_dependencies

    rng = np.random.default_rng(0)
    pdf = pd.DataFrame({"k": rng.integers(0, 10**6, 20000), "x": 1.0})
    df = partframe.from_pandas(pdf, npartitions=8)
    res = df.groupby("k").x.sum(split_out=4)
    graph = res.__dask_graph__()
    assert len(res.__dask_keys__()) == 4
    # every task of the combine tree reads one output's pieces, never all
    # groups: a task takes at most one piece of each chunk
    for key in graph:
        if isinstance(key, tuple) and str(key[0]).startswith("groupby-agg"):
            deps = get_dependencies(graph, key)
            assert len(deps) <= 8
    parts = (
        [len(p) for p in partframe.compute(*[res.partitions[i] for i in range(4)])]
        if hasattr(res, "partitions")
        else []
    )
    assert all(n < len(pdf.k.unique()) for n in parts)
    assert_eq(res, pdf.groupby("k").x.sum(), check_divisions=False)


def test_processes_scheduler(pdf):
    df, p = variant(pdf, "3")
    assert_eq(
        df.groupby("s").f.agg(["sum", "var"]),
        p.groupby("s").f.agg(["sum", "var"]),
        scheduler="processes",
    )
    assert_eq(
        df.groupby("s").f.cumsum(), p.groupby("s").f.cumsum(), scheduler="processes"
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    keys=st.lists(st.integers(0, 4), min_size=1, max_size=40),
    agg=st.sampled_from(
        [
            "sum",
            "mean",
            "var",
            "min",
            "max",
            "count",
            "nunique",
            "first",
            "last",
            "size",
            "median",
        ]
    ),
    nparts=st.integers(1, 5),
    split_out=st.sampled_from([1, 2]),
)
def test_random_aggregations(keys, agg, nparts, split_out):
    n = len(keys)
    values = np.round(np.sin(np.arange(n)) * 10)
    values[::4] = np.nan
    pdf = pd.DataFrame({"k": keys, "x": values})
    df = partframe.from_pandas(pdf, npartitions=nparts)
    g = df.groupby("k").x
    res = getattr(g, agg)(split_out=split_out) if agg != "median" else g.median()
    assert_eq(res, getattr(pdf.groupby("k").x, agg)(), check_divisions=False)


@pytest.mark.parametrize("sort", [True, False])
@pytest.mark.parametrize("keys", [["s", "i"], ["t", "f", "b"], ["n", "s"]])
def test_several_keys_packed_into_one_code(keys, sort):
    # Chunks pack several key columns into one int64 code (one factorize per
    # column, no compress_group_index): same groups, order and dtypes.
    from tests.frames import make_pdf, variants

    pdf = make_pdf(60)
    pdf["s"] = pdf["s"].where(pdf.index % 7 != 0)  # missing string keys
    pdf["f"] = pdf["f"].round(0)
    for name, ddf, expected in variants(pdf):
        g = ddf.groupby(keys, sort=sort)
        want = expected.groupby(keys, sort=sort)
        agg = {"i": ["sum", "count"], "f": ["mean", "var", "max"], "n": "sum"}
        agg = {c: a for c, a in agg.items() if c not in keys}
        agg["tz"] = ["min", "first"]
        got = g.agg(agg).compute()
        exp = want.agg(agg)
        if not sort:
            got, exp = got.sort_index(), exp.sort_index()
        pd.testing.assert_frame_equal(got, exp, obj=name)
        if sort:
            assert_eq(g.size(), want.size())


def test_meta_cache_keys_on_schema_and_arguments():
    from partframe.groupby import core as gb

    gb._META_CACHE.clear()
    a = pd.DataFrame({"k": [1, 2, 1], "v": [1, 2, 3], "w": [0.5, 1.5, 2.5]})
    b = a.astype({"v": "float64"})
    c = a.rename(columns={"v": 1.0})
    for pdf in [a, b, c, a]:
        df = partframe.from_pandas(pdf, npartitions=2)
        for q in [
            lambda d: d.groupby("k").sum(),
            lambda d: d.groupby("k").agg("max"),
            lambda d: d.groupby("k")[["w"]].sum(),
            lambda d: d.groupby("k", sort=False).var(ddof=0),
            lambda d: d.groupby("k").var(ddof=True),
        ]:
            result = q(df)
            # the plan's meta is pandas' result on the same schema
            assert result._meta.dtypes.equals(q(pdf).dtypes)
            assert list(result._meta.columns) == list(q(pdf).columns)
            assert_eq(result, q(pdf))
    assert 0 < len(gb._META_CACHE) <= 15
    # renaming a result does not touch the cached meta
    df = partframe.from_pandas(a, npartitions=2)
    renamed = df.groupby("k").v.sum().rename("z")
    assert renamed._meta.name == "z"
    assert df.groupby("k").v.sum()._meta.name == "v"


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("split_out", [1, 3])
@pytest.mark.parametrize(
    "by, spec",
    [
        ("i", {"i": ("f", "max")}),
        (["i", "b"], {"i": ("f", "max")}),
        (["i", "b"], {"i": ("f", "max"), "b": ("f", "sum")}),
        ("i", {"i": ("f", "mean"), "x": ("f", "count")}),
    ],
)
def test_as_index_false_output_named_like_a_key(how, split_out, by, spec):
    """pandas inserts no column for a key whose label an output has."""
    ddf, pdf = variant(make_pdf(), how)
    got = ddf.groupby(by, as_index=False, split_out=split_out).agg(**spec)
    want = pdf.groupby(by, as_index=False).agg(**spec)
    assert_eq(got, want, check_index=split_out == 1)


# -- custom Aggregations: labels as pandas gives functions of their names ---------

_CUSTOM_MEAN = partframe.Aggregation(
    "mean",
    chunk=lambda g: (g.count(), g.sum()),
    combine=lambda c, s: (c.sum(), s.sum()),
    finalize=lambda c, s: s / c,
)
# named "sum" but computing the maximum: its column must be told apart from
# the built-in "sum" by position, as pandas tells two same-named functions
_CUSTOM_MAX = partframe.Aggregation(
    "sum", chunk=lambda g: g.max(), combine=lambda m: m.max()
)


def _named(name, func):
    """A pandas function named ``name`` computing what ``func`` does."""

    def f(values):
        return func(values)

    f.__name__ = name
    return f


_PANDAS_MAX = _named("sum", lambda v: v.max())


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize(
    "ours, theirs",
    [
        ([_CUSTOM_MEAN, "max"], ["mean", "max"]),
        ([_CUSTOM_MEAN, _CUSTOM_MAX], ["mean", _PANDAS_MAX]),
        ({"f": [_CUSTOM_MEAN, "sum"]}, {"f": ["mean", "sum"]}),
        ({"f": [_CUSTOM_MAX, "sum"]}, {"f": [_PANDAS_MAX, "sum"]}),
        ({"f": [_CUSTOM_MEAN], "n": _CUSTOM_MAX}, {"f": ["mean"], "n": _PANDAS_MAX}),
    ],
    ids=["list", "two-customs", "dict-list", "same-name-as-builtin", "dict-mixed"],
)
def test_custom_aggregation_labels(how, scheduler, ours, theirs):
    """Output labels are those pandas gives functions of the Aggregations'
    names: ``[mean, sum]`` for two customs, duplicated labels (told apart by
    position) for a custom named like a built-in on the same column."""
    ddf, pdf = variant(make_pdf(), how)
    for split_out in (1, 2):
        got = ddf.groupby("i")[["f", "n"]].agg(ours, split_out=split_out)
        want = pdf.groupby("i")[["f", "n"]].agg(theirs)
        assert_eq(
            got,
            want,
            scheduler=scheduler,
            check_dtype=False,  # a custom mean of Int64 gives float64
            check_index=split_out == 1,
        )
    got = ddf.groupby("i").f.agg(x=_CUSTOM_MEAN, y=_CUSTOM_MAX, z="sum")
    want = pdf.groupby("i").f.agg(x="mean", y="max", z="sum")
    assert_eq(got, want, scheduler=scheduler)
    got = ddf.groupby("i", as_index=False).agg({"f": [_CUSTOM_MAX, "sum"]})
    want = pdf.groupby("i", as_index=False).agg({"f": [_PANDAS_MAX, "sum"]})
    assert_eq(got, want, scheduler=scheduler)


def test_custom_aggregation_errors(pdf):
    df = partframe.from_pandas(pdf, npartitions=3)
    # the same function twice in a list: pandas' own error
    with pytest.raises(pd.errors.SpecificationError, match="unique"):
        pdf.groupby("i").agg(["sum", "sum"])
    with pytest.raises(pd.errors.SpecificationError, match="unique"):
        df.groupby("i")[["f"]].agg([_CUSTOM_MAX, _CUSTOM_MAX])
    # a custom tree reduction cannot share its pass with a shuffle
    with pytest.raises(NotImplementedError, match=r"\('f', 'median'\).*separate"):
        df.groupby("i").agg({"f": [_CUSTOM_MEAN, "median"], "n": "sum"})


# -- the arguments of groupby -------------------------------------------------------


def test_groupby_argument_errors(pdf):
    df = partframe.from_pandas(pdf, npartitions=3)
    s = df.f
    for obj, pobj in [(df, pdf), (s, pdf.f)]:
        for kw in [{"by": []}, {"level": []}]:
            with pytest.raises(ValueError, match="No group keys passed!"):
                pobj.groupby(**kw)
            with pytest.raises(ValueError, match="No group keys passed!"):
                obj.groupby(**kw)
        for kw in [{"axis": 1}, {"squeeze": True}]:  # gone from pandas
            with pytest.raises(TypeError, match=next(iter(kw))):
                pobj.groupby("i", **kw)
            with pytest.raises(TypeError, match=next(iter(kw))):
                obj.groupby("i", **kw)
    with pytest.raises(KeyError):
        pdf.f.groupby("x")
    with pytest.raises(KeyError, match="'x'"):
        s.groupby("x")


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("other", [1, 7, 35])
def test_groupby_series_of_another_partitioning(other, scheduler):
    """Keys from a frame split differently align by index, as in pandas
    (a Series that is not the frame's own column keeps the column); empty
    partitions of the frame take no keys of rows they do not hold."""
    pdf = make_pdf()
    keys = partframe.from_pandas(pdf, npartitions=other)
    copy = pdf.copy()  # pandas drops a key column only for the same object
    cases = [
        lambda d, k: d.groupby(k.i).f.sum(),
        lambda d, k: d.groupby([k.i, k.b]).agg({"f": "mean", "n": "max"}),
        lambda d, k: d.groupby([k.i, "b"])[["f", "i"]].sum(),
        lambda d, k: d.f.groupby(k.i).agg(["sum", "count"]),
        lambda d, k: d.groupby(k.s).f.cumsum(),
        lambda d, k: d.assign(k=k.i),
    ]
    for how in ("3", "empty-parts"):
        ddf, p = variant(pdf, how)
        for fn in cases:
            assert_eq(fn(ddf, keys), fn(p, copy), scheduler=scheduler)


def test_groupby_series_with_unknown_divisions_cannot_align():
    pdf = make_pdf()
    ddf = partframe.from_pandas(pdf, npartitions=3)
    shuffled = partframe.from_pandas(pdf.sample(frac=1, random_state=0), 4, sort=False)
    with pytest.raises(ValueError, match=r"unknown divisions.*sorted index"):
        ddf.groupby(shuffled.i)


def test_split_out_given_to_groupby():
    """``split_out`` (a partframe keyword pandas has not) may be given to
    ``groupby`` itself: it is the default of every aggregation."""
    pdf = pd.DataFrame({"A": [1, 1, 2, 2, 3], "B": [1, 2, 3, 4, 5]})
    ddf = partframe.from_pandas(pdf, npartitions=2)
    got = ddf.groupby("A", sort=False, split_out=3).sum()
    assert got.npartitions == 3
    assert_eq(got, pdf.groupby("A").sum(), sort_results=True)
    assert ddf.groupby("A", split_out=3).B.sum(split_out=1).npartitions == 1


def _logical_and_physical(obj):
    from partframe.expr.base import walk
    from partframe.expr.optimize import optimize

    logical = {type(e).__name__ for e in walk(obj.expr)}
    physical = {type(e).__name__ for e in walk(optimize(obj.expr, fuse=False))}
    return logical, physical


@pytest.mark.parametrize(
    "call, node",
    [
        (lambda g: g.b.median(), "GroupByApply"),
        (lambda g: g.apply(lambda x: x.b.sum()), "GroupByApply"),
        (lambda g: g.b.nlargest(2), "GroupByApply"),
        (lambda g: g.b.cumsum(), "GroupByTransform"),
        (lambda g: g.b.transform("sum"), "GroupByTransform"),
        (lambda g: g.head(2), "GroupByTransform"),
    ],
)
def test_whole_group_calls_are_one_logical_node(call, node):
    # the facade builds one logical node; the shuffle it needs is chosen
    # when the plan is lowered (expr/groupby_shuffle.py)
    pdf = pd.DataFrame({"a": [1, 2, 1, 3] * 5, "b": range(20), "c": list("xyzw") * 5})
    out = call(partframe.from_pandas(pdf, npartitions=3).groupby("a", split_out=2))
    logical, physical = _logical_and_physical(out)
    assert node in logical
    assert not logical & {"Shuffle", "RangeShuffle", "TagRows", "SortedRepartition"}
    assert node not in physical
    assert physical & {"ShuffleSplit", "RangeShuffle", "ShuffleCollect"}
    assert_eq(out, call(pdf.groupby("a")))
