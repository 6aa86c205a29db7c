"""read_parquet: compared with pandas reading the same files."""

from __future__ import annotations

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import partframe
from partframe.io.nodes import ReadParquet
from partframe.io.parquet import SchemaMismatchError
from partframe.kernels.parquet import ParquetReadError
from partframe.testing import assert_eq


def _frame(n: int = 100, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "i": np.arange(n),
            "f": rng.standard_normal(n).round(3),
            "s": [f"s{k % 7}" for k in range(n)],
            "n": pd.array([None if k % 5 == 0 else k for k in range(n)], dtype="Int64"),
            "t": pd.date_range("2024-01-01", periods=n, freq="h"),
        }
    )


@pytest.fixture
def dataset(tmp_path):
    """Four files of 25 rows, row groups of 10."""
    pdf = _frame()
    root = tmp_path / "ds"
    root.mkdir()
    for k in range(4):
        part = pdf.iloc[k * 25 : (k + 1) * 25].reset_index(drop=True)
        pq.write_table(
            pa.Table.from_pandas(part, preserve_index=False),
            root / f"part.{k}.parquet",
            row_group_size=10,
        )
    return str(root), pdf


def _read(obj):
    return obj.compute(scheduler="sync")


def test_round_trip_matches_pandas(dataset):
    path, _ = dataset
    df = partframe.read_parquet(path)
    expected = pd.read_parquet(path)
    assert df.npartitions == 4
    assert df.divisions == (0, 25, 50, 75, 99)
    assert_eq(df, expected)
    assert df.dtypes.equals(expected.dtypes)
    assert df.n.dtype == "Int64"  # nullable integers round-trip exactly


@pytest.mark.parametrize(
    ("split", "nparts"), [(False, 4), (True, 12), (2, 8), ("infer", 4)]
)
def test_split_row_groups(dataset, split, nparts):
    path, _ = dataset
    df = partframe.read_parquet(path, split_row_groups=split)
    assert df.npartitions == nparts
    assert_eq(df, pd.read_parquet(path))


def test_blocksize_groups_row_groups(dataset):
    path, _ = dataset
    df = partframe.read_parquet(path, blocksize=1)
    assert df.npartitions == 12
    assert_eq(df, pd.read_parquet(path))


def test_columns_and_series(dataset):
    path, _ = dataset
    expected = pd.read_parquet(path, columns=["s", "i"])
    assert_eq(partframe.read_parquet(path, columns=["s", "i"]), expected)
    assert_eq(partframe.read_parquet(path, columns="f"), pd.read_parquet(path).f)
    with pytest.raises(KeyError, match="nope"):
        partframe.read_parquet(path, columns=["nope"])


@pytest.mark.parametrize(
    "filters",
    [
        [("i", ">", 42)],
        [("i", ">=", 10), ("i", "<", 30)],
        [[("i", "<", 5)], [("s", "==", "s3")]],
        [("s", "in", ["s1", "s2"])],
        [("n", "!=", 3)],
    ],
)
@pytest.mark.parametrize("split", [True, False])
def test_filters_match_pandas(dataset, filters, split):
    # rows and labels: pandas numbers the rows kept 0..n-1 over the result
    path, _ = dataset
    df = partframe.read_parquet(path, filters=filters, split_row_groups=split)
    expected = pd.read_parquet(path, filters=filters)
    assert_eq(df, expected, scheduler="sync")
    assert_eq(df, expected, scheduler="threads")
    # composed: a filter, an assign and a projection above the numbered read
    q = df[df.i % 2 == 0].assign(j=df.i * 2)[["j", "s"]]
    want = expected[expected.i % 2 == 0].assign(j=expected.i * 2)[["j", "s"]]
    assert_eq(q, want)


def test_filters_skip_row_groups(dataset):
    path, _ = dataset
    df = partframe.read_parquet(path, filters=[("i", ">", 42)], split_row_groups=True)
    assert df.npartitions == 8  # row groups with max <= 42 are skipped


def test_projection_pushdown_into_reader(dataset):
    path, pdf = dataset
    df = partframe.read_parquet(path)
    q = df[df.i > 50].s
    readers = [n for n in _walk(q._optimized) if isinstance(n, ReadParquet)]
    assert readers and all(set(r.columns) == {"i", "s"} for r in readers)
    assert_eq(q, pdf[pdf.i > 50].s)


def _walk(expr):
    from partframe.expr.base import walk
    from partframe.expr.optimize.fuse import Fused

    for node in walk(expr):
        yield node
        if isinstance(node, Fused):
            yield from node.members


def test_predicate_pushdown_prunes_and_keeps_filter(dataset):
    path, pdf = dataset
    df = partframe.read_parquet(path, split_row_groups=True)
    for pred, expected in [
        (df.i > 85, pdf.i > 85),
        ((df.i >= 20) & (df.i < 31), (pdf.i >= 20) & (pdf.i < 31)),
        (df.i.between(40, 49), pdf.i.between(40, 49)),
        (df.i.isin([3, 97]), pdf.i.isin([3, 97])),
        (95 < df.i, 95 < pdf.i),  # noqa: SIM300 (the reflected operator)
    ]:
        q = df[pred]
        assert_eq(q, pdf[expected])
        (reader,) = [n for n in _walk(q._optimized) if isinstance(n, ReadParquet)]
        assert reader.pushed
        # pruned pieces read nothing; the partition count never changes
        assert reader.npartitions == df.npartitions
        assert sum(len(p[1]) for p in reader._plan) < sum(
            len(p[1]) for p in reader._base_plan
        )


def test_predicate_not_pushed_when_reader_used_unfiltered(dataset):
    path, pdf = dataset
    df = partframe.read_parquet(path, split_row_groups=True)
    total = df[df.i > 85].i.sum() + df.i.sum()
    assert total.compute() == pdf[pdf.i > 85].i.sum() + pdf.i.sum()
    assert all(
        not n.pushed for n in _walk(total._optimized) if isinstance(n, ReadParquet)
    )


def test_len_from_metadata(dataset, tmp_path):
    path, pdf = dataset
    df = partframe.read_parquet(path)
    from partframe.kernels.parquet import empty_frame

    (reader,) = [
        n for n in _walk(df._length()._optimized) if isinstance(n, ReadParquet)
    ]
    assert list(reader.columns) == []
    assert all(reader._task(i)[0] is empty_frame for i in range(reader.npartitions))
    assert len(df) == len(pdf)
    assert len(df[["s"]]) == len(pdf)


def test_hive_key_also_a_column_of_some_keys_raises(tmp_path):
    # A key=value folder named like a column of the files, next to keys that
    # are not: which values win is ambiguous (pandas raises too).
    for part in ("a", "b"):
        folder = tmp_path / f"part={part}" / "kind=x"
        folder.mkdir(parents=True)
        pdf = pd.DataFrame({"part": part, "col": range(5)})
        pdf.to_parquet(folder / "data.parquet", index=False)
    with pytest.raises(TypeError):  # pyarrow.ArrowTypeError
        pd.read_parquet(tmp_path)
    with pytest.raises(ValueError, match=r"\['part'\].*also columns.*\['kind'\]"):
        partframe.read_parquet(str(tmp_path))


def test_hive_key_as_the_index_is_refused_naming_the_fix(tmp_path):
    pdf = pd.DataFrame({"a": range(6), "c": list("xyzxyz")})
    partframe.from_pandas(pdf, npartitions=2).to_parquet(
        str(tmp_path / "d"), partition_on=["c"]
    )
    with pytest.raises(NotImplementedError, match=r"\['c'\].*then .set_index"):
        partframe.read_parquet(str(tmp_path / "d"), index="c")
    got = partframe.read_parquet(str(tmp_path / "d"))
    assert_eq(got.set_index("c").a.sum(), pdf.a.sum())


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_index_false_puts_the_stored_index_first(tmp_path, scheduler):
    # index=False reads the stored index as a column where reset_index()
    # puts it: first (pyarrow stores it last).
    pdf = pd.DataFrame(
        {"x": [3, 1, 2, 5], "y": [1.0, 2.0, 3.0, 4.0]},
        index=pd.Index([10, 20, 30, 40], name="myindex"),
    )
    path = str(tmp_path / "d")
    partframe.from_pandas(pdf, npartitions=2).to_parquet(path)
    got = partframe.read_parquet(path, index=False)
    assert_eq(got, pdf.reset_index(), check_index=False, scheduler=scheduler)
    got = partframe.read_parquet(path, index=False, columns=["y", "myindex"])
    want = pdf.reset_index()[["y", "myindex"]]
    assert_eq(got, want, check_index=False, scheduler=scheduler)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("nulls_in", ["first", "last", "none", "all"])
@pytest.mark.parametrize("statistics", [True, False])
def test_nullable_arrow_bools_and_ints_read_as_pandas(
    tmp_path, nulls_in, scheduler, statistics
):
    # Files of pyarrow/Spark/DuckDB: bool and int columns with nulls, no
    # pandas metadata. pandas reads them as object / float64 when the table
    # holds a null (never a null read as False), over the whole dataset;
    # without statistics the nullable columns are read to count.

    files = 3
    for k in range(files):
        with_nulls = nulls_in == "all" or (nulls_in, k) in (("first", 0), ("last", 2))
        b = [True, None, False] if with_nulls else [True, False, True]
        i = [1, None, 3] if with_nulls else [4, 5, 6]
        u = pa.array([7, None, 9] if with_nulls else [7, 8, 9], pa.uint8())
        table = pa.table({"b": b, "i": pa.array(i, pa.int64()), "u": u})
        pq.write_table(
            table,
            tmp_path / f"part.{k}.parquet",
            row_group_size=2,
            write_statistics=statistics,
        )
    got = partframe.read_parquet(str(tmp_path))
    want = pd.read_parquet(tmp_path)
    assert dict(got.dtypes) == dict(want.dtypes)
    assert_eq(got, want, check_index=False, check_divisions=False, scheduler=scheduler)


def test_hive_partitions_match_pandas(tmp_path):
    pdf = _frame(60)
    pdf["k"] = [10, 2, 3] * 20
    pdf["c"] = ["a", "b"] * 30
    path = str(tmp_path / "hive")
    pdf.to_parquet(path, partition_cols=["k", "c"])
    df = partframe.read_parquet(path)
    expected = pd.read_parquet(path)
    assert df.dtypes.equals(expected.dtypes)
    got = _read(df)
    key = ["i"]
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
    )
    sub = _read(partframe.read_parquet(path, filters=[("k", "==", 2)]))
    assert set(sub.k) == {2} and len(sub) == 20


def test_hidden_files_are_ignored(dataset):
    path, _ = dataset
    fs = fsspec.filesystem("file")
    fs.pipe(path + "/_SUCCESS", b"")
    fs.pipe(path + "/.hidden", b"garbage")
    fs.makedirs(path + "/_staging-x", exist_ok=True)
    fs.pipe(path + "/_staging-x/part.9.parquet", b"garbage")
    assert partframe.read_parquet(path).npartitions == 4


def test_schema_drift_names_file_and_column(tmp_path):
    pd.DataFrame({"a": [1, 2], "b": [1.0, 2.0]}).to_parquet(tmp_path / "p0.parquet")
    pd.DataFrame({"a": ["x", "y"], "c": [1, 2]}).to_parquet(tmp_path / "p1.parquet")
    with pytest.raises(SchemaMismatchError) as info:
        partframe.read_parquet(str(tmp_path))
    msg = str(info.value)
    assert "p1.parquet" in msg and "'a'" in msg and "'b'" in msg and "'c'" in msg
    assert "schema='unify'" in msg


def test_schema_unify(tmp_path):
    pd.DataFrame({"a": [1, 2], "b": [1.0, 2.0]}).to_parquet(tmp_path / "p0.parquet")
    pd.DataFrame({"a": [3], "c": ["z"]}).to_parquet(tmp_path / "p1.parquet")
    got = _read(partframe.read_parquet(str(tmp_path), schema="unify"))
    assert list(got.columns) == ["a", "b", "c"]
    assert got.a.tolist() == [1, 2, 3]
    assert got.b.isna().tolist() == [False, False, True]


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_corrupt_file_error_names_path(dataset, damage):
    path, _ = dataset
    bad = path + "/part.2.parquet"
    with open(bad, "rb") as f:
        data = f.read()
    with open(bad, "wb") as f:
        f.write(data[: len(data) // 2] if damage == "truncate" else b"not parquet")
    with pytest.raises(ParquetReadError, match=r"part\.2\.parquet"):
        partframe.read_parquet(path)


def test_index_and_divisions(tmp_path):
    pdf = _frame(90).set_index("i")
    path = str(tmp_path / "idx")
    partframe.from_pandas(pdf, npartitions=3).to_parquet(path, row_group_size=10)
    df = partframe.read_parquet(path, calculate_divisions=True)
    assert df.divisions == (0, 30, 60, 89)
    assert_eq(df, pdf)
    unknown = partframe.read_parquet(path)
    assert not unknown.known_divisions
    assert_eq(unknown, pdf)
    noindex = partframe.read_parquet(path, index=False)
    assert "i" in noindex.columns
    by_t = partframe.read_parquet(path, index="t", calculate_divisions=True)
    assert by_t.known_divisions and by_t.divisions[0] == pdf.t.iloc[0]
    expected = pd.read_parquet(path).reset_index().set_index("t")
    assert_eq(by_t, expected[list(by_t.columns)])


@pytest.mark.parametrize("kind", ["none", "fsspec", "arrow", "arrow-str"])
def test_filesystem_argument(dataset, kind):
    import pyarrow.fs as pafs

    path, _ = dataset
    filesystem = {
        "none": None,
        "fsspec": fsspec.filesystem("file"),
        "arrow": pafs.LocalFileSystem(),
        "arrow-str": "arrow",
    }[kind]
    df = partframe.read_parquet(path, filesystem=filesystem)
    assert_eq(df, pd.read_parquet(path))


def test_memory_filesystem_round_trip():
    pdf = _frame(50)
    df = partframe.from_pandas(pdf, npartitions=5)
    df.to_parquet("memory://pq-mem/out")
    back = partframe.read_parquet("memory://pq-mem/out")
    assert back.npartitions == 5
    assert_eq(back, pdf)
    assert_eq(back[back.f > 0].s, pdf[pdf.f > 0].s)


def test_missing_path():
    with pytest.raises(FileNotFoundError, match="nowhere"):
        partframe.read_parquet("memory://nowhere/x.parquet")


# -- the index pandas stored (issue 13, item 5) ---------------------------------

_INDEXES = {
    "range": pd.RangeIndex(12),
    "range-named": pd.RangeIndex(12, name="i"),
    "range-step": pd.RangeIndex(10, 46, 3),
    "ints": pd.Index([7, 3, 9, 1, 0, 4, 8, 2, 11, 5, 6, 10]),
    "ints-named": pd.Index(np.arange(12) * 2, name="i"),
    "strings": pd.Index(list("abcdefghijkl")),
    "dates": pd.date_range("2024-01-01", periods=12, freq="D"),
    "multi": pd.MultiIndex.from_arrays(
        [np.arange(12) // 4, list("xyz") * 4], names=["k", None]
    ),
    "multi-unnamed": pd.MultiIndex.from_arrays([np.arange(12) // 4, list("xyz") * 4]),
}


def _indexed(kind: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"x": np.arange(12), "s": [f"s{k}" for k in range(12)]}, index=_INDEXES[kind]
    )


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("kind", list(_INDEXES))
def test_pandas_written_index_round_trips(tmp_path, kind, split, scheduler):
    """Read like pd.read_parquet: unnamed levels (``__index_level_0__``) and
    RangeIndex metadata (start, step, name) included."""
    pdf = _indexed(kind)
    path = str(tmp_path / "one.parquet")
    pdf.to_parquet(path, row_group_size=5)
    expected = pd.read_parquet(path)
    pd.testing.assert_frame_equal(expected, pdf, check_freq=False)  # pandas' own
    df = partframe.read_parquet(path, split_row_groups=split)
    assert df.npartitions == (3 if split else 1)
    assert_eq(df, expected, scheduler=scheduler)
    assert_eq(df[["s"]], expected[["s"]], scheduler=scheduler)
    assert len(df) == 12


@pytest.mark.parametrize("npartitions", [1, 3, 12])
@pytest.mark.parametrize("kind", [k for k in _INDEXES if k != "range-step"])
def test_to_parquet_index_round_trips(tmp_path, kind, npartitions):
    pdf = _indexed(kind)
    path = str(tmp_path / "ds")
    partframe.from_pandas(pdf, npartitions=npartitions, sort=False).to_parquet(path)
    df = partframe.read_parquet(path)
    assert_eq(df, pdf, check_divisions=False, check_freq=False)
    # pandas reads the same (its file order is lexicographic: part.10 < part.2;
    # an unnamed RangeIndex is not stored, so pandas numbers rows in that order)
    by_pandas = pd.read_parquet(path).sort_values("x")
    if kind == "range":
        by_pandas = by_pandas.reset_index(drop=True)
    pd.testing.assert_frame_equal(by_pandas, pdf, check_freq=False)


def test_filter_on_null_values_as_pandas(tmp_path):
    # pyarrow's filters (pandas' read_parquet(filters=)) drop null values:
    # ("c", "!=", "a") keeps no row whose c is null.
    pdf = pd.DataFrame(
        {
            "a": [1, None] * 5 + [None] * 5,
            "c": ["a", None] * 2 + [None] * 11,
        }
    )
    path = tmp_path / "n.parquet"
    pdf.to_parquet(path, row_group_size=10)
    for filters in ([("c", "!=", "a")], [("c", "==", "a")], [("a", "!=", 1)]):
        for split in (True, False):
            got = partframe.read_parquet(
                str(path), filters=filters, split_row_groups=split
            )
            expected = pd.read_parquet(path, filters=filters)
            assert_eq(got, expected, check_divisions=False)


def test_divisions_of_a_dataset_without_index_from_row_counts(tmp_path):
    pdf = _frame(40)
    path = str(tmp_path / "noindex")
    partframe.from_pandas(pdf, npartitions=4).to_parquet(path, write_index=False)
    df = partframe.read_parquet(path, index=False)
    assert df.divisions == (0, 10, 20, 30, 39)
    assert_eq(df, pd.read_parquet(path))


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("content", ["nothing", "_SUCCESS", "hidden"])
def test_folder_without_data_files_reads_as_pandas(tmp_path, content, scheduler):
    # pandas and pyarrow read an empty frame without columns (a write of no
    # rows with partition_on leaves only _SUCCESS); it raised IndexError
    folder = tmp_path / "d"
    folder.mkdir()
    if content == "_SUCCESS":
        (folder / "_SUCCESS").write_bytes(b"")
    elif content == "hidden":
        (folder / ".x").mkdir()
        pd.DataFrame({"a": [1]}).to_parquet(folder / ".x" / "part.0.parquet")
    got = partframe.read_parquet(str(folder))
    assert_eq(got, pd.read_parquet(folder), scheduler=scheduler)
    assert len(got) == 0
    with pytest.raises(KeyError, match=r"\['a'\] not in the Parquet dataset.*no data"):
        partframe.read_parquet(str(folder), columns=["a"])
    with pytest.raises(KeyError, match=r"\['b'\] not in the Parquet dataset.*no data"):
        partframe.read_parquet(str(folder), filters=[("b", "==", 1)])


def test_partitioned_write_of_no_rows_reads_back_as_pandas(tmp_path):
    pdf = pd.DataFrame(
        {"a": pd.Series([], dtype="int64"), "g": pd.Series([], dtype="str")}
    )
    path = str(tmp_path / "out")
    partframe.from_pandas(pdf, npartitions=1).to_parquet(path, partition_on="g")
    assert_eq(partframe.read_parquet(path), pd.read_parquet(path))


def _pandas_round_trip(pdf: pd.DataFrame) -> pd.DataFrame:
    import io

    return pd.read_parquet(io.BytesIO(pdf.to_parquet()))


_CAT = pd.Categorical(["a", None, "b", "a"], categories=["a", "b", "c"])


@pytest.mark.parametrize(
    "pdf",
    [
        pd.DataFrame({"x": [1, 2, 3, 4]}, index=pd.CategoricalIndex(_CAT, name="k")),
        pd.DataFrame(
            {"x": [1, 2, 3, 4]}, index=pd.CategoricalIndex(_CAT, name="k")
        ).iloc[:0],
        pd.DataFrame(
            {"x": [1, 2, 3, 4]},
            index=pd.MultiIndex.from_arrays(
                [pd.CategoricalIndex(_CAT), [1, 2, 3, 4]], names=["k", "j"]
            ),
        ),
    ],
    ids=["index", "empty", "multiindex-level"],
)
@pytest.mark.parametrize("nparts", [1, 3, 6])
def test_categorical_index_keeps_its_categories(tmp_path, pdf, nparts):
    # the meta's index has the categories of the files' dictionaries, as
    # every partition's has (an empty table has no dictionary to read)
    path = str(tmp_path / "out")
    partframe.from_pandas(pdf, npartitions=nparts, sort=False).to_parquet(path)
    got = partframe.read_parquet(path)
    want = _pandas_round_trip(pdf)
    assert_eq(got, want)
    meta_level = got._meta.index.get_level_values(0)
    assert list(meta_level.categories) == list(
        want.index.get_level_values(0).categories
    )


def test_categorical_index_of_files_with_other_dictionaries(tmp_path):
    # each file's dictionary holds its own values: pieces are cast to the
    # categories united over the files, in file order (as pandas reads them)
    for i, values in enumerate([["b", "b"], ["a", "c"]]):
        part = pd.DataFrame({"x": [i, i]}, index=pd.CategoricalIndex(values, name="k"))
        part.to_parquet(tmp_path / f"part.{i}.parquet")
    got = partframe.read_parquet(str(tmp_path))
    want = pd.read_parquet(str(tmp_path))
    assert_eq(got, want)


def test_groupby_of_a_category_round_trips_through_parquet(tmp_path):
    # dropna=False keeps a missing key: the index is a categorical with nulls
    pdf = pd.DataFrame({"k": _CAT, "x": [1, 2, 3, 4]})
    df = partframe.from_pandas(pdf, npartitions=2)
    agg = df.groupby("k", dropna=False, observed=False).x.sum().to_frame()
    agg.to_parquet(str(tmp_path / "out"))
    want = pdf.groupby("k", dropna=False, observed=False).x.sum().to_frame()
    assert_eq(partframe.read_parquet(str(tmp_path / "out")), _pandas_round_trip(want))
