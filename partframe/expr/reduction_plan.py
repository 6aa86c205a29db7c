"""How a reduction method runs as a tree: its kernels, their arguments, the
input columns it reads.

A :class:`~partframe.expr.reductions.Reduction` is ``frame.op(**kwargs)``
over all partitions, and carries pandas' answer on a stand-in of the input
(``result``, from :func:`run_meta` when the plan is built). Everything here
is worked out from those when the node is lowered:

- :func:`reduced_columns`: the input columns the reduction reads (those of
  the result), so the input is narrowed to them before the chunk step;
- :func:`tree_steps`: the chunk, combine and aggregate kernels and their
  arguments. A numpy Series of kinds ``SCALAR_KINDS`` reduces to scalar
  partials (one pandas call per partition, a numpy merge); a DataFrame is
  reduced in groups of columns of one dtype; the aggregate casts to the
  dtype pandas gives, which ``result`` tells.

The kernels are in :mod:`partframe.kernels.reductions`,
:mod:`~partframe.kernels.moments`, :mod:`~partframe.kernels.distinct` and
:mod:`~partframe.kernels.quantile`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..kernels import distinct as D
from ..kernels import moments as M
from ..kernels import quantile as Q
from ..kernels import reductions as K
from .meta import meta_nonempty

__all__ = [
    "ALL_VALUES_OPS",
    "REDUCTIONS",
    "TreeSteps",
    "all_values_dtype",
    "all_values_input",
    "describe_kind",
    "describe_meta",
    "reduced_columns",
    "reduces_all_values",
    "run_meta",
    "tree_steps",
]


def describe_meta(meta: Any) -> str:
    """How an error names the input: the Series and its dtype, or DataFrame.

    Examples
    --------
    >>> describe_meta(pd.Series([], dtype="int64", name="x"))
    "Series 'x' of dtype int64"
    """
    if isinstance(meta, pd.Series):
        return f"Series {meta.name!r} of dtype {meta.dtype}"
    return "DataFrame"


def run_meta(meta: Any, op: str, kwargs: dict[str, Any]) -> Any:
    """Run pandas' ``op`` on a stand-in of ``meta``; blame a column on error.

    Examples
    --------
    >>> run_meta(pd.DataFrame({"a": [1]}).iloc[:0], "sum", {}).to_dict()
    {'a': 3}
    """
    sample = meta_nonempty(meta)
    try:
        return getattr(sample, op)(**kwargs)
    except TypeError as err:
        if isinstance(meta, pd.DataFrame):
            for j, col in enumerate(sample.columns):
                try:
                    getattr(sample.iloc[:, [j]], op)(**kwargs)
                except TypeError as col_err:
                    dtype = meta.dtypes.iloc[j]
                    raise TypeError(
                        f"DataFrame.{op}() cannot reduce column {col!r} of dtype "
                        f"{dtype}: {col_err}. Select supported columns or pass "
                        "numeric_only=True"
                    ) from err
        raise TypeError(
            f"{describe_meta(meta)}: {op}() is not supported: {err}"
        ) from err


#: Reductions pandas runs over every value of a DataFrame with ``axis=None``.
ALL_VALUES_OPS = frozenset(
    ["sum", "prod", "min", "max", "any", "all", "mean", "var", "std", "sem"]
)


def reduces_all_values(kwargs: dict[str, Any] | None) -> bool:
    """Does a frame reduction with these keywords reduce every value
    (``axis=None``)?

    Examples
    --------
    >>> reduces_all_values({"axis": None}), reduces_all_values({"skipna": True})
    (True, False)
    """
    return kwargs is not None and "axis" in kwargs and kwargs["axis"] is None


def _all_values_positions(meta: pd.DataFrame, kwargs: dict[str, Any]) -> list[int]:
    """The positions of the columns whose values ``op(axis=None, **kwargs)``
    reduces (``bool_only``, ``numeric_only``: pandas' dtype selection)."""
    numbered = meta.set_axis(range(meta.shape[1]), axis=1)
    if kwargs.get("bool_only"):
        numbered = numbered.select_dtypes(include=["bool"])
    elif kwargs.get("numeric_only"):
        numbered = numbered.select_dtypes(include=["number", "bool"])
    return list(numbered.columns)


def all_values_input(
    meta: pd.DataFrame, op: str, kwargs: dict[str, Any]
) -> tuple[pd.Series, dict[str, Any], list[int] | None]:
    """``frame.op(axis=None, **kwargs)`` reduces every value of the selected
    columns as one Series (row after row): that Series' meta, the
    reduction's keywords for it and the positions of the selected columns
    (None: all of them).

    Examples
    --------
    >>> meta = pd.DataFrame({"a": [1], "s": ["x"]}).iloc[:0]
    >>> flat, kw, positions = all_values_input(
    ...     meta, "sum", {"axis": None, "numeric_only": True})
    >>> flat.dtype, kw, positions
    (dtype('int64'), {}, [0])
    """
    positions = _all_values_positions(meta, kwargs)
    dtype = all_values_dtype(meta.iloc[:, positions], op)
    drop = ("axis", "numeric_only", "bool_only")
    flat_kwargs = {k: v for k, v in kwargs.items() if k not in drop}
    if len(positions) == meta.shape[1]:
        return pd.Series([], dtype=dtype), flat_kwargs, None
    return pd.Series([], dtype=dtype), flat_kwargs, positions


def reduced_columns(
    meta: Any, result: Any, op: str, kwargs: dict[str, Any] | None = None
) -> list[Any] | None:
    """The columns of the input ``meta`` that the reduction reads.

    ``None`` (all, and no selection) for a Series or Index input and for
    ``memory_usage``, which measures the whole frame. For a DataFrame: the
    columns the result describes (its index for a Series result, its
    columns for a DataFrame result); with ``axis=None`` in ``kwargs``, the
    columns whose values are reduced; all columns when labels repeat.

    Examples
    --------
    >>> meta = pd.DataFrame({"a": [1], "b": ["x"]}).iloc[:0]
    >>> reduced_columns(meta, pd.Series([2], index=["a"]), "sum")
    ['a']
    """
    if not isinstance(meta, pd.DataFrame) or op == "memory_usage":
        return None
    columns = list(meta.columns)
    if not meta.columns.is_unique:
        return columns
    if reduces_all_values(kwargs):
        return [columns[j] for j in _all_values_positions(meta, kwargs or {})]
    if isinstance(result, pd.DataFrame):
        return list(result.columns)
    if isinstance(result, pd.Series):
        return list(result.index)
    return columns


def repeated_label_positions(
    meta: Any, op: str, kwargs: dict[str, Any] | None
) -> list[int] | None:
    """The positions of the columns a reduction of a frame whose labels
    repeat reads (``None``: all, or labels that do not repeat).

    Labels cannot tell the columns apart, so pandas' own reduction runs on
    a stand-in whose columns are numbered: the numbers it keeps (those
    ``numeric_only`` or ``describe`` select) are the positions.

    Examples
    --------
    >>> meta = pd.DataFrame([[1, "a", 2.0]], columns=["x", "x", "y"]).iloc[:0]
    >>> repeated_label_positions(meta, "sum", {"numeric_only": True})
    [0, 2]
    """
    if (
        not isinstance(meta, pd.DataFrame)
        or meta.columns.is_unique
        or op == "memory_usage"
        or reduces_all_values(kwargs)
    ):
        return None
    numbered = meta_nonempty(meta).set_axis(range(meta.shape[1]), axis=1)
    result = getattr(numbered, op)(**(kwargs or {}))
    kept = result.columns if isinstance(result, pd.DataFrame) else result.index
    positions = [int(j) for j in kept]
    return None if positions == list(range(meta.shape[1])) else positions


def all_values_dtype(meta: pd.DataFrame, op: str) -> Any:
    """The dtype of every value of a frame of schema ``meta`` as one Series
    (``op(axis=None)`` reduces them): the columns' common dtype, as pandas'
    ``DataFrame.values``.

    Examples
    --------
    >>> all_values_dtype(pd.DataFrame({"a": [1], "b": [0.5]}).iloc[:0], "sum")
    dtype('float64')
    """
    stand_in = meta_nonempty(meta)
    columns = [stand_in.iloc[:, j] for j in range(stand_in.shape[1])]
    dtype = pd.concat(columns).dtype if columns else np.dtype("float64")
    numeric = all(
        pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t)
        for t in meta.dtypes
    )
    if (
        pd.api.types.is_object_dtype(dtype)
        and numeric
        and op not in ("sum", "min", "max", "any", "all")
    ):
        # Numbers mixed with bools: pandas' object values give the same
        # numbers as ints or floats (an object stand-in could not say so).
        ints = all(np.dtype(t).kind in "iub" for t in meta.dtypes)
        dtype = np.dtype("int64" if ints else "float64")
    return dtype


@dataclass(frozen=True)
class TreeSteps:
    """The kernels of a tree reduction and their keyword arguments."""

    chunk: Callable[..., Any]
    combine: Callable[..., Any]
    aggregate: Callable[..., Any]
    chunk_kwargs: dict[str, Any] | None = None
    combine_kwargs: dict[str, Any] | None = None
    aggregate_kwargs: dict[str, Any] | None = None


def _scalar_like(result: Any) -> Any:
    """The scalar whose type a scalar result takes (None: a Series result)."""
    return None if isinstance(result, pd.Series) else result


def _scalar_fast(meta: Any, op: str) -> bool:
    """Does a Series reduction take the scalar-partial fast path?"""
    if not isinstance(meta, pd.Series):
        return False
    if op == "count":
        return True
    dtype = meta.dtype
    return isinstance(dtype, np.dtype) and dtype.kind in K.SCALAR_KINDS


def _dtype_groups(meta: pd.DataFrame) -> list[list[int]]:
    """Column positions grouped by dtype (one chunk call per group)."""
    groups: dict[Any, list[int]] = {}
    for j, dtype in enumerate(meta.dtypes):
        groups.setdefault(dtype, []).append(j)
    return list(groups.values())


def _result_dtype(meta: Any, result: Any, op: str, kwargs: dict[str, Any]) -> Any:
    """The dtype of a DataFrame-shaped result (a Series or Index input as a
    frame): the kernels reduce every input as a frame."""
    if not isinstance(meta, pd.Series | pd.Index):
        return result.dtype
    dtype = meta.dtype
    if (
        isinstance(result, np.generic)
        and isinstance(dtype, np.dtype)
        and dtype.kind in K.SCALAR_KINDS
    ):
        return result.dtype  # a numpy column's frame result: the same dtype
    # ``numeric_only`` would drop a frame's non-numeric column, which the
    # Series keeps (pandas has already accepted it for the Series).
    kwargs = {k: v for k, v in kwargs.items() if k != "numeric_only"}
    if isinstance(meta, pd.Index):
        frame = meta.to_frame(index=False)
    else:
        frame = meta.to_frame()
    return run_meta(frame, op, kwargs).dtype


def _simple(op: str, meta: Any, kwargs: dict[str, Any], result: Any) -> TreeSteps:
    """sum, prod, min, max, count, any, all: partials of the same op (count:
    summed counts), ``min_count`` checked on the counts at the end."""
    skipna = kwargs.get("skipna", True)
    min_count = kwargs.get("min_count", 0)
    combine_op = "sum" if op == "count" else op
    if op == "count":
        step_kwargs: dict[str, Any] = {}
    elif op in ("sum", "prod"):
        # Partials never apply min_count: the aggregate does, on the counts.
        step_kwargs = {"skipna": skipna, "min_count": 0}
    else:
        step_kwargs = {"skipna": skipna}
    like = _scalar_like(result)
    if _scalar_fast(meta, op):
        return TreeSteps(
            K.scalar_chunk, K.scalar_combine, K.scalar_aggregate,
            {"op": op, "kwargs": step_kwargs, "count": min_count > 0},
            {"op": combine_op, "skipna": skipna},
            {"op": op, "kwargs": kwargs, "combine_op": combine_op, "empty": meta,
             "dtype": getattr(result, "dtype", None), "skipna": skipna,
             "min_count": min_count, "like": like},
        )  # fmt: skip
    groups = _dtype_groups(meta) if isinstance(meta, pd.DataFrame) else [[0]]
    return TreeSteps(
        K.reduce_chunk, K.reduce_combine, K.reduce_aggregate,
        {"op": op, "kwargs": step_kwargs, "groups": groups, "count": min_count > 0},
        {"op": combine_op, "kwargs": step_kwargs},
        {"op": op, "kwargs": kwargs, "combine_op": combine_op,
         "combine_kwargs": step_kwargs, "empty": meta,
         "dtype": _result_dtype(meta, result, op, kwargs), "min_count": min_count,
         "like": like},
    )  # fmt: skip


def _moment(op: str, meta: Any, kwargs: dict[str, Any], result: Any) -> TreeSteps:
    """mean, var, std, sem: moments merged with Chan's formula (mean: sums)."""
    chunk, combine = (
        (M.mean_chunk, M.mean_combine)
        if op == "mean"
        else (M.moments_chunk, M.moments_combine)
    )
    return TreeSteps(
        chunk, combine, M.moments_aggregate, None, None,
        {"op": op, "kwargs": kwargs, "empty": meta,
         "dtype": _result_dtype(meta, result, op, kwargs),
         "skipna": kwargs.get("skipna", True), "ddof": kwargs.get("ddof", 1),
         "like": _scalar_like(result)},
    )  # fmt: skip


def _idx(op: str, meta: Any, kwargs: dict[str, Any], result: Any) -> TreeSteps:
    """idxmin, idxmax: the first best (label, value) per column."""
    return TreeSteps(
        K.idx_chunk, K.idx_combine, K.idx_aggregate, {"op": op}, {"op": op},
        {"op": op, "kwargs": kwargs, "empty": meta,
         "dtype": getattr(result, "dtype", None), "like": _scalar_like(result)},
    )  # fmt: skip


def _distinct(op: str, meta: Any, kwargs: dict[str, Any], result: Any) -> TreeSteps:
    """nunique, mode, value_counts: value counts in order of appearance."""
    dropna = kwargs.get("dropna", True)
    aggregate: Callable[..., Any]
    agg_kwargs: dict[str, Any] = {"empty": meta}
    if op == "nunique":
        aggregate = D.nunique_aggregate
        agg_kwargs.update(dropna=dropna, like=_scalar_like(result))
    elif op == "mode":
        aggregate = D.mode_aggregate
        agg_kwargs.update(dropna=dropna)
    else:
        aggregate = D.value_counts_aggregate
        dtype = run_meta(meta, "value_counts", {"dropna": dropna}).dtype
        agg_kwargs.update(kwargs=kwargs, dtype=dtype)
    chunk = {"dropna": dropna}
    return TreeSteps(D.vc_chunk, D.vc_combine, aggregate, chunk, None, agg_kwargs)


def _unique(op: str, meta: Any, kwargs: dict[str, Any], result: Any) -> TreeSteps:
    """unique: distinct values in order of first appearance."""
    return TreeSteps(
        D.unique_chunk, D.unique_combine, D.unique_aggregate, None, None,
        {"empty": meta},
    )  # fmt: skip


def _quantile(op: str, meta: Any, kwargs: dict[str, Any], result: Any) -> TreeSteps:
    """quantile: sorted value counts, exact order statistics at the end."""
    extra = {k: v for k, v in kwargs.items() if k == "numeric_only"}
    return TreeSteps(
        Q.quantile_chunk, Q.quantile_combine, Q.quantile_aggregate, None, None,
        {"empty": meta, "q": kwargs["q"], "interpolation": kwargs["interpolation"],
         "kwargs": extra},
    )  # fmt: skip


def describe_kind(dtype: Any) -> str:
    """Which pandas describe function a column of ``dtype`` gets.

    Examples
    --------
    >>> describe_kind(np.dtype("bool")), describe_kind(np.dtype("float64"))
    ('categorical', 'numeric')
    """
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if dtype.kind == "M" or isinstance(dtype, pd.DatetimeTZDtype):
        return "timestamp"
    if dtype.kind == "m":
        return "numeric"
    return "categorical"


def _describe(op: str, meta: Any, kwargs: dict[str, Any], result: Any) -> TreeSteps:
    """describe: moments and sorted value counts (numbers, times) or value
    counts (the rest), per column."""
    dtypes = meta.dtypes if isinstance(meta, pd.DataFrame) else [meta.dtype]
    kinds = [describe_kind(dtype) for dtype in dtypes]
    percentiles = kwargs.get("percentiles")
    pct = [0.25, 0.5, 0.75] if percentiles is None else np.unique(percentiles)
    return TreeSteps(
        Q.describe_chunk, Q.describe_combine, Q.describe_aggregate,
        {"kinds": kinds}, {"kinds": kinds},
        {"kinds": kinds, "empty": meta, "percentiles": [float(p) for p in pct],
         "kwargs": {"percentiles": percentiles}},
    )  # fmt: skip


def _memory(op: str, meta: Any, kwargs: dict[str, Any], result: Any) -> TreeSteps:
    """memory_usage: bytes per column, summed (shared bytes once)."""
    return TreeSteps(
        K.memory_chunk, K.memory_combine, K.memory_aggregate, dict(kwargs), None,
        {"empty": meta, **kwargs},
    )  # fmt: skip


_Planner = Callable[[str, Any, dict[str, Any], Any], TreeSteps]

#: The reductions a :class:`~partframe.expr.reductions.Reduction` can be,
#: each with the function that plans its tree.
REDUCTIONS: dict[str, _Planner] = {
    **dict.fromkeys(["sum", "prod", "min", "max", "count", "any", "all"], _simple),
    **dict.fromkeys(["mean", "var", "std", "sem"], _moment),
    **dict.fromkeys(["idxmin", "idxmax"], _idx),
    **dict.fromkeys(["nunique", "mode", "value_counts"], _distinct),
    "unique": _unique,
    "quantile": _quantile,
    "describe": _describe,
    "memory_usage": _memory,
}


def tree_steps(op: str, meta: Any, kwargs: dict[str, Any], result: Any) -> TreeSteps:
    """The tree that computes ``op`` over an input of schema ``meta`` (the
    input already narrowed to :func:`reduced_columns`); ``result`` is
    pandas' answer on a stand-in of the input.

    Examples
    --------
    >>> steps = tree_steps("sum", pd.Series([], dtype="int64"), {}, np.int64(2))
    >>> steps.chunk.__name__, steps.aggregate.__name__
    ('scalar_chunk', 'scalar_aggregate')
    """
    return REDUCTIONS[op](op, meta, kwargs, result)
