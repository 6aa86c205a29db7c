"""merge / join against pandas: every join type and key shape, every
strategy (aligned, broadcast, hash), both shuffle methods."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest
from frames import variants

import partframe
from partframe.testing import _check_meta, _compute_parts, assert_eq

HOWS = ["inner", "left", "right", "outer"]


@pytest.fixture(params=["tasks", "disk"])
def method(request, tmp_path):
    partframe.config.set(
        temporary_directory=str(tmp_path), shuffle_method=request.param
    )
    return request.param


def _canon(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns), kind="stable").reset_index(drop=True)


def check(ddf, expected, scheduler="sync", index=False, dtype=True):
    """Equal to pandas up to row order; every partition has the meta's dtypes.

    Where pandas' dtype depends on the data (every row matched: int stays
    int64; an empty side keeps its dtypes), partframe's meta assumes rows
    may be missing (see partframe.expr.merge): then only that documented
    upcast (int -> float64, bool -> object) is allowed, values equal.
    """
    got, parts = _compute_parts(ddf, scheduler)
    _check_meta(ddf, parts)
    if index:
        got, expected = got.reset_index(), expected.reset_index()
    if dtype and len(expected):
        for c in expected.columns:
            a, b = got[c].dtype, expected[c].dtype
            if a != b:
                everything_matched = not expected[c].isna().any()
                upcast = (b.kind in "iu" and a == np.float64) or (
                    b.kind == "b" and a.kind == "O"
                )
                assert everything_matched and upcast, (c, a, b)
    expected = expected.astype(got.dtypes.to_dict()) if len(expected) else expected
    tm.assert_frame_equal(
        _canon(got), _canon(expected), check_dtype=dtype and len(expected) > 0
    )


def _sides(seed=0, n=40, m=15):
    rng = np.random.default_rng(seed)
    left = pd.DataFrame(
        {
            "k": rng.integers(0, 12, n),
            "k2": pd.array(rng.choice(["a", "b", None], n), dtype="str"),
            "x": rng.normal(size=n),
            "b": rng.integers(0, 2, n).astype(bool),
        }
    )
    right = pd.DataFrame(
        {
            "k": rng.integers(5, 20, m),
            "k2": pd.array(rng.choice(["a", "b", "c"], m), dtype="str"),
            "y": rng.integers(0, 100, m),
            "n": pd.array(rng.integers(0, 5, m), dtype="Int64"),
        }
    )
    return left, right


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("on", ["k", ["k", "k2"], "k2"])
@pytest.mark.parametrize("broadcast", [None, False])
def test_merge_on_columns(method, how, on, broadcast):
    left, right = _sides()
    dl = partframe.from_pandas(left, npartitions=4)
    dr = partframe.from_pandas(right, npartitions=3)
    out = dl.merge(dr, on=on, how=how, broadcast=broadcast)
    check(out, left.merge(right, on=on, how=how))


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_merge_schedulers(method, scheduler):
    left, right = _sides(n=200, m=100)
    dl = partframe.from_pandas(left, npartitions=5)
    dr = partframe.from_pandas(right, npartitions=4)
    for how in ("inner", "outer"):
        out = partframe.merge(dl, dr, on="k", how=how, suffixes=("_l", "_r"))
        check(
            out,
            pd.merge(left, right, on="k", how=how, suffixes=("_l", "_r")),
            scheduler,
        )


@pytest.mark.parametrize("how", HOWS)
def test_left_on_right_on_indicator(how):
    left, right = _sides(1)
    right = right.rename(columns={"k": "rk"})
    dl = partframe.from_pandas(left, npartitions=3)
    dr = partframe.from_pandas(right, npartitions=2)
    out = dl.merge(
        dr, left_on="k", right_on="rk", how=how, indicator=True, broadcast=False
    )
    want = left.merge(right, left_on="k", right_on="rk", how=how, indicator=True)
    check(out, want)
    # the indicator column by attribute, as pandas allows
    assert_eq(out._merge.value_counts(), want._merge.value_counts())
    with pytest.raises(AttributeError):
        out._no_such_column  # noqa: B018
    if how == "outer":  # an int key with missing rows becomes float, as pandas
        assert out._meta["rk"].dtype == want["rk"].dtype == np.float64


def test_nan_and_nullable_keys_and_mixed_numeric():
    left = pd.DataFrame({"k": [1.0, np.nan, 2.0, np.nan, 3.0], "x": range(5)})
    right = pd.DataFrame({"k": [1.0, np.nan, 3.0, 4.0], "y": list("abcd")})
    nl = left.astype({"k": "Int64"})
    nr = right.astype({"k": "Int64"})
    ints = pd.DataFrame({"k": [1, 2, 3], "z": [7, 8, 9]})
    for a, b in ((left, right), (nl, nr), (nl, ints)):
        da = partframe.from_pandas(a, npartitions=2)
        db = partframe.from_pandas(b, npartitions=2)
        for how in HOWS:
            want = a.merge(b, on="k", how=how)
            check(da.merge(db, on="k", how=how, broadcast=False), want)


def test_categorical_keys():
    cats = pd.CategoricalDtype(["a", "b", "c", "d"])
    left = pd.DataFrame({"k": pd.Series(list("abcab"), dtype=cats), "x": range(5)})
    right = pd.DataFrame(
        {"k": pd.Series(list("bcd"), dtype=cats), "y": [1.0, 2.0, 3.0]}
    )
    dl = partframe.from_pandas(left, npartitions=2)
    dr = partframe.from_pandas(right, npartitions=2)
    for how in HOWS:
        out = dl.merge(dr, on="k", how=how, broadcast=False)
        want = left.merge(right, on="k", how=how)
        assert out._meta.k.dtype == want.k.dtype
        check(out, want)


def test_duplicates_empty_and_no_matches(method):
    left = pd.DataFrame({"k": [1, 1, 2, 2, 2], "x": range(5)})
    right = pd.DataFrame({"k": [2, 2, 1], "y": [0.5, 1.5, 2.5]})
    nomatch = pd.DataFrame({"k": [7, 8], "y": [0.5, 1.5]})
    dl = partframe.from_pandas(left, npartitions=2)
    for other in (right, nomatch, right.iloc[:0]):
        dr = partframe.from_pandas(other, npartitions=2)
        for how in HOWS:
            check(
                dl.merge(dr, on="k", how=how, broadcast=False),
                left.merge(other, on="k", how=how),
            )
    empty = partframe.from_pandas(left.iloc[:0], npartitions=1)
    dr = partframe.from_pandas(right, npartitions=2)
    for how in HOWS:
        check(
            empty.merge(dr, on="k", how=how),
            left.iloc[:0].merge(right, on="k", how=how),
        )


def test_leftsemi():
    left, right = _sides(2)
    dl = partframe.from_pandas(left, npartitions=4)
    dr = partframe.from_pandas(right, npartitions=3)
    for broadcast in (None, False):
        out = dl.merge(dr, on=["k", "k2"], how="leftsemi", broadcast=broadcast)
        keys = pd.MultiIndex.from_frame(right[["k", "k2"]])
        want = left[pd.MultiIndex.from_frame(left[["k", "k2"]]).isin(keys)]
        got = out.compute()
        tm.assert_frame_equal(got.sort_index(), want)


def test_index_joins_aligned_and_join():
    left, right = _sides(3)
    li = left.set_index("k")
    ri = right.drop_duplicates("k").set_index("k")
    dl = partframe.from_pandas(left, npartitions=3).set_index("k")
    dr = partframe.from_pandas(right.drop_duplicates("k"), npartitions=2).set_index("k")
    for how in HOWS:
        out = dl.merge(
            dr, left_index=True, right_index=True, how=how, suffixes=("", "_r")
        )
        assert out.expr.strategy() == "aligned"
        want = li.merge(
            ri, left_index=True, right_index=True, how=how, suffixes=("", "_r")
        )
        check(out, want, index=True)
    out = dl.join(dr, how="left", rsuffix="_r")
    check(out, li.join(ri, how="left", suffixes=("", "_r")), index=True)
    # join on a column against the other's index: a hash join
    dlc = partframe.from_pandas(left, npartitions=3)
    out = dlc.join(dr, on="k", how="inner", rsuffix="_r")
    check(out, left.join(ri, on="k", how="inner", suffixes=("", "_r")), index=True)


def test_strategies_are_chosen_in_lower():
    left, right = _sides()
    dl = partframe.from_pandas(left, npartitions=4)
    one = partframe.from_pandas(right, npartitions=1)
    many = partframe.from_pandas(right, npartitions=3)
    assert dl.merge(one, on="k").expr.strategy() == "broadcast-right"
    assert one.merge(dl, on="k", how="right").expr.strategy() == "broadcast-left"
    # outer/right keep the small side's unmatched rows in one extra partition
    assert dl.merge(many, on="k", how="outer").expr.strategy() == "broadcast-right"
    assert dl.merge(many, on="k", how="outer", broadcast=False).expr.strategy() == (
        "hash"
    )
    assert dl.merge(many, on="k", broadcast=False).expr.strategy() == "hash"
    assert dl.merge(many, on="k").expr.strategy() == "broadcast-right"  # small


def _split(df, how):
    """``df`` as a collection partitioned the way ``how`` says."""
    if how == "more-than-rows":
        return partframe.from_pandas(df, npartitions=len(df) + 3, sort=False)
    if how == "empty-parts":
        ddf = partframe.from_pandas(df, npartitions=6)
        return ddf[ddf.x > 0]  # some partitions lose every row
    return partframe.from_pandas(df, npartitions=int(how))


@pytest.mark.parametrize("parts", ["1", "4", "more-than-rows", "empty-parts"])
@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_broadcast_keeping_the_small_sides_rows(parts, scheduler):
    # the big side is partitioned, the small side is one partition: its
    # unmatched rows come once, from one extra partition
    left, right = _sides(4, n=60, m=20)
    right = pd.concat([right, right.iloc[:3]])  # repeated small-side keys
    right.loc[right.index[0], "k2"] = None  # a missing key meets a missing key
    big = _split(left, parts)
    if parts == "empty-parts":
        left = left[left.x > 0]
    small = partframe.from_pandas(right, npartitions=1)
    for how, on in [("outer", "k"), ("right", ["k", "k2"]), ("outer", "k2")]:
        out = big.merge(small, on=on, how=how, broadcast=True)
        if big.npartitions > 1:
            assert out.expr.strategy() == "broadcast-right"
        check(out, left.merge(right, on=on, how=how), scheduler)
    for how in ("outer", "left"):
        out = small.merge(big, on="k", how=how, suffixes=("_s", "_b"), broadcast=True)
        if big.npartitions > 1:
            assert out.expr.strategy() == "broadcast-left"
        want = right.merge(left, on="k", how=how, suffixes=("_s", "_b"))
        check(out, want, scheduler)


def test_broadcast_keeping_rows_edge_cases():
    left, right = _sides(5, n=80, m=12)
    big = partframe.from_pandas(left, npartitions=40)  # masks OR-ed in a tree
    small = partframe.from_pandas(right.rename(columns={"k": "rk"}), npartitions=1)
    renamed = right.rename(columns={"k": "rk"})
    for how in ("outer", "right"):
        out = big.merge(
            small, left_on="k", right_on="rk", how=how, indicator=True, broadcast=True
        )
        assert out.expr.strategy() == "broadcast-right"
        want = left.merge(renamed, left_on="k", right_on="rk", how=how, indicator=True)
        check(out, want)
    nomatch = partframe.from_pandas(right.assign(k=right.k + 100), npartitions=1)
    check(
        big.merge(nomatch, on="k", how="outer"),
        left.merge(right.assign(k=right.k + 100), on="k", how="outer"),
    )
    empty = partframe.from_pandas(right.iloc[:0], npartitions=1)
    check(
        big.merge(empty, on="k", how="outer"),
        left.merge(right.iloc[:0], on="k", how="outer"),
    )
    # NaN float keys on both sides
    fl = left.assign(k=left.k.where(left.k % 3 > 0).astype("float64"))
    fr = right.assign(k=right.k.where(right.k % 4 > 0).astype("float64"))
    out = partframe.from_pandas(fl, npartitions=4).merge(
        partframe.from_pandas(fr, npartitions=1), on="k", how="outer"
    )
    check(out, fl.merge(fr, on="k", how="outer"))


def test_merge_errors():
    left, _ = _sides()
    dl = partframe.from_pandas(left, npartitions=2)
    with pytest.raises(ValueError, match="how"):
        dl.merge(dl, on="k", how="cross")
    with pytest.raises(KeyError):
        dl.merge(dl, on="nope")
    with pytest.raises(ValueError):
        dl.merge(dl, on="k", left_on="k")


# -- exact dtypes: pandas keeps int64 when no row is missing (issue 13) -------


def _int_sides(n_right: int):
    left = pd.DataFrame(
        {"k": range(12), "a": range(100, 112), "b": [True, False] * 6},
        index=pd.RangeIndex(12) * 2,
    )
    right = pd.DataFrame(
        {"k": range(12), "c": range(12), "d": [False, True, True] * 4},
        index=pd.RangeIndex(12) * 2,
    ).iloc[:n_right]
    return left, right


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns), kind="stable")


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("complete", [True, False])
@pytest.mark.parametrize(
    "kw",
    [
        {"on": "k"},
        {"left_index": True, "right_index": True},
        {"left_on": "k", "right_index": True},
        {"left_index": True, "right_on": "k"},
    ],
    ids=["on", "index", "on-index", "index-on"],
)
def test_merge_dtypes_exact(kw, complete, scheduler):
    """int and bool columns (and the index) stay as pandas has them: int64
    and bool when every row matches, float64 and object when some does not;
    over every partitioning of both sides, single-partition sides too."""
    left, right = _int_sides(12 if complete else 7)
    for how in ["inner", "left", "right", "outer"]:
        want = pd.merge(left, right, how=how, **kw)
        for _, lpart, lpdf in variants(left)[:3]:
            for nr in (1, 3):
                rpart = partframe.from_pandas(right, npartitions=nr)
                out = lpart.merge(rpart, how=how, **kw)
                want = pd.merge(lpdf, right, how=how, **kw)
                # Column keys number the rows per partition; with left_index
                # and right_on pandas takes index values by global position.
                index = "left_index" in kw and "right_index" in kw
                assert_eq(
                    out, want, sort_results=True, check_index=index,
                    scheduler=scheduler,
                )  # fmt: skip


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_join_with_series_and_frame_dtypes(scheduler):
    left, right = _int_sides(12)
    for _, ddf, pdf in variants(left):
        for n_right in (12, 5):
            s = right.c.iloc[:n_right].rename("z")
            for nr in (1, 3):
                ds = partframe.from_pandas(s, npartitions=nr)
                for how in ["left", "inner", "outer"]:
                    assert_eq(
                        ddf.join(ds, how=how), pdf.join(s, how=how),
                        sort_results=True, scheduler=scheduler,
                    )  # fmt: skip
                    assert_eq(
                        ddf.join(ds.to_frame(), how=how),
                        pdf.join(s.to_frame(), how=how),
                        sort_results=True, scheduler=scheduler,
                    )  # fmt: skip


def test_merge_meta_assumes_missing_rows():
    """The meta cannot know whether rows will be missing: it says what pandas
    gives when some are (a later cast to it never fails), and the dtypes
    without missing rows are known too."""
    left, right = _int_sides(12)
    out = partframe.from_pandas(left, 2).merge(
        partframe.from_pandas(right, 2), on="k", how="left"
    )
    assert out._meta.c.dtype == np.float64 and out._meta.d.dtype == object
    assert out.expr._meta_if_complete.c.dtype == np.int64
    # a cast to the meta downstream keeps the values
    assert_eq(
        out.c.astype("float64"),
        pd.merge(left, right, on="k", how="left").c.astype("float64"),
        check_index=False,
    )
    inner = partframe.from_pandas(left, 2).merge(
        partframe.from_pandas(right, 2), on="k"
    )
    assert inner.expr._meta_if_complete is None


# -- partitions: what the collection says is what compute gives ---------------


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("nl", [1, 2, 3, 7])
def test_index_join_partitions_whatever_is_asked_first(nl, scheduler):
    """An index join of two set_index frames is aligned: their divisions are
    computed when the join is built, so ``npartitions`` and ``divisions``
    read after a compute describe the computed partitions (they followed a
    broadcast before, two partitions against one promised), repeated
    boundaries included (Dask's test_multi_duplicate_divisions)."""
    left = pd.DataFrame({"x": [0, 0, 0, 0, 1, 1, 5], "a": range(7)})
    right = pd.DataFrame({"x": [0, 1, 1, 4], "b": [1.0, 2.0, 3.0, 4.0]})
    for lpdf in (left, left.assign(x=0)):  # every key equal: (0, 0, ..., 0)
        li, ri = lpdf.set_index("x"), right.set_index("x")
        for how in HOWS:
            dl = partframe.from_pandas(lpdf, npartitions=nl).set_index("x")
            dr = partframe.from_pandas(right, npartitions=2).set_index("x")
            out = dl.merge(dr, how=how, left_index=True, right_index=True)
            assert out.expr.strategy() in ("aligned", "single")
            want = li.merge(ri, how=how, left_index=True, right_index=True)
            # assert_eq computes first, then reads the divisions
            assert_eq(out, want, sort_results=True, scheduler=scheduler)
            dl = partframe.from_pandas(lpdf, npartitions=nl).set_index("x")
            dr = partframe.from_pandas(right, npartitions=2).set_index("x")
            joined = dl.join(dr, how=how)
            want = li.join(ri, how=how)
            assert_eq(joined, want, sort_results=True, scheduler=scheduler)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_join_of_a_join_partitions(scheduler):
    """The strategy is chosen once: a side that is a join has no size
    estimate, its lowered plan has one, and choosing again on it gave 7
    partitions where the collection promised 5."""
    rng = np.random.default_rng(7)
    a = pd.DataFrame({"k": rng.integers(0, 10, 40), "x": range(40)})
    b = pd.DataFrame({"k": range(10), "y": range(10)})
    c = pd.DataFrame({"k": rng.integers(0, 12, 30), "z": range(30)})
    db = partframe.from_pandas(b, npartitions=3)
    dc = partframe.from_pandas(c, npartitions=7)
    for _, da, pa in variants(a):
        for how in ("inner", "right"):
            out = da.merge(db, on="k").merge(dc, on="k", how=how)
            want = pa.merge(b, on="k").merge(c, on="k", how=how)
            assert_eq(
                out, want, sort_results=True, check_index=False, scheduler=scheduler
            )


def _keyed(n: int = 30, seed: int = 8):
    """A frame with a sorted index and int keys ``k``, and a table indexed
    by key (keys 0..9, some missing from ``k``, some extra)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"k": rng.integers(0, 12, n), "x": rng.normal(size=n)},
        index=pd.RangeIndex(n) * 3,
    )
    table = pd.DataFrame({"t": np.arange(10) * 1.5}, index=pd.Index(range(10)))
    return frame, table


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_broadcast_join_keeps_the_divisions_of_the_kept_index(scheduler):
    """A join whose partitions follow one side (the other broadcast, or one
    partition each) keeps that side's known divisions when pandas keeps its
    index: the left's for inner/left joins on the right's index, the
    right's for inner/right joins on the left's index (Dask's
    test_join_gives_proper_divisions)."""
    frame, table = _keyed()
    dt = partframe.from_pandas(table, npartitions=1)
    for label, dl, pl in variants(frame):
        for how in ("inner", "left"):
            for out, want in (
                (dl.join(dt, on="k", how=how), pl.join(table, on="k", how=how)),
                (dl.join(table, on="k", how=how), pl.join(table, on="k", how=how)),
                (
                    dl.merge(dt, left_on="k", right_index=True, how=how),
                    pl.merge(table, left_on="k", right_index=True, how=how),
                ),
            ):
                assert out.npartitions == dl.npartitions
                if dl.known_divisions:
                    if dl.npartitions == 1:
                        assert out.divisions == (dl.divisions[0], dl.divisions[-1])
                    else:
                        assert out.divisions == dl.divisions, label
                assert_eq(out, want, sort_results=True, scheduler=scheduler)
        # on the left's index, the left broadcast: the right's divisions
        small = partframe.from_pandas(table, npartitions=1)
        for how in ("inner", "right"):
            out = small.merge(dl, left_index=True, right_on="k", how=how)
            want = table.merge(pl, left_index=True, right_on="k", how=how)
            assert out.expr.strategy() in ("broadcast-left", "single")
            assert out.known_divisions == dl.known_divisions
            assert_eq(out, want, sort_results=True, scheduler=scheduler)
    # the Dask test: one partition each, a pandas right side
    df = pd.DataFrame({"a": ["a", "b", "c"]}, index=[0, 1, 2])
    right = pd.DataFrame({"b": [1.0, 2.0, 3.0]}, index=["a", "b", "c"])
    ddf = partframe.from_pandas(df, npartitions=1)
    out = ddf.join(right, how="inner", on="a")
    assert out.divisions == ddf.divisions == (0, 2)
    assert_eq(out, df.join(right, how="inner", on="a"), scheduler=scheduler)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("n", [1, 2, 9])
def test_npartitions_is_the_output_partition_count(n, scheduler):
    """``npartitions=`` is honoured by every strategy: a broadcast re-splits
    the side that is not broadcast (Dask's test_merge_tasks_large_to_small),
    one output partition gathers both sides."""
    left, right = _sides(6, n=60, m=20)
    for nl, nr, broadcast in ((4, 1, None), (1, 4, None), (4, 3, None), (4, 3, False)):
        dl = partframe.from_pandas(left, npartitions=nl)
        dr = partframe.from_pandas(right, npartitions=nr)
        for how in HOWS:
            out = dl.merge(dr, on="k", how=how, npartitions=n, broadcast=broadcast)
            assert out.npartitions == n, (nl, nr, how, broadcast)
            assert_eq(
                out, left.merge(right, on="k", how=how), sort_results=True,
                check_index=False, scheduler=scheduler,
            )  # fmt: skip
    # a join on the right's index re-split on known divisions keeps them
    frame, table = _keyed()
    dl = partframe.from_pandas(frame, npartitions=3)
    out = dl.join(partframe.from_pandas(table, npartitions=1), on="k", npartitions=n)
    assert out.npartitions == n
    assert out.known_divisions
    assert_eq(out, frame.join(table, on="k"), scheduler=scheduler)
    # an index join given npartitions is hashed, not aligned
    di = partframe.from_pandas(table, npartitions=2)
    out = dl.set_index("k").merge(
        di, left_index=True, right_index=True, how="outer", npartitions=n
    )
    assert out.npartitions == n
    want = frame.set_index("k").merge(
        table, left_index=True, right_index=True, how="outer"
    )
    assert_eq(out, want, sort_results=True, scheduler=scheduler)


def test_npartitions_must_be_positive():
    left, _ = _sides()
    dl = partframe.from_pandas(left, npartitions=2)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="npartitions must be a positive integer"):
            dl.merge(dl, on="k", npartitions=bad)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_categorical_keys_cast_by_astype(scheduler):
    """Keys made categorical by ``astype("category")`` on each side (Dask's
    test_categorical_merge_retains_category_dtype): the key is categorical
    when both sides have the same categories and holds the categories'
    dtype when they differ, as pandas decides; partframe knows the
    categories (astype computes them), so its meta is pandas' dtype."""
    a = pd.DataFrame({"A": [0, 1, 2, 3, 1, 0], "B": range(6)}, index=range(0, 12, 2))
    for keys in ([0, 1, 2, 4], [3, 2, 1, 0]):  # other categories, the same ones
        b = pd.DataFrame({"A": keys, "C": [4, 5, 7, 7]})
        pb = b.astype({"A": "category"})
        db = partframe.from_pandas(b, npartitions=2).astype({"A": "category"})
        for _, da, pa in variants(a):
            pa = pa.astype({"A": "category"})
            da = da.astype({"A": "category"})
            same = pa.A.dtype == pb.A.dtype
            # (pandas fails an outer merge of categories that differ)
            hows = [("inner", None), ("left", False), ("right", None)]
            for how, broadcast in hows + [("outer", False)] * same:
                out = da.merge(db, on="A", how=how, broadcast=broadcast)
                want = pa.merge(pb, on="A", how=how)
                assert out.A.dtype == want.A.dtype
                assert (want.A.dtype == "category") == same
                assert_eq(
                    out, want, sort_results=True, check_index=False,
                    scheduler=scheduler,
                )  # fmt: skip


# -- join with a list, merge arguments (Dask's test_multi conformance) ---------------


def _join_list_frames(extra_keys: bool = False):
    """A base frame and three others on unique indexes, some missing keys of
    the base; with ``extra_keys``, the others have keys the base lacks."""
    base = pd.DataFrame(
        {"x": range(10, 18), "f": np.linspace(0, 1, 8)}, index=[0, 1, 3, 4, 6, 7, 9, 12]
    )
    keys = [0, 1, 2, 3, 4, 6, 7, 9, 12] if extra_keys else list(base.index)
    letters = list("abcdefghi")[: len(keys)]
    others = [
        pd.DataFrame(
            {f"{i}A": range(i, i + len(keys)), f"{i}B": letters}, index=keys[::-1]
        )
        for i in range(3)
    ]
    others[1] = others[1].iloc[2:]  # index values of base missing here
    return base, others


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("how", ["left", "outer", "inner"])
def test_join_a_list_of_frames(how, scheduler):
    """``join([a, b, ...])`` equals pandas' join with a list (Dask's
    test_pairwise_merge_results_in_identical_output_df), over the base's
    partitionings, other sides of 1 and 3 partitions, and a named Series."""
    base, others = _join_list_frames()
    for _, dbase, pbase in variants(base):
        # keys of the base only (see the xfail below); some of them missing
        others = [o[o.index.isin(pbase.index)] for o in others]
        series = pd.Series(range(5), index=[0, 3, 6, 9, 12], name="s")
        series = series[series.index.isin(pbase.index)]
        for n in (1, 3):
            dothers = [partframe.from_pandas(o, npartitions=n) for o in others]
            out = dbase.join([*dothers, partframe.from_pandas(series, 2)], how=how)
            want = pbase.join([*others, series], how=how)
            check(out, want, scheduler=scheduler, index=True)
            # pandas objects in the list, and the loop it equals
            loop = dbase
            for o in others:
                loop = loop.join(o, how=how)
            assert_eq(
                dbase.join(others, how=how), loop, sort_results=True,
                scheduler=scheduler,
            )  # fmt: skip


@pytest.mark.xfail(
    strict=True,
    reason="known difference, documented in DataFrame.join: on unique indexes "
    "pandas concatenates, so a left join of a list makes the base's int column "
    "float64 when another frame has keys the base lacks (rows made, then "
    "dropped); uniqueness is known only when computing, partframe joins in turn "
    "and keeps int64 (values and rows equal pandas')",
)
def test_join_a_list_left_with_keys_outside_the_base():
    base, others = _join_list_frames(extra_keys=True)
    dbase = partframe.from_pandas(base, npartitions=3)
    want = base.join(others, how="left")
    got = dbase.join(others, how="left").compute()
    tm.assert_frame_equal(got.astype(want.dtypes.to_dict()), want)  # values equal
    tm.assert_frame_equal(got, want)


def test_join_a_list_non_unique_indexes():
    """Duplicated index values: pandas merges in turn (Dask refuses
    ``inner``, test_pairwise_rejects_unsupported_join_types); ``right``
    depends on the indexes' uniqueness and is refused."""
    base = pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]}, index=[0, 1, 3])
    others = [
        pd.DataFrame({"c": [4, 5, 6], "d": [3, 2, 1]}, index=[5, 6, 8]),
        pd.DataFrame({"e": [7, 8, 9], "g": [0, 0, 0]}, index=[9, 9, 9]),
    ]
    dbase = partframe.from_pandas(base, npartitions=3)
    dothers = [partframe.from_pandas(o, npartitions=3) for o in others]
    for how in ["inner", "left", "outer"]:
        check(dbase.join(dothers, how=how), base.join(others, how=how), index=True)
    with pytest.raises(NotImplementedError, match="how='right'"):
        dbase.join(dothers, how="right")


def test_join_a_list_argument_errors():
    """As pandas: no ``on`` and no suffixes with a list."""
    base, others = _join_list_frames()
    dbase = partframe.from_pandas(base, npartitions=2)
    with pytest.raises(ValueError, match="only supported for joining on index"):
        dbase.join(others, on="x")
    with pytest.raises(ValueError, match="Suffixes not supported"):
        dbase.join(others, rsuffix="_r")
    with pytest.raises(ValueError, match="empty"):
        dbase.join([])


def test_merge_without_keys_raises_pandas_merge_error():
    """No ``on`` and no common column: pandas raises MergeError, it does not
    join on the indexes (Dask does: test_merge_indexed_dataframe_to_indexed_dataframe,
    test_merge_outer_empty), and so does partframe, before computing."""
    a = pd.DataFrame({"x": [1, 2, 3]}, index=[1, 2, 3])
    b = pd.DataFrame({"y": list("abc")}, index=[1, 2, 4])
    da, db = partframe.from_pandas(a, 2), partframe.from_pandas(b, 2)
    empty = partframe.from_pandas(pd.DataFrame(), npartitions=1)
    cases = [(da, db, a, b), (empty, db, pd.DataFrame(), b)]
    for left, right, pleft, pright in cases:
        for how in HOWS:
            with pytest.raises(pd.errors.MergeError, match="No common columns"):
                pd.merge(pleft, pright, how=how)
            with pytest.raises(pd.errors.MergeError, match="No common columns"):
                partframe.merge(left, right, how=how)
    # pandas' way: the indexes said
    check(
        da.merge(db, how="left", left_index=True, right_index=True),
        a.merge(b, how="left", left_index=True, right_index=True),
        index=True,
    )


def test_merge_on_arrays_of_keys_is_not_supported():
    """pandas takes arrays of keys by position; partframe names what it
    lacks before building anything (Dask: test_errors_for_merge_on_frame_columns)."""
    a = pd.DataFrame({"x": [1, 2, 3, 4, 5]}, index=[1, 2, 3, 4, 5])
    b = pd.DataFrame({"y": [1, 2, 3, 4, 5]}, index=[5, 4, 3, 2, 1])
    da, db = partframe.from_pandas(a, 3), partframe.from_pandas(b, 2)
    for kw in (
        {"left_on": "x", "right_on": db.y},
        {"left_on": da.x, "right_on": db.y},
        {"left_on": "x", "right_on": b.y.values},
        {"on": [b.y]},
    ):
        with pytest.raises(NotImplementedError, match="column labels"):
            partframe.merge(da, db, **kw)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("how", HOWS)
def test_merge_int_and_float_keys_warns_as_pandas(how, scheduler):
    """pandas warns when float keys are not whole numbers, judging the
    values: the meta's stand-in values must not warn (Dask's
    test_merge_columns_dtypes), the partitions warn when pandas does."""
    left = pd.DataFrame({"A": np.arange(5.0).tolist() * 2, "B": list(range(5)) * 2})
    right = pd.DataFrame({"A": np.arange(5), "C": np.arange(5)})
    dr = partframe.from_pandas(right, 2)
    for _, dl, pl in variants(left):
        assert_eq(
            dl.merge(dr, on="A", how=how), pl.merge(right, on="A", how=how),
            sort_results=True, check_index=False, scheduler=scheduler,
        )  # fmt: skip
    halves = left.assign(A=left.A + 0.5)
    with pytest.warns(UserWarning, match="int and float columns"):
        pd.merge(halves, right, on="A", how=how)
    with pytest.warns(UserWarning, match="int and float columns"):
        partframe.from_pandas(halves, 2).merge(dr, on="A", how=how).compute(
            scheduler=scheduler
        )
