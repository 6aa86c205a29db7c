"""Elementwise DataFrame/Series methods against pandas, over every partitioning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import make_pdf, variants

import partframe
from partframe.expr.base import walk
from partframe.expr.optimize import column_needs, lower
from partframe.expr.sources import FromPandas
from partframe.testing import assert_eq

PDF = make_pdf()
VARIANTS = variants(PDF)
NUMERIC = ["i", "f", "n"]
THRESHOLD = 0.5


def _ids(cases):
    return [c[0] for c in cases]


# (id, function applied to both a partframe frame and its pandas twin)
FRAME_CASES = [
    ("drop-columns", lambda d: d.drop(columns=["s", "c"])),
    ("drop-label-axis1", lambda d: d.drop("i", axis=1)),
    ("rename-dict", lambda d: d.rename(columns={"i": "I", "s": "S"})),
    ("rename-func", lambda d: d.rename(columns=str.upper)),
    ("astype-dict", lambda d: d.astype({"i": "float64", "b": "int64", "n": "Float64"})),
    ("astype-str", lambda d: d[["i", "f", "s"]].astype("str")),
    ("astype-category-known", lambda d: d.astype({"s": pd.CategoricalDtype(
        ["apple", "Banana", "cherry", "date ", " elder", "fig"])})),
    ("fillna-scalar", lambda d: d[NUMERIC].fillna(0)),
    ("fillna-dict", lambda d: d.fillna({"f": -1.0, "n": 7})),
    ("dropna", lambda d: d.dropna()),
    ("dropna-subset", lambda d: d.dropna(subset=["f"])),
    ("dropna-how-all", lambda d: d[["f", "n"]].dropna(how="all")),
    ("dropna-thresh", lambda d: d[["f", "n", "i"]].dropna(thresh=3)),
    ("replace-scalar", lambda d: d[NUMERIC].replace(1, 100)),
    ("replace-dict", lambda d: d.replace({"apple": "APPLE", "fig": "FIG"})),
    ("where", lambda d: d[["i", "f"]].where(d[["i", "f"]] > 2, -1)),
    ("where-series-cond", lambda d: d.where(d.i > 4)),
    ("mask", lambda d: d[NUMERIC].mask(d[NUMERIC] > 2)),
    ("clip", lambda d: d[["i", "f"]].clip(-0.5, 4)),
    ("round", lambda d: d[["f"]].round(1)),
    ("abs", lambda d: d[NUMERIC].abs()),
    ("isin-list", lambda d: d.isin([1, 2, "apple", "x"])),
    ("isin-dict", lambda d: d[["i", "s"]].isin({"i": [1, 2], "s": ["fig"]})),
    ("isna", lambda d: d.isna()),
    ("notna", lambda d: d.notna()),
    ("isnull", lambda d: d.isnull()),
    ("notnull", lambda d: d.notnull()),
    ("query", lambda d: d.query("i > 3 and f < 0.5")),
    ("query-local", lambda d: d.query("f > @THRESHOLD")),
    ("query-str", lambda d: d.query("s == 'apple'")),
    ("eval", lambda d: d.eval("i + f")),
    ("eval-assign", lambda d: d.eval("z = i * 2")),
    ("apply-rows", lambda d: d.apply(lambda r: r.i * 2 + len(r.s), axis=1)),
    ("apply-rows-expand", lambda d: d[["i", "f"]].apply(
        lambda r: r * 2, axis=1, result_type="expand")),
    ("map", lambda d: d[["i", "s"]].map(lambda v: str(v) + "!")),
    ("select-dtypes", lambda d: d.select_dtypes("number")),
    ("select-dtypes-exclude", lambda d: d.select_dtypes(exclude=["number", "bool"])),
    ("copy", lambda d: d.copy()),
    ("copy-deep", lambda d: d.copy(deep=True)),
    ("rename-index-mapping", lambda d: d.rename(index={0: 1, 4: -4})),
]  # fmt: skip

SERIES_CASES = [
    ("fillna", lambda d: d.f.fillna(0.5)),
    ("fillna-nullable", lambda d: d.n.fillna(0)),
    ("dropna", lambda d: d.n.dropna()),
    ("astype", lambda d: d.i.astype("int32")),
    ("astype-str", lambda d: d.f.astype(str)),
    ("rename-name", lambda d: d.i.rename("new")),
    ("rename-index", lambda d: d.i.rename(lambda k: k + 1)),
    ("rename-nothing", lambda d: d.i.rename()),
    ("isin", lambda d: d.s.isin(["apple", "fig"])),
    ("isin-set", lambda d: d.i.isin({1, 2, 3})),
    ("between", lambda d: d.i.between(2, 5)),
    ("between-neither", lambda d: d.f.between(-0.5, 0.5, inclusive="neither")),
    ("map-dict", lambda d: d.i.map({1: "one", 2: "two"})),
    ("map-dict-float", lambda d: d.s.map({"apple": 1.5, "fig": 2.5})),
    ("map-func", lambda d: d.i.map(lambda v: v * 1.5)),
    ("map-na-ignore", lambda d: d.f.map(lambda v: v + 1, na_action="ignore")),
    ("apply", lambda d: d.s.apply(len)),
    ("where-other", lambda d: d.f.where(d.f > 0, d.i)),
    ("mask", lambda d: d.n.mask(d.n < 0, 0)),
    ("clip", lambda d: d.n.clip(upper=10)),
    ("round", lambda d: d.f.round(2)),
    ("abs", lambda d: d.n.abs()),
    ("replace", lambda d: d.s.replace("apple", "pear")),
    ("to-frame", lambda d: d.s.to_frame()),
    ("isna", lambda d: d.t.isna()),
]  # fmt: skip


@pytest.mark.parametrize("case", FRAME_CASES, ids=_ids(FRAME_CASES))
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_frame_methods(case, scheduler):
    _, func = case
    # threads: a several-partition and an empty-partitions variant suffice
    chosen = VARIANTS if scheduler == "sync" else [VARIANTS[1], VARIANTS[4]]
    for _how, ddf, pdf in chosen:
        assert_eq(func(ddf), func(pdf), scheduler=scheduler)


@pytest.mark.parametrize("case", SERIES_CASES, ids=_ids(SERIES_CASES))
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_series_methods(case, scheduler):
    _, func = case
    # threads: a several-partition and an empty-partitions variant suffice
    chosen = VARIANTS if scheduler == "sync" else [VARIANTS[1], VARIANTS[4]]
    for _how, ddf, pdf in chosen:
        assert_eq(func(ddf), func(pdf), scheduler=scheduler)


@pytest.mark.parametrize(
    "func",
    [
        lambda d: d.fillna({"f": 0.0}),
        lambda d: d.query("f > @THRESHOLD"),
        lambda d: d.i.map({1: "one"}),
        lambda d: d.s.isin(d.s[d.i > 5]),
    ],
)
def test_processes(func):
    _, ddf, pdf = VARIANTS[1]
    assert_eq(func(ddf), func(pdf), scheduler="processes")


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_isin_delayed_and_lazy_scalar_values(scheduler):
    """Lazy elements of the values are computed in the plan, not compared as
    objects (which matched nothing)."""
    for _how, ddf, pdf in VARIANTS:
        values = [partframe.delayed(1), partframe.delayed(int)("4"), 7]
        assert_eq(ddf.i.isin(values), pdf.i.isin([1, 4, 7]), scheduler=scheduler)
        assert_eq(ddf.isin(values), pdf.isin([1, 4, 7]), scheduler=scheduler)
        top = [ddf.i.max(), partframe.delayed(0)]
        want = pdf.i.isin([pdf.i.max(), 0])
        assert_eq(ddf.i.isin(top), want, scheduler=scheduler)
    with pytest.raises(TypeError, match="cannot hold a lazy DataFrame or Series"):
        ddf.i.isin([ddf.i])
    with pytest.raises(TypeError, match="_OtherCollection among the values"):
        ddf.i.isin([_OtherCollection(), 1])


class _OtherCollection:
    """A collection of another library (several keys): not a plan input."""

    def __dask_graph__(self) -> dict:
        return {"a": 1, "b": 2}

    def __dask_keys__(self) -> list:
        return ["a", "b"]

    def __dask_postcompute__(self) -> tuple:
        return list, ()


def test_isin_lazy_series():
    for _how, ddf, pdf in VARIANTS:
        values = ddf.s[ddf.i > 6]
        expected = pdf.s.isin(pdf.s[pdf.i > 6])
        assert_eq(ddf.s.isin(values), expected)
        # a Series from another source, with other partitions
        other = partframe.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        assert_eq(ddf.i.isin(other), pdf.i.isin([1, 2, 3]))


def test_map_lazy_series():
    mapping = pd.Series({1: "one", 2: "two", 3: "three"})
    lazy = partframe.from_pandas(mapping, npartitions=2)
    for _how, ddf, pdf in VARIANTS:
        assert_eq(ddf.i.map(lazy), pdf.i.map(mapping))
        assert_eq(ddf.i.map(mapping), pdf.i.map(mapping))


def test_where_lazy_other_and_scalar():
    for _how, ddf, pdf in VARIANTS[:3]:
        assert_eq(
            ddf.f.where(ddf.f > 0, ddf.f.abs() * 10),
            pdf.f.where(pdf.f > 0, pdf.f.abs() * 10),
        )
        assert_eq(ddf.f.where(lambda s: s > 0), pdf.f.where(lambda s: s > 0))


def test_query_local_dict_and_closure():
    limit = 4  # noqa: F841 (used by the query strings)
    for _how, ddf, pdf in VARIANTS[:3]:
        assert_eq(ddf.query("i < @limit"), pdf.query("i < @limit"))
        assert_eq(
            ddf.query("i < @lim", local_dict={"lim": 2}),
            pdf.query("i < @lim", local_dict={"lim": 2}),
        )


def test_query_lazy_local_is_an_error():
    ddf = VARIANTS[1][1]
    m = ddf.i.max() if hasattr(ddf.i, "max") else ddf.i  # noqa: F841
    with pytest.raises(TypeError, match="lazy"):
        ddf.query("i < @m")


def test_apply_meta_given():
    for _how, ddf, pdf in VARIANTS[:3]:
        got = ddf.apply(lambda r: float(r.i), axis=1, meta=("x", "float64"))
        assert_eq(got, pdf.apply(lambda r: float(r.i), axis=1), check_names=False)


def test_apply_axis0_unsupported():
    df = VARIANTS[0][1]
    for call in (
        lambda: df.apply(sum),
        lambda: df.apply(sum, axis=0),
        lambda: df.apply(sum, axis="index"),
    ):
        with pytest.raises(
            NotImplementedError, match=r"apply\(axis=.*axis=1.*map_partitions"
        ):
            call()
    with pytest.raises(ValueError, match="No axis named 2"):
        df.apply(sum, axis=2)


def test_applymap_alias():
    ddf, pdf = VARIANTS[1][1], VARIANTS[1][2]
    assert_eq(ddf[["i"]].applymap(str), pdf[["i"]].map(str))


def test_series_rename_mapping():
    for _how, ddf, pdf in VARIANTS:
        assert_eq(
            ddf.i.rename({0: -1, 4: -2}),
            pdf.i.rename({0: -1, 4: -2}),
            check_divisions=False,
        )


# -- errors at plan-build time ---------------------------------------------
def _frame():
    return VARIANTS[1][1]


def test_unknown_column_errors():
    df = _frame()
    with pytest.raises(KeyError, match=r"drop\(\).*'ii'.*did you mean 'i'"):
        df.drop(columns=["ii"])
    assert list(df.drop(columns=["ii"], errors="ignore").columns) == list(PDF.columns)
    with pytest.raises(KeyError, match=r"rename\(\).*'ss'.*did you mean 's'"):
        df.rename(columns={"ss": "x"}, errors="raise")
    assert list(df.rename(columns={"zz": "x"}).columns) == list(PDF.columns)
    with pytest.raises(KeyError, match=r"astype\(\).*'ff'"):
        df.astype({"ff": "int64"})
    with pytest.raises(KeyError, match=r"dropna\(subset=\).*'nn'"):
        df.dropna(subset=["nn"])
    with pytest.raises(Exception, match="zzz"):
        df.query("zzz > 1")
    # attribute access: a misspelt column, a pandas method partframe lacks
    with pytest.raises(AttributeError, match=r"'ii'.*did you mean 'i'"):
        df.ii  # noqa: B018
    with pytest.raises(AttributeError, match=r"does not implement pandas' DataFrame"):
        df.transpose  # noqa: B018


def test_dtype_errors_name_the_column():
    df = _frame()
    with pytest.raises(TypeError, match=r"'s'.*dtype str"):
        df.s + 1
    with pytest.raises(TypeError, match=r"'t'.*datetime64"):
        df.t * 2
    with pytest.raises(TypeError, match=r"column\(s\) 's' \(dtype str\)"):
        df[["i", "s"]] + 1
    with pytest.raises(TypeError, match=r"'s'.*dtype str"):
        df[["i", "s"]].abs()
    with pytest.raises(TypeError, match=r"'c'.*category"):
        df.c.add(1)
    # astype("category") infers the categories (tests/methods/test_casting_category.py)
    cats = df.astype({"s": "category"}).s.cat.categories
    assert list(cats) == sorted(PDF.s.dropna().unique())


def test_in_memory_operands_are_rejected():
    df = _frame()
    # A pandas Series that pandas aligns on the index is aligned by the
    # divisions (issue 13); the others cannot be aligned with partitions.
    assert_eq(df.i.add(PDF.i), PDF.i.add(PDF.i))
    with pytest.raises(TypeError, match="in-memory"):
        df.i.where(PDF.i > 0)
    with pytest.raises(TypeError, match="from_pandas"):
        df.fillna(PDF.f)


def test_unsupported_arguments():
    df = _frame()
    with pytest.raises(NotImplementedError, match="limit"):
        df.fillna(0, limit=1)
    with pytest.raises(NotImplementedError):
        df.dropna(axis=1)
    with pytest.raises(NotImplementedError, match="errors='ignore'"):
        df.drop(index=[0])
    assert_eq(df.drop(index=[0, 2], errors="ignore"), PDF.drop(index=[0, 2]))


# -- laziness ----------------------------------------------------------------
def test_building_plans_computes_nothing():
    df = partframe.from_pandas(PDF, npartitions=3)
    lazy_values = df.s[df.i > 3]
    for _, func in FRAME_CASES + SERIES_CASES:
        func(df)
    df.s.isin(lazy_values)
    df.i.map(partframe.from_pandas(pd.Series({1: "a"}), npartitions=2))
    df.s.str.split(n=1, expand=True)
    assert df.t.dt.year.npartitions == 3
    assert list(df.c.cat.categories) == ["x", "y", "z"]
    df[NUMERIC].add(df[NUMERIC], fill_value=0)
    df.i.max() if hasattr(df.i, "max") else None


@pytest.fixture(autouse=True)
def _no_compute_while_building(request):
    """Building plans (and their metas) never computes anything."""
    if request.node.name != "test_building_plans_computes_nothing":
        yield
        return
    with partframe.config.set(scheduler="raise"):
        yield
        from partframe.scheduler.testing import ComputeForbidden

        with pytest.raises(ComputeForbidden):
            partframe.from_pandas(PDF, npartitions=2).i.compute()


# -- projection pushdown -------------------------------------------------------
def _source_columns(obj):
    """The columns the optimizer finds each FromPandas source must provide.

    (FromPandas keeps in-memory data whole; a file reader would be rebuilt
    with exactly these columns.)
    """
    expr = lower(obj.expr)
    sources = [n for n in walk(expr) if isinstance(n, FromPandas)]
    assert sources
    needs = column_needs(expr)
    out = []
    for src in sources:
        need = needs[src._name]
        out.append(
            None if need is None else [c for c in src._meta.columns if c in need]
        )
    return out


@pytest.mark.parametrize(
    "func, expected",
    [
        (lambda d: d.fillna(0)[["f"]], ["f"]),
        (lambda d: d.fillna({"f": 0, "n": 1})[["f"]], ["f"]),
        (lambda d: d.astype({"i": "float64", "s": "str"})[["i"]], ["i"]),
        (lambda d: d.astype("str")[["i"]], ["i"]),
        (lambda d: d.rename(columns={"i": "x"})[["x"]], ["i"]),
        (lambda d: d.rename(columns=str.upper)["F"], ["f"]),
        (lambda d: d.drop(columns=["s", "c"]), ["i", "f", "n", "b", "t", "tz"]),
        (lambda d: d.select_dtypes("number"), ["i", "f", "n"]),
        (lambda d: d.dropna(subset=["f"])[["i"]], ["i", "f"]),
        (lambda d: d.query("i > 2")[["f"]], ["i", "f"]),
        (lambda d: d.isna()[["n"]], ["n"]),
        (lambda d: d.isin({"i": [1]})[["i"]], ["i"]),
        (lambda d: d.replace(1, 5)[["i"]], ["i"]),
    ],
)
def test_projection_pushdown(func, expected):
    df = partframe.from_pandas(PDF, 3)
    out = func(df)
    assert _source_columns(out) == [[c for c in PDF.columns if c in expected]]
    assert_eq(out, func(PDF))


@pytest.mark.parametrize(
    "func, expected",
    [
        (lambda d: d.where(d > 0)[["i"]], ["i"]),
        (lambda d: d.mask(d > 0, d * 2)[["i"]], ["i"]),
        (lambda d: d.add(d, fill_value=0)[["f"]], ["f"]),
        (lambda d: d.rsub(d.f, axis=0)[["n"]], ["n", "f"]),
        (lambda d: d.lt(d.i, axis=0)[["n"]], ["n", "i"]),
        (lambda d: d.clip(0, 1)[["f"]], ["f"]),
        (lambda d: d.round(1)[["f"]], ["f"]),
        (lambda d: d.abs()[["n"]], ["n"]),
    ],
)
def test_projection_pushdown_numeric(func, expected):
    pdf = PDF[NUMERIC]
    df = partframe.from_pandas(pdf, 3)
    out = func(df)
    assert _source_columns(out) == [[c for c in pdf.columns if c in expected]]
    assert_eq(out, func(pdf))


def test_no_pushdown_where_all_columns_matter():
    df = partframe.from_pandas(PDF, 3)
    out = df.dropna()[["i"]]
    assert _source_columns(out) == [None]
    assert_eq(out, PDF.dropna()[["i"]])


def test_isin_values_pass_as_one_input():
    df = partframe.from_pandas(PDF, 3)
    values = partframe.from_pandas(pd.Series([1, 2]), npartitions=2)
    out = df.i.isin(values)
    graph = out.__dask_graph__()
    assert len(out.__dask_keys__()) == 3
    assert any("wholeof" in str(k) for k in graph)
    assert_eq(out, PDF.i.isin([1, 2]))
    np.testing.assert_array_equal(out.compute().values, PDF.i.isin([1, 2]).values)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda d: d.s.clip(0, 1), r"clip\(\).*'s' of dtype str"),
        (lambda d: d[["s", "x"]].clip(0, 1), r"column\(s\) 's' \(dtype str\)"),
        (lambda d: d.s.between(0, 1), r"between\(\).*'s' of dtype str"),
        (lambda d: d.s.lt(1), r"lt\(\).*'s' of dtype str"),
        (lambda d: d.s > 1, r"'gt'.*'s' of dtype str"),
        (lambda d: d[["x", "s"]] >= 1, r"column\(s\) 's' \(dtype str\)"),
        (lambda d: d.t < 1, r"'lt'.*'t' of dtype datetime64"),
        (lambda d: d.s.abs(), r"abs\(\).*'s' of dtype str"),
        (lambda d: d.t.abs(), r"abs\(\).*'t' of dtype datetime64"),
    ],
)
def test_dtype_errors_hidden_by_empty_data_raise_at_plan_time(build, match):
    pdf = pd.DataFrame(
        {"s": ["a", "b"], "t": pd.to_datetime(["2020", "2021"]), "x": [1.0, -2.0]}
    )
    df = partframe.from_pandas(pdf, npartitions=2)
    with pytest.raises(TypeError, match=match):
        build(df)


def test_plan_time_checks_keep_valid_calls():
    pdf = pd.DataFrame(
        {
            "s": ["a", "b"],
            "t": pd.to_datetime(["2020", "2021"]),
            "x": [1.0, -2.0],
            "o": pd.Series([1.5, 2.5], dtype=object),
        }
    )
    df = partframe.from_pandas(pdf, npartitions=2)
    assert_eq(df.s > "a", pdf.s > "a")
    assert_eq(df.t > pd.Timestamp("2020-06-01"), pdf.t > pd.Timestamp("2020-06-01"))
    assert_eq(df.x.clip(0, 1), pdf.x.clip(0, 1))
    assert_eq(df.o.round(), pdf.o.round())  # object stand-ins are not checked


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_clip_to_bounds_the_dtype_cannot_hold(scheduler):
    """pandas upcasts a column where a value is clipped to a bound it cannot
    hold (2.5 on integers) and keeps it where none is, deciding for the
    whole data: every partition has that dtype, also one where nothing is
    clipped."""
    pdf = pd.DataFrame(
        {
            "i": np.arange(12),
            "u": np.arange(12, dtype="uint8"),
            "f": np.arange(12) * 0.5,
            "i32": np.arange(12, dtype="int32"),
        },
        index=pd.RangeIndex(12) * 2,
    )
    for _how, ddf, want in variants(pdf):
        for lo, hi in [(2.5, 8.5), (2.5, None), (None, 3.5), (2, 8), (np.nan, 3.5)]:
            assert_eq(ddf.clip(lo, hi), want.clip(lo, hi), scheduler=scheduler)
            for col in pdf.columns:
                expected = want[col].clip(lo, hi)
                assert_eq(ddf[col].clip(lo, hi), expected, scheduler=scheduler)
        lazy = ddf.i.clip(upper=ddf.i.max() - 0.5)
        assert_eq(lazy, want.i.clip(upper=want.i.max() - 0.5), scheduler=scheduler)
        # Nothing is clipped to -1: pandas keeps uint8, and so do the
        # partitions (the plan's dtype assumes some value is).
        got = ddf.u.clip(lower=-1)
        assert got.dtype == "int16"
        assert_eq(got, want.u.clip(lower=-1), scheduler=scheduler)
        assert_eq(ddf.clip(-1, 8.5), want.clip(-1, 8.5), scheduler=scheduler)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_fillna_with_a_lazy_value_taken_whole(scheduler):
    """A lazy fill value is passed whole to every partition when pandas
    aligns a Series with the columns (``df.fillna(df.mean())``) or when the
    two frames cannot be aligned partition by partition (unknown divisions):
    filling keeps the frame's rows, so this is exact."""
    pdf = PDF[NUMERIC]
    other = (pdf * 10).iloc[::-1]
    for _how, ddf, expected in variants(pdf):
        # (pandas refuses the float mean in the Int64 column "n")
        floats, pfloats = ddf[["i", "f"]], expected[["i", "f"]]
        assert_eq(
            floats.fillna(floats.mean()),
            pfloats.fillna(pfloats.mean()),
            scheduler=scheduler,
        )
        for n in (1, 2, 4):
            value = partframe.from_pandas(other, npartitions=n, sort=False)
            assert_eq(ddf.fillna(value), expected.fillna(other), scheduler=scheduler)
            assert_eq(
                ddf.f.fillna(value.f), expected.f.fillna(other.f), scheduler=scheduler
            )
            assert_eq(
                ddf.fillna(value)[["f"]],
                expected.fillna(other)[["f"]],
                scheduler=scheduler,
            )


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_where_mask_upcast_only_where_values_are_replaced(scheduler):
    """pandas upcasts a column of where/mask (and df[bool frame]) only if
    some value of it is replaced, deciding for the whole data: every
    partition follows, also one where nothing is replaced."""
    pdf = pd.DataFrame(
        {"a": np.arange(12), "b": np.arange(12) + 100, "c": np.arange(12) % 2 == 0},
        index=pd.RangeIndex(12) * 2,
    )
    for _how, ddf, want in variants(pdf):
        num, pnum = ddf[["a", "b"]], want[["a", "b"]]
        for cut in (-1, 5, 50, 200):
            assert_eq(num.where(num > cut), pnum.where(pnum > cut), scheduler=scheduler)
            assert_eq(num.mask(num > cut), pnum.mask(pnum > cut), scheduler=scheduler)
            assert_eq(num[num > cut], pnum[pnum > cut], scheduler=scheduler)
            assert_eq(
                ddf.a.where(ddf.a > cut, 0.5),
                want.a.where(want.a > cut, 0.5),
                scheduler=scheduler,
            )
        assert_eq(ddf.where(ddf.a > 3), want.where(want.a > 3), scheduler=scheduler)
