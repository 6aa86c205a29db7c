"""Random pipelines over the public API, run on pandas and on partframe.

A pipeline is a list of ``(step name, parameters)``. Each step is one
function applied, unchanged, to the pandas frame and to the partframe frame,
so it is written once. Parameters are plain data drawn from the pandas frame
as it is at that point (its columns, dtypes and values), which makes a
pipeline printable and replayable: a failure found by the hypothesis tests
(:mod:`tests.test_composition`) is kept as a literal list in
``tests/test_composition_found.py``.

Steps also say how they change what can be compared: after a merge the row
order and the row labels are pandas' own and not reproduced by a
partitioned join (Dask's neither), so later comparisons ignore order
(``ordered``) or labels (``labelled``). Everything else is compared exactly:
values, dtypes, column names, index, the meta of every partition and the
divisions.
"""

from __future__ import annotations

import dataclasses
import io
import os
import tempfile
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from frames import variant

import partframe
from partframe.testing import assert_eq

# -- data ---------------------------------------------------------------------------

KINDS = ["int", "float", "Int64", "Float64", "bool", "boolean", "str", "cat", "dt"]
WORDS = ["a", "b", "cc", "dd d", "Ée"]


def make_frame(draw: Any, st: Any) -> pd.DataFrame:
    """A random frame: 0 to 30 rows, 2 to 6 columns of the dtype matrix."""
    n = draw(st.integers(0, 30))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=2, max_size=6))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    data = {}
    for j, kind in enumerate(kinds):
        data[f"{kind.lower()}{j}"] = column(kind, n, rng, draw(st.booleans()))
    index = draw(st.sampled_from(["range", "shuffled", "step", "str"]))
    if index == "range":
        idx: pd.Index = pd.RangeIndex(n)
    elif index == "step":
        idx = pd.RangeIndex(0, 3 * n, 3)
    elif index == "shuffled":
        idx = pd.Index(rng.permutation(n), dtype="int64")
    else:
        idx = pd.Index([f"r{i:03d}" for i in range(n)], dtype="str")
    return pd.DataFrame(data, index=idx)


def column(kind: str, n: int, rng: Any, missing: bool) -> Any:
    """One column of ``kind``; ``missing`` puts missing values in it."""
    holes = rng.random(n) < 0.2 if missing else np.zeros(n, bool)
    ints = rng.integers(-4, 5, size=n)
    if kind == "int":
        return ints.astype("int64")
    if kind == "float":
        return np.where(holes, np.nan, rng.normal(size=n).round(2))
    if kind == "Int64":
        return pd.array(np.where(holes, None, ints).tolist(), dtype="Int64")
    if kind == "Float64":
        values = np.where(holes, None, (ints / 2).tolist()).tolist()
        return pd.array(values, dtype="Float64")
    if kind == "bool":
        return ints > 0
    if kind == "boolean":
        return pd.array(np.where(holes, None, ints > 0).tolist(), dtype="boolean")
    words = np.array(WORDS, dtype=object)[rng.integers(0, len(WORDS), size=n)]
    if kind == "str":
        return pd.array(np.where(holes, None, words).tolist(), dtype="str")
    if kind == "cat":
        return pd.Categorical(np.where(holes, None, words), categories=WORDS[::-1])
    if kind == "dt":
        values = pd.Timestamp("2024-01-01") + pd.to_timedelta(ints * 7, unit="h")
        return pd.Series(values).where(~holes).to_numpy()
    raise ValueError(kind)


def kind_of(dtype: Any) -> str:
    if isinstance(dtype, pd.CategoricalDtype):
        return "cat"
    if isinstance(dtype, pd.StringDtype):
        return "str"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "dt"
    if pd.api.types.is_numeric_dtype(dtype):
        return "num"
    return "other"


def columns_of(pdf: pd.DataFrame, *kinds: str) -> list:
    return [c for c in pdf.columns if kind_of(pdf[c].dtype) in kinds]


# -- steps --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Step:
    """One operation: ``draw(data, pdf)`` gives parameters (``None``: the
    step does not apply to this frame), ``run(frame, **params)`` applies it
    to a pandas or a partframe frame."""

    name: str
    draw: Callable[..., dict | None]
    run: Callable[..., Any]
    ordered: bool | None = None  # the row order afterwards: None keeps it
    labelled: bool | None = None  # are row labels comparable afterwards
    # the step labels the rows 0..n-1 in their order: comparable only when
    # the order is pandas'
    numbers_rows: bool = False
    terminal: bool = False  # the result is not a DataFrame


STEPS: dict[str, Step] = {}


def step(name: str, **flags: Any) -> Callable:
    def register(draw: Callable) -> Callable:
        STEPS[name] = Step(name, draw, draw.run, **flags)
        return draw

    return register


def runs(func: Callable) -> Callable:
    """Attach ``func`` as the ``run`` of the draw function defined next."""

    def attach(draw: Callable) -> Callable:
        draw.run = func
        return draw

    return attach


def _pick(data: Any, st: Any, options: list) -> Any:
    return data.draw(st.sampled_from(options)) if options else None


def _new_name(pdf: pd.DataFrame) -> str:
    i = 0
    while f"new{i}" in pdf.columns:
        i += 1
    return f"new{i}"


# filters


def _value_of(data: Any, st: Any, pdf: pd.DataFrame, col: Any) -> Any:
    """A value present in ``pdf[col]`` (a Python scalar), or ``None`` when
    there is no column or no value."""
    if col is None:
        return None
    values = pdf[col].dropna()
    if not len(values):
        return None
    value = data.draw(st.sampled_from(list(values)))
    return value.item() if isinstance(value, np.generic) else value


#: Relative distance a float threshold keeps from every value of its column:
#: above the relative tolerance assert_eq compares floats with (see
#: :func:`threshold_of`), well below the gap between distinct test values.
_FLOAT_CLEARANCE = 1e-6


def threshold_of(data: Any, st: Any, pdf: pd.DataFrame, col: Any) -> Any:
    """A value to compare ``pdf[col]`` with: one of its values, or for a
    float column a point between two neighbouring values, or beyond the
    smallest or largest, that keeps a relative distance from all of them.

    A float computed from several numbers (a group sum, a mean) is not
    defined to the last bit: pandas itself sums a group's floats with
    ``numpy.add.reduceat`` when the group ids ascend and with its
    Kahan-compensated kernel otherwise, so the same rows give different last
    bits in different orders (17% of groups of small two-decimal sums), and
    a partitioned sum combines partials in yet another order. A threshold
    equal to one of those values asks for a last bit that no order defines;
    :func:`partframe.testing.assert_eq` compares the floats themselves with a
    relative tolerance, and a threshold clear of every value by more than
    that makes the rows kept a fact about the data, not about rounding.
    ``None`` when there is no value or no such point.
    """
    if col is None or not pd.api.types.is_float_dtype(pdf[col].dtype):
        return _value_of(data, st, pdf, col)
    values = pdf[col].dropna().to_numpy(dtype="float64")
    # Python floats: a point beyond the largest float is inf, not a warning
    points = np.unique(values[np.isfinite(values)]).tolist()
    if not points:
        return None
    # gap i lies above points[i - 1] and below points[i]; gaps 0 and len
    # lie beyond the ends
    gap = data.draw(st.integers(0, len(points)))
    below = points[gap - 1] if gap > 0 else points[0] - max(1.0, abs(points[0]))
    above = points[gap] if gap < len(points) else points[-1] + max(1.0, abs(points[-1]))
    value = below + (above - below) / 2
    margin = _FLOAT_CLEARANCE * max(abs(below), abs(above))
    if not (value - below > margin and above - value > margin):
        return None
    return value


def _filter_cmp(d: Any, col: Any, op: str, value: Any) -> Any:
    return d[getattr(d[col], op)(value)]


@step("filter_cmp")
@runs(_filter_cmp)
def _(data, st, pdf):
    col = _pick(data, st, columns_of(pdf, "num", "dt", "str"))
    value = threshold_of(data, st, pdf, col)
    if value is None:
        return None
    return {
        "col": col,
        "op": data.draw(st.sampled_from(["gt", "le", "ne"])),
        "value": value,
    }


def _filter_mask(d: Any, col: Any, how: str) -> Any:
    s = d[col]
    if how == "notna":
        return d[s.notna()]
    if how == "isna":
        return d[s.isna()]
    return d[s.fillna(False).astype(bool)]


@step("filter_mask")
@runs(_filter_mask)
def _(data, st, pdf):
    col = _pick(data, st, list(pdf.columns))
    if col is None:
        return None
    hows = ["notna", "isna"]
    if kind_of(pdf[col].dtype) == "bool":
        hows.append("truth")
    return {"col": col, "how": data.draw(st.sampled_from(hows))}


def _filter_isin(d: Any, col: Any, values: list) -> Any:
    return d[d[col].isin(values)]


@step("filter_isin")
@runs(_filter_isin)
def _(data, st, pdf):
    col = _pick(data, st, columns_of(pdf, "str", "cat", "num"))
    if col is None:
        return None
    pool = list(pdf[col].dropna().unique())[:6] or [1]
    values = data.draw(st.lists(st.sampled_from(pool), max_size=3))
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    return {"col": col, "values": values}


def _filter_index_isin(d: Any, values: list) -> Any:
    return d[d.index.isin(values)]


@step("filter_index_isin")
@runs(_filter_index_isin)
def _(data, st, pdf):
    pool = list(pdf.index.dropna().unique())[:6]
    if not pool:
        return None
    values = data.draw(st.lists(st.sampled_from(pool), max_size=3))
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    return {"values": values}


def _query(d: Any, col: Any, value: Any) -> Any:
    return d.query(f"`{col}` > {value!r}")


@step("query")
@runs(_query)
def _(data, st, pdf):
    col = _pick(
        data, st, [c for c in columns_of(pdf, "num") if pdf[c].dtype.kind in "if"]
    )
    if col is None:
        return None
    return {"col": col, "value": data.draw(st.integers(-3, 3))}


# column operations


def _assign_arith(d: Any, out: str, a: Any, op: str, b: Any) -> Any:
    right = d[b] if b in d.columns else b
    return d.assign(**{out: getattr(d[a], op)(right)})


@step("assign_arith")
@runs(_assign_arith)
def _(data, st, pdf):
    nums = [c for c in columns_of(pdf, "num")]
    a = _pick(data, st, nums)
    if a is None:
        return None
    b = data.draw(st.one_of(st.sampled_from(nums), st.integers(-3, 3)))
    op = data.draw(st.sampled_from(["add", "sub", "mul", "truediv", "radd"]))
    return {"out": _new_name(pdf), "a": a, "op": op, "b": b}


def _compare_fill(d: Any, out: str, a: Any, op: str, b: Any, fill: Any) -> Any:
    return d.assign(**{out: getattr(d[a], op)(d[b], fill_value=fill)})


@step("compare_fill")
@runs(_compare_fill)
def _(data, st, pdf):
    nums = [c for c in columns_of(pdf, "num") if pdf[c].dtype.kind == "f"]
    if not nums:
        return None
    a, b = data.draw(st.sampled_from(nums)), data.draw(st.sampled_from(nums))
    op = data.draw(st.sampled_from(["lt", "ge", "eq", "add"]))
    return {"out": _new_name(pdf), "a": a, "op": op, "b": b, "fill": 0.5}


def _unary(d: Any, col: Any, how: str) -> Any:
    s = d[col]
    if how == "abs":
        s = s.abs()
    elif how == "neg":
        s = -s
    elif how == "round":
        s = s.round(1)
    elif how == "clip":
        s = s.clip(-1, 2)
    elif how == "cumsum":
        s = s.cumsum()
    elif how == "isna":
        s = s.isna()
    elif how == "fillna":
        s = s.fillna(0)
    return d.assign(**{col: s})


@step("unary")
@runs(_unary)
def _(data, st, pdf):
    col = _pick(data, st, columns_of(pdf, "num"))
    if col is None:
        return None
    how = data.draw(
        st.sampled_from(["abs", "neg", "round", "clip", "cumsum", "isna", "fillna"])
    )
    return {"col": col, "how": how}


def _overlap(d: Any, col: Any, out: str, how: str, n: int) -> Any:
    s = d[col]
    if how == "shift":
        s = s.shift(n)
    elif how == "diff":
        s = s.diff(n)
    elif how == "pct_change":
        s = s.pct_change(n)
    elif how == "rolling_max":
        s = s.rolling(abs(n) + 1, min_periods=1).max()
    elif how == "rolling_mean":
        s = s.rolling(abs(n) + 1).mean()
    elif how == "rolling_count":
        s = s.rolling(abs(n) + 1, center=True).count()
    elif how == "expanding_max":
        s = s.expanding(abs(n)).max()
    elif how == "expanding_mean":
        s = s.expanding().mean()
    return d.assign(**{out: s})


#: overlap steps whose floats are sums that pandas runs over the whole frame
#: and a partition starts again from the rows it borrows (or a carried sum)
INEXACT_OVERLAPS = frozenset(["rolling_mean", "expanding_mean"])


@step("overlap")
@runs(_overlap)
def _(data, st, pdf):
    how = data.draw(
        st.sampled_from(
            ["shift", "diff", "pct_change", "rolling_max", "rolling_mean",
             "rolling_count", "expanding_max", "expanding_mean"]
        )
    )  # fmt: skip
    cols = list(pdf.columns) if how == "shift" else columns_of(pdf, "num")
    col = _pick(data, st, cols)
    if col is None:
        return None
    n = data.draw(st.integers(-3, 3))
    return {"col": col, "out": _new_name(pdf), "how": how, "n": n}


def _where(d: Any, col: Any, cond: Any, other: Any) -> Any:
    return d.assign(**{col: d[col].where(d[cond] > 0, other)})


@step("where")
@runs(_where)
def _(data, st, pdf):
    nums = [c for c in columns_of(pdf, "num") if pdf[c].dtype.kind == "f"]
    conds = columns_of(pdf, "num")
    if not nums or not conds:
        return None
    return {
        "col": data.draw(st.sampled_from(nums)),
        "cond": data.draw(st.sampled_from(conds)),
        "other": data.draw(st.sampled_from([0.0, -1.5])),
    }


def _str_op(d: Any, out: str, col: Any, how: str) -> Any:
    s = d[col].str
    if how == "upper":
        r = s.upper()
    elif how == "len":
        r = s.len()
    elif how == "contains":
        r = s.contains("d", regex=False)
    elif how == "startswith":
        r = s.startswith("a")
    else:
        r = s.strip().str.replace(" ", "_", regex=False)
    return d.assign(**{out: r})


@step("str_op")
@runs(_str_op)
def _(data, st, pdf):
    col = _pick(data, st, columns_of(pdf, "str"))
    if col is None:
        return None
    how = data.draw(
        st.sampled_from(["upper", "len", "contains", "startswith", "strip"])
    )
    return {"out": _new_name(pdf), "col": col, "how": how}


def _dt_op(d: Any, out: str, col: Any, how: str) -> Any:
    s = d[col].dt
    r = s.floor("D") if how == "floor" else getattr(s, how)
    return d.assign(**{out: r})


@step("dt_op")
@runs(_dt_op)
def _(data, st, pdf):
    col = _pick(data, st, columns_of(pdf, "dt"))
    if col is None:
        return None
    hows = ["floor"]
    if not pdf[col].isna().any():
        # with a missing value pandas makes these float64, without it int32:
        # a partition without one cannot know (the xfail of test_accessors)
        hows += ["year", "day", "hour", "dayofweek"]
    how = data.draw(st.sampled_from(hows))
    return {"out": _new_name(pdf), "col": col, "how": how}


def _astype(d: Any, col: Any, dtype: str) -> Any:
    return d.astype({col: dtype})


CASTS = {
    "num": ["float64", "Float64", "str"],
    "bool": ["int64", "boolean", "str"],
    "str": ["category"],
    "cat": ["str"],
    # Not "dt" to "str": pandas formats datetimes as dates only when every
    # value of the whole column is at midnight, which a partition cannot see.
}


@step("astype")
@runs(_astype)
def _(data, st, pdf):
    col = _pick(data, st, list(pdf.columns))
    if col is None:
        return None
    options = list(CASTS.get(kind_of(pdf[col].dtype), []))
    if pdf[col].dtype == "int64":
        options.append("Int64")
    if not options:
        return None
    return {"col": col, "dtype": data.draw(st.sampled_from(options))}


def _fillna(d: Any, col: Any, value: Any) -> Any:
    return d.fillna({col: value})


@step("fillna")
@runs(_fillna)
def _(data, st, pdf):
    col = _pick(data, st, columns_of(pdf, "num", "str"))
    if col is None:
        return None
    value = "zz" if kind_of(pdf[col].dtype) == "str" else 7
    return {"col": col, "value": value}


def _dropna(d: Any, subset: list | None) -> Any:
    return d.dropna(subset=subset)


@step("dropna")
@runs(_dropna)
def _(data, st, pdf):
    cols = list(pdf.columns)
    subset = (
        data.draw(
            st.one_of(
                st.none(),
                st.lists(st.sampled_from(cols), min_size=1, max_size=2, unique=True),
            )
        )
        if cols
        else None
    )
    return {"subset": subset}


def _select(d: Any, cols: list) -> Any:
    return d[cols]


@step("select")
@runs(_select)
def _(data, st, pdf):
    cols = list(pdf.columns)
    if len(cols) < 2:
        return None
    return {
        "cols": data.draw(
            st.lists(st.sampled_from(cols), min_size=1, max_size=len(cols), unique=True)
        )
    }


def _rename(d: Any, old: Any, new: str) -> Any:
    return d.rename(columns={old: new})


@step("rename")
@runs(_rename)
def _(data, st, pdf):
    col = _pick(data, st, list(pdf.columns))
    if col is None:
        return None
    return {"old": col, "new": _new_name(pdf)}


def _drop(d: Any, col: Any) -> Any:
    return d.drop(columns=[col])


@step("drop")
@runs(_drop)
def _(data, st, pdf):
    if len(pdf.columns) < 2:
        return None
    return {"col": _pick(data, st, list(pdf.columns))}


def _map_partitions(d: Any, col: Any, meta: Any) -> Any:
    if isinstance(d, pd.DataFrame):
        return _double(d, col)
    if meta is not None:
        return d.map_partitions(_double, col, meta=meta)
    return d.map_partitions(_double, col)


def _double(part: pd.DataFrame, col: Any) -> pd.DataFrame:
    return part.assign(**{col: part[col] * 2})


@step("map_partitions")
@runs(_map_partitions)
def _(data, st, pdf):
    col = _pick(data, st, [c for c in columns_of(pdf, "num")])
    if col is None:
        return None
    # meta= as a user who knows the data writes it: pandas' dtypes of the
    # result (partframe's own schema may be narrower: ints that missing
    # values widen, see partframe.kernels.enforce, refused in a meta=)
    meta = _double(pdf.iloc[:0], col) if data.draw(st.booleans()) else None
    return {"col": col, "meta": meta}


# reshaping rows


def _sort(d: Any, by: list, ascending: list, na_position: str) -> Any:
    kwargs: dict = {"ascending": ascending, "na_position": na_position}
    if isinstance(d, pd.DataFrame):
        kwargs["kind"] = "stable"  # partframe's sort is stable
    return d.sort_values(by, **kwargs)


@step("sort_values")
@runs(_sort)
def _(data, st, pdf):
    keys = columns_of(pdf, "num", "str", "dt", "bool")
    if not keys:
        return None
    by = data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=2, unique=True))
    ascending = [data.draw(st.booleans()) for _ in by]
    return {
        "by": by,
        "ascending": ascending,
        "na_position": data.draw(st.sampled_from(["last", "first"])),
    }


def _set_index(d: Any, col: Any) -> Any:
    out = d.set_index(col)
    if isinstance(out, pd.DataFrame):
        out = out.sort_index(kind="stable", na_position="last")
        if out.index.dtype != d[col].dtype and d[col].dtype.kind == "i":
            # pandas makes a RangeIndex (int64) of a narrow int column whose
            # values form an arithmetic progression; partframe keeps the
            # column's dtype (kernels.partitions.set_index_column)
            out.index = out.index.astype(d[col].dtype)
    return out


@step("set_index", labelled=True)
@runs(_set_index)
def _(data, st, pdf):
    keys = [c for c in columns_of(pdf, "num", "str", "dt") if len(pdf.columns) > 1]
    col = _pick(data, st, keys)
    return None if col is None else {"col": col}


def _reset_index(d: Any, drop: bool) -> Any:
    return d.reset_index(drop=drop)


@step("reset_index", numbers_rows=True)
@runs(_reset_index)
def _(data, st, pdf):
    drop = data.draw(st.booleans())
    if not drop and ("index" in pdf.columns or pdf.index.name in pdf.columns):
        return None
    return {"drop": drop}


def _repartition(d: Any, n: int) -> Any:
    return d if isinstance(d, pd.DataFrame) else d.repartition(npartitions=n)


@step("repartition")
@runs(_repartition)
def _(data, st, pdf):
    return {"n": data.draw(st.integers(1, 9))}


def _concat(d: Any, col: Any, value: Any) -> Any:
    lib = pd if isinstance(d, pd.DataFrame) else partframe
    other = d if col is None else d[d[col] > value]
    return lib.concat([d, other])


@step("concat")
@runs(_concat)
def _(data, st, pdf):
    col = _pick(
        data, st, [c for c in columns_of(pdf, "num") if pdf[c].dtype.kind in "if"]
    )
    return {"col": col, "value": 0}


def _drop_duplicates(d: Any, subset: list, keep: Any = "first") -> Any:
    return d.drop_duplicates(subset=subset, keep=keep)


@step("drop_duplicates", ordered=False)
@runs(_drop_duplicates)
def _(data, st, pdf):
    cols = columns_of(pdf, "num", "str", "bool", "dt")
    if not cols:
        return None
    # keep="first"/"last" pick a row by the row order; after a step that
    # leaves it unordered (a merge) the generator draws keep=False
    return {
        "subset": data.draw(
            st.lists(st.sampled_from(cols), min_size=1, max_size=2, unique=True)
        ),
        "keep": data.draw(st.sampled_from(["first", "last", False])),
    }


def _nlargest(d: Any, n: int, col: Any) -> Any:
    return d.nlargest(n, col)


@step("nlargest", ordered=False)
@runs(_nlargest)
def _(data, st, pdf):
    col = _pick(data, st, [c for c in pdf.columns if pdf[c].dtype.kind in "if"])
    return None if col is None else {"n": data.draw(st.integers(1, 6)), "col": col}


# joins


def _other_frame(pdf: pd.DataFrame, key: Any, seed: int, unique: bool) -> pd.DataFrame:
    """A second frame whose ``key`` column shares some values with ``pdf``'s."""
    rng = np.random.default_rng(seed)
    pool = list(pdf[key].dropna().unique()) or [0]
    if unique:
        keys = [pool[i] for i in rng.permutation(len(pool))]
    else:
        keys = [
            pool[i] for i in rng.integers(0, len(pool), size=int(rng.integers(0, 12)))
        ]
    n = len(keys)
    return pd.DataFrame(
        {
            key: pd.array(keys, dtype=pdf[key].dtype) if n else pdf[key].iloc[:0].array,
            "o_val": rng.normal(size=n).round(2),
            # nullable: a missing row keeps its dtype (see _missing_capable)
            "o_int": pd.array(rng.integers(0, 9, size=n), dtype="Int64"),
        }
    )


def _missing_capable(dtype: Any) -> bool:
    """Does a column of ``dtype`` keep its dtype when a join leaves a row
    missing? pandas makes int64 float64 and bool object only when some row
    is missing, a fact of the whole result that no partition's meta can
    know; those joins are checked in tests/expr/test_merge.py, and left out here
    so that metas are compared strictly everywhere else."""
    return dtype.kind in "fcmMO" or isinstance(dtype, pd.api.extensions.ExtensionDtype)


def _merge(d: Any, other: pd.DataFrame, key: Any, how: str, nparts: int) -> Any:
    if isinstance(d, pd.DataFrame):
        return d.merge(other, on=key, how=how)
    return d.merge(partframe.from_pandas(other, npartitions=nparts), on=key, how=how)


@step("merge", ordered=False, labelled=False)
@runs(_merge)
def _(data, st, pdf):
    if "o_val" in pdf.columns:
        return None
    key = _pick(data, st, columns_of(pdf, "num", "str"))
    if key is None:
        return None
    seed, unique = data.draw(st.integers(0, 1000)), data.draw(st.booleans())
    hows = ["inner", "left"]
    if all(_missing_capable(pdf[c].dtype) for c in pdf.columns if c != key):
        hows += ["right", "outer"]
    return {
        "other": _other_frame(pdf, key, seed, unique),
        "key": key,
        "how": data.draw(st.sampled_from(hows)),
        "nparts": data.draw(st.integers(1, 4)),
    }


def _merge_few(d: Any, dims: pd.DataFrame, key: Any, nparts: int) -> Any:
    # an inner join with the few rows of a filtered dimension: the semi-join
    # filter by their keys may go below earlier inner joins
    if isinstance(d, pd.DataFrame):
        return d.merge(dims[dims.f_sel == 0], left_on=key, right_on="f_key")
    f = partframe.from_pandas(dims, npartitions=nparts)
    return d.merge(f[f.f_sel == 0], left_on=key, right_on="f_key")


@step("merge_few", ordered=False, labelled=False)
@runs(_merge_few)
def _(data, st, pdf):
    if "f_key" in pdf.columns:
        return None
    key = _pick(data, st, columns_of(pdf, "num", "str"))
    if key is None:
        return None
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    keys = list(pdf[key].dropna().unique())
    n = len(keys)
    dims = pd.DataFrame(
        {
            "f_key": pd.array(keys, dtype=pdf[key].dtype)
            if n
            else pdf[key].iloc[:0].array,
            "f_sel": rng.integers(0, 10, size=n),
            "f_val": rng.normal(size=n).round(2),
        }
    )
    return {"dims": dims, "key": key, "nparts": data.draw(st.integers(1, 3))}


def _join_index(d: Any, other: pd.DataFrame, nparts: int) -> Any:
    if isinstance(d, pd.DataFrame):
        return d.join(other, how="left")
    return d.join(partframe.from_pandas(other, npartitions=nparts), how="left")


@step("join_index")
@runs(_join_index)
def _(data, st, pdf):
    if "o_idx" in pdf.columns or not pdf.index.is_unique:
        return None
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    labels = [x for x in pdf.index if rng.random() < 0.6]
    other = pd.DataFrame(
        {"o_idx": pd.array(rng.integers(0, 5, size=len(labels)), dtype="Int64")},
        index=pd.Index(labels, dtype=pdf.index.dtype),
    )
    return {"other": other, "nparts": data.draw(st.integers(1, 3))}


# groupby

AGGS = [
    "sum",
    "mean",
    "min",
    "max",
    "count",
    "std",
    "var",
    "nunique",
    "first",
    "last",
    "median",
    "size",
]


def _groupby_agg(d: Any, key: Any, values: list, agg: str, dropna: bool) -> Any:
    g = d.groupby(key, dropna=dropna)
    if agg == "size":
        return g.size().to_frame("size")
    return getattr(g[values], agg)()


@step("groupby_agg", ordered=True, labelled=True)
@runs(_groupby_agg)
def _(data, st, pdf):
    keys = columns_of(pdf, "num", "str", "bool", "cat", "dt")
    key = _pick(data, st, keys)
    if key is None:
        return None
    values = [c for c in columns_of(pdf, "num") if c != key]
    agg = data.draw(st.sampled_from(AGGS))
    if not values and agg != "size":
        return None
    chosen = (
        data.draw(
            st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True)
        )
        if values
        else []
    )
    return {
        "key": key,
        "values": chosen,
        "agg": agg,
        "dropna": data.draw(st.booleans()),
    }


def _groupby_two_keys(
    d: Any, key: Any, second: Any, values: list, agg: str, dropna: bool
) -> Any:
    # ``second`` None: a copy of ``key`` (a key the first determines, as an
    # id with its name), else another column
    if second is None:
        second = "key_copy"
        d = d.assign(key_copy=d[key])
    g = d.groupby([key, second], dropna=dropna)
    return g.size().to_frame("size") if agg == "size" else getattr(g[values], agg)()


@step("groupby_two_keys", ordered=True, labelled=True)
@runs(_groupby_two_keys)
def _(data, st, pdf):
    keys = columns_of(pdf, "num", "str", "bool", "dt")
    key = _pick(data, st, keys)
    if key is None or "key_copy" in pdf.columns:
        return None
    second = _pick(data, st, [None, *[c for c in keys if c != key]])
    values = [c for c in columns_of(pdf, "num") if c not in (key, second)]
    agg = data.draw(st.sampled_from(["sum", "count", "max", "size", "nunique"]))
    if not values and agg != "size":
        return None
    return {
        "key": key,
        "second": second,
        "values": values[:2],
        "agg": agg,
        "dropna": data.draw(st.booleans()),
    }


def _groupby_named(d: Any, key: Any, spec: dict, as_index: bool) -> Any:
    named = {out: (col, agg) for out, (col, agg) in spec.items()}
    return d.groupby(key, as_index=as_index).agg(**named)


@step("groupby_named", ordered=True, labelled=True)
@runs(_groupby_named)
def _(data, st, pdf):
    key = _pick(data, st, columns_of(pdf, "num", "str", "bool"))
    values = [c for c in columns_of(pdf, "num") if c != key]
    if key is None or not values:
        return None
    spec = {}
    for i in range(data.draw(st.integers(1, 3))):
        spec[f"out{i}"] = (
            data.draw(st.sampled_from(values)),
            data.draw(st.sampled_from(["sum", "mean", "max", "count", "std"])),
        )
    return {"key": key, "spec": spec, "as_index": data.draw(st.booleans())}


def _groupby_transform(d: Any, out: str, key: Any, col: Any, func: str) -> Any:
    g = d.groupby(key)[col]
    f = _demean if func == "demean" else func
    return d.assign(**{out: g.transform(f)})


def _demean(s: pd.Series) -> pd.Series:
    return s - s.mean()


@step("groupby_transform")
@runs(_groupby_transform)
def _(data, st, pdf):
    key = _pick(data, st, columns_of(pdf, "num", "str", "bool"))
    values = [
        c for c in columns_of(pdf, "num") if c != key and pdf[c].dtype.kind in "if"
    ]
    if key is None or not values:
        return None
    return {
        "out": _new_name(pdf),
        "key": key,
        "col": data.draw(st.sampled_from(values)),
        "func": data.draw(st.sampled_from(_transform_funcs(pdf, key))),
    }


def _no_groups(pdf: pd.DataFrame, key: Any) -> bool:
    # pandas never calls a function when there is no group (an empty frame,
    # or every key missing) and gives the result a schema of its own (other
    # index levels, float64 where the function returns Float64); a lazy
    # plan cannot know that, so its meta comes from calling the function on
    # a non-empty stand-in.
    return not pdf[key].notna().any()


def _transform_funcs(pdf: pd.DataFrame, key: Any) -> list[str]:
    names = ["sum", "mean", "cumsum"]
    return names if _no_groups(pdf, key) else [*names, "demean"]


def _groupby_apply(d: Any, key: Any, col: Any, meta: bool) -> Any:
    g = d.groupby(key)
    if isinstance(d, pd.DataFrame) or not meta:
        return g.apply(_top2, col)
    # pandas passes each group without its key column
    return g.apply(_top2, col, meta=_top2(d._meta.drop(columns=[key]), col))


def _top2(g: pd.DataFrame, col: Any) -> pd.DataFrame:
    return g.nlargest(2, col)


# the result's index is the keys plus each row's own label: comparable only
# where the labels before were
@step("groupby_apply", ordered=False)
@runs(_groupby_apply)
def _(data, st, pdf):
    key = _pick(data, st, columns_of(pdf, "num", "str"))
    values = [c for c in pdf.columns if c != key and pdf[c].dtype.kind in "if"]
    if key is None or not values or _no_groups(pdf, key):
        return None
    return {
        "key": key,
        "col": data.draw(st.sampled_from(values)),
        "meta": data.draw(st.booleans()),
    }


# storage round trips


def _parquet(d: Any, tag: str) -> Any:
    if isinstance(d, pd.DataFrame):
        out = pd.read_parquet(io.BytesIO(d.to_parquet()))
        # pyarrow restores the extension dtype (Int64...) of a column but
        # not of an index level; partframe reads back the index written
        if d.index.nlevels == 1 and out.index.dtype != d.index.dtype:
            out.index = out.index.astype(d.index.dtype)
        elif d.index.nlevels > 1 and list(out.index.dtypes) != list(d.index.dtypes):
            out.index = out.index.set_levels(
                [
                    level.astype(want)
                    for level, want in zip(out.index.levels, d.index.dtypes)
                ],
                verify_integrity=False,
            )
        return out
    path = os.path.join(tempfile.gettempdir(), "pf-composition", tag)
    d.to_parquet(path, overwrite=True)
    return partframe.read_parquet(path)


@step("parquet")
@runs(_parquet)
def _(data, st, pdf):
    if (
        any(not isinstance(c, str) for c in pdf.columns)
        or pdf.index.name in pdf.columns
    ):
        return None
    return {"tag": uuid.uuid4().hex}


def _parquet_filters(d: Any, tag: str, col: Any, op: str, value: Any) -> Any:
    # a round trip read back with filters= (pyarrow's semantics: a null
    # matches no comparison); the rows kept are numbered 0..n-1
    filters = [(col, op, value)]
    if isinstance(d, pd.DataFrame):
        data = d.to_parquet(index=False)
        out = pd.read_parquet(io.BytesIO(data), filters=filters)
        if not len(out):
            # pyarrow reads a categorical column of a result without rows
            # with no categories; partframe keeps the file's, as a read
            # without filters and a filter after it both do
            out = out.astype(pd.read_parquet(io.BytesIO(data)).dtypes.to_dict())
        return out
    path = os.path.join(tempfile.gettempdir(), "pf-composition", tag)
    d.to_parquet(path, overwrite=True, write_index=False)
    return partframe.read_parquet(path, filters=filters)


@step("parquet_filters", labelled=True, numbers_rows=True)
@runs(_parquet_filters)
def _(data, st, pdf):
    if any(not isinstance(c, str) for c in pdf.columns):
        return None
    col = _pick(data, st, columns_of(pdf, "num"))
    value = threshold_of(data, st, pdf, col)
    if value is None:
        return None
    return {
        "tag": uuid.uuid4().hex,
        "col": col,
        "op": data.draw(st.sampled_from([">", "<=", "!="])),
        "value": value,
    }


def _csv(d: Any, tag: str) -> Any:
    if isinstance(d, pd.DataFrame):
        return pd.read_csv(io.StringIO(d.to_csv(index=False)))
    path = os.path.join(tempfile.gettempdir(), "pf-composition", tag)
    d.to_csv(path, index=False, overwrite=True)
    return partframe.read_csv(os.path.join(path, "*.part"))


@step("csv", labelled=False)
@runs(_csv)
def _(data, st, pdf):
    if not len(pdf.columns) or any(pdf[c].dtype.kind not in "ifb" for c in pdf.columns):
        return None
    if any(pdf[c].isna().all() for c in pdf.columns):
        return None  # an all-missing column is typed from the data each reader sees
    if any(pdf[c].dtype.kind in "ib" and pdf[c].hasnans for c in pdf.columns):
        # ints or bools with blanks in some files: each file is typed from
        # what it holds, and partframe raises CSVDtypeError naming the
        # column and the dtype= fix (tests/io/test_csv.py) where pandas, reading one
        # file, would make floats or objects
        return None
    return {"tag": uuid.uuid4().hex}


# ends: a DataFrame becomes something else (always last)


def _reduce(d: Any, how: str, col: Any) -> Any:
    target = (
        d[col]
        if col is not None
        else d[columns_of(d._meta if not isinstance(d, pd.DataFrame) else d, "num")]
    )
    return getattr(target, how)()


@step("reduce", terminal=True)
@runs(_reduce)
def _(data, st, pdf):
    how = data.draw(
        st.sampled_from(["sum", "mean", "min", "max", "count", "std", "var", "nunique"])
    )
    col = (
        data.draw(st.one_of(st.none(), st.sampled_from(columns_of(pdf, "num"))))
        if columns_of(pdf, "num")
        else None
    )
    if col is None and not columns_of(pdf, "num"):
        return None
    return {"how": how, "col": col}


def _column(d: Any, col: Any) -> Any:
    return d[col]


@step("column", terminal=True)
@runs(_column)
def _(data, st, pdf):
    col = _pick(data, st, list(pdf.columns))
    return None if col is None else {"col": col}


def _value_counts(d: Any, col: Any) -> Any:
    return d[col].value_counts()


@step("value_counts", terminal=True, ordered=False)
@runs(_value_counts)
def _(data, st, pdf):
    col = _pick(data, st, columns_of(pdf, "num", "str", "bool"))
    return None if col is None else {"col": col}


def _length(d: Any) -> Any:
    return len(d)


@step("len", terminal=True)
@runs(_length)
def _(data, st, pdf):
    return {}


def _head(d: Any, n: int) -> Any:
    if isinstance(d, pd.DataFrame):
        return d.head(n)
    return d.head(n, npartitions=-1)


@step("head", terminal=True)
@runs(_head)
def _(data, st, pdf):
    return {"n": data.draw(st.integers(0, 8))}


# -- values merged from partials ------------------------------------------------------
#
# sum, mean, std and var of floats are merged from partials (sums of partial
# sums, Chan's formula), so a value may differ from pandas' in its last bit;
# so may pandas' own from one row order to another (a float group sum is
# numpy.add.reduceat of ascending group ids and Kahan-compensated otherwise).
# The end compares it with a tolerance, but a later step that treats floats
# exactly (a key, a sort, a cast, a rounding, a count of distinct values, an
# isin or a merge on a value drawn from the data) would turn that bit into
# other rows or groups. After such an aggregation, those steps are not drawn
# on float columns. Comparisons with a threshold stay: the threshold keeps
# clear of every value (threshold_of).

INEXACT_AGGS = frozenset(["sum", "std", "var", "mean"])

# the parameters naming the columns a step treats exactly
_EXACT_PARAMS = {
    "filter_isin": ["col"],
    "query": ["col"],
    "where": ["cond"],
    "astype": ["col"],
    "sort_values": ["by"],
    "set_index": ["col"],
    "drop_duplicates": ["subset"],
    "nlargest": ["col"],
    "merge": ["key"],
    "merge_few": ["key"],
    "groupby_agg": ["key"],
    "groupby_named": ["key"],
    "groupby_two_keys": ["key", "second"],
    "groupby_transform": ["key"],
    "groupby_apply": ["key", "col"],
    "concat": ["col"],
    "value_counts": ["col"],
}


def makes_inexact(name: str, params: dict) -> bool:
    """Whether the step computes floats merged from partials."""
    if name in ("groupby_agg", "groupby_two_keys"):
        return params["agg"] in INEXACT_AGGS
    if name == "groupby_named":
        return any(agg in INEXACT_AGGS for _, agg in params["spec"].values())
    if name == "overlap":
        return params["how"] in INEXACT_OVERLAPS
    return False


def exact_on_floats(name: str, params: dict, pdf: pd.DataFrame) -> bool:
    """Whether the step treats a float column of ``pdf`` exactly."""
    keys = list(_EXACT_PARAMS.get(name, []))
    if name == "compare_fill" and params["op"] != "add":
        keys = ["a", "b"]
    if name == "unary" and params["how"] == "round":
        keys = ["col"]
    if name == "overlap" and params["how"] != "shift":
        keys = ["col"]  # differences and windows of values off in the last bit
    if name in ("groupby_agg", "groupby_two_keys") and params["agg"] == "nunique":
        keys.append("values")
    cols: list = []
    if name == "reduce" and params["how"] == "nunique":
        col = params["col"]
        cols = columns_of(pdf, "num") if col is None else [col]
    for key in keys:
        value = params[key]
        cols.extend(value if isinstance(value, list) else [value])
    return any(
        c in pdf.columns and pdf[c].dtype.kind == "f"
        for c in cols
        if not isinstance(c, list | dict)
    )


TRANSFORMS = sorted(n for n, s in STEPS.items() if not s.terminal)
ENDS = sorted(n for n, s in STEPS.items() if s.terminal)

# -- running --------------------------------------------------------------------------


@dataclasses.dataclass
class Pipeline:
    """A start frame, how it is partitioned, and the steps applied."""

    pdf: pd.DataFrame
    partitioning: str
    steps: list = dataclasses.field(default_factory=list)

    def code(self) -> str:
        lines = [f"partitioning={self.partitioning!r}", repr(self.pdf.dtypes.to_dict())]
        lines += [f"  {name}({params})" for name, params in self.steps]
        return "\n".join(lines)


def pandas_step(pdf: Any, name: str, params: dict) -> Any:
    """The step on pandas, or ``None`` when pandas refuses it (raises or
    warns): such a step is not drawn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return STEPS[name].run(pdf, **params)
        except Exception:
            return None


def start(pdf: pd.DataFrame, partitioning: str) -> tuple[Any, pd.DataFrame]:
    ddf, expected = variant(pdf, partitioning)
    return ddf, expected.sort_index(kind="stable")  # from_pandas sorts


def check(pipeline: Pipeline, scheduler: str) -> None:
    """Run ``pipeline`` on partframe and on pandas and compare the results."""
    ddf, pdf = start(pipeline.pdf, pipeline.partitioning)
    ordered, labelled = True, True
    for name, params in pipeline.steps:
        s = STEPS[name]
        new = pandas_step(pdf, name, params)
        assert new is not None, f"pandas refuses {name}({params})"
        pdf, ddf = new, s.run(ddf, **params)
        if s.ordered is not None:
            ordered = s.ordered
        if s.labelled is not None:
            labelled = s.labelled
        if s.numbers_rows and not ordered:
            labelled = False
    compare(ddf, pdf, ordered, labelled, scheduler)


def compare(got: Any, want: Any, ordered: bool, labelled: bool, scheduler: str) -> None:
    if not isinstance(want, pd.DataFrame | pd.Series | pd.Index):
        assert_eq(got, want, scheduler=scheduler, rtol=1e-9, atol=1e-12)
        return
    if isinstance(got, pd.DataFrame | pd.Series):  # head() computes
        if not labelled:
            got, want = got.reset_index(drop=True), want.reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want) if isinstance(
            want, pd.DataFrame
        ) else pd.testing.assert_series_equal(got, want)
        return
    assert_eq(
        got,
        want,
        scheduler=scheduler,
        check_index=labelled,
        sort_results=not ordered,
        rtol=1e-9,
        atol=1e-12,
    )
