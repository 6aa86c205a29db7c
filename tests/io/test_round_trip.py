"""to_parquet + read_parquet and to_csv + read_csv give what pandas' own
round trips give (issue 13): every dtype of the composition matrix, every
kind of index, every partitioning (12 partitions: more than 10 files)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from frames import variant

import partframe
from partframe.kernels.write import _to_arrow
from partframe.testing import assert_eq

PARTITIONINGS = ["1", "3", "12", "more-than-rows", "empty-parts"]
SCHEDULERS = ["sync", "threads"]
INDEXES = {
    "range": lambda n: pd.RangeIndex(n),
    "step": lambda n: pd.RangeIndex(0, 3 * n, 3),
    "offset": lambda n: pd.RangeIndex(100, 100 + 2 * n, 2),
    "ints": lambda n: pd.Index(np.arange(n) * 5 - 7, dtype="int64"),
    "str": lambda n: pd.Index([f"r{i:03d}" for i in range(n)], dtype="str"),
}


def _split(pdf: pd.DataFrame, how: str):
    if how.isdigit():
        return partframe.from_pandas(pdf, npartitions=int(how)), pdf
    return variant(pdf, how)


def _matrix(n: int = 30, seed: int = 0, index: str = "range") -> pd.DataFrame:
    """The dtypes of tests/composition.py, with missing values, and a
    categorical that is all missing in the first rows (whole partitions)."""
    rng = np.random.default_rng(seed)
    holes = rng.random(n) < 0.3
    ints = rng.integers(-4, 5, size=n)
    words = np.array(["a", "b", "cc", "dd d", "Ée"], dtype=object)[
        rng.integers(0, 5, size=n)
    ]
    sparse = np.where(
        (np.arange(n) < n // 2) | ~np.isin(words, ["a", "b", "cc"]), None, words
    )
    return pd.DataFrame(
        {
            "int": ints.astype("int64"),
            "float": np.where(holes, np.nan, ints / 4),
            "Int64": pd.array(np.where(holes, None, ints).tolist(), dtype="Int64"),
            "Float64": pd.array(
                np.where(holes, None, (ints / 2).tolist()).tolist(), dtype="Float64"
            ),
            "bool": ints > 0,
            "boolean": pd.array(np.where(holes, None, ints > 0).tolist(), "boolean"),
            "str": pd.array(np.where(holes, None, words).tolist(), dtype="str"),
            "cat": pd.Categorical(
                np.where(holes, None, words), categories=["Ée", "dd d", "cc", "b", "a"]
            ),
            "cat_sparse": pd.Categorical(sparse, categories=["zz", "a", "b", "cc"]),
            "dt": (
                pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(ints, unit="h"))
                .where(~holes)
                .to_numpy()
            ),
        },
        index=INDEXES[index](n),
    )


def _pandas_parquet(pdf: pd.DataFrame) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(pdf.to_parquet()))


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("index", list(INDEXES))
def test_parquet_round_trip_equals_pandas(tmp_path, index, how, scheduler):
    """Labels (a stepped or offset RangeIndex, a filtered one), dtypes and
    categories (known, the same in the meta and every partition) come back
    as pandas gives them back."""
    ddf, pdf = _split(_matrix(index=index), how)
    path = str(tmp_path / "ds")
    ddf.to_parquet(path)
    df = partframe.read_parquet(path)
    expected = _pandas_parquet(pdf)
    assert_eq(df, expected, scheduler=scheduler)
    for col in ("cat", "cat_sparse"):
        assert df._meta[col].dtype == expected[col].dtype  # known categories
    # and once more: what was read writes again (its categories are known)
    again = str(tmp_path / "again")
    df.to_parquet(again)
    assert_eq(partframe.read_parquet(again), expected, scheduler=scheduler)
    # pandas reads partframe's folder with the same labels
    by_pandas = pd.read_parquet(path)
    assert_eq(by_pandas.sort_index(), expected.sort_index())


@pytest.mark.parametrize("how", PARTITIONINGS)
def test_parquet_round_trip_of_projections_and_filters(tmp_path, how):
    ddf, pdf = _split(_matrix(index="step"), how)
    path = str(tmp_path / "ds")
    ddf.to_parquet(path)
    df = partframe.read_parquet(path)
    expected = _pandas_parquet(pdf)
    assert_eq(df[["cat", "int"]], expected[["cat", "int"]])
    assert_eq(df[df.int > 0].cat, expected[expected.int > 0].cat)
    assert len(df) == len(expected)


def test_parquet_calculate_divisions_of_a_stored_range(tmp_path):
    pdf = _matrix(index="step")
    partframe.from_pandas(pdf, npartitions=3).to_parquet(str(tmp_path / "ds"))
    df = partframe.read_parquet(str(tmp_path / "ds"), calculate_divisions=True)
    assert df.divisions == (0, 30, 60, 87)
    assert_eq(df, _pandas_parquet(pdf))


def _write_categorical_files(root, parts):
    root.mkdir()
    for k, cat in enumerate(parts):
        pd.DataFrame({"c": cat, "x": range(len(cat))}).to_parquet(
            root / f"part.{k}.parquet", index=False
        )


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_files_with_different_dictionaries_get_the_union(tmp_path, scheduler):
    """As pandas reads a folder: the categories of every file, in file order;
    every partition carries them all."""
    root = tmp_path / "ds"
    _write_categorical_files(
        root,
        [
            pd.Categorical(["a", "b"], categories=["b", "a", "q"]),
            pd.Categorical(["x", None], categories=["x", "a"]),
            pd.Categorical([None, None], categories=["a"]),
        ],
    )
    df = partframe.read_parquet(str(root))
    expected = pd.read_parquet(str(root))
    assert list(expected.c.cat.categories) == ["b", "a", "q", "x"]
    assert_eq(df, expected, scheduler=scheduler)
    assert_eq(df.c.cat.codes, expected.c.cat.codes, scheduler=scheduler)


def test_a_value_outside_the_first_dictionary_raises(tmp_path):
    """A later row group whose dictionary holds a value the first row groups
    do not: an error names the file and column (never a silent NaN)."""
    path = tmp_path / "one.parquet"
    first = pa.record_batch([pa.array(["a", "a"]).dictionary_encode()], names=["c"])
    second = pa.record_batch([pa.array(["a", "zz"]).dictionary_encode()], names=["c"])
    with pq.ParquetWriter(path, first.schema) as w:
        w.write_batch(first)
        w.write_batch(second)
    assert pq.ParquetFile(path).metadata.num_row_groups == 2
    df = partframe.read_parquet(str(path))
    assert list(df._meta.c.cat.categories) == ["a"]
    with pytest.raises(ValueError, match=r"one\.parquet.*column 'c' holds \['zz'\]"):
        df.compute(scheduler="sync")
    # one row group per partition: the first is read, the second raises
    split = partframe.read_parquet(str(path), split_row_groups=True)
    assert split.partitions[0].compute().c.tolist() == ["a", "a"]
    with pytest.raises(ValueError, match="column 'c' holds"):
        split.compute(scheduler="sync")


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize(
    "values",
    [
        pd.Categorical([1, 2, 1, 3, 2, 1]),
        pd.Categorical([0.5, None, 1.5, 0.5, 2.5, 0.5]),
        pd.Categorical(pd.to_datetime(["2024-01-02", "2024-01-01"] * 3)),
        pd.Categorical(["a", "b", "a", None, "c", "b"]),
    ],
    ids=["ints", "floats", "dates", "strings"],
)
def test_categorical_of_any_values_round_trips_as_pandas(
    tmp_path, values, how, scheduler
):
    """pyarrow restores a categorical from Parquet only for string
    categories: pandas reads a categorical of numbers or dates back as the
    values' own dtype, and so does partframe (Dask keeps the categorical)."""
    pdf = pd.DataFrame({"x": values, "y": range(6)}).rename_axis("index")
    ddf, pdf = _split(pdf, how)
    path = str(tmp_path / "ds")
    ddf.to_parquet(path)
    expected = _pandas_parquet(pdf)
    assert_eq(partframe.read_parquet(path), expected, scheduler=scheduler)
    assert_eq(pd.read_parquet(path).sort_index(), expected.sort_index())


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", ["1", "3", "12", "empty-parts"])
def test_categorical_without_values_in_a_partition_writes(tmp_path, how, scheduler):
    """A categorical column that is all missing or empty in some partitions
    (pyarrow once failed: 'Unsupported cast from large_string to null')."""
    pdf = pd.DataFrame(
        {
            "c": pd.Categorical([None] * 20 + ["a", "b"] * 5, categories=["b", "a"]),
            "x": np.arange(30),
        }
    )
    ddf, expected = _split(pdf, how)
    read = partframe.read_parquet(_write(ddf, tmp_path / "a"))
    assert_eq(read, _pandas_parquet(expected), scheduler=scheduler)
    read2 = partframe.read_parquet(_write(read, tmp_path / "b"))
    assert_eq(read2, _pandas_parquet(expected), scheduler=scheduler)


def _write(ddf, path) -> str:
    ddf.to_parquet(str(path))
    return str(path)


# -- CSV ---------------------------------------------------------------------------


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", PARTITIONINGS)
def test_csv_round_trip_keeps_the_row_order(tmp_path, how, scheduler):
    """Part files 0.part ... 11.part are read in numeric order (10 after 9),
    as Dask sorts them: the rows come back in the order they were written."""
    pdf = _matrix(index="step")[["int", "float", "bool"]]
    ddf, pdf = _split(pdf, how)
    path = str(tmp_path / "csv")
    ddf.to_csv(path, index=False)
    df = partframe.read_csv(path + "/*.part")
    expected = pd.read_csv(io.StringIO(pdf.to_csv(index=False)))
    assert df.npartitions == ddf.npartitions
    assert_eq(df, expected, check_index=False, scheduler=scheduler)


def _two_levels(part: pd.DataFrame) -> pd.DataFrame:
    return part.set_index("k", append=True)


def test_partition_unlike_its_meta_is_not_written(tmp_path):
    """A wrong meta (another index than the partitions') is an error naming
    the file, never a file whose labels were dropped."""
    pdf = pd.DataFrame({"x": np.arange(6), "k": list("aabbcc")})
    ddf = partframe.from_pandas(pdf, npartitions=2)
    wrong_index = ddf.map_partitions(_two_levels, meta=pdf[["x"]].iloc[:0])
    with pytest.raises(ValueError, match=r"'part\.0\.parquet' has 2 index level"):
        wrong_index.to_parquet(str(tmp_path / "a"))
    assert not (tmp_path / "a").exists()


def test_conversion_error_names_the_file_and_schema():
    """The kernel: a partition whose values do not fit the meta's schema."""
    meta = pd.DataFrame({"x": pd.Series([], dtype="int64")})
    schema = pa.Schema.from_pandas(meta, preserve_index=True)
    part = pd.DataFrame({"x": ["a"]})
    with pytest.raises(pa.ArrowInvalid) as info:
        _to_arrow(part, schema, True, "part.3.parquet")
    notes = "\n".join(info.value.__notes__)
    assert "while writing 'part.3.parquet'" in notes and "x: int64" in notes
