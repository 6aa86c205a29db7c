"""Hive partition folders (``partition_on``, hive datasets) encode their
values as pyarrow.dataset does: URL-escaped, nulls as
``__HIVE_DEFAULT_PARTITION__``. partframe, pyarrow and pandas read each
other's datasets back with the same values."""

from __future__ import annotations

import datetime
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from frames import PARTITIONINGS, variant

import partframe
from partframe.io import hive
from partframe.testing import assert_eq

ODD = [
    "New York",
    "Zürich",
    "a/b",
    "50%",
    "x=y",
    "a b+c",
    "..",
    ".",
    "",
    "../../../evil",
    "~!@#$&*()'\"<>?:;,\\|{}[]^`",
    "_hidden",
    ".dot",
    "%2F",
    "line\nbreak",
]


def _odd_frame(values: list, n: int = 40) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "i": np.arange(n),
            "x": np.arange(n) / 4,
            "c": pd.array([values[k % len(values)] for k in range(n)], dtype=object),
        }
    )


def _all_files(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root)
        for d, _, names in os.walk(root)
        for f in names
    )


def _as_text(values: pd.Series) -> list:
    """The values a hive folder gives back: str, and None for nulls."""
    return [None if pd.isna(v) else str(v) for v in values]


def _pyarrow_read(path: str, filters=None) -> pd.DataFrame:
    """pyarrow.dataset's read (its text keys are not dictionaries: pandas
    cannot convert dictionaries holding nulls)."""
    expr = None if filters is None else pq.filters_to_expression(filters)
    table = pads.dataset(path, partitioning="hive").to_table(filter=expr)
    return table.to_pandas().sort_values("i").reset_index(drop=True)


def _expected(pdf: pd.DataFrame, got_dtype: pd.CategoricalDtype) -> pd.DataFrame:
    """``pdf`` with ``c`` as partframe reads it back: text categories."""
    text = _as_text(pdf.c)
    assert set(got_dtype.categories) == {t for t in text if t is not None}
    return pdf.assign(c=pd.Categorical(text, dtype=got_dtype))[["i", "x", "c"]]


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("how", PARTITIONINGS)
def test_odd_values_round_trip(tmp_path, how, scheduler):
    pdf = _odd_frame([*ODD, None, np.nan])
    df, want = variant(pdf, how)
    dest = tmp_path / "out"
    df.to_parquet(str(dest), partition_on="c", write_index=False)
    # nothing outside the destination, every value one folder of its own
    assert sorted(os.listdir(tmp_path)) == ["out"]
    folders = {f.split("/")[0] for f in _all_files(dest) if f != "_SUCCESS"}
    assert folders == {hive.encode_segment("c", v) for v in want.c.unique()}
    got = partframe.read_parquet(str(dest))
    expected = _expected(want, got.c.dtype)
    assert_eq(got, expected, check_index=False, sort_results=True, scheduler=scheduler)
    # pyarrow reads the same values (pandas cannot read null text keys)
    back = _pyarrow_read(str(dest))
    assert _as_text(back.c) == _as_text(expected.sort_values("i").c)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("how", PARTITIONINGS)
def test_round_trip_matches_pandas(tmp_path, how, scheduler):
    pdf = _odd_frame(ODD, 45)
    pdf["k"] = np.arange(45) % 3 - 1
    pdf["d"] = [datetime.date(2024, 1, 1 + k % 2) for k in range(45)]
    pdf["t"] = pd.Timestamp("2024-03-01 10:30") + pd.to_timedelta(
        np.arange(45) % 2, unit="h"
    )
    df, want = variant(pdf, how)
    path = str(tmp_path / "out")
    df.to_parquet(path, partition_on=["k", "d", "t", "c"])
    got = partframe.read_parquet(path)
    assert_eq(
        got,
        pd.read_parquet(path),
        check_index=False,
        sort_results=True,
        scheduler=scheduler,
    )
    computed = got.compute().sort_values("i")
    assert computed.k.astype(int).tolist() == want.sort_values("i").k.tolist()
    for c in ["d", "t", "c"]:
        assert _as_text(computed[c]) == _as_text(want.sort_values("i")[c])


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("writer", ["write_dataset", "write_to_dataset"])
def test_pyarrow_written_dataset_reads_as_pyarrow_reads_it(tmp_path, writer, scheduler):
    n = 36
    table = pa.table(
        {
            "i": np.arange(n),
            "city": [[*ODD[:6], None][k % 7] for k in range(n)],
            "n": pa.array([[1, None, 30][k % 3] for k in range(n)], pa.int64()),
        }
    )
    path = str(tmp_path / "py")
    if writer == "write_dataset":
        pads.write_dataset(
            table,
            path,
            format="parquet",
            partitioning=["city", "n"],
            partitioning_flavor="hive",
        )
    else:
        pq.write_to_dataset(table, path, partition_cols=["city", "n"])
    assert any("New%20York" in f for f in _all_files(path))
    got = partframe.read_parquet(path)
    want = _pyarrow_read(path)
    assert got.n.dtype == pd.CategoricalDtype(pd.Index([1, 30], dtype="int32"))
    computed = got.compute(scheduler=scheduler).sort_values("i")
    assert _as_text(computed.city) == _as_text(want.city)
    assert [None if pd.isna(v) else int(v) for v in computed.n] == [
        None if pd.isna(v) else int(v) for v in want.n
    ]
    # without nulls pandas reads it too: the same frame
    clean = table.filter(
        pa.compute.and_(
            pa.compute.is_valid(table["city"]), pa.compute.is_valid(table["n"])
        )
    )
    path2 = str(tmp_path / "py2")
    pq.write_to_dataset(clean, path2, partition_cols=["city", "n"])
    assert_eq(
        partframe.read_parquet(path2),
        pd.read_parquet(path2),
        check_index=False,
        sort_results=True,
        scheduler=scheduler,
    )


def test_int_keys_are_read_as_pyarrow_casts_them(tmp_path):
    # "+1", " 1", "1_000" and numbers beyond int32 stay text, as in pyarrow
    for values in (["1", "+1"], ["1", "%201"], ["1", "1_000"], ["1", "3000000000"]):
        root = tmp_path / "-".join(values).replace("%", "p")
        for v in values:
            folder = root / f"k={v}"
            folder.mkdir(parents=True)
            pq.write_table(pa.table({"i": [len(v)]}), folder / "part.0.parquet")
        got = partframe.read_parquet(str(root))
        assert_eq(got, pd.read_parquet(root), check_index=False, sort_results=True)
    root = tmp_path / "ints"
    for v in ("7", "-3", "007"):
        folder = root / f"k={v}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"i": [len(v)]}), folder / "part.0.parquet")
    got = partframe.read_parquet(str(root))
    # "7" and "007" are one value (pandas cannot read this: two equal
    # categories)
    assert got.k.dtype == pd.CategoricalDtype(pd.Index([-3, 7], dtype="int32"))
    computed = got.compute().sort_values("i")
    assert computed.k.tolist() == _pyarrow_read(str(root)).k.tolist() == [7, -3, 7]


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize(
    "filters",
    [
        [("c", "==", "New York")],
        [("c", "in", ["a/b", "50%", "Zürich"])],
        [("c", "!=", "x=y")],
        [("c", "not in", ["..", ""])],
        [("c", ">", "Z")],
        [[("c", "==", "a b+c")], [("x", "<", 2)]],
    ],
)
def test_filters_compare_decoded_values(tmp_path, filters, scheduler):
    pdf = _odd_frame(ODD, 45)
    path = str(tmp_path / "out")
    partframe.from_pandas(pdf, npartitions=3).to_parquet(
        path, partition_on="c", write_index=False
    )
    got = partframe.read_parquet(path, filters=filters)
    want = pd.read_parquet(path, filters=filters)
    assert len(want)
    assert_eq(got, want, check_index=False, sort_results=True, scheduler=scheduler)
    if filters == [("c", "==", "New York")]:
        # pruned to the files of that folder, by its decoded name
        assert got.npartitions == len(os.listdir(os.path.join(path, "c=New%20York")))


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize(
    "filters",
    [
        [("c", "==", "a")],
        [("c", "!=", "a")],
        [("c", "in", ["a", "b"])],
        [("c", "not in", ["a"])],
        [("k", ">=", 2)],
        [("k", "not in", [2])],
    ],
)
def test_filters_on_null_partitions_as_pyarrow(tmp_path, filters, scheduler):
    n = 24
    pdf = pd.DataFrame(
        {
            "i": np.arange(n),
            "c": [["a", None, "b"][k % 3] for k in range(n)],
            "k": pd.array([[1, 2, None, 3][k % 4] for k in range(n)], "Int64"),
        }
    )
    path = str(tmp_path / "out")
    partframe.from_pandas(pdf, npartitions=3).to_parquet(
        path, partition_on=["c", "k"], write_index=False
    )
    got = partframe.read_parquet(path, filters=filters)
    computed = got.compute(scheduler=scheduler).sort_values("i")
    want = _pyarrow_read(path, filters=filters)
    assert computed.i.tolist() == want.i.tolist()
    assert _as_text(computed.c) == _as_text(want.c)


@pytest.mark.parametrize(
    "name", ["my col", "a/b", "x=y", "_under", ".dot", "50%", "é", "__index"]
)
def test_odd_column_names_round_trip(tmp_path, name):
    pdf = pd.DataFrame({"i": np.arange(12), name: ["p q", "r/s", "t"] * 4})
    path = str(tmp_path / "out")
    partframe.from_pandas(pdf, npartitions=2).to_parquet(
        path, partition_on=name, write_index=False
    )
    assert sorted(os.listdir(tmp_path)) == ["out"]
    # no folder is hidden (a leading _ or . is escaped): every reader sees it
    assert not any(f.startswith(("_", ".")) for f in os.listdir(path) if "=" in f)
    got = partframe.read_parquet(path)
    want = pd.read_parquet(path)
    assert list(want.columns) == ["i", name]
    assert_eq(got, want, check_index=False, sort_results=True)
    assert sorted(_pyarrow_read(path)[name]) == sorted(pdf[name])
    # append checks the partition columns by their decoded names
    partframe.from_pandas(pdf, npartitions=1).to_parquet(
        path, partition_on=name, write_index=False, append=True
    )
    assert len(partframe.read_parquet(path)) == 24


def _nothing_written(tmp_path) -> None:
    assert os.listdir(tmp_path) == []


def test_null_sentinel_as_a_value_is_refused(tmp_path):
    pdf = pd.DataFrame({"i": range(4), "c": ["a", "__HIVE_DEFAULT_PARTITION__"] * 2})
    df = partframe.from_pandas(pdf, npartitions=2)
    with pytest.raises(
        ValueError,
        match=r"partition_on column 'c'.*'__HIVE_DEFAULT_PARTITION__'.*null.*replace",
    ):
        df.to_parquet(str(tmp_path / "out"), partition_on="c")
    _nothing_written(tmp_path)


def test_values_that_collide_in_one_folder_are_refused(tmp_path):
    # 1 and "1" of an object column would share the folder c=1 (and a file)
    pdf = pd.DataFrame({"i": range(4), "c": pd.array([1, "1", 2, "x"], dtype=object)})
    df = partframe.from_pandas(pdf, npartitions=1)
    with pytest.raises(
        ValueError, match=r"partition_on column 'c'.*1.*'1'.*same folder 'c=1'.*astype"
    ):
        df.to_parquet(str(tmp_path / "out"), partition_on="c")
    _nothing_written(tmp_path)


def test_value_that_is_not_utf8_text_is_refused():
    # (a unit test: from_pandas cannot tokenize such text yet)
    with pytest.raises(ValueError, match=r"partition_on column 'c'.*UTF-8"):
        hive.folders(["c"], ["ok", "bad\ud800"])


def test_folder_not_utf8_after_decoding_names_the_folder(tmp_path):
    folder = tmp_path / "d" / "c=%FF"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"i": [1]}), folder / "part.0.parquet")
    with pytest.raises(ValueError, match=r"c=%FF.*UTF-8"):
        partframe.read_parquet(str(tmp_path / "d"))


def test_encoding_examples():
    assert hive.encode_segment("city", "New York") == "city=New%20York"
    assert hive.encode_segment("city", None) == "city=__HIVE_DEFAULT_PARTITION__"
    assert hive.encode_segment("_c", "a/b") == "%5Fc=a%2Fb"
    assert hive.decode_segment("city=Z%C3%BCrich") == ("city", "Zürich")
    assert hive.decode_segment("c=__HIVE_DEFAULT_PARTITION__") == ("c", None)
    assert hive.decode_segment("c=%zz") == ("c", "%zz")
    assert hive.decode_segment("no-key") is None
