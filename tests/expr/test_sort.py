"""sort_values, set_index on unsorted columns, drop_duplicates, value_counts
and nunique through a shuffle: against pandas, over both shuffle methods."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest

import partframe
from partframe.methods.shuffle import nunique_split_out, value_counts_split_out
from partframe.testing import assert_eq
from tests.frames import make_pdf, variants


@pytest.fixture(params=["tasks", "disk"])
def method(request, tmp_path):
    partframe.config.set(
        temporary_directory=str(tmp_path), shuffle_method=request.param
    )
    return request.param


def _variants(pdf, method):
    # Disk shuffles of the one-row-per-partition variant are slow to set up
    # (a spill file per partition); the task method covers that layout.
    return [v for v in variants(pdf) if method == "tasks" or v[0] != "more-than-rows"]


def _ties_pdf(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    f = rng.integers(0, 5, n).astype(float)
    f[::7] = np.nan
    return pd.DataFrame(
        {
            "a": rng.integers(0, 4, n),
            "f": f,
            "s": pd.array(rng.choice(["x", "y", None, "z"], n), dtype="str"),
            "n": pd.array(rng.integers(0, 3, n), dtype="Int64"),
            "pos": np.arange(n),
        },
        index=np.arange(n) * 3,
    )


@pytest.mark.parametrize(
    "by, ascending, na_position",
    [
        ("a", True, "last"),
        ("f", False, "last"),
        ("f", True, "first"),
        (["a", "f"], [False, True], "last"),
        (["s", "n", "f"], [True, False, False], "first"),
    ],
)
def test_sort_values_matches_pandas(method, by, ascending, na_position):
    pdf = _ties_pdf()
    for _how, ddf, expected in _variants(pdf, method):
        out = ddf.sort_values(by, ascending=ascending, na_position=na_position)
        want = expected.sort_values(
            by, ascending=ascending, na_position=na_position, kind="stable"
        )
        assert_eq(out, want)


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_sort_values_schedulers(method, scheduler):
    pdf = _ties_pdf(200)
    ddf = partframe.from_pandas(pdf, npartitions=6)
    out = ddf.sort_values(["f", "a"], ascending=[False, True], npartitions=4)
    assert out.npartitions == 4
    want = pdf.sort_values(["f", "a"], ascending=[False, True], kind="stable")
    assert_eq(out, want, scheduler=scheduler)


def _string_keys_pdf(dtype: object, n: int = 80) -> pd.DataFrame:
    """A float key with ties and NaN, a string key of ``dtype`` with ties and
    missing values, and an Int64 key with NA."""
    rng = np.random.default_rng(3)
    f = rng.integers(0, 4, n) / 2
    f[::9] = np.nan
    words = np.array(["id03", "id1", "", "id10", "ID2", "é"], dtype=object)
    s = words[rng.integers(0, len(words), n)]
    s[::7] = None
    if dtype == "category":
        keys = pd.Categorical(s, categories=["id10", "", "é", "id1", "ID2", "id03"])
    else:
        keys = pd.array(s, dtype=dtype)
    return pd.DataFrame(
        {
            "f": f,
            "s": keys,
            "n": pd.array(
                np.where(rng.random(n) < 0.1, None, rng.integers(0, 3, n)),
                dtype="Int64",
            ),
            "pos": np.arange(n),
        },
        index=np.arange(n) * 3,
    )


@pytest.mark.parametrize(
    "dtype",
    ["str", "string[python]", "string[pyarrow]", "arrow", "object", "category"],
)
@pytest.mark.parametrize(
    "by, ascending, na_position",
    [
        (["f", "s"], True, "last"),
        (["s", "f"], [True, False], "first"),
        (["s", "n", "f"], [False, True, False], "last"),
        (["n", "s"], [False, False], "first"),
    ],
)
def test_sort_values_string_keys_match_pandas(
    method, dtype, by, ascending, na_position
):
    import pyarrow as pa

    pdf = _string_keys_pdf(pd.ArrowDtype(pa.string()) if dtype == "arrow" else dtype)
    for how, ddf, expected in _variants(pdf, method):
        want = expected.sort_values(by, ascending=ascending, na_position=na_position)
        out = ddf.sort_values(by, ascending=ascending, na_position=na_position)
        assert_eq(out, want)
        if how in ("1", "7"):  # more outputs than inputs, and fewer
            out = ddf.sort_values(
                by, ascending=ascending, na_position=na_position, npartitions=3
            )
            assert_eq(out, want)


def test_sort_values_series_and_categorical(method):
    pdf = make_pdf(50)
    ddf = partframe.from_pandas(pdf, npartitions=4)
    assert_eq(ddf.f.sort_values(), pdf.f.sort_values(kind="stable"))
    assert_eq(
        ddf.c.sort_values(ascending=False),
        pdf.c.sort_values(ascending=False, kind="stable"),
    )
    assert_eq(
        ddf.sort_values("t", ignore_index=True), pdf.sort_values("t", ignore_index=True)
    )
    assert_eq(
        ddf.sort_values("tz", ascending=False),
        pdf.sort_values("tz", ascending=False, kind="stable"),
    )


def test_sort_values_errors():
    ddf = partframe.from_pandas(make_pdf(10), npartitions=2)
    with pytest.raises(KeyError):
        ddf.sort_values("nope")
    with pytest.raises(ValueError, match="na_position"):
        ddf.sort_values("i", na_position="middle")
    with pytest.raises(ValueError, match="ascending"):
        ddf.sort_values(["i", "f"], ascending=[True])


def test_sort_builds_without_computing():
    ddf = partframe.from_pandas(make_pdf(20), npartitions=3)
    with partframe.config.set(scheduler="raise"):
        out = ddf.sort_values("f")
        ddf.set_index("i").__dask_graph__()
        out.__dask_graph__()


# -- set_index ---------------------------------------------------------------------


def _check_inside_divisions(ddf):
    divs = ddf.divisions
    parts = partframe.compute(*ddf.to_delayed(), scheduler="sync")
    for i, part in enumerate(parts):
        if len(part):
            assert part.index.min() >= divs[i]
            if i < len(parts) - 1:
                assert part.index.max() < divs[i + 1]
            else:
                assert part.index.max() <= divs[i + 1]


@pytest.mark.parametrize("col", ["i", "s", "t", "b"])
def test_set_index_unsorted(method, col):
    pdf = make_pdf(80)
    for _how, ddf, expected in _variants(pdf, method):
        out = ddf.set_index(col)
        want = expected.set_index(col).sort_index(kind="stable")
        assert_eq(out, want)
        assert out.known_divisions or not len(expected)
        _check_inside_divisions(out)


@pytest.mark.parametrize("dtype", ["int32", "int16", "uint8", "float32"])
@pytest.mark.parametrize("sorted_", [False, True])
def test_set_index_narrow_column_keeps_its_dtype(method, dtype, sorted_):
    # values with gaps: pandas keeps the column's dtype for the index
    values = np.array([0, 3, 4, 9, 10, 12, 20, 21, 25, 30] * 4)
    if sorted_:
        values = np.sort(values)
    pdf = pd.DataFrame({"k": values.astype(dtype), "x": np.arange(40.0)})
    want = pdf.set_index("k").sort_index(kind="stable")
    assert want.index.dtype == dtype
    for nparts in (1, 3, 50):
        ddf = partframe.from_pandas(pdf, npartitions=nparts, sort=False)
        out = ddf.set_index("k", sorted=sorted_)
        assert out._meta.index.dtype == dtype
        assert_eq(out, want)
    ddf = partframe.from_pandas(pdf, npartitions=4, sort=False)
    got = ddf[ddf.x > 30].set_index("k", sorted=sorted_)  # empty partitions
    assert_eq(got, pdf[pdf.x > 30].set_index("k").sort_index(kind="stable"))


@pytest.mark.parametrize("sorted_", [False, True])
def test_set_index_progression_keeps_the_column_dtype(method, sorted_):
    # pandas makes an int32 column whose values form an arithmetic
    # progression a RangeIndex (int64); partitions of it need not be
    # progressions, so partframe keeps int32 throughout (documented in
    # kernels.partitions.set_index_column)
    pdf = pd.DataFrame({"k": np.arange(40, dtype="int32"), "x": np.arange(40.0)})
    assert pdf.set_index("k").index.dtype == "int64"
    want = pdf.set_index("k")
    want.index = want.index.astype("int32")
    for nparts in (1, 3, 7):
        ddf = partframe.from_pandas(pdf, npartitions=nparts, sort=False)
        out = ddf.set_index("k", sorted=sorted_)
        assert_eq(out, want)
        assert out.compute().index.dtype == "int32"


def test_set_index_in_graph_equals_eager():
    pdf = make_pdf(100)
    ddf = partframe.from_pandas(pdf, npartitions=5)
    lazy = ddf.set_index("i")  # divisions never asked: sampled in the graph
    got = lazy.compute()
    eager = ddf.set_index("i")
    _ = eager.divisions
    tm.assert_frame_equal(got, eager.compute())
    tm.assert_frame_equal(got, pdf.set_index("i").sort_index(kind="stable"))


def test_set_index_with_nan_keys(method):
    pdf = make_pdf(40)
    ddf = partframe.from_pandas(pdf, npartitions=4)
    out = ddf.set_index("f")
    assert not out.known_divisions
    assert_eq(out, pdf.set_index("f").sort_index(kind="stable", na_position="last"))


def test_set_index_given_divisions_and_loc(method):
    pdf = make_pdf(60)
    ddf = partframe.from_pandas(pdf, npartitions=4)
    out = ddf.set_index("i", divisions=[0, 3, 6, 9])
    assert out.divisions == (0, 3, 6, 9)
    assert_eq(out, pdf.set_index("i").sort_index(kind="stable"))
    _check_inside_divisions(out)
    auto = ddf.set_index("i")
    assert_eq(auto.loc[4:6], pdf.set_index("i").sort_index(kind="stable").loc[4:6])


def test_set_index_given_divisions_with_an_empty_range(method):
    """A repeated boundary is an empty partition ``[d, d)``."""
    pdf = make_pdf(60)
    for _how, ddf, expected in _variants(pdf, method):
        out = ddf.set_index("i", divisions=[0, 4, 4, 9])
        assert out.divisions == (0, 4, 4, 9)
        assert_eq(out, expected.set_index("i").sort_index(kind="stable"))
        _check_inside_divisions(out)


@pytest.mark.parametrize("sorted_", [False, True])
@pytest.mark.parametrize(
    "divisions, match",
    [
        ([3, 1, 5], r"must be sorted, got \(3, 1, 5\), where 3 is greater"),
        ([], "at least two boundaries"),
        ([4], "at least two boundaries"),
        ([0, None, 9], "missing values"),
        ([0, np.nan, 9], "missing values"),
        ("ab", "list or tuple"),
        ([0, "m", 9], "cannot be compared with each other"),
        (["a", "m", "z"], "cannot be compared with the index values, of dtype int64"),
    ],
)
def test_set_index_divisions_checked_when_built(divisions, match, sorted_):
    pdf = pd.DataFrame({"x": [4, 1, 2, 5], "y": 1.0})
    ddf = partframe.from_pandas(pdf, npartitions=2)
    if sorted_:
        ddf = ddf.sort_values("x")
        call = r"set_index\('x', sorted=True, divisions=...\)"
        if len(divisions) != 3 and not isinstance(divisions, str):
            match = r"give npartitions \+ 1 = 3"  # the partitions are kept
    else:
        call = r"set_index\('x', divisions=...\)"
    with (
        partframe.config.set(scheduler="raise"),
        pytest.raises(ValueError, match=f"{call}: .*{match}"),
    ):
        ddf.set_index("x", sorted=sorted_, divisions=divisions)


def test_given_divisions_checked_everywhere():
    pdf = pd.DataFrame({"x": range(4)}, index=[10, 20, 30, 40])
    ddf = partframe.from_pandas(pdf, npartitions=2)
    with pytest.raises(ValueError, match=r"set_index\('x', sorted=True.*3 boundaries"):
        ddf.set_index("x", sorted=True, divisions=[0, 3])
    with pytest.raises(ValueError, match=r"repartition\(divisions=...\): .*sorted"):
        ddf.repartition(divisions=[40, 10])
    parts = ddf.to_delayed()
    with pytest.raises(ValueError, match=r"from_delayed\(divisions=...\): .*sorted"):
        partframe.from_delayed(parts, meta=pdf, divisions=[30, 10, 40])
    with pytest.raises(ValueError, match=r"from_delayed.*compared with the index"):
        partframe.from_delayed(parts, meta=pdf, divisions=["a", "b", "c"])
    unknown = partframe.from_delayed(parts, meta=pdf, divisions=[None] * 3)
    assert not unknown.known_divisions


def test_set_index_drop_false_and_npartitions():
    pdf = make_pdf(30)
    ddf = partframe.from_pandas(pdf, npartitions=3)
    from partframe.methods.set_index import set_index_unsorted

    out = set_index_unsorted(ddf, "i", drop=False, npartitions=5)
    assert out.npartitions == 5
    assert_eq(out, pdf.set_index("i", drop=False).sort_index(kind="stable"))


# -- drop_duplicates, value_counts, nunique ------------------------------------------


@pytest.mark.parametrize("keep", ["first", "last", False])
@pytest.mark.parametrize("subset", [None, "i", ["i", "b"], ["s", "c"]])
def test_drop_duplicates(method, keep, subset):
    pdf = make_pdf(60)
    pdf["i"] = pdf["i"] % 4
    if subset is None:
        pdf = pdf[["i", "b", "c"]]
    for _how, ddf, expected in _variants(pdf, method):
        out = ddf.drop_duplicates(subset=subset, keep=keep)
        assert_eq(out, expected.drop_duplicates(subset=subset, keep=keep))


def test_drop_duplicates_series_split_out(method):
    pdf = make_pdf(60)
    ddf = partframe.from_pandas(pdf, npartitions=5)
    assert_eq(ddf.s.drop_duplicates(split_out=3), pdf.s.drop_duplicates())
    assert_eq(
        ddf.n.drop_duplicates(keep="last", ignore_index=True),
        pdf.n.drop_duplicates(keep="last", ignore_index=True),
    )


def test_value_counts_and_nunique_split_out(method):
    rng = np.random.default_rng(3)
    s = pd.Series(rng.integers(0, 500, 3000), name="k").astype("Int64")
    s[::11] = pd.NA
    ds = partframe.from_pandas(s, npartitions=6)
    for dropna in (True, False):
        got = value_counts_split_out(ds, 4, dropna=dropna).compute()
        want = s.value_counts(dropna=dropna)
        tm.assert_series_equal(got.sort_index(), want.sort_index())
        assert nunique_split_out(ds, 4, dropna=dropna).compute() == s.nunique(
            dropna=dropna
        )
    got = value_counts_split_out(ds, 3, normalize=True).compute()
    tm.assert_series_equal(
        got.sort_index(), s.value_counts(normalize=True).sort_index()
    )


def test_repartition_to_one_partition():
    pdf = make_pdf(30)
    ddf = partframe.from_pandas(pdf, npartitions=4).shuffle("i", npartitions=3)
    one = ddf.repartition(npartitions=1)
    assert one.npartitions == 1
    assert_eq(one, pdf, sort_results=True)


@pytest.mark.parametrize("kind", ["int", "float-nan", "bool", "int-extremes", "uint8"])
def test_sort_partition_numeric_key_matches_pandas_stable(kind):
    # The fast path (unstable argsort, tied runs restored to row order) must
    # give pandas' stable order exactly: ties, NaN, -0.0, int64 extremes.
    from partframe.kernels.sorting import sort_partition

    rng = np.random.default_rng(7)
    for _ in range(40):
        n = int(rng.integers(2, 80))
        if kind == "int":
            v = rng.integers(-3, 3, n)
        elif kind == "float-nan":
            v = rng.integers(-3, 3, n).astype(float)
            v[rng.random(n) < 0.3] = np.nan
            v[rng.random(n) < 0.2] = -0.0
        elif kind == "bool":
            v = rng.random(n) < 0.5
        elif kind == "int-extremes":
            info = np.iinfo(np.int64)
            v = rng.choice(np.array([info.min, info.max, 0, -1]), n)
        else:
            v = rng.integers(0, 4, n).astype("uint8")
        df = pd.DataFrame({"k": v, "s": np.arange(n)}, index=rng.permutation(n))
        for asc in (True, False):
            for na in ("first", "last"):
                kw = {"ascending": asc, "na_position": na, "kind": "stable"}
                tm.assert_frame_equal(
                    sort_partition(df, ["k"], [asc], na), df.sort_values("k", **kw)
                )
                s = df.set_index("k")
                tm.assert_frame_equal(
                    sort_partition(s, "__index__", [asc], na), s.sort_index(**kw)
                )
                tm.assert_series_equal(
                    sort_partition(df.k, None, [asc], na), df.k.sort_values(**kw)
                )


def test_set_index_divisions_asked_for_survive_rewrites(method):
    """Divisions computed when asked for stay known when the optimizer
    rebuilds set_index on lowered children (two set_index in a row, then a
    repartition that needs known divisions)."""
    pdf = make_pdf(21)
    ddf = partframe.from_pandas(pdf, npartitions=1)
    out = ddf.set_index("f").set_index("i").fillna({"n": 7})
    assert out.known_divisions
    got = out.repartition(npartitions=4)
    want = pdf.set_index("f").set_index("i").fillna({"n": 7}).sort_index(kind="stable")
    assert_eq(got, want, sort_results=True)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("drop", [True, False])
def test_set_index_with_keys_from_the_frame(method, drop, scheduler):
    """``set_index(series)`` takes the values by position and names the
    index after them; ``drop`` applies to column labels only (Dask's
    test_set_index_drop, test_set_index_with_series_uses_fastpath)."""
    pdf = make_pdf(40)
    for _how, ddf, expected in _variants(pdf, method):
        for col in ["i", "s", "t"]:
            out = ddf.set_index(ddf[col], drop=drop)
            want = expected.set_index(expected[col], drop=drop)
            assert_eq(out, want.sort_index(kind="stable"), scheduler=scheduler)
        keys = ddf.t + pd.Timedelta(days=1)
        want = expected.set_index(expected.t + pd.Timedelta(days=1))
        assert_eq(ddf.set_index(keys), want.sort_index(kind="stable"))
        # promised sorted: no shuffle, the divisions from the keys
        out = ddf.set_index(ddf.index * 2, sorted=True)
        assert_eq(out, expected.set_index(expected.index * 2), scheduler=scheduler)
        # a list of one label is that label
        assert_eq(
            ddf.set_index(["i"], drop=drop),
            expected.set_index(["i"], drop=drop).sort_index(kind="stable"),
            scheduler=scheduler,
        )


def test_set_index_argument_errors():
    """What partframe cannot do is named before anything is built."""
    pdf = make_pdf(20)
    ddf = partframe.from_pandas(pdf, npartitions=3)
    for keys in (["i", "f"], [["i", "f"]], [["i"]], ddf[["i", "f"]]):
        with pytest.raises(NotImplementedError, match="MultiIndex"):
            ddf.set_index(keys)
    for keys in (pdf.i, pd.Index(pdf.i), pdf.i.to_numpy()):
        with pytest.raises(NotImplementedError, match="by position"):
            ddf.set_index(keys)
    other = partframe.from_pandas(pdf.i, npartitions=2)
    with pytest.raises(ValueError, match="not partitioned as the frame"):
        ddf.set_index(other)
    with pytest.raises(KeyError, match="not a column"):
        ddf.set_index("nope")


# -- memory: a disk sort holds a few partitions, not the data (issue 14 item 10) --

_ALIVE: dict = {}  # id -> weak reference of the source partitions alive
_SEEN_ALIVE: list = []


def _tracked_part(i: int) -> pd.DataFrame:
    # How many source partitions are still alive when a new one is made.
    # A full collection takes 0.3-1 s once the suite has filled the heap,
    # so it runs only when it decides the count (collecting never raises it).
    if len(_ALIVE) > 2:
        gc.collect()
    _SEEN_ALIVE.append(len(_ALIVE))
    rng = np.random.default_rng(i)
    f = rng.normal(size=200)
    f[::9] = np.nan
    df = pd.DataFrame(
        {"k": rng.integers(0, 50, 200), "f": f, "pos": np.arange(200) + 200 * i},
        index=np.arange(200) + 200 * i,
    )
    key = id(df)
    _ALIVE[key] = weakref.ref(df, lambda _, key=key: _ALIVE.pop(key, None))
    return df


def _sort_one(d):
    return d.sort_values("k", **({"kind": "stable"} if _is_pandas(d) else {}))


def _sort_two(d):
    kw = {"kind": "stable"} if _is_pandas(d) else {}
    return d.sort_values(["f", "k"], ascending=[False, True], na_position="first", **kw)


def _set_index(d):
    out = d.set_index("f")
    return out.sort_index(kind="stable") if _is_pandas(d) else out


def _is_pandas(d) -> bool:
    return isinstance(d, pd.DataFrame)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("op", [_sort_one, _sort_two, _set_index])
def test_disk_sort_does_not_hold_the_inputs(tmp_path, scheduler, op):
    # Boundaries sampled in the graph used to keep every input partition in
    # memory until all were sampled: peak memory grew with the data.
    partframe.config.set(temporary_directory=str(tmp_path), shuffle_method="disk")
    n = 12
    expected = op(pd.concat([_tracked_part(i) for i in range(n)]))
    meta = _tracked_part(0).iloc[:0]
    _SEEN_ALIVE.clear()
    out = op(partframe.from_map(_tracked_part, range(n), meta=meta))
    got = out.compute(scheduler=scheduler, num_workers=2)
    assert len(_SEEN_ALIVE) == n
    assert max(_SEEN_ALIVE) <= 2, _SEEN_ALIVE
    tm.assert_frame_equal(got, expected)
    assert_eq(out, expected, scheduler=scheduler)


def test_distinct_values_through_a_shuffle_are_one_logical_node():
    # the facade builds DropDuplicates / ValueCounts; their lowering makes
    # the shuffles (expr/distinct.py)
    from partframe.expr.base import walk
    from partframe.expr.optimize import optimize

    pdf = make_pdf(60)
    ddf = partframe.from_pandas(pdf, npartitions=4)
    for out, node, want in [
        (ddf.drop_duplicates(subset=["i"], split_out=2), "DropDuplicates",
         pdf.drop_duplicates(subset=["i"])),
        (ddf.i.value_counts(split_out=3), "ValueCounts", pdf.i.value_counts()),
    ]:  # fmt: skip
        logical = {type(e).__name__ for e in walk(out.expr)}
        physical = {type(e).__name__ for e in walk(optimize(out.expr, fuse=False))}
        assert node in logical and "Shuffle" not in logical
        assert node not in physical and "ShuffleSplit" in physical
        if node == "ValueCounts":
            assert_eq(out.compute().sort_index(), want.sort_index())
        else:
            assert_eq(out, want)
