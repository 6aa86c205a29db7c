"""Pipelines that the composition suite (``test_composition.py``) found
failing, shrunk and kept as plain tests. Each names what was wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from composition import Pipeline, check
from frames import PARTITIONINGS, variant

import partframe
from partframe.testing import assert_eq


def _strings(values):
    return pd.array(values, dtype="str")


FOUND = {
    # A join on the index of frames with known divisions is aligned: the
    # logical Merge said 5 partitions with unknown divisions, its lowering
    # made 6 with the union of both sides' divisions.
    "join-index-aligned-divisions": Pipeline(
        pd.DataFrame({"s0": _strings(list("abcabcabca")), "f1": np.arange(10) / 4}),
        "empty-parts",
        [
            (
                "join_index",
                {"other": pd.DataFrame({"o_idx": [1, 2]}, index=[0, 3]), "nparts": 2},
            ),
            ("unary", {"col": "o_idx", "how": "clip"}),
        ],
    ),
    # Rows compared without their labels (after a merge) were re-ordered by
    # the labels after sorting by values, so equal results compared unequal.
    "merge-unordered-compare": Pipeline(
        pd.DataFrame(
            {
                "b0": pd.array([True, False, None, True, False, True], "boolean"),
                "b1": pd.array([False, False, True, None, True, True], "boolean"),
            }
        ),
        "3",
        [
            ("dropna", {"subset": ["b0"]}),
            ("astype", {"col": "b0", "dtype": "int64"}),
            (
                "merge",
                {
                    "other": pd.DataFrame(
                        {"b0": [0, 1, 1, 0], "o_val": [0.5, 1.5, 2.5, 3.5]}
                    ),
                    "key": "b0",
                    "how": "inner",
                    "nparts": 1,
                },
            ),
        ],
    ),
    # sort_values after a filter crashed in the optimizer (KeyError
    # 'projection-...'): the lowered Shuffle stayed unlowered.
    "filter-then-sort": Pipeline(
        pd.DataFrame({"i": [3, -1, 2, 0, 5, -4, 1], "f": np.linspace(0, 1, 7)}),
        "3",
        [
            ("filter_cmp", {"col": "i", "op": "gt", "value": 0}),
            ("sort_values", {"by": ["f"], "ascending": [False], "na_position": "last"}),
        ],
    ),
    # repartition(npartitions=) after reset_index of an assign crashed at
    # compute ("needs known divisions"): fusion hid the assign's partition
    # lengths from ResetIndex, whose divisions became unknown, and the
    # rebuilt repartition above it validated them.
    "reset-index-fused-then-repartition": Pipeline(
        pd.DataFrame({"int0": [3, 1, 0], "int1": [-2, -2, -4]}),
        "1",
        [
            ("assign_arith", {"out": "new0", "a": "int0", "op": "add", "b": "int0"}),
            ("reset_index", {"drop": False}),
            ("repartition", {"n": 2}),
        ],
    ),
    # head(0) of a transform over keys that may be missing: int64, as
    # pandas on a frame without missing keys.
    "transform-sum-head-zero": Pipeline(
        pd.DataFrame({"int0": [3, 1, 2], "float2": [0.5, 1.5, 0.5]}).iloc[:0],
        "1",
        [
            ("assign_arith", {"out": "new0", "a": "int0", "op": "add", "b": "int0"}),
            (
                "groupby_transform",
                {"out": "new1", "key": "float2", "col": "int0", "func": "sum"},
            ),
            ("head", {"n": 0}),
        ],
    ),
    # a join above a transform over keys that may be missing (none is):
    # int64, as pandas.
    "transform-sum-then-join": Pipeline(
        pd.DataFrame({"float0": [0.5, 1.5, 0.5], "int1": [3, 1, 2], "int2": [0, 0, 1]}),
        "1",
        [
            (
                "groupby_transform",
                {"out": "new0", "key": "float0", "col": "int1", "func": "sum"},
            ),
            (
                "join_index",
                {"other": pd.DataFrame({"o_idx": pd.array([1], "Int64")}), "nparts": 1},
            ),
        ],
    ),
    # A reduction of ints that a partition holds as float64 (str.len of a
    # missing string) was cast to the meta's int64: pandas reduces the
    # widened column to a float.
    "str-len-missing-then-sum": Pipeline(
        pd.DataFrame({"str0": _strings(["Ée", "dd d", None])}),
        "1",
        [
            ("str_op", {"out": "new0", "col": "str0", "how": "len"}),
            ("reduce", {"how": "sum", "col": "new0"}),
        ],
    ),
    # The partition that pandas widened to float64 (a missing string's
    # length) lost its rows to dropna: the final concat skipped the empty
    # partition and gave int64 where pandas keeps the column float64.
    "str-len-missing-then-dropna": Pipeline(
        pd.DataFrame({"str0": _strings(["Ée", "dd d", None]), "int1": [0, 1, 4]}),
        "3",
        [
            ("str_op", {"out": "new0", "col": "str0", "how": "len"}),
            ("dropna", {"subset": None}),
        ],
    ),
    # A groupby aggregation of a column that a partition holds widened by
    # missing values (float64: rows of missing keys of a transform) was
    # cast back to the meta's int64; pandas aggregates the widened column.
    "transform-missing-keys-then-groupby-sum": Pipeline(
        pd.DataFrame(
            {"int0": [1, 2, 3, 2], "boolean1": pd.array([True, None, False, None])}
        ),
        "3",
        [
            (
                "groupby_transform",
                {"out": "new0", "key": "boolean1", "col": "int0", "func": "sum"},
            ),
            (
                "groupby_agg",
                {"key": "int0", "values": ["new0"], "agg": "sum", "dropna": False},
            ),
        ],
    ),
    # value_counts of ints that a partition holds widened by missing values
    # labelled the counts int64; pandas counts the float64 column.
    # Categories inferred from a column with no values were cast from an
    # Arrow array of zero chunks, whose type pyarrow reads as null: Parquet
    # stored the column as null and it was read back as object.
    "all-missing-category-to-parquet": Pipeline(
        pd.DataFrame({"str0": _strings([None]), "int1": [0]}),
        "1",
        [
            ("assign_arith", {"out": "new0", "a": "int1", "op": "add", "b": "int1"}),
            ("astype", {"col": "str0", "dtype": "category"}),
            ("parquet", {"tag": "all-missing-category"}),
        ],
    ),
    "str-len-missing-then-value-counts": Pipeline(
        pd.DataFrame({"str0": _strings(["ab", None, "c", "xy", "c"])}),
        "3",
        [
            ("str_op", {"out": "new0", "col": "str0", "how": "len"}),
            ("value_counts", {"col": "new0"}),
        ],
    ),
    # A column widened by missing group keys (transform sum: float64, its
    # meta int64 as pandas gives data without them) failed a groupby-apply
    # whose meta= was built from the frame's meta: the group results'
    # float64 was refused (rotating seed 20261208 found it).
    "transform-missing-keys-then-apply-meta": Pipeline(
        pd.DataFrame(
            {
                "int1": [1, 1, 2, 3],
                "int2": [-4, 5, 6, 7],
                "float4": [np.nan, 1.0, np.nan, 2.0],
            }
        ),
        "3",
        [
            (
                "groupby_transform",
                {"out": "new0", "key": "float4", "col": "int1", "func": "sum"},
            ),
            ("astype", {"col": "int1", "dtype": "float64"}),
            ("groupby_apply", {"key": "int1", "col": "int2", "meta": True}),
        ],
    ),
    # Grouping by a transform result widened by a missing key: only the
    # partition holding that key was float64, so the keys came out int64
    # (every row's key missing: an empty result of the meta's int64) where
    # pandas groups by the whole float64 column (rotating seed 20261224).
    "group-by-transform-widened-by-a-missing-key": Pipeline(
        pd.DataFrame({"int0": [3, 4, 5], "float4": [np.nan, 1.0, 1.0]}),
        "3",
        [
            (
                "groupby_transform",
                {"out": "new0", "key": "float4", "col": "int0", "func": "sum"},
            ),
            ("astype", {"col": "int0", "dtype": "float64"}),
            (
                "groupby_named",
                {"key": "new0", "spec": {"out0": ("int0", "sum")}, "as_index": False},
            ),
        ],
    ),
    # A filter pushed below set_index's shuffle before anyone asked for the
    # divisions: the shuffle's boundaries were sampled from the kept rows,
    # the divisions asked for afterwards from all rows (seed 102).
    "set-index-filter-divisions-asked-after": Pipeline(
        pd.DataFrame(
            {
                "float0": [0.64, 0.10, -0.54],
                "int1": [-2, 1, 0],
                "int2": [1, 4, -2],
            }
        ),
        "3",
        [
            ("set_index", {"col": "float0"}),
            ("filter_cmp", {"col": "int1", "op": "gt", "value": 0}),
        ],
    ),
}


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("name", sorted(FOUND))
def test_found_pipeline(name, scheduler):
    check(FOUND[name], scheduler)


def test_sort_by_values_when_a_column_is_named_like_an_index_level():
    """assert_eq orders rows by every column by position: a column labelled
    like an index level (a groupby-apply of a frame re-keyed by an assigned
    column) made pandas' sort_values ambiguous."""
    from partframe.testing import assert_eq

    pdf = pd.DataFrame(
        {"k": [2.0, 1.0, 2.0], "v": [1, 2, 3]},
        index=pd.Index([0.5, 0.25, 0.75], name="k"),
    )
    assert_eq(pdf, pdf.iloc[::-1], sort_results=True)


@pytest.mark.parametrize("nparts", [1, 2, 3, 5])
def test_reset_index_divisions_survive_fusion(nparts):
    """What ResetIndex knows of its input's lengths (pandas data below
    partition-wise nodes) must not depend on whether fusion ran."""
    from partframe.testing import assert_eq

    pdf = pd.DataFrame({"a": np.arange(5), "b": np.arange(5) * 0.5})
    ddf = partframe.from_pandas(pdf, npartitions=nparts)
    got = ddf.assign(c=ddf.a + ddf.a).reset_index()
    want = pdf.assign(c=pdf.a + pdf.a).reset_index()
    assert got.known_divisions
    for n in (1, 2, 4, 7):
        assert_eq(got.repartition(npartitions=n), want)
        assert_eq(got.repartition(divisions=[0, 2, 4]), want)


# -- dtypes pandas decides from the data ---------------------------------------------


def _partition_dtypes(obj) -> set:
    parts = partframe.compute(*obj.to_delayed())
    return {str(p.dtype) if isinstance(p, pd.Series) else str(p.dtypes) for p in parts}


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("op", ["min", "max", "sum", "prod", "mean", "count"])
@pytest.mark.parametrize("rows", ["all", "none", "some"])
def test_frame_reduction_of_nullable_int_over_empty_partitions(how, op, rows):
    """min/max of a frame of Int64 and int64 columns with no rows is
    pandas' answer on no rows (Float64: the int column's NaN), where the
    meta (a non-empty stand-in) says Int64; empty partitions among full
    ones give Int64, as pandas does on the rows."""
    pdf = pd.DataFrame(
        {
            "a": pd.array([1, None, 3, 4, -2, None], dtype="Int64"),
            "i": [5, 1, 2, 4, 3, 0],
            "b": [True, False, True, True, False, True],
        }
    )
    ddf, pdf = variant(pdf, how)
    keep = {"all": -1, "none": 99, "some": 3}[rows]
    ddf, pdf = ddf[ddf.i > keep], pdf[pdf.i > keep]
    for cols in (["a", "i"], ["a", "b"], ["a"], ["i", "b"]):
        assert_eq(getattr(ddf[cols], op)(), getattr(pdf[cols], op)())


def _demean(s):
    return s - s.mean()


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("func", ["sum", "cumsum", "mean", "max"])
@pytest.mark.parametrize("missing_keys", [True, False])
def test_groupby_transform_dtype_follows_missing_keys(how, func, missing_keys):
    """transform('sum') of ints gives float64 when some key is missing (its
    rows get NaN) and int64 otherwise: the partitions holding a missing key
    are widened as pandas widens (the meta says int64), and what is
    computed from them (a reduction, a join) has pandas' dtypes."""
    pdf = pd.DataFrame(
        {
            "k": [1.0, None, 2.0, 1.0, 3.0, None, 2.0, 3.0, 1.0],
            "s": _strings(["a", None, "b", "a", "c", None, "b", "c", "a"]),
            "v": np.arange(9) - 3,
        }
    )
    if not missing_keys:
        pdf = pdf.dropna(subset=["k"])
    ddf, pdf = variant(pdf, how)
    other = pd.DataFrame({"o": [1, 2]}, index=[0, 4])
    for key in ("k", "s"):
        want = pdf.groupby(key)["v"].transform(func)
        got = ddf.groupby(key)["v"].transform(func)
        assert_eq(got, want)
        assert_eq(ddf.assign(out=got), pdf.assign(out=want))
        assert_eq(got.sum(), want.sum())
        assert_eq(got.max(), want.max())
        joined = ddf.assign(out=got).join(partframe.from_pandas(other, 1))
        assert_eq(joined, pdf.assign(out=want).join(other))
        aggs = ["sum", "min", "max", "first", "count", "nunique"]
        assert_eq(
            ddf.assign(out=got).groupby("v").out.agg(aggs),
            pdf.assign(out=want).groupby("v").out.agg(aggs),
        )
        # grouped by the result: its keys have the whole column's dtype
        assert_eq(
            ddf.assign(out=got).groupby("out").v.agg(["sum", "size"]),
            pdf.assign(out=want).groupby("out").v.agg(["sum", "size"]),
        )
    for dropna in (True, False):
        want = pdf.groupby("k", dropna=dropna)["v"].cumsum()
        got = ddf.groupby("k", dropna=dropna)["v"].cumsum()
        assert_eq(got, want)


@pytest.mark.parametrize("how", PARTITIONINGS)
@pytest.mark.parametrize("values", ["some-all-missing", "all-missing", "none-missing"])
def test_groupby_transform_function_on_all_missing_int64_group(how, values):
    """A function keeps Int64 on a group of missing Int64 values (s - NA)
    and gives Float64 on the others: pandas' result is Float64 when some
    group gives floats, else Int64; every partition has that dtype."""
    v = {
        "some-all-missing": [1, None, None, 4, None, 6, None, 2],
        "all-missing": [None] * 8,
        "none-missing": [1, 2, 3, 4, 5, 6, 7, 8],
    }[values]
    pdf = pd.DataFrame(
        {
            "k": [1, 2, 2, 1, 3, 1, 3, 4],
            "v": pd.array(v, dtype="Int64"),
            "f": np.arange(8) / 2,
        }
    )
    ddf, pdf = variant(pdf, how)
    want = pdf.groupby("k")["v"].transform(_demean)
    got = ddf.groupby("k")["v"].transform(_demean)
    assert_eq(got, want)
    assert_eq(ddf.assign(out=got), pdf.assign(out=want))
    if len(want):
        assert _partition_dtypes(got) == {str(want.dtype)}
    frame_want = pdf.groupby("k")[["v", "f"]].transform(_demean)
    assert_eq(ddf.groupby("k")[["v", "f"]].transform(_demean), frame_want)


@pytest.mark.parametrize("nparts", [1, 2, 5])
@pytest.mark.parametrize("missing", [True, False])
def test_head_and_tail_of_no_rows_have_the_data_dtypes(nparts, missing):
    """head(0)/tail(0) compute the partitions where pandas decides dtypes
    from the data (a left join that may leave rows unmatched, a transform
    that keeps Int64 on groups of missing values): the meta alone assumes
    the widening."""
    pdf = pd.DataFrame(
        {
            "k": [1, 2, 3, 1],
            "v": [1, 2, 3, 4],
            "n": pd.array([None, None, None if missing else 1, None], "Int64"),
        }
    )
    right = pd.DataFrame({"v": [1, 2, 4, 9] + ([] if missing else [3]), "x": 1})
    ddf = partframe.from_pandas(pdf, npartitions=nparts)
    dright = partframe.from_pandas(right, npartitions=1)
    cases = [
        (ddf.merge(dright, how="left"), pdf.merge(right, how="left")),
        (ddf.assign(t=ddf.groupby("k").n.transform(_demean)),
         pdf.assign(t=pdf.groupby("k").n.transform(_demean))),
    ]  # fmt: skip
    for got, want in cases:
        pd.testing.assert_frame_equal(got.head(0, npartitions=-1), want.head(0))
        pd.testing.assert_frame_equal(
            got.tail(0).reset_index(drop=True), want.tail(0).reset_index(drop=True)
        )


@pytest.mark.parametrize("nparts", [1, 2])
@pytest.mark.parametrize("dtype", ["str", "float64", "Int64", "datetime64[ns]"])
def test_category_of_no_values_round_trips_through_parquet(tmp_path, nparts, dtype):
    """Categories inferred from a column holding only missing values keep
    the column's type, so Parquet stores a typed dictionary column and
    reads it back as a category."""
    pdf = pd.DataFrame({"c": pd.Series([None, None], dtype=dtype), "i": [1, 2]})
    want = pdf.astype({"c": "category"})
    ddf = partframe.from_pandas(pdf, npartitions=nparts).astype({"c": "category"})
    assert_eq(ddf, want)
    ddf.to_parquet(tmp_path / "out")
    want.to_parquet(tmp_path / "want.parquet")
    assert_eq(
        partframe.read_parquet(tmp_path / "out"),
        pd.read_parquet(tmp_path / "want.parquet"),
    )


@pytest.mark.parametrize("nparts", [2, 3])
def test_str_len_widened_by_a_missing_value_in_another_partition(nparts):
    pdf = pd.DataFrame(
        {"s": pd.array(["Ée", "dd d", None], dtype="str"), "i": [0, 1, 4]}
    )
    d = partframe.from_pandas(pdf, npartitions=nparts)
    got = d.assign(n=d.s.str.len()).astype({"n": "str"})
    assert_eq(got, pdf.assign(n=pdf.s.str.len()).astype({"n": "str"}))


def test_str_len_widened_then_filtered():
    pdf = pd.DataFrame({"s": pd.array(["cc", "dd d", None], dtype="str")})
    d = partframe.from_pandas(pdf, npartitions=1)
    r, p = d.assign(n=d.s.str.len()), pdf.assign(n=pdf.s.str.len())
    assert_eq(r[r.s > "cc"], p[p.s > "cc"])


# where/mask replace by missing values: the meta keeps pandas' dtype for
# data where nothing is replaced, partitions are cast alike, and a join asks
# its inputs for that whole-column decision (an inner join drops the rows
# that held the missing values; pandas keeps the float64 it chose).
@pytest.mark.parametrize("nparts", [1, 2, 5])
@pytest.mark.parametrize("how", ["inner", "left", "outer"])
@pytest.mark.parametrize("replaced", ["nothing", "first", "last"])
@pytest.mark.parametrize("method", ["where", "mask"])
def test_merge_on_a_where_result(nparts, how, replaced, method):
    pdf = pd.DataFrame({"n": [1, 2, 3], "v": [1, 2, 3]})
    other = pd.DataFrame({"n": [1, 2], "o": [5, 6]})
    keep = {"nothing": lambda f: f.v > 0, "first": lambda f: f.v > 1,
            "last": lambda f: f.v < 3}[replaced]  # fmt: skip

    def run(frame, right):
        cond = keep(frame) if method == "where" else ~keep(frame)
        key = getattr(frame.n, method)(cond)
        return frame.assign(n=key).merge(right, on="n", how=how)

    d = partframe.from_pandas(pdf, npartitions=nparts)
    got = run(d, partframe.from_pandas(other, npartitions=1))
    want = run(pdf, other)
    if replaced == "nothing":  # the plan's key dtype is pandas'
        assert got.dtypes["n"] == want.dtypes["n"]
    for scheduler in ("sync", "threads"):
        assert_eq(got, want, check_index=False, sort_results=True, scheduler=scheduler)


@pytest.mark.parametrize("threshold", [-0.455, -0.5, -1.2, 4.0])
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_float_group_sum_then_filter_between_sums(scheduler, threshold):
    # composition seed 117 filtered at -0.49, group -4's own sum: pandas sums
    # 0.34, 0.04, -0.87 to -0.49 in this row order and to
    # -0.48999999999999994 sorted by key, as do three partitions' partials;
    # the filter threshold now stays clear of every value (composition.threshold_of)
    floats = [-0.30, -0.24, 1.03, -0.74, -0.27, -0.02, 0.34, 2.22]
    floats += [-0.51, 2.54, 0.18, 0.04, -0.42, 0.93, 1.70, -0.87]
    pdf = pd.DataFrame(
        {
            "int0": [4, 1, -2, 1, 0, 0, 3, -4, -1, 0, -2, 4, 4, -1, -4, -4],
            "int1": [-2, -2, 4, 4, 0, 4, -4, 0, -2, -3, -3, -4, 2, 4, 0, -4],
            "float4": floats,
        }
    )
    for op in ("gt", "le"):
        steps = [
            (
                "groupby_agg",
                {
                    "key": "int1",
                    "values": ["int0", "float4"],
                    "agg": "sum",
                    "dropna": False,
                },
            ),
            ("filter_cmp", {"col": "float4", "op": op, "value": threshold}),
        ]
        check(Pipeline(pdf, "3", steps), scheduler)
