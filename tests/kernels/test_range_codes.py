"""Range assignment by codes (partframe.kernels.range_codes) and the
multi-key partition sort (partframe.kernels.sorting.sort_partition):
against the sort-based reference and pandas, over key dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from partframe.kernels.keys import assign_ranges, boundary_rows, spaced_rows
from partframe.kernels.range_codes import _strings, assign_by_codes, encode_column
from partframe.kernels.sorting import choose_boundaries, range_partition, sort_partition

N = 400


def _column(kind: str, rng: np.random.Generator, n: int = N) -> pd.Series:
    """A key column of ``kind`` with ties and missing values."""
    words = np.array(["b", "a", "ab", "", "zz", "é", "B"], dtype=object)
    pick = words[rng.integers(0, len(words), n)]
    pick[rng.random(n) < 0.1] = None
    ints = rng.integers(-3, 4, n)
    holes = rng.random(n) < 0.1
    if kind == "float":
        return pd.Series(np.where(holes, np.nan, ints / 2))
    if kind == "int":
        return pd.Series(ints)
    if kind == "uint8":
        return pd.Series((ints + 3).astype("uint8"))
    if kind == "bool":
        return pd.Series(ints > 0)
    if kind == "Int64":
        return pd.Series(pd.array(np.where(holes, None, ints), dtype="Int64"))
    if kind == "Float64":
        return pd.Series(pd.array(np.where(holes, None, ints / 4), dtype="Float64"))
    if kind == "boolean":
        return pd.Series(pd.array(np.where(holes, None, ints > 0), dtype="boolean"))
    if kind == "datetime":
        t = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(ints, "D"))
        return t.where(~holes)
    if kind == "tz":
        t = pd.Series(
            pd.Timestamp("2024-01-01", tz="Europe/Paris") + pd.to_timedelta(ints, "h")
        )
        return t.where(~holes)
    if kind == "timedelta":
        return pd.Series(pd.to_timedelta(ints, "s")).where(~holes)
    if kind == "str":
        return pd.Series(pd.array(pick, dtype="str"))
    if kind == "string[python]":
        return pd.Series(pd.array(pick, dtype="string[python]"))
    if kind == "string[pyarrow]":
        return pd.Series(pd.array(pick, dtype="string[pyarrow]"))
    if kind == "arrow":
        return pd.Series(pd.array(pick, dtype=pd.ArrowDtype(pa.string())))
    if kind == "object":
        return pd.Series(pick, dtype=object)
    if kind == "category":
        cats = ["zz", "b", "a", "", "ab", "é", "B"]  # not in value order
        return pd.Series(pd.Categorical(pick, categories=cats))
    raise ValueError(kind)


KINDS = [
    "float", "int", "uint8", "bool", "Int64", "Float64", "boolean", "datetime",
    "tz", "timedelta", "str", "string[python]", "string[pyarrow]", "arrow",
    "object", "category",
]  # fmt: skip


def _keys(kinds: list, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({i: _column(k, rng) for i, k in enumerate(kinds)})


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("ascending", [True, False])
@pytest.mark.parametrize("na_position", ["first", "last"])
def test_one_column_matches_reference(kind, ascending, na_position):
    keys = _keys([kind], 0)
    for nparts in (2, 5, 40):
        samples = [spaced_rows(keys.iloc[i::3], 30) for i in range(3)]
        bounds = boundary_rows(samples, nparts, [ascending], na_position)
        got = assign_by_codes(keys, bounds, [ascending], na_position)
        assert got is not None
        want = assign_ranges(keys, bounds, [ascending], na_position)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "kinds",
    [
        ["float", "str"],
        ["str", "float"],
        ["category", "Int64", "object"],
        ["datetime", "arrow", "bool"],
        ["string[python]", "int", "Float64"],
        ["uint8", "tz", "string[pyarrow]"],
    ],
)
@pytest.mark.parametrize("ascending", [[True, True, True], [True, False, True]])
@pytest.mark.parametrize("na_position", ["first", "last"])
def test_several_columns_match_reference(kinds, ascending, na_position):
    keys = _keys(kinds, 1)
    asc = ascending[: len(kinds)]
    for nparts in (2, 7, 100):
        samples = [spaced_rows(keys.iloc[i::4], 50) for i in range(4)]
        bounds = boundary_rows(samples, nparts, asc, na_position, True)
        got = assign_by_codes(keys, bounds, asc, na_position, True)
        assert got is not None
        want = assign_ranges(keys, bounds, asc, na_position, True)
        np.testing.assert_array_equal(got, want)


def test_boundaries_missing_and_repeated():
    keys = pd.DataFrame({0: [1.0, np.nan, 2.0, 2.0, 3.0], 1: list("abcab")})
    bounds = pd.DataFrame({0: [2.0, 2.0, np.nan], 1: ["b", "b", None]})
    for na in ("first", "last"):
        for asc in ([True, True], [False, True], [True, False]):
            got = assign_by_codes(keys, bounds, asc, na)
            want = assign_ranges(keys, bounds, asc, na)
            np.testing.assert_array_equal(got, want)


def test_mixed_objects_in_pandas_multi_key_order():
    keys = pd.DataFrame(
        {0: pd.Series([1, "b", 2.5, "a", None, 3], dtype=object), 1: range(6)}
    )
    bounds = pd.DataFrame({0: pd.Series([2.5, "a"], dtype=object), 1: [0, 0]})
    got = assign_by_codes(keys, bounds, [True, True], "last", True)
    np.testing.assert_array_equal(got, [0, 2, 1, 2, 2, 1])
    with pytest.raises(TypeError):
        assign_by_codes(keys.iloc[:, :1], bounds.iloc[:, :1], [True], "last")


def test_no_encoding_falls_back():
    # categoricals of other categories have no common order: None, and
    # range_partition answers by the sort-based reference
    keys = pd.DataFrame({"k": pd.Categorical(["a", "b", "c"], ["c", "b", "a"])})
    bounds = pd.DataFrame({0: pd.Categorical(["b"], ["b", "a", "c"])})
    assert encode_column(keys["k"], bounds[0]) is None
    assert assign_by_codes(keys, bounds, [True]) is None
    got = range_partition(keys, ["k"], bounds, [True], "last")
    np.testing.assert_array_equal(got, assign_ranges(keys[["k"]], bounds, [True]))


def test_codes_pack_or_give_up():
    # 40 columns of 3 distinct boundary values: 8 codes each, 8**40 > 2**62
    keys = pd.DataFrame({i: [0, 1, 2, 3] for i in range(40)})
    bounds = pd.DataFrame({i: [0, 1, 2] for i in range(40)})
    assert assign_by_codes(keys, bounds, [True] * 40) is None
    got = range_partition(keys, list(range(40)), bounds, [True] * 40, "last")
    np.testing.assert_array_equal(got, [1, 2, 3, 3])


@pytest.mark.parametrize(
    "kinds",
    [
        ["float", "str"],
        ["str", "float"],
        ["category", "int"],
        ["object", "Int64", "datetime"],
        ["arrow", "boolean", "tz"],
        ["string[python]", "Float64"],
        ["timedelta", "uint8", "string[pyarrow]"],
    ],
)
@pytest.mark.parametrize("ascending", [True, False, [False, True, False]])
@pytest.mark.parametrize("na_position", ["first", "last"])
def test_sort_partition_matches_pandas(kinds, ascending, na_position):
    df = _keys(kinds, 2)
    df.columns = [f"k{i}" for i in range(len(kinds))]
    df["pos"] = np.arange(len(df))
    df.index = np.arange(len(df))[::-1] * 2
    by = list(df.columns[: len(kinds)])
    asc = ascending[: len(by)] if isinstance(ascending, list) else ascending
    want = df.sort_values(by, ascending=asc, na_position=na_position)
    asc_list = asc if isinstance(asc, list) else [asc] * len(by)
    got = sort_partition(df, by, asc_list, na_position)
    pd.testing.assert_frame_equal(got, want)


def test_sort_partition_mixed_objects_and_sorted_input():
    df = pd.DataFrame(
        {"a": pd.Series([1, "b", 2.5, "a", None, 1], dtype=object), "b": range(6)}
    )
    want = df.sort_values(["a", "b"], ascending=[True, False])
    got = sort_partition(df, ["a", "b"], [True, False], "last")
    pd.testing.assert_frame_equal(got, want)
    ordered = want.reset_index(drop=True)
    assert sort_partition(ordered, ["a", "b"], [True, False], "last") is ordered


def test_choose_boundaries_of_mixed_objects_for_several_keys():
    sample = pd.DataFrame({0: pd.Series([1, "b", 2.5, "a"], dtype=object), 1: [0] * 4})
    bounds = choose_boundaries([sample], 2, [True, True], "last")
    assert bounds.iloc[0, 0] == "a"


def test_sort_partition_signed_zeros_and_wide_integers_tie_as_pandas():
    # -0.0 equals 0.0 (Arrow's hash tells them apart; ties must keep row
    # order as pandas'), and 64-bit integers beyond float precision
    big = np.iinfo("int64").max
    df = pd.DataFrame(
        {
            "f": [0.0, -0.0, np.nan, 0.0, -0.0, 1.5, -1.5],
            "u": np.array([2**64 - 1, 2**63, 0, 2**64 - 1, 1, 2**63, 0], "uint64"),
            "i": [big, big - 1, -big, big, big - 1, 0, -big],
            "k": [2, 1, 2, 1, 2, 1, 2],
        }
    )
    for by in (["f", "k"], ["u", "k"], ["i", "k"], ["k", "f"]):
        for asc in (True, False):
            for na in ("first", "last"):
                want = df.sort_values(by, ascending=asc, na_position=na)
                got = sort_partition(df, by, [asc, asc], na)
                pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("kind", ["str", "string[pyarrow]", "arrow", "object"])
def test_sort_partition_takes_string_keys_in_place(kind):
    # string key columns rebuilt from their distinct values land at their
    # own position, with their dtype; other columns are taken as usual
    rng = np.random.default_rng(4)
    df = pd.DataFrame(
        {
            "x": np.arange(50.0),
            "s1": _column(kind, rng, 50),
            "k": rng.integers(0, 3, 50),
            "s2": _column(kind, rng, 50),
        },
        index=pd.Index(rng.permutation(50) * 2, name="idx"),
    )
    for by in (["s1", "k"], ["k", "s2", "s1"], ["s2", "x"]):
        want = df.sort_values(by, ascending=False, na_position="first")
        got = sort_partition(df, by, [False] * len(by), "first")
        pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("kind", ["str", "string[pyarrow]", "arrow", "large"])
@pytest.mark.parametrize("ascending", [True, False])
@pytest.mark.parametrize("na_position", ["first", "last"])
def test_long_strings_sharing_prefixes(kind, ascending, na_position):
    # Arrow strings are compared by their first 8 bytes, and whole only when
    # those equal a boundary's: strings longer than 8 bytes, prefixes of
    # each other, with NUL and multi-byte characters
    rng = np.random.default_rng(5)
    words = ["abcdefgh", "abcdefgh\x00", "abcdefghi", "abcdefg", "abcdefgi"]
    words += ["abcdefg\x00", "ééééé", "éééé", "zz", "", "id0012345", "id0012346"]
    words += ["id001234"]
    more = [f"id{v:07d}" for v in rng.integers(0, 20000, 300)]
    values = np.array(words * 20 + more, dtype=object)[rng.permutation(560)]
    values[rng.random(len(values)) < 0.05] = None
    dtype = {
        "arrow": pd.ArrowDtype(pa.string()),
        "large": pd.ArrowDtype(pa.large_string()),
    }.get(kind, kind)
    keys = pd.DataFrame({0: pd.array(values, dtype=dtype), 1: rng.integers(0, 2, 560)})
    for nparts in (2, 6, 30, 200):
        samples = [spaced_rows(keys.iloc[i::3], 60) for i in range(3)]
        asc = [ascending, True]
        bounds = boundary_rows(samples, nparts, asc, na_position)
        assert _strings(keys[0], bounds[0]) is not None  # the prefix path
        for cols in ([0], [0, 1]):
            for k in (keys[cols], keys[cols].iloc[7:]):  # an Arrow slice too
                b = bounds[cols]
                got = assign_by_codes(k, b, asc, na_position)
                want = assign_ranges(k, b, asc, na_position)
                np.testing.assert_array_equal(got, want)
