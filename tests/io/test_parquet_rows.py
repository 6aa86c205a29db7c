"""Rows dropped inside a Parquet piece by the filters above its reader.

The terms a filter pushes into ``read_parquet`` skip row groups and drop,
in Arrow, the rows they rule out; the filter stays and decides. Every case
is compared with pandas filtering the whole file (labels included), and the
kernel's own rule (drop a row only where Arrow agrees with pandas) is
checked directly.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import partframe
from partframe.expr.base import walk
from partframe.expr.optimize import optimize
from partframe.io.nodes import ReadParquet
from partframe.kernels import short_strings
from partframe.kernels.parquet_rows import (
    decode_dictionaries,
    dictionary_columns,
    rows_kept,
)
from partframe.testing import assert_eq

N = 90


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    k = np.arange(N)
    t = pd.date_range("2024-01-01", periods=N, freq="37min").as_unit("ms")
    return pd.DataFrame(
        {
            "i": k,
            "f": np.where(k % 9 == 0, np.nan, rng.random(N).round(2)),
            "n": pd.array([None if x % 5 == 0 else x for x in k], dtype="Int64"),
            "s": pd.Series(
                [None if x % 11 == 0 else f"s{x % 6}" for x in k], dtype="str"
            ),
            "w": [f"word-{x:04d}-{x * 7919 % 1000}" for x in k],
            "t": t,
            "z": t.tz_localize("UTC").tz_convert("Europe/Paris"),
            "b": k % 3 == 0,
            "c": pd.Categorical([f"c{x % 4}" for x in k]),
        }
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Three files of 30 rows, row groups of 7 rows."""
    pdf = _frame()
    root = tmp_path_factory.mktemp("rows") / "ds"
    root.mkdir()
    for k in range(3):
        part = pdf.iloc[k * 30 : (k + 1) * 30].reset_index(drop=True)
        pq.write_table(
            pa.Table.from_pandas(part, preserve_index=False),
            root / f"part.{k}.parquet",
            row_group_size=7,
        )
    return str(root), pd.read_parquet(root)


PREDICATES = {
    "int-range": lambda d: (d.i >= 10) & (d.i < 55),
    "int-vs-float": lambda d: d.i > 40.5,
    "float-with-nan": lambda d: d.f < 0.3,
    "float-ne": lambda d: d.f != 0.5,
    "float-vs-int": lambda d: d.f >= 0,
    "nullable-int": lambda d: d.n > 50,
    "str-eq": lambda d: d.s == "s3",
    "str-ne-keeps-missing": lambda d: d.s != "s2",
    "str-isin": lambda d: d.s.isin(["s1", "s4"]),
    "str-not-isin": lambda d: ~d.s.isin(["s1", "s4"]),
    "str-order": lambda d: d.s > "s3",
    "str-high-cardinality": lambda d: d.w < "word-0040",
    "time-exact": lambda d: d.t >= pd.Timestamp("2024-01-02 03:00"),
    "time-finer-than-column": lambda d: d.t < pd.Timestamp("2024-01-01 12:00:00.0005"),
    "time-aware-other-zone": lambda d: d.z > pd.Timestamp("2024-01-02", tz="UTC"),
    "time-isin": lambda d: d.t.isin(
        [pd.Timestamp("2024-01-01 00:37"), pd.Timestamp("2024-01-01 03:05")]
    ),
    "bool": lambda d: d.b == True,  # noqa: E712 (a pushed term)
    "category": lambda d: d.c == "c2",
    "between-and-isin": lambda d: d.i.between(5, 70) & d.s.isin(["s0", "s5"]),
    "or-not-pushed": lambda d: (d.i > 70) | (d.s == "s1"),
    "str-vs-int-value": lambda d: d.s != 3,
    "keeps-most": lambda d: d.i > 2,
    "keeps-none": lambda d: d.i > 1000,
}


@pytest.mark.parametrize("split", [True, False])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("name", sorted(PREDICATES))
def test_filtered_read_matches_pandas(files, name, split, scheduler):
    path, pdf = files
    pred = PREDICATES[name]
    df = partframe.read_parquet(path, split_row_groups=split)
    out = df[pred(df)]
    assert_eq(out, pdf[pred(pdf)], scheduler=scheduler)


def test_labels_are_those_of_the_rows_kept(files):
    path, pdf = files
    df = partframe.read_parquet(path, split_row_groups=True)
    got = df[df.s == "s3"].compute()
    assert got.index.tolist() == pdf.index[pdf.s == "s3"].tolist()
    plan = optimize(df[df.s == "s3"].expr, fuse=False)
    (reader,) = [n for n in walk(plan) if _is_read(n)]
    assert reader.pushed == (("s", "==", "s3"),)


def _is_read(node) -> bool:
    return isinstance(node, ReadParquet)


def test_selections_of_one_filtered_frame_push_their_terms(files):
    # ``f.i * f.f`` reads the source through one filter per selection
    path, pdf = files
    df = partframe.read_parquet(path)
    f = df[(df.i > 30) & (df.t < pd.Timestamp("2024-01-02 12:00"))]
    total = (f.i * f.f).sum()
    g = pdf[(pdf.i > 30) & (pdf.t < pd.Timestamp("2024-01-02 12:00"))]
    assert total.compute() == pytest.approx((g.i * g.f).sum())
    readers = [n for n in walk(optimize(total.expr, fuse=False)) if _is_read(n)]
    assert readers and all(("i", ">", 30) in (r.pushed or ()) for r in readers)


def test_selections_filtered_alike_share_only_common_terms(files):
    path, pdf = files
    df = partframe.read_parquet(path, split_row_groups=True)
    a = df[(df.i > 20) & (df.s == "s1")].f.sum()
    b = df[df.i > 20].f.max()
    got_a, got_b = partframe.compute(a, b)
    assert got_a == pytest.approx(pdf[(pdf.i > 20) & (pdf.s == "s1")].f.sum())
    assert got_b == pdf[pdf.i > 20].f.max()


def test_a_reduction_in_the_predicate_sees_every_row(files):
    # ``df.f.mean()`` reads the source too: rows the other term drops in
    # the reader would change the mean
    path, pdf = files
    df = partframe.read_parquet(path, split_row_groups=True)
    out = df[(df.i > 60) & (df.i > df.i.mean() + 20)]
    expected = pdf[(pdf.i > 60) & (pdf.i > pdf.i.mean() + 20)]
    assert len(expected) == 25  # the mean of the rows i > 60 would keep none
    assert_eq(out, expected)
    readers = [n for n in walk(optimize(out.expr, fuse=False)) if _is_read(n)]
    assert readers and not any(r.pushed for r in readers)


def test_branches_with_their_own_filters_read_once(files):
    path, pdf = files
    df = partframe.read_parquet(path, split_row_groups=True)
    low = df[df.i < 15]
    high = df[df.i > 80]
    got_low, got_high = partframe.compute(low.f.sum(), high.w)
    assert got_low == pytest.approx(pdf[pdf.i < 15].f.sum())
    pd.testing.assert_series_equal(got_high, pdf[pdf.i > 80].w)


def test_user_filters_and_pushed_terms_together(files):
    path, _ = files
    df = partframe.read_parquet(path, filters=[("i", ">=", 20)])
    out = df[df.s == "s2"]
    expected = pd.read_parquet(path, filters=[("i", ">=", 20)])
    expected = expected[expected.s == "s2"]
    # labels restart in each piece read with filters= (as Dask's); pandas
    # numbers the rows of the whole result
    pd.testing.assert_frame_equal(
        out.compute().reset_index(drop=True), expected.reset_index(drop=True)
    )


def test_a_string_column_read_as_a_dictionary_reads_as_a_plain_one(tmp_path):
    k = np.arange(2000)
    table = pa.table(
        {
            "flag": pa.array([None if x % 13 == 0 else "AB"[x % 2] for x in k]),
            "big": pa.array([f"{x:06d}" * 34 for x in k], type=pa.large_string()),
            "x": pa.array(k),
        }
    )
    path = tmp_path / "d.parquet"
    pq.write_table(table, path, row_group_size=500, dictionary_pagesize_limit=1 << 20)
    pf = pq.ParquetFile(path)
    assert dictionary_columns(pf, None, ["flag", "big", "x"]) == ["flag"]
    assert dictionary_columns(pf, [], ["flag"]) == []
    df = partframe.read_parquet(str(path), split_row_groups=True)
    expected = pd.read_parquet(path)
    assert_eq(df, expected)
    assert_eq(df[df.flag == "A"], expected[expected.flag == "A"])
    assert_eq(df[df.flag != "A"], expected[expected.flag != "A"])
    coded = pq.ParquetFile(path, read_dictionary=["flag"]).read()
    assert pa.types.is_dictionary(coded.schema.field("flag").type)
    assert decode_dictionaries(coded, ["flag"]).equals(pq.read_table(path))


# -- the kernel's rule -----------------------------------------------------------


def _meta(**dtypes):
    return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in dtypes.items()})


def test_rows_kept_drops_only_where_arrow_agrees_with_pandas():
    t = pa.table({"x": pa.array([1, 5, 3, 9]), "s": ["a", None, "b", "c"]})
    meta = _meta(x="int64", s="str")
    assert rows_kept(t, [[("x", ">", 2)]], meta).tolist() == [1, 2, 3]
    # a null compares as unknown: kept for the filter above to decide
    assert rows_kept(t, [[("s", "!=", "a")]], meta).tolist() == [1, 2, 3]
    assert rows_kept(t, [[("s", "==", "b")]], meta).tolist() == [1, 2]
    # OR of conjunctions
    dnf = [[("x", "<", 2)], [("s", "==", "c")]]
    assert rows_kept(t, dnf, meta).tolist() == [0, 1, 3]


@pytest.mark.parametrize(
    "meta, term",
    [
        (_meta(x="float64", s="str"), ("x", ">", 2)),  # int file, float dataset
        (_meta(x="int64", s="str"), ("s", "==", 3)),  # str column, int value
        (_meta(x="int64", s="str"), ("x", "==", np.nan)),
        (_meta(x="int64", s="str"), ("x", "in", (1, None))),
        (_meta(x="int64", s="str"), ("x", "in", (1, 2.5))),
        (_meta(x="int64", s="category"), ("s", "==", "a")),
        (_meta(x="int64", s="str"), ("x", ">", "2")),
        (_meta(x="int64", s="str"), ("x", "==", True)),
        (_meta(x="int64", s="str"), ("missing", "==", 1)),
        (_meta(x="int64", s="str"), ("x", ">", 0)),  # keeps all: nothing to do
    ],
)
def test_rows_kept_keeps_every_row_when_unsure(meta, term):
    t = pa.table({"x": pa.array([1, 5, 3, 9]), "s": ["a", None, "b", "c"]})
    assert rows_kept(t, [[term]], meta) is None
    # with a usable term beside it, only that term drops rows
    t = t.append_column("y", pa.array([1.0, 2.0, 3.0, 4.0]))
    meta = meta.assign(y=pd.Series([], dtype="float64"))
    usable = ("y", "!=", 2.0)
    assert rows_kept(t, [[term, usable]], meta).tolist() == [0, 2, 3]


def test_rows_kept_on_dictionary_codes_with_nulls():
    arr = pa.array(["a", None, "b", "a", None, "c", "a", "b"]).dictionary_encode()
    t = pa.table({"s": pa.chunked_array([arr.slice(0, 4), arr.slice(4)])})
    meta = _meta(s="str")
    assert rows_kept(t, [[("s", "==", "a")]], meta).tolist() == [0, 1, 3, 4, 6]
    assert rows_kept(t, [[("s", "in", ("b", "c"))]], meta).tolist() == [1, 2, 4, 5, 7]


def test_rows_kept_times_in_the_columns_unit():
    times = pd.to_datetime(["2024-01-01 00:00:00.001", "2024-01-01 00:00:00.002"])
    t = pa.table({"t": pa.array(times.as_unit("ms"))})
    meta = _meta(t="datetime64[ms]")
    # a value between two milliseconds: no row is ruled out wrongly
    half = pd.Timestamp("2024-01-01 00:00:00.0015")
    assert rows_kept(t, [[("t", ">", half)]], meta).tolist() == [1]
    assert rows_kept(t, [[("t", "<", datetime.datetime(2024, 1, 1))]], meta).size == 0


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_filtered_read_composed_with_assign_merge_and_groupby(
    tmp_path, scheduler, monkeypatch
):
    # dictionary-read flags, rows dropped in the reader (pieces left empty
    # too), then an assign, a merge and a groupby on one-byte string keys
    monkeypatch.setattr(short_strings, "MIN_ROWS", 0)
    rng = np.random.default_rng(5)
    n = 6000
    pdf = pd.DataFrame(
        {
            "k": rng.integers(0, 40, n),
            "flag": pd.array(rng.choice(list("ANR"), n), dtype="str"),
            "x": rng.random(n),
        }
    )
    pdf.loc[1500:2999, "flag"] = "N"  # a whole file: its piece keeps nothing
    root = tmp_path / "flags"
    root.mkdir()
    for i in range(4):
        part = pdf.iloc[i * 1500 : (i + 1) * 1500].reset_index(drop=True)
        part.to_parquet(root / f"part.{i}.parquet", row_group_size=500)
    dim = pd.DataFrame({"k": np.arange(40), "w": np.arange(40) % 3})
    expected = pd.read_parquet(root)

    def query(df, d):
        df = df[df.flag != "N"]
        df = df.assign(y=df.x * 2)
        m = df.merge(d, on="k")
        return m.groupby(["flag", "w"]).y.agg(["sum", "count"])

    got = query(
        partframe.read_parquet(str(root), split_row_groups=True),
        partframe.from_pandas(dim, npartitions=2),
    )
    assert_eq(got, query(expected, dim), scheduler=scheduler)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    values=st.lists(
        st.text(st.characters(exclude_categories=["Cs"]), max_size=4),
        min_size=1,
        max_size=6,
    ),
    n=st.integers(0, 50),
    nulls=st.booleans(),
    cut=st.integers(0, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_dictionaries_decode_as_arrow_casts(values, n, nulls, cut, seed):
    # fixed-width strings (flags, codes) are decoded by numpy, the rest by
    # Arrow's cast: the same strings either way, sliced chunks included
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(values), n)
    mask = rng.random(n) < 0.3 if nulls else None
    arr = pa.DictionaryArray.from_arrays(
        pa.array(index.astype("int32"), mask=mask), pa.array(values)
    )
    chunks = [arr.slice(0, cut), arr.slice(cut)] if cut < n else [arr]
    table = pa.table({"s": pa.chunked_array(chunks, type=arr.type)})
    got = decode_dictionaries(table, ["s"])
    assert got.schema.field("s").type == pa.string()
    assert got.column("s").to_pylist() == arr.cast(pa.string()).to_pylist()
    got.validate(full=True)
