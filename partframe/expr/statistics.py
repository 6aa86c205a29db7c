"""Statistics: the estimated size of each node's result.

:func:`estimate` gives every node an :class:`Estimate`: its rows and the
in-memory bytes of a row, column by column. The optimizer reads them to
choose how to run a join (broadcast the side that is small after its
filters, or hash-shuffle both) and how to shuffle (in memory or through
disk); ``explain()`` prints the rows of each node.

Where the numbers come from:

- Sources know: a Parquet read counts the rows of the row groups it will
  read (from the footers, after the row groups that pushed filters rule
  out) and the uncompressed bytes of each column chunk; a CSV read scales
  its files' bytes by the sampled head's bytes per row; an in-memory frame
  knows its length and column sizes.
- Every other node derives its rows from its inputs' through
  ``Expr._estimate_rows`` (a partition-wise step keeps them, a filter
  keeps a fraction, a join keeps the larger side's, a concat sums them;
  a lowered join's partitions, :class:`~partframe.expr.join.MergePartitions`,
  estimate as the join, so a join above a lowered one may still broadcast);
  ``None`` means unknown, and a node above an unknown input is unknown.
- A filter's fraction (:func:`selectivity`) reads its predicate: an AND
  multiplies, an OR adds less the overlap, a comparison of a source column
  with a scalar interpolates between the column's minimum and maximum when
  the source knows them (``Expr._column_range``: Parquet statistics), an
  equality keeps one value of an integer range; a term of string methods
  and the like is evaluated on a sample of the source's rows
  (``Expr._column_sample``: a Parquet read's first rows of a few row
  groups, see :func:`_sampled`); anything else keeps
  :data:`UNKNOWN_SELECTIVITY`.
- A column's bytes per row: its dtype's item size, or for strings and
  Python objects the source's measured width carried up by column label.

Estimates are memoized on the node (nodes are immutable), and computed
children first without recursion, so asking for a deep plan is linear.
"""

from __future__ import annotations

import datetime
import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .base import Expr, _postorder
from .meta import column_labels

__all__ = [
    "Estimate",
    "estimate",
    "format_rows",
    "join_rows",
    "merge_rows",
    "selectivity",
]

#: Fraction of rows a predicate keeps when nothing is known of it.
UNKNOWN_SELECTIVITY = 0.25
#: Fraction an equality keeps when the column's range is unknown.
EQUALITY_SELECTIVITY = 0.05
#: Fraction a range comparison keeps when the column's range is unknown.
RANGE_SELECTIVITY = 1 / 3
#: Bytes per row assumed for a string or object column nobody measured.
DEFAULT_STRING_WIDTH = 32.0

_KEY = "_statistics_estimate"


@dataclass(frozen=True, slots=True)
class Estimate:
    """Estimated size of a node's result.

    ``rows`` is ``None`` when unknown; ``widths`` maps each output column
    (a Series' name) to its bytes per row; ``base`` is the rows before the
    filters below (of the largest table the rows come from): a join reads
    ``rows / base`` as the fraction of a key's values a side still has.
    """

    rows: float | None
    widths: Mapping[Any, float] = field(default_factory=dict)
    base: float | None = None

    @property
    def row_bytes(self) -> float:
        """In-memory bytes of one row (all columns)."""
        return float(sum(self.widths.values()))

    @property
    def nbytes(self) -> float | None:
        """In-memory bytes of the whole result, or ``None`` when unknown."""
        if self.rows is None:
            return None
        return self.rows * self.row_bytes


def estimate(expr: Expr) -> Estimate:
    """The estimated size of ``expr``'s result (memoized on each node).

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> from partframe.expr.statistics import estimate
    >>> df = partframe.from_pandas(pd.DataFrame({"x": range(100)}), npartitions=4)
    >>> estimate(df._expr).rows
    100.0
    >>> estimate(df[df.x >= 90]._expr).rows  # a range of unknown bounds
    33.33...
    """
    cached: Estimate | None = expr.__dict__.get(_KEY)
    if cached is not None:
        return cached
    for node in _postorder(expr):
        if _KEY not in node.__dict__:
            node.__dict__[_KEY] = _compute(node)
    out: Estimate = expr.__dict__[_KEY]
    return out


def _compute(node: Expr) -> Estimate:
    proxy = node._estimated_as()
    if proxy is not None:
        return estimate(proxy)
    meta = node._meta
    deps = node.dependencies()
    inputs = [estimate(d) for d in deps]
    try:
        filtered = node._row_filter()
        if filtered is not None:  # the rows of a frame where a predicate holds
            frame, predicate = filtered
            kept = estimate(frame).rows
            rows = None if kept is None else kept * selectivity(frame, predicate)
        else:
            rows = node._estimate_rows(inputs)
    except (TypeError, ValueError, ArithmeticError):
        rows = None  # values that do not compute: unknown
    if rows is not None:
        rows = max(0.0, float(rows))
    elif not isinstance(meta, pd.DataFrame | pd.Series | pd.Index):
        # a scalar (a reduction); partial results of other kinds: unknown
        rows = 1.0 if pd.api.types.is_scalar(meta) else None
    widths = node._column_widths()
    if widths is None:
        widths = _widths(meta, inputs)
    base = None
    if rows is not None:
        base = max([rows] + [e.base for e in inputs if e.base is not None])
    return Estimate(rows, widths, base)


def join_rows(left: Estimate, right: Estimate) -> float | None:
    """Estimated rows of an inner join of ``left`` and ``right`` on a key.

    ``left.rows * right.rows / domain``: the key's distinct values are
    taken as the rows of the smaller unfiltered side (a primary key the
    other side refers to), so a join of a fact table with a dimension keeps
    the fact rows, and with a filtered dimension the kept fraction of them.
    """
    if left.rows is None or right.rows is None:
        return None
    domain = min(left.base or left.rows, right.base or right.rows)
    if domain <= 0:
        return 0.0
    return left.rows * right.rows / domain


def merge_rows(how: str, left: Estimate, right: Estimate) -> float | None:
    """Estimated rows of a join of ``left`` and ``right`` (``how`` as in
    ``pandas.merge``, or ``"leftsemi"``): the inner join's rows
    (:func:`join_rows`), at least the rows of a side whose unmatched rows
    are kept."""
    inner = join_rows(left, right)
    if how in ("left", "leftsemi"):
        return left.rows if inner is None else max(inner, left.rows or 0.0)
    if how == "right":
        return right.rows if inner is None else max(inner, right.rows or 0.0)
    if how == "outer":
        if inner is None or left.rows is None or right.rows is None:
            return None
        return max(inner, left.rows, right.rows)
    return inner


def _widths(meta: Any, inputs: list[Estimate]) -> dict[Any, float]:
    """Bytes per row of each column of ``meta``: the item size of fixed-width
    dtypes, the inputs' measured width of a string column of that label."""
    if isinstance(meta, pd.DataFrame):
        # (the columns' dtypes, without building the ``dtypes`` Series)
        columns = [
            (label, array.dtype)
            for label, array in zip(column_labels(meta), meta._iter_column_arrays())
        ]
    elif isinstance(meta, pd.Series | pd.Index):
        columns = [(meta.name, meta.dtype)]
    else:
        return {}
    out: dict[Any, float] = {}
    for label, dtype in columns:
        width = _fixed_width(dtype)
        if width is None:
            width = next(
                (e.widths[label] for e in inputs if _has(e.widths, label)),
                DEFAULT_STRING_WIDTH,
            )
        out[label] = width
    return out


def _has(widths: Mapping[Any, float], label: Any) -> bool:
    try:
        return label in widths
    except TypeError:  # an unhashable label
        return False


def _fixed_width(dtype: Any) -> float | None:
    """Bytes per value of a fixed-width dtype; ``None`` for variable width."""
    if isinstance(dtype, pd.CategoricalDtype):
        return 4.0  # the codes; the categories are shared
    if isinstance(dtype, np.dtype):
        return None if dtype.kind in "OSUV" else float(dtype.itemsize)
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if isinstance(numpy_dtype, np.dtype) and numpy_dtype.kind not in "OSUV":
        # a masked (nullable) dtype: the values and one mask byte
        return float(numpy_dtype.itemsize + 1)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return 8.0
    return None


def format_rows(rows: float | None) -> str:
    """``~1,234 rows`` (``rows unknown`` for ``None``), for plan displays."""
    if rows is None:
        return "rows unknown"
    return f"~{math.ceil(rows):,} rows"


# -- filters -------------------------------------------------------------------


def selectivity(frame: Expr, predicate: Any) -> float:
    """Estimated fraction of ``frame``'s rows where ``predicate`` holds.

    Reads comparisons of ``frame``'s columns with scalars, ``isin``,
    ``between``, ``&``, ``|`` and ``~``; column ranges come from the source
    below ``frame`` that holds the same rows (see module docstring).
    """
    from .optimize.predicates import _source_below

    try:
        return _clip(_fraction(predicate, _source_below(frame)))
    except (TypeError, ValueError, ArithmeticError):
        # statistics that do not compare with the predicate's values
        return UNKNOWN_SELECTIVITY


def _clip(x: float) -> float:
    return min(1.0, max(0.0, float(x)))


def _fraction(pred: Any, source: Expr) -> float:
    from .blockwise import Elemwise
    from .optimize.predicates import _OPS, _SCALARS, _column_of

    if isinstance(pred, bool | np.bool_):
        return 1.0 if pred else 0.0
    ranged = _ranges(pred, source)
    if ranged is not None:
        return _measure(ranged)
    if isinstance(pred, Elemwise) and not pred.kwargs:
        func, args = pred.func, list(pred.args)
        if func is operator.and_ and len(args) == 2:
            return _conjunction(_conjuncts(pred), source)
        if func is operator.or_ and len(args) == 2:
            x, y = _fraction(args[0], source), _fraction(args[1], source)
            return x + y - x * y
        if func in (operator.invert, np.logical_not) and len(args) == 1:
            return 1.0 - _fraction(args[0], source)
        if func in _OPS and len(args) == 2:
            a, b = args
            op = _OPS[func]
            if isinstance(b, Expr) and not isinstance(a, Expr):
                a, b = b, a
                op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            col = _column_of(a, source)
            if col is not None and isinstance(b, _SCALARS):
                return _compare(source, col, op, b)
            sampled = _sampled(pred, source)
            if sampled is not None:
                return sampled
            return RANGE_SELECTIVITY if op in ("<", "<=", ">", ">=") else 0.5
    call = pred._as_method_call() if isinstance(pred, Expr) else None
    if call is not None:
        frame, method, margs, kwargs = call
        col = _column_of(frame, source)
        if method == "isin" and len(margs) == 1 and not kwargs:
            values = margs[0]
            n = len(values) if hasattr(values, "__len__") else 10
            eq = _equality(source, col, None) if col is not None else None
            if eq is None and col is None:
                sampled = _sampled(pred, source)
                if sampled is not None:
                    return sampled
            return min(1.0, n * (EQUALITY_SELECTIVITY if eq is None else eq))
        if method == "between" and len(margs) == 2 and col is not None:
            lo, hi = margs
            return _compare(source, col, ">=", lo) + _compare(source, col, "<=", hi) - 1
    sampled = _sampled(pred, source)
    return UNKNOWN_SELECTIVITY if sampled is None else sampled


class _NotSampled(Exception):
    """A predicate :func:`_sampled` does not evaluate."""


#: Methods that call a function given to them: never run at planning.
_CALLING_METHODS = frozenset(
    {"apply", "map", "transform", "pipe", "agg", "aggregate", "where", "mask"}
)


def _sampled(pred: Any, source: Expr) -> float | None:
    """The fraction of a sample of ``source``'s rows where ``pred`` holds
    (``source._column_sample``: a Parquet read's first rows of a few row
    groups), or ``None`` when there is no sample or ``pred`` is not made
    of the source's columns, scalars, operators, pandas methods and the
    ``str``/``dt`` accessors only (no function of the user's runs at
    planning). For the predicates statistics cannot read:
    ``p_name.str.startswith("forest")`` keeps ~1% of TPC-H's parts, where
    the default guess is a quarter. At least half a row of the sample is
    counted as kept, so a rare value is not estimated at no rows."""
    if not isinstance(pred, Expr):
        return None
    # (the optimizer's rewrites estimate new filters on the same predicate
    # and source again: nodes are named by what they compute, so a kept
    # answer is the answer)
    key = (pred._name, source._name)
    if key not in _SAMPLED:
        if len(_SAMPLED) >= _SAMPLED_SIZE:
            _SAMPLED.pop(next(iter(_SAMPLED)), None)
        _SAMPLED[key] = _sampled_fraction(pred, source)
    return _SAMPLED[key]


#: Fractions found by :func:`_sampled`, by predicate and source name.
_SAMPLED: dict[tuple[str, str], float | None] = {}
_SAMPLED_SIZE = 256


def _sampled_fraction(pred: Expr, source: Expr) -> float | None:
    """:func:`_sampled`, computed."""
    try:
        columns: dict[Any, None] = {}
        _sample_columns(pred, source, columns)
        sample = source._column_sample(list(columns))
        if sample is None or not len(sample):
            return None
        values = _evaluate(pred, source, sample)
        flags = np.asarray(pd.Series(values).fillna(False), dtype=bool)
    except Exception:
        return None
    if flags.shape != (len(sample),):
        return None
    return max(float(flags.sum()), 0.5) / len(flags)


def _sample_columns(node: Any, source: Expr, out: dict[Any, None]) -> None:
    """Collect the source columns ``node`` reads into ``out``, or raise
    :class:`_NotSampled` for anything :func:`_evaluate` does not run."""
    from ..kernels.calls import call_method
    from ..kernels.elementwise import accessor_attr, accessor_call
    from .blockwise import Elemwise, MethodCall, Projection
    from .elementwise import ColumnwiseCall, NonemptyCall
    from .optimize.predicates import _column_of

    if not isinstance(node, Expr):
        if callable(node) or isinstance(node, list | tuple | dict):
            if callable(node) or any(True for _ in _exprs_in(node)):
                raise _NotSampled
        return
    if isinstance(node, Projection):
        col = _column_of(node, source)
        if col is None:
            raise _NotSampled
        out[col] = None
        return
    if isinstance(node, NonemptyCall):
        if node.func not in (accessor_call, accessor_attr):
            raise _NotSampled
    elif isinstance(node, Elemwise):
        # operators and numpy ufuncs only (a np.vectorize object's module
        # is numpy too, but it runs a function of the user's)
        module = getattr(node.func, "__module__", "") or ""
        if not (isinstance(node.func, np.ufunc) or module in ("_operator", "operator")):
            raise _NotSampled
    elif isinstance(node, MethodCall | ColumnwiseCall):
        call = node._as_method_call()
        if (
            call is None
            or call[1] in _CALLING_METHODS
            or (isinstance(node, ColumnwiseCall) and node.func is not call_method)
        ):
            raise _NotSampled
    else:
        raise _NotSampled
    for arg in _call_parts(node):
        _sample_columns(arg, source, out)


def _call_parts(node: Expr) -> list[Any]:
    """The arguments a node's call takes (its frame first; not the function)."""
    from .blockwise import Blockwise
    from .elementwise import NonemptyCall

    if not isinstance(node, Blockwise):
        raise _NotSampled
    if isinstance(node, NonemptyCall):
        return [node.frame, *node.args, *(node.kwargs or {}).values()]
    return [*node._args(), *node._kwargs().values()]


def _exprs_in(x: Any) -> Any:
    from .base import operand_exprs

    return operand_exprs(x)


def _evaluate(node: Any, source: Expr, sample: pd.DataFrame) -> Any:
    """``node`` computed on ``sample`` in place of its source's rows (the
    nodes :func:`_sample_columns` accepted)."""
    from .blockwise import Blockwise, Projection
    from .elementwise import NonemptyCall
    from .optimize.predicates import _column_of

    if not isinstance(node, Expr):
        return node
    if not isinstance(node, Blockwise):
        raise _NotSampled
    if isinstance(node, Projection):
        return sample[_column_of(node, source)]
    if isinstance(node, NonemptyCall):
        args = [_evaluate(a, source, sample) for a in [node.frame, *node.args]]
        return node.func(*args, **(node.kwargs or {}))
    args = [_evaluate(a, source, sample) for a in node._args()]
    return node.operation(*args, **node._kwargs())


# A range condition on one column: (column, (min, max) of the column, the
# intervals of values where it holds), all on the number line of _number.
_Ranges = tuple[Any, tuple[float, float], list[tuple[float, float]]]


def _conjuncts(pred: Any) -> list[Any]:
    from .blockwise import Elemwise

    if (
        isinstance(pred, Elemwise)
        and pred.func is operator.and_
        and not pred.kwargs
        and len(pred.args) == 2
    ):
        return _conjuncts(pred.args[0]) + _conjuncts(pred.args[1])
    return [pred]


def _conjunction(terms: list[Any], source: Expr) -> float:
    """An AND: the range conditions on one column intersected (a date
    between two bounds keeps the span between them), the columns and the
    other terms taken as independent."""
    by_column: dict[Any, _Ranges] = {}
    out = 1.0
    for term in terms:
        ranged = _ranges(term, source)
        if ranged is None:
            out *= _fraction(term, source)
            continue
        col = ranged[0]
        prev = by_column.get(col)
        by_column[col] = ranged if prev is None else _combine(prev, ranged, "and")
    for ranged in by_column.values():
        out *= _measure(ranged)
    return out


def _measure(ranged: _Ranges) -> float:
    _, (lo, hi), spans = ranged
    return _clip(sum(b - a for a, b in spans) / (hi - lo))


def _combine(a: _Ranges, b: _Ranges, how: str) -> _Ranges:
    spans: list[tuple[float, float]] = []
    if how == "and":
        for x0, x1 in a[2]:
            for y0, y1 in b[2]:
                lo, hi = max(x0, y0), min(x1, y1)
                if lo < hi:
                    spans.append((lo, hi))
    else:
        for lo, hi in sorted(a[2] + b[2]):
            if spans and lo <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
            else:
                spans.append((lo, hi))
    return (a[0], a[1], spans)


def _ranges(pred: Any, source: Expr) -> _Ranges | None:
    """``pred`` as intervals of one column whose range the source knows
    (comparisons with scalars, ``between``, and ``&``/``|`` of them), or
    ``None``."""
    from .blockwise import Elemwise
    from .optimize.predicates import _OPS, _SCALARS, _column_of

    if isinstance(pred, Elemwise) and not pred.kwargs and len(pred.args) == 2:
        func = pred.func
        a, b = pred.args
        if func in (operator.and_, operator.or_):
            x, y = _ranges(a, source), _ranges(b, source)
            if x is None or y is None or x[0] != y[0]:
                return None
            return _combine(x, y, "and" if func is operator.and_ else "or")
        if func not in _OPS or _OPS[func] in ("==", "!="):
            return None
        op = _OPS[func]
        if isinstance(b, Expr) and not isinstance(a, Expr):
            a, b = b, a
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
        col = _column_of(a, source)
        if col is None or not isinstance(b, _SCALARS):
            return None
        bounds = [(op, b)]
    else:
        call = pred._as_method_call() if isinstance(pred, Expr) else None
        if call is None or call[1] != "between" or len(call[2]) != 2:
            return None
        col = _column_of(call[0], source)
        if col is None:
            return None
        bounds = [(">=", call[2][0]), ("<=", call[2][1])]
    known = source._column_range(col)
    if known is None:
        return None
    lo, hi = _number(known[0]), _number(known[1])
    if lo is None or hi is None or not lo < hi:
        return None
    span = (lo, hi)
    for op, value in bounds:
        v = _number(value)
        if v is None:
            return None
        v = min(max(v, lo), hi)
        if op in ("<", "<="):
            span = (span[0], min(span[1], v))
        else:
            span = (max(span[0], v), span[1])
    spans = [span] if span[0] < span[1] else []
    return (col, (lo, hi), spans)


def _number(x: Any) -> float | None:
    """``x`` on a number line (dates and times as nanoseconds)."""
    if isinstance(x, bool | np.bool_):
        return float(x)
    if isinstance(x, int | float | np.integer | np.floating):
        return float(x)
    if isinstance(x, datetime.date | np.datetime64 | pd.Timestamp):
        return float(pd.Timestamp(x).as_unit("ns").value)
    return None


def _compare(source: Expr, col: Any, op: str, value: Any) -> float:
    if op in ("==", "!="):
        eq = _equality(source, col, value)
        eq = EQUALITY_SELECTIVITY if eq is None else eq
        return eq if op == "==" else 1.0 - eq
    bounds = source._column_range(col)
    v = _number(value)
    if bounds is None or v is None:
        return RANGE_SELECTIVITY
    lo, hi = _number(bounds[0]), _number(bounds[1])
    if lo is None or hi is None:
        return RANGE_SELECTIVITY
    if hi <= lo:
        below = 1.0 if v > lo or (v == lo and op == "<=") else 0.0
    else:
        below = (v - lo) / (hi - lo)
    below = _clip(below)
    return below if op in ("<", "<=") else 1.0 - below


def _equality(source: Expr, col: Any, value: Any) -> float | None:
    """Fraction equal to one value: one of the integers of the column's
    range, or of the distinct values the source knows of (a Parquet
    dictionary), or ``None`` when that is unknown."""
    bounds = source._column_range(col)
    if bounds is None:
        return None
    lo, hi = bounds
    if isinstance(lo, int | np.integer) and isinstance(hi, int | np.integer):
        if value is not None:
            v = _number(value)
            if v is None or v < lo or v > hi:
                return 0.0
        return 1.0 / (int(hi) - int(lo) + 1)
    distinct = source._column_distinct(col)
    return None if not distinct else 1.0 / distinct
