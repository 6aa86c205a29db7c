"""User functions' partitions are checked against the plan's meta.

``map_partitions``, ``apply(axis=1)``, ``map``/``apply`` of a Series and
``from_map``/``from_delayed`` declare a schema; a partition that disagrees
must fail where it is made, naming the function, the partition and the
difference (issue 13, item 3), or be repaired when that is exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import PARTITIONINGS, variant

import partframe
from partframe.kernels.enforce import MetaCheck, check_partition, conform
from partframe.testing import assert_eq

SCHEDULERS = ["sync", "threads"]


def _pdf() -> pd.DataFrame:
    return pd.DataFrame(
        {"x": np.arange(24), "y": np.arange(24) * 0.25, "s": list("abcdef") * 4},
        index=pd.RangeIndex(24) * 3,
    )


def rename_x(df: pd.DataFrame) -> pd.DataFrame:
    return df.rename(columns={"x": "z"})


def add_half(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(x=df.x + 0.5)


def x_as_float(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(x=df.x.astype("float64"))


def reversed_columns(df: pd.DataFrame) -> pd.DataFrame:
    return df[df.columns[::-1]]


def x_only(df: pd.DataFrame) -> pd.Series:
    return df.x


# -- map_partitions ------------------------------------------------------------


@pytest.mark.parametrize(
    "func, details",
    [
        # a renamed column: the difference and the meta= that fixes it
        (rename_x, ["missing ['x'], extra ['z']", "meta={'z': 'int64'"]),
        # a dtype no cast can repair
        (add_half, ["'x': float64 (meta: int64)", "meta={'x': 'float64'"]),
    ],
)
@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", PARTITIONINGS)
def test_mismatch_raises_naming_function_and_partition(how, scheduler, func, details):
    pdf = _pdf()
    ddf, _ = variant(pdf, how)
    out = ddf.map_partitions(func, meta=pdf.iloc[:0])
    with pytest.raises(ValueError, match=rf"map_partitions\({func.__name__}\)") as info:
        out.compute(scheduler=scheduler)
    text = str(info.value)
    assert "partition " in text
    for detail in details:
        assert detail in text


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", PARTITIONINGS)
def test_exact_dtype_difference_is_cast_to_the_meta(how, scheduler):
    pdf = _pdf()
    ddf, expected = variant(pdf, how)
    # the meta promises int64; the function gives whole floats: exact
    out = ddf.map_partitions(x_as_float, meta=pdf.iloc[:0])
    assert_eq(out, expected, scheduler=scheduler)
    # and the other way round: int64 values in a float64 meta
    meta = pdf.iloc[:0].astype({"x": "float64"})
    out = ddf.map_partitions(reversed_columns, meta=meta[meta.columns[::-1]])
    assert_eq(out, expected[expected.columns[::-1]].astype({"x": "float64"}))


@pytest.mark.parametrize("how", PARTITIONINGS)
def test_columns_in_another_order_are_reordered(how):
    pdf = _pdf()
    ddf, expected = variant(pdf, how)
    out = ddf.map_partitions(reversed_columns, meta=pdf.iloc[:0])
    assert_eq(out, expected, scheduler="sync")


@pytest.mark.parametrize("how", PARTITIONINGS)
def test_series_where_meta_is_a_frame_raises(how):
    pdf = _pdf()
    ddf, _ = variant(pdf, how)
    out = ddf.map_partitions(x_only, meta=pdf.iloc[:0])
    with pytest.raises(TypeError, match=r"map_partitions\(x_only\) returned a Series"):
        out.compute(scheduler="sync")
    frame = ddf.x.map_partitions(pd.Series.to_frame, meta=("x", "int64"))
    with pytest.raises(TypeError, match=r"returned a DataFrame .* meta is a Series"):
        frame.compute(scheduler="sync")


@pytest.mark.parametrize("how", PARTITIONINGS)
def test_series_name_follows_the_meta(how):
    pdf = _pdf()
    ddf, expected = variant(pdf, how)
    out = ddf.map_partitions(x_only, meta=("renamed", "int64"))
    assert_eq(out, expected.x.rename("renamed"), scheduler="sync")


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", PARTITIONINGS)
def test_described_meta_keeps_the_input_index(how, scheduler):
    """A meta given as a dict, a list of pairs, a (name, dtype) tuple or a
    dtype names no index: it is the input's (here strings), as Dask does."""
    pdf = _pdf().set_index(pd.Index([f"r{i:02d}" for i in range(24)], name="key"))
    ddf, expected = variant(pdf, how)
    frame = ddf.map_partitions(add_z, meta=[("x", "int64"), ("y", "float64"),
                                            ("s", "str"), ("z", "int64")])  # fmt: skip
    assert frame._meta.index.dtype == pdf.index.dtype
    assert_eq(frame, add_z(expected), scheduler=scheduler)
    assert_eq(
        ddf.map_partitions(add_z, meta={**pdf.dtypes.to_dict(), "z": "int64"}),
        add_z(expected),
        scheduler=scheduler,
    )
    assert_eq(
        ddf.map_partitions(x_only, meta=("x", "int64")), expected.x,
        scheduler=scheduler,
    )  # fmt: skip
    assert_eq(
        ddf.x.apply(lambda v: v * 2, meta=("x", "int64")), expected.x * 2,
        scheduler=scheduler,
    )  # fmt: skip
    assert_eq(
        ddf.x.apply(lambda v: v * 2, meta="int64"), (expected.x * 2).rename(None),
        scheduler=scheduler,
    )  # fmt: skip
    assert_eq(
        ddf.apply(lambda r: r.x + 1, axis=1, meta=(None, "int64")),
        expected.apply(lambda r: r.x + 1, axis=1),
        scheduler=scheduler,
    )
    assert_eq(ddf.x.map({1: 1.5}, meta=("x", "float64")), expected.x.map({1: 1.5}))


def add_z(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(z=df.x * 2)


def test_nan_into_an_int_meta_raises():
    pdf = pd.DataFrame({"x": [1.0, np.nan, 3.0, 4.0]})
    ddf = partframe.from_pandas(pdf, npartitions=2)
    out = ddf.map_partitions(lambda d: d, meta={"x": "int64"})
    with pytest.raises(ValueError, match=r"partition 0 .*'x': float64 \(meta: int64"):
        out.compute(scheduler="sync")
    # the second partition alone is exact: it is cast
    assert_eq(out.partitions[1], pdf.iloc[2:].astype("int64"))


def test_inferred_meta_is_enforced_too():
    """Without meta= the schema comes from a stand-in; a partition that
    disagrees in a way no cast repairs is reported with the meta= fix."""
    pdf = pd.DataFrame({"x": [1, 2, 3, 4]})
    ddf = partframe.from_pandas(pdf, npartitions=2)
    out = ddf.map_partitions(small_or_half)  # the stand-in (1, 2) gives int64
    assert out.dtype == "int64"
    with pytest.raises(ValueError, match=r"small_or_half.*partition 1.*meta="):
        out.compute(scheduler="sync")


def small_or_half(df: pd.DataFrame) -> pd.Series:
    return df.x if df.x.iloc[0] < 3 else df.x + 0.5


# -- apply / map ---------------------------------------------------------------


def _half_or_int(row: pd.Series) -> float:
    return row.x / 2 if row.x > 11 else int(row.x)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", PARTITIONINGS)
def test_apply_rows_checks_meta(how, scheduler):
    pdf = _pdf()
    ddf, expected = variant(pdf, how)
    wrong = ddf.apply(_half_or_int, axis=1, meta=("v", "int64"))
    values = expected.apply(_half_or_int, axis=1).rename("v")
    if (values % 1 != 0).any():  # some row gives x / 2 with a fraction
        with pytest.raises(ValueError, match=r"apply\(_half_or_int, axis=1\)"):
            wrong.compute(scheduler=scheduler)
    else:  # whole numbers only: cast exactly
        assert_eq(wrong, values.astype("int64"), scheduler=scheduler)
    right = ddf.apply(_half_or_int, axis=1, meta=("v", "float64"))
    assert_eq(right, values.astype("float64"), scheduler=scheduler)


@pytest.mark.parametrize("how", PARTITIONINGS)
def test_series_map_and_apply_cast_exact_differences(how):
    pdf = _pdf()
    ddf, expected = variant(pdf, how)
    got = ddf.x.map(lambda v: v * 2, meta=("x", "float64"))
    assert_eq(got, expected.x.map(lambda v: v * 2).astype("float64"))
    got = ddf.x.apply(lambda v: v + 1, meta=("x", "object"))
    assert_eq(got, expected.x.apply(lambda v: v + 1).astype(object))
    with pytest.raises(ValueError, match=r"apply\(<lambda>\)"):
        ddf.x.apply(lambda v: v + 0.5, meta=("x", "int64")).compute(scheduler="sync")


# -- from_map ------------------------------------------------------------------


def _load(i: int) -> pd.DataFrame:
    return pd.DataFrame({"a": [i, i + 1]}, index=[2 * i, 2 * i + 1])


def test_from_map_casts_exact_and_names_lossy():
    ddf = partframe.from_map(_load, [0, 1, 2], meta=pd.DataFrame({"a": [0.0]}))
    expected = pd.concat([_load(i) for i in range(3)]).astype("float64")
    assert_eq(ddf, expected, check_divisions=False)
    ddf = partframe.from_map(_load, [0, 1, 2], meta=pd.DataFrame({"a": [True]}))
    with pytest.raises(ValueError, match=r"from_map\(_load\) .* partition 1"):
        ddf.compute(scheduler="sync")


# -- the check itself -----------------------------------------------------------


@pytest.mark.parametrize(
    "values, meta_dtype, exact",
    [
        (pd.Series([1, 2]), "float64", True),
        (pd.Series([2**53 + 1]), "float64", False),
        (pd.Series([1.5]), "int64", False),
        (pd.Series([1.0, np.nan]), "int64", False),
        (pd.Series([1.0, np.nan]), "Int64", True),
        (pd.Series([1, 2]), "object", True),
        (pd.Series(["1"], dtype=object), "int64", False),
        (pd.Series(["a", None], dtype=object), "str", True),
        (pd.Series(pd.to_datetime(["2024-01-01"]).as_unit("us")), "M8[ns]", True),
        (pd.Series(pd.to_datetime(["2024-01-01 00:00:00.000000001"])), "M8[us]", False),
        (pd.Series(["a", "c"]), pd.CategoricalDtype(["a", "b"]), False),
        (pd.Series(["a", "b"]), pd.CategoricalDtype(["a", "b"]), True),
    ],
)
def test_only_exact_casts_are_made(values, meta_dtype, exact):
    check = MetaCheck(pd.Series([], dtype=meta_dtype), "f")
    if exact:
        out = check_partition(check, 0, values)
        assert out.dtype == check.meta.dtype
    else:
        with pytest.raises(ValueError, match="cannot be cast exactly"):
            check_partition(check, 0, values)


def test_empty_partition_is_the_meta():
    meta = pd.DataFrame({"a": pd.Series([], dtype="int64")})
    check = MetaCheck(meta, "f")
    out = check_partition(check, 3, pd.DataFrame(index=pd.Index([], dtype="int64")))
    assert list(out.columns) == ["a"] and out.dtypes.tolist() == meta.dtypes.tolist()


# -- errors of user functions keep their type (issue 13, item 7) ----------------


def _undecodable(value: object) -> object:
    raise UnicodeDecodeError("utf-8", b"\xe9", 0, 1, "invalid continuation byte")


def test_meta_inference_error_keeps_its_type_and_says_meta():
    """The exception is the function's own, with a note (it was rebuilt with
    one argument, which fails for UnicodeDecodeError's constructor)."""
    s = partframe.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
    with pytest.raises(UnicodeDecodeError) as info:
        s.apply(_undecodable)
    assert info.value.reason == "invalid continuation byte"
    assert "apply() could not infer" in "\n".join(info.value.__notes__)
    assert "meta=" in "\n".join(info.value.__notes__)


def test_map_partitions_inference_error_says_meta():
    # the stand-in's made-up strings are no dates: the user's function fails
    # on them; the error says so and how to fix it, and meta= works
    pdf = pd.DataFrame({"s": ["2024-01-05", None]})
    d = partframe.from_pandas(pdf, npartitions=1)
    with pytest.raises(ValueError) as info:
        d.s.map_partitions(pd.to_datetime, format="%Y-%m-%d")
    notes = "\n".join(info.value.__notes__)
    assert "map_partitions(to_datetime) could not infer" in notes
    assert "meta=" in notes
    want = pd.to_datetime(pdf.s, format="%Y-%m-%d")
    got = d.s.map_partitions(
        pd.to_datetime, format="%Y-%m-%d", meta=("s", str(want.dtype))
    )
    assert_eq(got, want)


def test_groupby_meta_error_keeps_pandas_message_and_names_column():
    pdf = pd.DataFrame({"k": [1, 1, 2], "s": ["a", "b", "c"]})
    ddf = partframe.from_pandas(pdf, npartitions=2)
    with pytest.raises(TypeError) as info:
        pdf.groupby("k").s.mean()
    pandas_message = str(info.value)
    with pytest.raises(TypeError) as info:
        ddf.groupby("k").s.mean()
    assert str(info.value) == pandas_message
    assert "column 's' has dtype" in "\n".join(info.value.__notes__)


# -- conform: partframe's own partitions cast to the plan's meta ---------------------


def test_conform_casts_adds_columns_and_renames():
    meta = pd.DataFrame(
        {"a": pd.Series([], dtype="float64"), "b": pd.Series([], dtype=object)},
        index=pd.Index([], dtype="float64"),
    )
    out = conform(pd.DataFrame({"a": [1, 2]}), meta)
    assert out.dtypes.tolist() == [np.dtype("float64"), np.dtype(object)]
    assert out.index.dtype == np.dtype("float64")
    assert out["b"].isna().all()
    # a Series where the meta is a frame becomes its one column
    assert list(conform(pd.Series([1.0], name="a"), meta[["a"]]).columns) == ["a"]
    s = conform(pd.Series([1, 2], name="x"), pd.Series([], dtype="float64", name="y"))
    assert (s.dtype, s.name) == (np.dtype("float64"), "y")
    # duplicate column labels are cast by position
    dup = pd.DataFrame([[1, 2]], columns=["a", "a"])
    want = pd.DataFrame({"a": pd.Series([], dtype="float64")})[["a", "a"]]
    assert conform(dup, want).dtypes.tolist() == [np.dtype("float64")] * 2
    # an index that cannot be cast keeps its dtype
    odd = pd.DataFrame({"a": [1.0]}, index=["x"])
    assert conform(odd, meta[["a"]]).index.tolist() == ["x"]


def test_conform_keeps_pandas_missing_widening():
    """Ints and bools pandas widened where values are missing stay widened
    (the final concat widens the column as pandas does); others are cast."""
    meta = pd.DataFrame({"n": pd.Series([], dtype="int64")})
    out = conform(pd.DataFrame({"n": [1.0, np.nan]}), meta)
    assert out["n"].dtype == np.dtype("float64")
    assert conform(pd.DataFrame({"n": [1.0, 2.0]}), meta)["n"].dtype == np.int64
    flags = conform(pd.Series([True, None]), pd.Series([], dtype=bool))
    assert flags.dtype == np.dtype(object)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_concat_of_a_column_widened_by_missing_values(scheduler):
    """``str.len()`` over missing strings is int64 in the meta (inferred from
    a stand-in) and float64 where values are missing; concat with a frame of
    other columns casts to the concat's meta without failing on the NaN."""
    a = pd.DataFrame({"s": ["ab", None, "c", "dd"]})
    b = pd.DataFrame({"n": [1, 2], "z": [1.5, 2.5]}, index=[10, 11])
    da = partframe.from_pandas(a, npartitions=2)
    lengths = da.assign(n=da.s.str.len())[["n"]]
    out = partframe.concat([lengths, partframe.from_pandas(b, npartitions=1)])
    want = pd.concat([a.assign(n=a.s.str.len())[["n"]], b])
    assert_eq(out, want, scheduler=scheduler)
