"""Hash partitioning: stable, dtype-normalized, NaN-consistent."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from partframe.kernels.hashing import hash_keys, partitioning_index
from partframe.kernels.shuffle import range_assign, range_boundaries, split_by_partition


def test_equal_numbers_of_different_dtypes_hash_together():
    ints = pd.Series([1, 2, 3, -4, 0])
    floats = pd.Series([1.0, 2.0, 3.0, -4.0, -0.0])
    nullable = pd.array([1, 2, 3, -4, 0], dtype="Int64")
    uint = pd.Series([1, 2, 3, 4, 0], dtype="uint8")
    a = hash_keys(ints)
    assert (a == hash_keys(floats)).all()
    assert (a == hash_keys(pd.Series(nullable))).all()
    assert (hash_keys(uint)[[0, 1, 2, 4]] == a[[0, 1, 2, 4]]).all()
    assert hash_keys(pd.Series([True]))[0] == a[0]


def test_missing_values_hash_together():
    values = [
        pd.Series([np.nan]),
        pd.Series(pd.array([None], dtype="Int64")),
        pd.Series(pd.array([None], dtype="Float64")),
        pd.Series(pd.Categorical([np.nan], categories=[1, 2])),
    ]
    hashes = {int(hash_keys(v)[0]) for v in values}
    assert len(hashes) == 1
    strings = [
        pd.Series([None], dtype=object),
        pd.Series([None], dtype="str"),
        pd.Series([np.nan], dtype=object),
        pd.Series(pd.Categorical([None], categories=["a"])),
    ]
    assert len({int(hash_keys(v)[0]) for v in strings}) == 1


def test_strings_and_categoricals_hash_by_value():
    a = hash_keys(pd.Series(["x", "y"], dtype="str"))
    assert (a == hash_keys(pd.Series(["x", "y"], dtype=object))).all()
    assert (a == hash_keys(pd.Series(["x", "y"], dtype="string[pyarrow]"))).all()
    assert (a == hash_keys(pd.Series(pd.Categorical(["x", "y"])))).all()
    c = pd.Series(pd.Categorical([2, 1], categories=[2, 1, 3]))
    assert (hash_keys(c) == hash_keys(pd.Series([2.0, 1.0]))).all()


def test_datetimes_hash_by_instant_whatever_the_unit():
    us = pd.Series(pd.date_range("2024", periods=3, unit="us"))
    ns = us.astype("datetime64[ns]")
    assert (hash_keys(us) == hash_keys(ns)).all()


def test_partitioning_index_range_and_multi_columns():
    df = pd.DataFrame({"a": np.arange(1000) % 7, "b": np.arange(1000) % 3})
    p = partitioning_index(df, ["a", "b"], 5)
    assert p.dtype == np.int64 and p.min() >= 0 and p.max() < 5
    assert len(set(p)) == 5
    # equal keys together
    key = df.a * 10 + df.b
    assert pd.Series(p).groupby(key).nunique().max() == 1
    assert (partitioning_index(df, "a", 1) == 0).all()
    idx = partitioning_index(df.set_index(["a", "b"]), "__index__", 5)
    assert (idx == p).all()
    with pytest.raises(ValueError):
        partitioning_index(df, "a", 0)


def test_stable_across_processes():
    code = (
        "import pandas as pd; from partframe.kernels.hashing import partitioning_index;"
        "print(list(partitioning_index(pd.DataFrame({'k': ['a', 'b', 'c', 'd']}),"
        " 'k', 7)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    here = partitioning_index(pd.DataFrame({"k": ["a", "b", "c", "d"]}), "k", 7)
    assert out.strip() == str(list(here))


def test_split_by_partition_keeps_order():
    df = pd.DataFrame({"x": range(10)})
    parts = np.array([2, 0, 2, 1, 0, 2, 1, 1, 0, 2])
    pieces = split_by_partition(df, parts, 4)
    assert [p.x.tolist() for p in pieces] == [[1, 4, 8], [3, 6, 7], [0, 2, 5, 9], []]


def test_range_assign_matches_sort_order():
    keys = pd.DataFrame({0: ["b", "a", None, "c", "a"], 1: [1, 2, 3, 4, 1]})
    bounds = range_boundaries([keys], 3)
    parts = range_assign(keys, bounds)
    order = keys.sort_values([0, 1], na_position="last").index
    assert (np.diff(parts[order]) >= 0).all()
    assert parts[2] == parts.max()  # missing keys sort last


def _mixed_keys() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "i": [1, 2, 3, 4],
            "f": [1.5, np.nan, -0.0, 2.0],
            "s": pd.array(["a", None, "bc", "a"], dtype="str"),
            "o": np.array(["x", None, 3, "x"], dtype=object),
            "c": pd.Categorical(["u", "v", None, "u"]),
            "t": pd.to_datetime(["2024-01-01", None, "2024-01-02", "2024-01-03"]),
            "n": pd.array([1, None, 3, 4], dtype="Int64"),
        }
    )


def test_hashes_are_pinned():
    # a row's partition must not move between versions (a shuffle's pieces
    # written by one and read by another): values from pandas'
    # hash_pandas_object of the normalized keys
    df = _mixed_keys()
    assert hash_keys(df[["i"]]).tolist()[:2] == [
        3035652100526550566,
        1360429390938723525,
    ]
    assert hash_keys(df["s"]).tolist() == [
        13950350942979735504,
        2**64 - 1,
        6429939465925716527,
        13950350942979735504,
    ]


@pytest.mark.parametrize("rows", [0, 1, 50, 20_001])
def test_hash_keys_is_pandas_hash_of_the_normalized_keys(rows, monkeypatch):
    # the small-frame path (hashing each object value, combining columns
    # without a frame) gives pandas' hash_pandas_object exactly
    from partframe.kernels import hashing

    monkeypatch.setattr(hashing, "CATEGORIZE_ROWS", 10)
    base = _mixed_keys()
    df = base.iloc[np.arange(rows) % len(base)].reset_index(drop=True)
    for cols in (["i"], ["s"], ["o"], ["c"], ["s", "t", "n"], list(df.columns)):
        norm = pd.DataFrame(
            {j: pd.Series(hashing._key_array(df[c].array)) for j, c in enumerate(cols)}
        )
        # one key column hashes as a Series (no combining)
        one = norm.iloc[:, 0] if len(cols) == 1 else norm
        want = pd.util.hash_pandas_object(one, index=False).to_numpy()
        assert (hash_keys(df[cols]) == want).all(), cols
