"""Partition-aware operations against pandas: head/tail, len, repartition,
concat, reset_index, set_index(sorted=True), loc, partitions, nlargest."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest
from frames import PARTITIONINGS, make_pdf, same_in_forked_child, variant, variants

import partframe
from partframe.expr.optimize import column_needs, lower
from partframe.expr.sources import FromPandas
from partframe.graph import cull
from partframe.kernels.partitions import parse_bytes, union_divisions
from partframe.testing import assert_eq

PDF = make_pdf()
VARIANTS = {how: variant(PDF, how) for how in PARTITIONINGS}
SCHEDULERS = ["sync", "threads"]


@pytest.fixture
def no_compute():
    """Building plans inside this block must not compute anything."""
    with partframe.config.set(scheduler="raise"):
        yield


@pytest.fixture(params=PARTITIONINGS)
def frames(request):
    return VARIANTS[request.param]


# -- recording which partitions run ----------------------------------------------------

SEEN: list = []


def _record(part: pd.DataFrame) -> pd.DataFrame:
    SEEN.append(len(part))
    return part


def _recorded(ddf):
    SEEN.clear()
    return ddf.map_partitions(_record, meta=ddf._meta, preserves_index=True)


def _tasks(obj) -> dict:
    """The culled graph that would run for ``obj``."""
    dsk, _ = cull(obj.__dask_graph__(), obj.__dask_keys__())
    return dsk


def _real_tasks(obj) -> list:
    """Keys whose value is a task (not data, not an alias)."""
    return [k for k, v in _tasks(obj).items() if type(v) is tuple and callable(v[0])]


def _source_keys(obj) -> list:
    return [k for k in _tasks(obj) if isinstance(k, tuple) and "frompandas" in k[0]]


# -- head / tail -----------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 3, 100])
def test_head_tail(frames, n):
    ddf, pdf = frames
    tm.assert_frame_equal(ddf.head(n), pdf.head(n))
    tm.assert_frame_equal(ddf.tail(n), pdf.tail(n))
    tm.assert_series_equal(ddf.f.head(n), pdf.f.head(n))
    tm.assert_series_equal(ddf.f.tail(n), pdf.f.tail(n))


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("n", [2, 50])
def test_head_tail_lazy(frames, n, scheduler, no_compute):
    ddf, pdf = frames
    head, tail = ddf.head(n, compute=False), ddf.tail(n, compute=False)
    assert head.npartitions == tail.npartitions == 1
    assert_eq(head, pdf.head(n), scheduler=scheduler)
    assert_eq(tail, pdf.tail(n), scheduler=scheduler)
    assert_eq(head[["i", "s"]], pdf.head(n)[["i", "s"]], scheduler=scheduler)


def test_head_computes_only_the_first_partition():
    pdf = pd.DataFrame({"x": range(40)})
    ddf = _recorded(partframe.from_pandas(pdf, npartitions=8))
    with partframe.config.set(scheduler="sync"):
        out = ddf.head(3)
    tm.assert_frame_equal(out, pdf.head(3))
    assert SEEN == [5]
    with partframe.config.set(scheduler="sync"):
        out = ddf.tail(3)
    tm.assert_frame_equal(out, pdf.tail(3))
    assert SEEN == [5, 5]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_head_after_filter_empties_first_partitions(scheduler):
    pdf = pd.DataFrame({"x": range(40)})
    ddf = _recorded(partframe.from_pandas(pdf, npartitions=8))
    filtered = ddf[ddf.x >= 35]  # partitions 0..6 become empty
    with partframe.config.set(scheduler=scheduler):
        out = filtered.head(3)
    tm.assert_frame_equal(out, pdf[pdf.x >= 35].head(3))
    # batches of 1, 2, 4, 8 partitions: 0 | 1-2 | 3-6 | 7
    assert len(SEEN) == 8
    SEEN.clear()
    with partframe.config.set(scheduler=scheduler):
        out = ddf[ddf.x < 3].tail(2)
    tm.assert_frame_equal(out, pdf[pdf.x < 3].tail(2))
    assert len(SEEN) == 8


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_head_after_a_sort_computes_the_input_once(scheduler):
    # Each sorted partition needs every input partition: batches of
    # partitions would compute the input once per batch.
    pdf = pd.DataFrame({"x": range(400), "y": np.arange(400) % 37})
    ddf = _recorded(partframe.from_pandas(pdf, npartitions=8))
    few = ddf[ddf.x % 40 == 0].sort_values("y", ascending=False)  # 10 rows
    want = pdf[pdf.x % 40 == 0].sort_values("y", ascending=False, kind="stable")
    with partframe.config.set(scheduler=scheduler):
        out = few.head(20)
    tm.assert_frame_equal(out, want.head(20))
    assert len(SEEN) == 8
    SEEN.clear()
    with partframe.config.set(scheduler=scheduler):
        out = few.tail(20)
    tm.assert_frame_equal(out, want.tail(20))
    assert len(SEEN) == 8


def test_head_graph_holds_only_the_batch():
    pdf = pd.DataFrame({"x": range(40)})
    ddf = partframe.from_pandas(pdf, npartitions=8)
    sub = ddf[ddf.x > 3].partitions[:2]
    assert len(_source_keys(sub.head(2, compute=False))) == 2


def test_head_rejects_negative():
    ddf, _ = VARIANTS["3"]
    with pytest.raises(ValueError, match="non-negative"):
        ddf.head(-1)


@pytest.mark.parametrize("method", ["head", "tail"])
def test_head_tail_npartitions_within_the_partition_count(frames, method):
    ddf, pdf = frames
    n = ddf.npartitions
    for batch in (1, n, -1):
        for compute in (True, False):
            got = getattr(ddf, method)(4, npartitions=batch, compute=compute)
            assert_eq(got, getattr(pdf, method)(4), scheduler="sync")
    for bad in (n + 1, 0, -2, 1.5, True, "2"):
        with pytest.raises(ValueError, match=rf"{method}\(npartitions=.*give 1 to {n}"):
            getattr(ddf, method)(2, npartitions=bad)


# -- len / shape / size ----------------------------------------------------------------


def test_len_shape_size(frames):
    ddf, pdf = frames
    assert len(ddf) == len(pdf)
    assert ddf.shape[0].compute() == pdf.shape[0]
    assert ddf.shape[1] == pdf.shape[1]
    assert ddf.size.compute() == pdf.size
    assert ddf.f.size.compute() == pdf.f.size
    assert len(ddf[ddf.i > 4]) == len(pdf[pdf.i > 4])


def test_len_reads_no_columns(no_compute):
    ddf = partframe.from_pandas(PDF, npartitions=3)
    for obj in (ddf, ddf[ddf.i > 4]):
        plan = lower(obj._length().expr)
        needs = column_needs(plan)
        (source,) = [n for n in _walk(plan) if isinstance(n, FromPandas)]
        want = set() if obj is ddf else {"i"}
        assert needs[source._name] == want


def _walk(expr):
    from partframe.expr.base import walk

    return list(walk(expr))


# -- repartition -----------------------------------------------------------------------


@pytest.mark.parametrize("npartitions", [1, 2, 5, 45])
def test_repartition_npartitions(frames, npartitions, no_compute):
    ddf, pdf = frames
    out = ddf.repartition(npartitions=npartitions)
    assert out.npartitions == npartitions
    if npartitions < ddf.npartitions:
        assert out.known_divisions == ddf.known_divisions
    with partframe.config.set(scheduler="sync"):
        assert_eq(out, pdf)


def test_repartition_more_keeps_divisions_when_interpolable():
    pdf = pd.DataFrame({"x": range(20)})
    out = partframe.from_pandas(pdf, npartitions=2).repartition(npartitions=6)
    assert out.known_divisions and out.npartitions == 6
    assert_eq(out, pdf)
    spdf = pdf.set_index(pdf.x.astype(str).str.zfill(3))
    out = partframe.from_pandas(spdf, npartitions=2).repartition(npartitions=5)
    assert not out.known_divisions and out.npartitions == 5
    assert_eq(out, spdf)
    tpdf = pdf.set_index(pd.date_range("2024", periods=20, freq="h"))
    out = partframe.from_pandas(tpdf, npartitions=3).repartition(npartitions=7)
    assert out.known_divisions
    assert_eq(out, tpdf)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_repartition_divisions(frames, scheduler, no_compute):
    ddf, pdf = frames
    if not ddf.known_divisions:
        with pytest.raises(ValueError, match="known divisions"):
            ddf.repartition(divisions=[0, 100])
        return
    lo, hi = ddf.divisions[0], ddf.divisions[-1]
    for divs in ([lo, hi], [lo, 9, 10, 31, hi], [lo, 9, hi, hi]):
        out = ddf.repartition(divisions=divs)
        assert out.divisions == tuple(divs)
        assert_eq(out, pdf, scheduler=scheduler)
    # beyond the current divisions only with force=True, as Dask
    for divs in ([-5, 3, 40, hi + 10], [lo - 1, hi], [lo, hi + 1]):
        with pytest.raises(ValueError, match="force=True"):
            ddf.repartition(divisions=divs)
        out = ddf.repartition(divisions=divs, force=True)
        assert out.divisions == tuple(divs)
        assert_eq(out, pdf, scheduler=scheduler)
    with pytest.raises(ValueError, match="cover"):
        ddf.repartition(divisions=[lo + 1, hi])
    with pytest.raises(ValueError, match="cover"):
        ddf.repartition(divisions=[lo, hi - 1], force=True)
    with pytest.raises(ValueError, match="sorted"):
        ddf.repartition(divisions=[hi, lo])
    with pytest.raises(ValueError, match="3 is repeated"):
        ddf.repartition(divisions=[lo, 3, 3, hi], force=True)
    with pytest.raises(ValueError, match="at least two"):
        ddf.repartition(divisions=[lo])
    with pytest.raises(TypeError, match="list of index boundaries"):
        ddf.repartition(divisions="ab")


def test_repartition_needs_one_argument():
    ddf, _ = VARIANTS["3"]
    with pytest.raises(ValueError, match="exactly one"):
        ddf.repartition()
    with pytest.raises(ValueError, match="exactly one"):
        ddf.repartition(npartitions=2, divisions=[0, 58])


def test_repartition_partition_size(frames):
    ddf, pdf = frames
    with partframe.config.set(scheduler="sync"):
        small = ddf.repartition(partition_size="300B")
        big = ddf.repartition(partition_size=10**9)
        assert small.npartitions > 1
        assert big.npartitions == 1
        assert big.known_divisions == ddf.known_divisions
        assert_eq(small, pdf)
        assert_eq(big, pdf)
    with pytest.raises(ValueError, match="size in bytes"):
        ddf.repartition(partition_size="lots")


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("100MB", 10**8),
        ("100 mb", 10**8),
        ("1 MiB", 2**20),
        ("1mib", 2**20),
        ("1e6", 10**6),
        ("5.5kB", 5500),
        ("kb", 1000),
        ("KiB", 1024),
        ("2 Ki", 2048),
        ("1G", 10**9),
        ("1 TiB", 2**40),
        ("1PB", 10**15),
        ("64MiB", 64 * 2**20),
        ("512", 512),
        (512, 512),
        (1e6, 10**6),
        (np.int64(7), 7),
    ],
)
def test_parse_bytes_reads_what_dask_reads(text, n):
    assert parse_bytes(text) == n


@pytest.mark.parametrize("text", ["lots", "1 XB", "1.2.3MB", "e", 0, "0", "-1kB"])
def test_parse_bytes_rejects(text):
    with pytest.raises(ValueError, match="size in bytes"):
        parse_bytes(text)


def test_blocksize_strings_read_as_repartition_sizes(tmp_path):
    """read_csv's and read_parquet's blocksize strings are read by
    parse_bytes (a unit alone, "kb", is one kilobyte)."""
    pdf = pd.DataFrame({"x": np.arange(2000), "y": np.arange(2000) * 0.5})
    pdf.to_csv(tmp_path / "a.csv", index=False)
    for size in ["2 kB", "1KiB", "kb", "1e4"]:
        ddf = partframe.read_csv(tmp_path / "a.csv", blocksize=size)
        assert ddf.npartitions > 1, size
        assert_eq(ddf, pdf, check_index=False)
    pdf.to_parquet(tmp_path / "a.parquet")
    ddf = partframe.read_parquet(tmp_path / "a.parquet", blocksize="1 KiB")
    assert_eq(ddf, pdf)


def test_union_divisions():
    """The sorted union of every boundary of both sides (as Dask aligns)."""
    assert union_divisions((0, 5, 10), (2, 5, 12)) == (0, 2, 5, 10, 12)
    # each side's last boundary is kept, not only the outer ones
    assert union_divisions((0, 5, 10), (0, 3, 12)) == (0, 3, 5, 10, 12)
    assert union_divisions((0, 10), (20, 30)) == (0, 10, 20, 30)
    assert union_divisions((0, 5), (0, 5)) == (0, 5)
    # a last partition holding one value shares its boundary; never a
    # single boundary
    assert union_divisions((0, 5, 5), (0, 3, 5)) == (0, 3, 5)
    assert union_divisions((5, 5), (5, 5)) == (5, 5)
    assert union_divisions((0, 5, 5), (5, 9)) == (0, 5, 9)
    # equal values of other types count once; ints and floats interleave
    assert union_divisions((0, 1.0, 2), (np.int64(1), 1.5, 2.0)) == (0, 1, 1.5, 2)
    ts = pd.Timestamp
    assert union_divisions((ts("2020"), ts("2022")), (ts("2021"), ts("2023"))) == (
        ts("2020"),
        ts("2021"),
        ts("2022"),
        ts("2023"),
    )
    assert union_divisions(("a", "c"), ("b", "d")) == ("a", "b", "c", "d")
    for unknown in [(None, None), (), (None,)]:
        with pytest.raises(ValueError, match="known"):
            union_divisions(unknown, (0, 1))
        with pytest.raises(ValueError, match="known"):
            union_divisions((0, 1), unknown)
    with pytest.raises(ValueError, match="cannot be compared"):
        union_divisions((0, 5), ("a", "b"))


def test_aligned_divisions_are_the_union_everywhere(no_compute):
    """Arithmetic, an index join and concat(axis=1) of two frames with
    different known divisions all re-split both to the sorted union of their
    boundaries (Dask gives (0, 3, 5, 10, 12) for all three)."""
    a = pd.DataFrame({"x": np.arange(11.0)}, index=np.arange(11))
    b = pd.DataFrame({"y": np.arange(13.0)}, index=np.arange(13))
    da = partframe.from_pandas(a, npartitions=1).repartition(divisions=[0, 5, 10])
    db = partframe.from_pandas(b, npartitions=1).repartition(divisions=[0, 3, 12])
    want = (0, 3, 5, 10, 12)
    joined = da.merge(db, left_index=True, right_index=True, how="outer")
    both = partframe.concat([da, db], axis=1)
    assert (da.x + db.y).divisions == want
    assert joined.divisions == want
    assert both.divisions == want
    with partframe.config.set(scheduler="sync"):
        assert_eq(da.x + db.y, a.x + b.y)
        assert_eq(joined, a.merge(b, left_index=True, right_index=True, how="outer"))
        assert_eq(both, pd.concat([a, b], axis=1))


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_align_different_divisions(scheduler, no_compute):
    a = pd.DataFrame({"x": np.arange(30.0)}, index=np.arange(30) * 2)
    b = pd.DataFrame({"y": np.arange(25.0)}, index=np.arange(25) * 3 + 1)
    da = partframe.from_pandas(a, npartitions=4)
    db = partframe.from_pandas(b, npartitions=3)
    assert_eq(da.x + db.y, a.x + b.y, scheduler=scheduler)
    assert_eq(db.y - da.x, b.y - a.x, scheduler=scheduler)


# -- concat ----------------------------------------------------------------------------


def _pair(a: pd.DataFrame, b: pd.DataFrame, na=3, nb=2):
    return partframe.from_pandas(a, npartitions=na), partframe.from_pandas(b, nb)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_concat_rows_same_schema(frames, scheduler, no_compute):
    ddf, pdf = frames
    out = partframe.concat([ddf, ddf])
    assert out.npartitions == 2 * ddf.npartitions
    assert not out.known_divisions
    assert_eq(out, pd.concat([pdf, pdf]), scheduler=scheduler)
    assert_eq(
        partframe.concat([ddf, ddf], ignore_index=True),
        pd.concat([pdf, pdf], ignore_index=True),
        scheduler=scheduler,
    )
    assert_eq(partframe.concat([ddf.s, ddf.s]), pd.concat([pdf.s, pdf.s]))


def test_concat_rows_known_divisions_when_ordered(no_compute):
    a, b = PDF.iloc[:10], PDF.iloc[10:]
    da, db = _pair(a, b)
    out = partframe.concat([da, db])
    assert out.known_divisions
    assert out.divisions == (*da.divisions[:-1], *db.divisions)
    with partframe.config.set(scheduler="sync"):
        assert_eq(out, PDF)
    assert not partframe.concat([db, da]).known_divisions


@pytest.mark.parametrize("join", ["outer", "inner"])
def test_concat_rows_different_columns(join, no_compute):
    a = PDF.iloc[:12]
    b = pd.DataFrame(
        {
            "i": ["p", "q", "r"],  # int + str -> object
            "c": pd.Categorical(["w", "w", "x"]),  # other categories
            "z": [1.5, 2.5, 3.5],  # only in b
            "f": [1, 2, 3],  # float + int -> float
        },
        index=pd.Index([100, 101, 102]),
    )
    da, db = _pair(a, b)
    expected = pd.concat([a, b], join=join)
    out = partframe.concat([da, db], join=join)
    assert out.dtypes.equals(expected.dtypes)
    with partframe.config.set(scheduler="sync"):
        assert_eq(out, expected)
        assert_eq(partframe.concat([db, da], join=join), pd.concat([b, a], join=join))
        # projection pushdown keeps pandas' upcasts
        cols = ["i", "n"] if join == "outer" else ["i"]
        assert_eq(out[cols], expected[cols])


def test_concat_rows_series_and_frames(no_compute):
    a = pd.Series([1, 2, 3], name="x")
    b = pd.Series([1.5, 2.5], name="y", index=[7, 8])
    da, db = _pair(a, b, 2, 1)
    with partframe.config.set(scheduler="sync"):
        assert_eq(partframe.concat([da, db]), pd.concat([a, b]))
        frame = pd.DataFrame({"x": [0, 1]}, index=[10, 11])
        dframe = partframe.from_pandas(frame, npartitions=1)
        assert_eq(partframe.concat([dframe, da]), pd.concat([frame, a]))
        # pandas objects are accepted
        assert_eq(partframe.concat([da, b]), pd.concat([a, b]))


def test_concat_errors():
    ddf, _ = VARIANTS["3"]
    with pytest.raises(TypeError, match="list"):
        partframe.concat(ddf)
    with pytest.raises(ValueError, match="No objects"):
        partframe.concat([])
    with pytest.raises(ValueError, match="join"):
        partframe.concat([ddf, ddf], join="left")
    with pytest.raises(ValueError, match="axis"):
        partframe.concat([ddf, ddf], axis=2)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_concat_columns(frames, scheduler, no_compute):
    ddf, pdf = frames
    out = partframe.concat([ddf[["i", "f"]], ddf.s, (ddf.n * 2).rename("m")], axis=1)
    expected = pd.concat([pdf[["i", "f"]], pdf.s, (pdf.n * 2).rename("m")], axis=1)
    assert_eq(out, expected, scheduler=scheduler)
    assert_eq(out[["f", "m"]], expected[["f", "m"]], scheduler=scheduler)
    out = partframe.concat([ddf.i, ddf.b], axis=1, ignore_index=True)
    assert_eq(out, pd.concat([pdf.i, pdf.b], axis=1, ignore_index=True))


@pytest.mark.parametrize("join", ["outer", "inner"])
def test_concat_columns_different_sources(join, no_compute):
    a = pd.DataFrame({"x": np.arange(10.0)}, index=np.arange(10) * 2)
    b = pd.DataFrame(
        {"y": np.arange(8.0), "s": list("abcdefgh")}, index=np.arange(8) * 3
    )
    da, db = _pair(a, b)
    out = partframe.concat([da, db], axis=1, join=join)
    with partframe.config.set(scheduler="sync"):
        assert_eq(out, pd.concat([a, b], axis=1, join=join, sort=True))
    # ints are upcast: with other sources, rows may be missing
    ia, ib = a.astype({"x": int}), b.astype({"y": int})
    da, db = _pair(ia, ib)
    out = partframe.concat([da, db], axis=1, join=join)
    with partframe.config.set(scheduler="sync"):
        assert_eq(out, pd.concat([ia, ib], axis=1, join=join, sort=True))
    unknown = partframe.from_pandas(b, npartitions=2, sort=False)
    with pytest.raises(ValueError, match="align"):
        partframe.concat([da, unknown], axis=1)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_concat_columns_one_partition_each_unknown_divisions(scheduler):
    """One partition each aligns inside it, as pandas aligns the rows,
    whatever the divisions (Dask's test_groupby_concat_cudf: two groupby
    results); the result's division spans both sides, unknown when one is."""
    a = pd.DataFrame({"x": [1, 2, 3], "z": [7, 8, 9]}, index=[0, 1, 2])
    b = pd.DataFrame({"y": [4.5, 5.5]}, index=[2, 10])
    for da, db in [
        (partframe.from_pandas(a, 1), partframe.from_pandas(b, 1, sort=False)),
        (partframe.from_pandas(a, 1, sort=False), partframe.from_pandas(b, 1)),
        (
            partframe.from_pandas(a, 2).groupby("x").sum(),
            partframe.from_pandas(b, 1, sort=False).y.to_frame(),
        ),
    ]:
        pa, pb = da.compute(), db.compute()
        for join in ["outer", "inner"]:
            out = partframe.concat([da, db], axis=1, join=join)
            want = pd.concat([pa, pb], axis=1, join=join)
            assert_eq(out, want, scheduler=scheduler, sort_results=True)
            assert out.npartitions == 1
        assert_eq(da.z + db.y, pa.z + pb.y, scheduler=scheduler)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_concat_columns_different_sources_dtypes_as_pandas(scheduler):
    """Outer concat of inputs from different sources: pandas keeps int and
    bool columns when no row is missing, upcasts them otherwise; decided
    for the whole result (Dask's test_groupby_concat_cudf)."""
    a = pd.DataFrame({"x": range(10), "b": [True, False] * 5}, index=range(0, 20, 2))
    for _, da, pa in variants(a):
        for other in (pa, pa.iloc[1:]):
            other = other.rename(columns={"x": "y", "b": "c"})
            for n in (1, 2):
                db = partframe.from_pandas(other, npartitions=n)
                out = partframe.concat([da, db], axis=1)
                want = pd.concat([pa, other], axis=1, sort=True)
                assert_eq(out, want, scheduler=scheduler)


# -- reset_index / set_index -----------------------------------------------------------


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("drop", [False, True])
def test_reset_index(frames, drop, scheduler, no_compute):
    ddf, pdf = frames
    out = ddf.reset_index(drop=drop)
    assert_eq(out, pdf.reset_index(drop=drop), scheduler=scheduler)
    assert_eq(ddf.f.reset_index(drop=drop), pdf.f.reset_index(drop=drop))
    assert_eq(
        ddf[ddf.i > 3].reset_index(drop=drop), pdf[pdf.i > 3].reset_index(drop=drop)
    )
    assert_eq(out[["i"]], pdf.reset_index(drop=drop)[["i"]], scheduler=scheduler)


def test_reset_index_divisions(no_compute):
    ddf = partframe.from_pandas(PDF, npartitions=3)
    assert ddf.reset_index().divisions == (0, 10, 20, 29)
    assert not ddf[ddf.i > 3].reset_index().known_divisions
    assert ddf.f.reset_index(name="g").columns.tolist() == ["index", "g"]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_set_index_sorted(frames, scheduler):
    ddf, pdf = frames
    flat = ddf.reset_index()  # column "index" sorted across partitions
    expected = pdf.reset_index().set_index("index")
    with partframe.config.set(scheduler=scheduler):
        out = flat.set_index("index", sorted=True)
        assert out.known_divisions
        assert_eq(out, expected, scheduler=scheduler)
        assert_eq(
            flat.set_index("t", sorted=True, drop=False),
            pdf.reset_index().set_index("t", drop=False),
            scheduler=scheduler,
        )


def test_set_index_sorted_reads_one_column():
    ddf = partframe.from_pandas(PDF.reset_index(), npartitions=3)
    seen = []

    class Watch(partframe.Callback):
        def on_start(self, event):
            seen.append(event)

    with Watch():
        ddf.set_index("index", sorted=True)
    assert len(seen) == 1


def test_set_index_equal_values_across_boundaries():
    pdf = pd.DataFrame({"k": [1, 2, 2, 2, 2, 2, 3, 3, 5], "v": range(9)})
    ddf = partframe.from_pandas(pdf, npartitions=4)  # splits the 2s
    out = ddf.set_index("k", sorted=True)
    assert out.known_divisions
    assert_eq(out, pdf.set_index("k"))


def test_set_index_missing_values_give_unknown_divisions():
    pdf = pd.DataFrame({"k": [1.0, 2.0, np.nan, 4.0], "v": range(4)})
    out = partframe.from_pandas(pdf, npartitions=2).set_index("k", sorted=True)
    assert not out.known_divisions
    assert_eq(out, pdf.set_index("k"))


def test_set_index_sorted_checks_order():
    pdf = pd.DataFrame({"k": [1, 5, 2, 3, 9, 10], "v": range(6)})
    ddf = partframe.from_pandas(pdf, npartitions=3)
    with pytest.raises(
        ValueError, match="partition 0 holds \\[1, 5\\] but partition 1"
    ):
        ddf.set_index("k", sorted=True)
    # Without sorted=True the frame is sorted by a shuffle instead.
    assert_eq(ddf.set_index("k"), pdf.set_index("k").sort_index())
    with pytest.raises(KeyError, match="not a column"):
        ddf.set_index("nope", sorted=True)


def test_set_index_with_divisions_is_lazy(no_compute):
    pdf = pd.DataFrame({"k": [1, 2, 3, 4, 5, 6], "v": range(6)})
    ddf = partframe.from_pandas(pdf, npartitions=3)
    out = ddf.set_index("k", sorted=True, divisions=[1, 3, 5, 6])
    assert out.divisions == (1, 3, 5, 6)
    with partframe.config.set(scheduler="sync"):
        assert_eq(out, pdf.set_index("k"))
    with pytest.raises(ValueError, match="npartitions \\+ 1"):
        ddf.set_index("k", sorted=True, divisions=[1, 6])


# -- loc -------------------------------------------------------------------------------


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_loc(frames, scheduler, no_compute):
    ddf, pdf = frames
    labels = list(pdf.index)
    for label in (labels[0], labels[-1], 3):
        assert_eq(ddf.loc[label], pdf.loc[[x for x in [label] if x in pdf.index]])
    # beyond known divisions a label is absent for sure: pandas' KeyError
    for label in (-1, 1000):
        with pytest.raises(KeyError):
            pdf.loc[label]
        with pytest.raises(KeyError):
            ddf.loc[label]
    cases = [
        slice(4, 20),
        slice(None, 11),
        slice(31, None),
        slice(100, 200),
        slice(7, 7),
    ]
    for key in cases:
        assert_eq(ddf.loc[key], pdf.loc[key], scheduler=scheduler)
        assert_eq(ddf.f.loc[key], pdf.f.loc[key], scheduler=scheduler)
    for key in (labels[1:4], labels[::2], [labels[2], labels[0], labels[2]], []):
        assert_eq(ddf.loc[key], pdf.loc[key], scheduler=scheduler)
    assert_eq(ddf.loc[ddf.i > 4], pdf.loc[pdf.i > 4], scheduler=scheduler)
    assert_eq(ddf.loc[lambda d: d.i > 4], pdf.loc[lambda d: d.i > 4])
    assert_eq(ddf.loc[4:20, "f"], pdf.loc[4:20, "f"], scheduler=scheduler)
    assert_eq(ddf.loc[4:20, ["s", "i"]], pdf.loc[4:20, ["s", "i"]])
    assert_eq(ddf.loc[:, "n":"s"], pdf.loc[:, "n":"s"])
    assert_eq(ddf.loc[ddf.b, ["i"]], pdf.loc[pdf.b, ["i"]])


def test_loc_narrows_divisions_to_the_selection(no_compute):
    pdf = pd.DataFrame({"a": range(9)}, index=[0, 1, 3, 5, 6, 8, 9, 9, 9])
    ddf = partframe.from_pandas(pdf, npartitions=3)
    assert ddf.divisions == (0, 5, 9, 9)
    with partframe.config.set(scheduler="sync"):
        for key, divisions in [
            (slice(3, 8), (3, 5, 8)),
            (slice(None, 8), (0, 5, 8)),
            (slice(3, None), (3, 5, 9, 9)),
            (slice(6, 7), (6, 7)),
            (5, (5, 5)),
            (9, (9, 9)),
            (slice(100, 200), (0, 5)),  # nothing selected: kept
            (slice(7, 3), (0, 5)),  # an empty slice: kept
        ]:
            for obj, want in ((ddf, pdf), (ddf.a, pdf.a)):
                got = obj.loc[key]
                assert got.divisions == divisions, key
                assert_eq(got, want.loc[[key] if not isinstance(key, slice) else key])
    dates = pd.DataFrame({"x": range(6)}, index=pd.date_range("2024", periods=6))
    dd = partframe.from_pandas(dates, npartitions=2)
    got = dd.loc[pd.Timestamp("2024-01-02") : pd.Timestamp("2024-01-05")]
    assert got.divisions == (pd.Timestamp("2024-01-02"), dd.divisions[1],
                             pd.Timestamp("2024-01-05"))  # fmt: skip
    with partframe.config.set(scheduler="sync"):
        assert_eq(got, dates.loc["2024-01-02":"2024-01-05"])


def test_divisions_are_plain_python_scalars(no_compute):
    pdf = pd.DataFrame(
        {"a": range(8), "f": np.arange(8) * 0.5},
        index=pd.Index([1, 5, 10, 11, 12, 100, 200, 300], dtype="int64"),
    )
    ddf = partframe.from_pandas(pdf, npartitions=3)
    floats = partframe.from_pandas(pdf.set_index("f"), npartitions=3)
    dates = partframe.from_pandas(
        pdf.set_index(pd.date_range("2024", periods=8).values), npartitions=3
    )
    with partframe.config.set(scheduler="sync"):
        sorted_ = ddf.reset_index().set_index("a", sorted=True)
    for obj, typ in [
        (ddf, int),
        (ddf.a, int),
        (ddf.loc[5:200], int),
        (ddf.repartition(npartitions=5), int),
        (sorted_, int),
        (floats, float),
        (dates, pd.Timestamp),
    ]:
        assert obj.known_divisions
        assert all(type(d) is typ for d in obj.divisions), obj.divisions


def test_loc_missing_labels():
    ddf, pdf = VARIANTS["3"]
    with pytest.raises(KeyError):
        ddf.loc[[0, 1000]]
    with pytest.raises(KeyError):
        ddf.loc[[0, 1]].compute(scheduler="sync")
    with pytest.raises(TypeError, match="lazy boolean"):
        ddf.loc[pdf.i > 3]


def test_loc_prunes_partitions(no_compute):
    pdf = pd.DataFrame({"x": range(100)})
    ddf = partframe.from_pandas(pdf, npartitions=10)  # 10 rows each
    assert len(_source_keys(ddf.loc[35])) == 1
    assert len(_source_keys(ddf.loc[35:52])) == 3
    assert len(_source_keys(ddf.loc[[5, 95, 97]])) == 2
    assert len(_source_keys(ddf.loc[[95, 5]])) == 2
    assert len(_source_keys((ddf.x + 1).loc[60:69])) == 1
    # tasks too: one fused task per kept partition, none for the others
    assert len(_real_tasks(ddf[ddf.x > 3].loc[35:52])) == 3
    unknown = partframe.from_pandas(pdf, npartitions=10, sort=False)
    assert len(_source_keys(unknown.loc[35:52])) == 10
    with partframe.config.set(scheduler="sync"):
        assert_eq(unknown.loc[35:52], pdf.loc[35:52])
        assert_eq(unknown.loc[[52, 35]], pdf.loc[[52, 35]])
        assert_eq(unknown.loc[35], pdf.loc[[35]])


# -- partitions / get_partition --------------------------------------------------------


def test_partitions(frames, no_compute):
    ddf, pdf = frames
    n = ddf.npartitions
    with partframe.config.set(scheduler="sync"):
        parts = [ddf.get_partition(i).compute() for i in range(n)]
        tm.assert_frame_equal(pd.concat(parts), pdf)
        assert_eq(ddf.partitions[:], pdf)
        assert_eq(ddf.partitions[-1], parts[-1])
        assert_eq(ddf.partitions[::2], pd.concat(parts[::2]))
        assert_eq(ddf.f.partitions[[n - 1, 0]], pd.concat([parts[-1].f, parts[0].f]))
    assert ddf.partitions[[n - 1, 0]].known_divisions is False
    if n > 1:
        assert ddf.partitions[1:].npartitions == n - 1
    with pytest.raises(IndexError):
        ddf.partitions[n]
    with pytest.raises(TypeError):
        ddf.partitions["a"]
    # get_partition numbers partitions 0..n-1 (as Dask); partitions[] counts
    # from the end too
    for bad in (n, -1, 1.0, "0"):
        with pytest.raises(ValueError, match=rf"from 0 to {n - 1}.*partitions\[-1\]"):
            ddf.get_partition(bad)


# -- nlargest / nsmallest --------------------------------------------------------------


@pytest.mark.parametrize("keep", ["first", "last", "all"])
@pytest.mark.parametrize("method", ["nlargest", "nsmallest"])
def test_nlargest(frames, method, keep, no_compute):
    ddf, pdf = frames
    with partframe.config.set(scheduler="sync"):
        for n, cols in [(3, "i"), (50, "i"), (2, ["i", "f"]), (4, "n"), (3, "t")]:
            got = getattr(ddf, method)(n, cols, keep=keep)
            assert_eq(got, getattr(pdf, method)(n, cols, keep=keep))
        want = getattr(pdf.i, method)(3, keep=keep)
        assert_eq(getattr(ddf.i, method)(3, keep=keep), want)


def test_nlargest_ties_random():
    rng = np.random.default_rng(1)
    for _ in range(10):
        n = int(rng.integers(3, 30))
        pdf = pd.DataFrame(
            {
                "a": rng.integers(0, 3, n),
                "b": rng.integers(0, 2, n),
                "f": rng.choice([1.0, 2.0, np.nan], n),
            }
        )
        ddf = partframe.from_pandas(pdf, npartitions=int(rng.integers(1, 5)))
        for method in ("nlargest", "nsmallest"):
            for keep in ("first", "last", "all"):
                cols = [["a"], ["a", "b"], "f", ["f", "a"]][int(rng.integers(0, 4))]
                k = int(rng.integers(1, 6))
                got = getattr(ddf, method)(k, cols, keep=keep)
                assert_eq(got, getattr(pdf, method)(k, cols, keep=keep))


def test_nlargest_errors():
    ddf, _ = VARIANTS["3"]
    with pytest.raises(TypeError):
        ddf.nlargest(3, "s")
    with pytest.raises(ValueError, match="keep"):
        ddf.nlargest(3, "i", keep="middle")


# -- processes -------------------------------------------------------------------------


def test_on_processes():
    ddf, pdf = VARIANTS["empty-parts"]
    assert_eq(ddf.reset_index(), pdf.reset_index(), scheduler="processes")
    assert_eq(ddf.loc[10:40], pdf.loc[10:40], scheduler="processes")
    assert_eq(ddf.repartition(npartitions=2), pdf, scheduler="processes")
    other = partframe.from_pandas(PDF.iloc[:5], npartitions=2)
    assert_eq(
        partframe.concat([other, ddf]),
        pd.concat([PDF.iloc[:5], pdf]),
        scheduler="processes",
    )
    assert_eq(ddf.nlargest(4, "i"), pdf.nlargest(4, "i"), scheduler="processes")
    with partframe.config.set(scheduler="processes"):
        tm.assert_frame_equal(ddf.head(7), pdf.head(7))


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_big_results_concatenate_column_by_column(monkeypatch, how, scheduler):
    import partframe.kernels.partitions as K

    calls = []
    real = K._concat_columns
    monkeypatch.setattr(K, "PARALLEL_CONCAT_BYTES", 0)
    monkeypatch.setattr(
        K, "_concat_columns", lambda parts: calls.append(1) or real(parts)
    )
    pdf = make_pdf()
    df, p = variant(pdf, how)
    got = df.compute(scheduler=scheduler)
    tm.assert_frame_equal(got, p)  # dtypes, index and labels exactly
    parts = [x for x in partframe.compute(*df.to_delayed()) if len(x)]
    assert bool(calls) == (len(parts) > 1)
    # repeated column labels and a named index
    dup = p.iloc[:, :3].set_axis(["a", "a", "b"], axis=1).rename_axis("idx")
    ddup = partframe.from_pandas(dup, npartitions=3)
    tm.assert_frame_equal(ddup.compute(scheduler=scheduler), dup)


def test_parts_that_differ_concatenate_as_pandas_does(monkeypatch):
    import partframe.kernels.partitions as K

    monkeypatch.setattr(K, "PARALLEL_CONCAT_BYTES", 0)
    a = pd.DataFrame({"x": [1, 2], "c": pd.Categorical(["u", "v"])})
    b = pd.DataFrame({"x": [3.5], "c": pd.Categorical(["w"])}, index=[7])
    tm.assert_frame_equal(K.concat_result([a, b]), pd.concat([a, b]))
    assert not K._parallel_concat_ok([a, b])
    a.attrs["source"] = "here"
    assert not K._parallel_concat_ok([a, a])


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_column_concat_works_after_fork():
    setup = """
        import pandas as pd
        import partframe.kernels.partitions as K
        K.PARALLEL_CONCAT_BYTES = 0
        parts = [pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})] * 3
        """
    # the parent's pool starts with the first call
    assert same_in_forked_child(setup, "K.concat_result(parts).to_dict()")


# -- issue 13: concat with a column-less empty frame; index arithmetic --------


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_concat_with_an_empty_frame_without_columns(scheduler):
    """pandas leaves out frames with neither rows nor columns: int columns
    stay int64. A column-less frame with rows makes them float64."""
    pdf = make_pdf(20)[["i", "b", "f"]]
    for how in PARTITIONINGS:
        ddf, p = variant(pdf, how)
        for empty in (pd.DataFrame(), pd.DataFrame(index=pd.Index([], dtype="int64"))):
            for n in (1, 2):
                lazy = partframe.from_pandas(empty, npartitions=n)
                assert_eq(
                    partframe.concat([ddf, lazy]),
                    pd.concat([p, empty]),
                    scheduler=scheduler,
                )
                assert_eq(
                    partframe.concat([lazy, ddf]),
                    pd.concat([empty, p]),
                    scheduler=scheduler,
                )
        rows = pd.DataFrame(index=[100, 101])
        lazy = partframe.from_pandas(rows, npartitions=1)
        assert_eq(
            partframe.concat([ddf, lazy]), pd.concat([p, rows]), scheduler=scheduler
        )


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_index_arithmetic_moves_or_drops_divisions(scheduler):
    pdf = make_pdf(30)
    for how in PARTITIONINGS:
        ddf, p = variant(pdf, how)
        cases = [
            (ddf.index + 1, p.index + 1, True),
            (3 + ddf.index, 3 + p.index, True),
            (ddf.index - 2, p.index - 2, True),
            (ddf.index * 2, p.index * 2, True),
            (ddf.index * -1, p.index * -1, False),
            (10 - ddf.index, 10 - p.index, False),
            (ddf.index % 4, p.index % 4, False),
            (ddf.t.dt.floor("D").index, p.t.dt.floor("D").index, True),
        ]
        for got, want, known in cases:
            assert got.known_divisions == (known and ddf.known_divisions)
            assert_eq(got, want, scheduler=scheduler)
        # the index of a frame set by position, as pandas; a moved index too
        moved, expected = ddf.copy(), p.copy()
        moved.index = moved.index * 10
        expected.index = expected.index * 10
        assert_eq(moved, expected, scheduler=scheduler)
        assert_eq(moved.i + moved.f, expected.i + expected.f, scheduler=scheduler)
        moved.index = moved.index % 7
        expected.index = expected.index % 7
        assert not moved.known_divisions
        assert_eq(moved, expected, scheduler=scheduler)
    with pytest.raises(TypeError, match="lazy partframe Index"):
        moved.index = pd.RangeIndex(len(pdf))


# -- loc: partial date strings, callables, pandas label Series ----------------------

HOURLY = pd.DataFrame(
    {"A": np.arange(100.0), "B": np.arange(100) % 7},
    index=pd.date_range("2011-01-01", freq="h", periods=100),
)
MONTHLY = pd.DataFrame(
    {"A": np.arange(40.0)}, index=pd.date_range("2011-01-01", freq="ME", periods=40)
)
PERIODS = pd.DataFrame(
    {"A": np.arange(100.0)},
    index=pd.period_range("2011-01-01", freq="h", periods=100),
)


def _date_frames(pdf):
    """``pdf`` over every partitioning, and unsorted (unknown divisions)."""
    out = [variant(pdf, how)[:2] for how in PARTITIONINGS]
    shuffled = pdf.sample(frac=1, random_state=0)
    out.append((partframe.from_pandas(shuffled, npartitions=3, sort=False), shuffled))
    return out


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize(
    ("pdf", "keys"),
    [
        (HOURLY, ["2011-01-02", "2011-01-02 10:00", "01/02/2011", "2011-01-05"]),
        (MONTHLY, ["2011", "2011-01", "2012-05", "2013"]),
        (PERIODS, ["2011-01-02", "2011-01-03 05:00"]),
        (HOURLY.tz_localize("Europe/Paris"), ["2011-01-02", "2011-01-03"]),
    ],
    ids=["hourly", "monthly", "periods", "tz"],
)
def test_loc_partial_date_strings(pdf, keys, scheduler, no_compute):
    """A date string on a datetime-like index is a period, as in pandas: a
    label selects all the rows inside it (a frame, as Dask), a slice bound
    reaches to its start or its end."""
    for ddf, expected in _date_frames(pdf):
        for key in keys:
            try:
                want = expected.loc[key]
            except KeyError:  # absent: no rows (partframe cannot know lazily)
                want = expected.iloc[:0]
            if not isinstance(want, pd.DataFrame):  # pandas' exact match: a row
                want = expected[expected.index == want.name]
            assert_eq(ddf.loc[key], want, scheduler=scheduler, check_freq=False)
            assert_eq(ddf.A.loc[key], want.A, scheduler=scheduler, check_freq=False)
        for lo, hi in itertools.pairwise([None, *keys, None]):
            if lo is not None and hi is not None and lo > hi:
                continue
            want = expected.sort_index().loc[lo:hi]
            want = expected[expected.index.isin(want.index)]
            got = ddf.loc[lo:hi]
            assert_eq(got, want, scheduler=scheduler, check_freq=False)
            assert_eq(
                ddf.loc[lo:hi, "A"], want.A, scheduler=scheduler, check_freq=False
            )
        assert ddf.loc["2000":"2099"].divisions == ddf.divisions


def test_loc_partial_date_strings_prune_partitions(no_compute):
    ddf = partframe.from_pandas(HOURLY, npartitions=10)  # 10 hours each
    assert len(_source_keys(ddf.loc["2011-01-02"])) == 3
    assert len(_source_keys(ddf.loc[:"2011-01-01"])) == 3
    assert len(_source_keys(ddf.loc["2011-01-05":])) == 1
    assert len(_source_keys(ddf.loc["2011"])) == 10


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_loc_callables_labels_and_too_many_indexers(frames, scheduler, no_compute):
    ddf, pdf = frames

    def some_columns(df):
        return df.columns.isin(["f", "s"])

    assert_eq(ddf.loc[:, some_columns], pdf.loc[:, some_columns], scheduler=scheduler)
    assert_eq(
        ddf.loc[lambda d: d.i > 4, lambda d: ["f"]],
        pdf.loc[lambda d: d.i > 4, lambda d: ["f"]],
        scheduler=scheduler,
    )
    labels = pd.Series([pdf.index[0], pdf.index[-1]])
    assert_eq(ddf.loc[labels], pdf.loc[labels], scheduler=scheduler)
    assert_eq(ddf.f.loc[labels], pdf.f.loc[labels], scheduler=scheduler)
    for bad, obj in [((0, "f", 1), ddf), ((0, 1), ddf.f)]:
        with pytest.raises(pd.errors.IndexingError, match="Too many indexers"):
            pdf.loc[bad] if obj is ddf else pdf.f.loc[bad]
        with pytest.raises(pd.errors.IndexingError, match="Too many indexers"):
            obj.loc[bad]
        with pytest.raises(pd.errors.IndexingError, match="Too many indexers"):
            obj.iloc[bad]


def _index_masks(ddf, pdf):
    """``(lazy, pandas)`` of an Index's isna/notna/isin, aliases included."""
    labels = list(pdf.index[::4]) + [-1.0]
    lazy_labels = partframe.from_pandas(pd.Series(labels), npartitions=2)
    return [
        (ddf.index.isna(), pdf.index.isna()),
        (ddf.index.isnull(), pdf.index.isnull()),
        (ddf.index.notna(), pdf.index.notna()),
        (ddf.index.notnull(), pdf.index.notnull()),
        (ddf.index.isin(labels), pdf.index.isin(labels)),
        (ddf.index.isin(pd.Index(labels)), pdf.index.isin(pd.Index(labels))),
        (ddf.index.isin(lazy_labels), pdf.index.isin(labels)),
        (ddf.index.isin([]), pdf.index.isin([])),
    ]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_index_isna_notna_isin_over_all_partitions(scheduler):
    """As pandas, an Index's isna/notna/isin are boolean arrays over every
    label (lazy: a partframe Array, computed to a NumPy array); they filter
    the frame they come from and reduce and combine like pandas' arrays."""
    pdf = make_pdf(30)
    cases = [variant(pdf, how) for how in PARTITIONINGS]
    missing = pdf.set_axis(np.where(np.arange(30) % 4 == 1, np.nan, np.arange(30.0)))
    cases += [(partframe.from_pandas(missing, npartitions=n, sort=False), missing)
              for n in (1, 2, 3, 7)]  # fmt: skip
    for ddf, p in cases:
        for got, want in _index_masks(ddf, p):
            assert isinstance(got, partframe.Array)
            assert got.npartitions == ddf.npartitions
            assert_eq(got, want, scheduler=scheduler)
            assert_eq(~got, ~want, scheduler=scheduler)
            assert_eq(got & ddf.index.notna(), want & p.index.notna())
            assert_eq(got.sum(), want.sum(), scheduler=scheduler)
            assert_eq(got.any(), want.any(), scheduler=scheduler)
            assert_eq(got.all(), want.all(), scheduler=scheduler)
            assert_eq(ddf[got], p[want], scheduler=scheduler)
            assert_eq(ddf.i[~got], p.i[~want], scheduler=scheduler)
        assert_eq(ddf.index.isna().persist(), p.index.isna())


def test_index_masks_are_lazy_and_filter_only_their_frame(no_compute):
    ddf = partframe.from_pandas(make_pdf(30), npartitions=3)
    mask = ddf.index.isin([1, 2])
    assert mask.dtype == bool and mask.ndim == 1
    assert repr(mask) == "partframe.Array<npartitions=3, dtype=bool>"
    other = partframe.from_pandas(make_pdf(30), npartitions=2)
    with pytest.raises(ValueError, match="filters the frame it comes from"):
        other[mask]
    with pytest.raises(TypeError, match="only list-like objects"):
        ddf.index.isin(3)


def test_index_to_series_to_frame_astype(frames):
    """Index.to_series/to_frame keep the index's partitions and divisions
    (so the result aligns with the frame); Index.astype casts (pandas'
    Index.astype has no errors=, which partframe passed and crashed)."""
    ddf, pdf = frames
    idx = ddf.index
    assert_eq(idx.to_series(), pdf.index.to_series())
    assert_eq(idx.to_series(name="z"), pdf.index.to_series(name="z"))
    assert idx.to_series().divisions == ddf.divisions
    assert_eq(idx.to_series() * 2 + ddf.i, pdf.index.to_series() * 2 + pdf.i)
    assert_eq(idx.to_frame(), pdf.index.to_frame())
    assert_eq(idx.to_frame(name="k"), pdf.index.to_frame(name="k"))
    assert_eq(idx.to_frame(index=False), pdf.index.to_frame(index=False))
    assert idx.to_frame().divisions == ddf.divisions
    assert_eq(idx.astype("float64"), pdf.index.astype("float64"))
    assert_eq(idx.astype(str), pdf.index.astype(str))
    with pytest.raises(NotImplementedError, match="to_series"):
        idx.to_series(index=pdf.index)


@pytest.mark.parametrize("n", [0, 1, 3, 100])
def test_index_head_tail(frames, n):
    """An Index's head/tail (Dask's; pandas slices ``index[:n]``)."""
    ddf, pdf = frames
    for got, want in [(ddf.index, pdf.index), (ddf.set_index("t").index, pdf.t)]:
        want = pd.Index(want)
        tm.assert_index_equal(got.head(n), want[:n], exact="equiv")
        last = want[len(want) - min(n, len(want)) :]
        tm.assert_index_equal(got.tail(n), last, exact="equiv")


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_set_index_with_lazy_values(frames, scheduler):
    """set_index takes a lazy Series or Index computed from the frame (by
    position, as pandas takes arrays) or a one-label list; the index is named
    as the values, and the rows are sorted by it (partframe's set_index)."""
    ddf, pdf = frames
    for key, want in [
        (ddf.f * 2, pdf.f * 2),
        (ddf.i.rename("i2"), pdf.i.rename("i2")),
        (ddf.s, pdf.s),  # the name of a column that stays
        (ddf.s.mask(ddf.i > 6), pdf.s.mask(pdf.i > 6)),  # missing labels
        (ddf.index * 3, pdf.index * 3),
    ]:
        expected = pdf.set_index(want).sort_index(kind="stable")
        assert_eq(ddf.set_index(key), expected, scheduler=scheduler)
    assert_eq(ddf.set_index(["i"]), pdf.set_index(["i"]).sort_index(kind="stable"))
    assert_eq(ddf.set_index(ddf.index), pdf.set_index(pdf.index), scheduler=scheduler)


def test_set_index_bad_keys():
    ddf, pdf = VARIANTS["3"]
    with pytest.raises(NotImplementedError, match="MultiIndex"):
        ddf.set_index([["i"]])
    with pytest.raises(NotImplementedError, match="MultiIndex"):
        ddf.set_index(["i", "f"])
    with pytest.raises(NotImplementedError, match="DataFrame of keys"):
        ddf.set_index(ddf[["i"]])
    for method in ("nlargest", "nsmallest"):
        with pytest.raises(TypeError, match="required positional"):
            getattr(pdf, method)()
        with pytest.raises(TypeError, match="required positional"):
            getattr(ddf, method)()
