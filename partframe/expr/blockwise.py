"""Partition-wise nodes: output partition ``i`` needs only input partition ``i``.

A :class:`Blockwise` node names an ``operation`` and the arguments it takes;
frame arguments are replaced by their ``i``-th partition, lazy scalars (one
partition, non-pandas meta) by their single value, and literals stay as they
are. Most pandas methods are one :class:`MethodCall` node, so adding an
operation is usually one line in the collection layer.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from ..graph import quote
from ..kernels.calls import (
    apply_kwargs,
    assign_kernel,
    call_method,
    scalar_to_series,
    set_index_values,
)
from ..kernels.enforce import MetaCheck, check_partition
from ..kernels.selection import filter_rows, select_columns
from .base import (
    Below,
    ColumnNeeds,
    Divisions,
    Expr,
    Needed,
    column_dtype,
    operand_exprs,
)
from .meta import emulate, is_frame_or_series

if TYPE_CHECKING:
    from .statistics import Estimate

__all__ = [
    "Assign",
    "AssignIndex",
    "Blockwise",
    "Elemwise",
    "Filter",
    "MapPartitions",
    "MethodCall",
    "Projection",
    "apply_kwargs",
    "call_method",
]

_PLAIN = (int, float, bool, str, bytes, type(None))


def _is_frame_expr(x: Any) -> bool:
    return isinstance(x, Expr) and is_frame_or_series(x._meta)


def _literal(x: Any) -> Any:
    """A literal argument in a task: quoted unless it is a plain scalar."""
    return x if type(x) in _PLAIN else quote(x)


class Blockwise(Expr):
    """A node computed partition by partition from aligned inputs.

    Subclasses set ``operation`` (a module-level callable) and may override
    :meth:`_args` / :meth:`_kwargs` to say how operands map onto its call.
    Expression operands may appear directly or inside a list or tuple operand.
    """

    operation: ClassVar[Any] = None
    # Does the node keep its frame input's index and row order (so divisions
    # and partitioning carry over)?
    _preserves_partitioning: ClassVar[bool] = True
    # Does each output partition have its frame inputs' rows (their count,
    # for statistics)? Off by default: a function per partition may keep
    # any number of rows.
    _keeps_rows: ClassVar[bool] = False

    def _args(self) -> list[Any]:
        return list(self.operands)

    def _kwargs(self) -> dict[str, Any]:
        return {}

    def _frame_inputs(self) -> list[Expr]:
        # Cached: alignment checks and partition counts ask for it often.
        try:
            cached: list[Expr] = self.__dict__["_frame_inputs_cache"]
            return cached
        except KeyError:
            out = [d for d in self.dependencies() if _is_frame_expr(d)]
            self.__dict__["_frame_inputs_cache"] = out
            return out

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        # Aligned frame inputs: the rows of one partition-wise step.
        if not self._keeps_rows:
            return None
        # (aligned inputs have the same rows: any known estimate holds)
        frames = [self._rows_of(rows, f) for f in self._frame_inputs()]
        known = [r for r in frames if r is not None]
        return max(known) if known else None

    def _validate(self) -> None:
        frames = self._frame_inputs()
        if len(frames) > 1:
            first = frames[0]
            for other in frames[1:]:
                if not aligned(first, other):
                    raise ValueError(
                        f"{type(self).__name__}: inputs are not aligned "
                        f"({first.npartitions} and {other.npartitions} partitions "
                        "with different divisions); align them first"
                    )

    @functools.cached_property
    def _meta(self) -> Any:
        args = [_meta_of(a) for a in self._args()]
        kwargs = self._kwargs()
        return emulate(self.operation, *args, **kwargs)

    @functools.cached_property
    def npartitions(self) -> int:
        # From the inputs' counts, never from divisions (see ``aligned``).
        frames = self._frame_inputs()
        if not frames:
            return len(self.divisions) - 1
        _settle_chain(self, "npartitions")
        return frames[0].npartitions

    def _divisions(self) -> Divisions:
        frames = self._frame_inputs()
        if not frames:
            return (None, None)
        _settle_chain(self, "divisions")
        if self._preserves_partitioning:
            first = frames[0]
            if isinstance(first._meta, pd.Index) and isinstance(self._meta, pd.Index):
                # The values are the index the divisions describe: an
                # operation on them moves the boundaries.
                return self._index_divisions(first.divisions)
            if first.npartitions == 1 and len(frames) > 1:
                return _spanned_divisions(frames)
            return first.divisions
        return (None,) * (frames[0].npartitions + 1)

    def _index_divisions(self, divisions: Divisions) -> Divisions:
        """The divisions of an Index computed from an Index with ``divisions``:
        unknown, unless the node knows how its operation moves them."""
        return (None,) * len(divisions)

    @functools.cached_property
    def _partitioning(self) -> str:
        frames = self._frame_inputs()
        if frames and self._preserves_partitioning:
            return frames[0]._partitioning
        return self._name

    def _task(self, index: int) -> Any:
        args = [_task_arg(a, index) for a in self._args()]
        kwargs = self._kwargs()
        if kwargs:
            return (apply_kwargs, self.operation, quote(kwargs), *args)
        return (self.operation, *args)


def _short(x: Any) -> str:
    r = repr(x)
    return r if len(r) <= 40 else r[:37] + "..."


def _task_arg(arg: Any, index: int) -> Any:
    if isinstance(arg, Expr):
        return (arg._name, index if arg.npartitions > 1 else 0)
    if type(arg) is list:
        return [_task_arg(a, index) for a in arg]
    if type(arg) is tuple and any(isinstance(a, Expr) for a in arg):
        return (tuple, [_task_arg(a, index) for a in arg])
    if type(arg) is dict and any(True for _ in operand_exprs(arg)):
        return (dict, [[_literal(k), _task_arg(v, index)] for k, v in arg.items()])
    return _literal(arg)


def _meta_of(arg: Any) -> Any:
    if isinstance(arg, Expr):
        return arg._meta
    if type(arg) is list:
        return [_meta_of(a) for a in arg]
    if type(arg) is tuple:
        return tuple(_meta_of(a) for a in arg)
    if type(arg) is dict:
        return {k: _meta_of(v) for k, v in arg.items()}
    return arg


def _spanned_divisions(frames: list[Expr]) -> Divisions:
    """The divisions of one partition combined from one-partition ``frames``
    (pandas aligns their rows inside it, an outer alignment for most
    operations): from the lowest to the highest of their divisions, unknown
    when one of them is (a shared partitioning has the same divisions)."""
    first = frames[0]
    others = [f for f in frames[1:] if f._partitioning != first._partitioning]
    if not others:
        return first.divisions
    divisions = [f.divisions for f in [first, *others]]
    if any(d[0] is None for d in divisions):
        return (None, None)
    try:
        return (min(d[0] for d in divisions), max(d[-1] for d in divisions))
    except TypeError:  # index values that do not compare
        return (None, None)


def _settle_chain(node: Blockwise, attr: str) -> None:
    """Compute the cached property ``attr`` of the partition-wise steps
    below ``node`` (along first frame inputs) bottom-up.

    Each step asks its first input, so a chain of thousands of steps whose
    property nobody asked for while it was built (a loop of ``assign``)
    would recurse once per step; settled from the bottom, each step finds
    its input's value cached.
    """
    chain = []
    frames = node._frame_inputs()
    while frames:
        below = frames[0]
        if not isinstance(below, Blockwise) or attr in below.__dict__:
            break
        chain.append(below)
        frames = below._frame_inputs()
    for step in reversed(chain):
        getattr(step, attr)


def aligned(a: Expr, b: Expr) -> bool:
    """Can ``a`` and ``b`` be combined partition by partition as they are?

    Yes when either is a lazy scalar (broadcast), when both hold everything
    in one partition (pandas aligns the rows inside it), when they share a
    partitioning, or when their known divisions are equal.
    """
    # Cheapest checks first: divisions may be computed on demand (a sort
    # samples its boundaries), partitioning and partition counts never are.
    if a._partitioning == b._partitioning:
        return True
    if a.npartitions == 1 and not is_frame_or_series(a._meta):
        return True
    if b.npartitions == 1 and not is_frame_or_series(b._meta):
        return True
    if a.npartitions == b.npartitions == 1:
        return True
    return a.known_divisions and a.divisions == b.divisions


class Elemwise(Blockwise):
    """``func(*args, **kwargs)`` on each partition; ``func`` is module-level."""

    _parameters = ["func", "args", "kwargs"]
    _keeps_rows = True
    _defaults = {"kwargs": None}
    func: Callable[..., Any]
    args: Sequence[Any]
    kwargs: dict[str, Any] | None

    @property
    def operation(self) -> Any:
        return self.func

    @property
    def _funcname(self) -> str:
        return getattr(self.func, "__name__", "elemwise").strip("_")

    def _args(self) -> list[Any]:
        return list(self.args)

    def _kwargs(self) -> dict[str, Any]:
        return self.kwargs or {}

    def _operand_repr(self) -> str:
        parts = [
            type(a).__name__ if isinstance(a, Expr) else _short(a) for a in self.args
        ]
        parts += [f"{k}={_short(v)}" for k, v in (self.kwargs or {}).items()]
        return f"{self._funcname}: " + ", ".join(parts)

    def _index_divisions(self, divisions: Divisions) -> Divisions:
        # Adding or subtracting a scalar, or scaling by a positive one, moves
        # every value in order: the boundaries move with them (when their
        # order is kept). Any other operation may reorder the values.
        unknown = (None,) * len(divisions)
        if divisions[0] is None or len(self.args) != 2 or self.kwargs:
            return unknown
        index, value = self.args
        reflect = isinstance(value, Expr)
        if reflect:
            index, value = value, index
        if not isinstance(index, Expr) or isinstance(value, Expr | bool):
            return unknown
        func = self.func
        if func in (operator.mul, operator.truediv):
            if not (isinstance(value, int | float) and value > 0) or (
                reflect and func is operator.truediv
            ):
                return unknown
        elif func not in (operator.add, operator.sub) or (
            reflect and func is operator.sub
        ):
            return unknown
        try:
            out = tuple(
                func(value, d) if reflect else func(d, value) for d in divisions
            )
            # The order of the boundaries is kept, ties included (the last
            # partition may hold one value: its lower and upper bounds tie).
            ordered = all(
                (x < y) == (a < b) and (x == y) == (a == b)
                for a, b, x, y in zip(divisions, divisions[1:], out, out[1:])
            )
        except Exception:
            return unknown
        return out if ordered else unknown

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        # Operators between whole frames/series: each series input is needed
        # whole; a frame input is needed for exactly the needed columns when
        # the operator is column-wise (arithmetic, comparison, logic).
        if self.func in _COLUMNWISE_OPERATORS:
            return [
                (d, needed if isinstance(d._meta, pd.DataFrame) else None)
                for d in self.dependencies()
            ]
        return super()._column_needs(needed)


_COLUMNWISE_OPERATORS = {
    getattr(operator, name)
    for name in (
        "add sub mul truediv floordiv mod pow and_ or_ xor eq ne lt le gt ge "
        "neg pos invert abs"
    ).split()
}


class MethodCall(Blockwise):
    """``partition.method(*args, **kwargs)`` for a pandas method."""

    _parameters = ["frame", "method", "args", "kwargs"]
    _defaults = {"args": (), "kwargs": None}
    frame: Expr
    method: str
    args: Sequence[Any]
    kwargs: dict[str, Any] | None
    operation = staticmethod(call_method)

    def _hash_step(self) -> Below | None:
        # rows dropped, the others kept where they are, unchanged
        if self.method in ("drop_duplicates", "dropna"):
            return Below(self.frame, None)
        return None

    @property
    def _reduces_by_key(self) -> bool:  # type: ignore[override]
        return self.method == "drop_duplicates"

    def _key_filter_step(self, column: Any) -> Below | None:
        # equal rows of the subset have equal keys: all of them or none kept
        if self.method != "drop_duplicates" or self.args:
            return None
        subset = (self.kwargs or {}).get("subset")
        if subset is None or column in (
            subset if isinstance(subset, list) else [subset]
        ):
            return Below(self.frame, column)
        return None

    def _as_method_call(
        self,
    ) -> tuple[Expr, str, tuple[Any, ...], dict[str, Any]] | None:
        return self.frame, self.method, tuple(self.args), dict(self.kwargs or {})

    # Methods that work column by column with no column-dependent arguments
    # when called with only scalar arguments: a projection passes through.
    COLUMNWISE: ClassVar[set[str]] = {
        "abs", "isna", "isnull", "notna", "notnull", "round", "clip", "fillna",
        "copy", "replace", "astype", "where", "mask", "between", "isin",
        "map", "cumsum", "cumprod", "cummin", "cummax",
    }  # fmt: skip

    @property
    def _funcname(self) -> str:
        return str(self.method).strip("_")

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        if self.method in self.COLUMNWISE or self.method in ("rename", "to_frame"):
            return self._rows_of(rows, self.frame)
        return None

    def _args(self) -> list[Any]:
        return [self.frame, self.method, *self.args]

    def _kwargs(self) -> dict[str, Any]:
        return self.kwargs or {}

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        simple = all(type(a) in _PLAIN for a in self.args) and all(
            type(v) in _PLAIN for v in (self.kwargs or {}).values()
        )
        if (
            self.method in self.COLUMNWISE
            and simple
            and isinstance(self.frame._meta, pd.DataFrame)
            and isinstance(self._meta, pd.DataFrame)
            and list(self._meta.columns) == list(self.frame._meta.columns)
        ):
            return [(self.frame, needed)]
        return super()._column_needs(needed)

    def __repr__(self) -> str:
        return f"MethodCall({self.method})"

    def _operand_repr(self) -> str:
        extra = [repr(a) for a in self.args if not isinstance(a, Expr)]
        extra += [f"{k}={v!r}" for k, v in (self.kwargs or {}).items()]
        return f"{self.method}" + (f", {', '.join(extra)}" if extra else "")


class MapPartitions(Blockwise):
    """A function applied to every partition, with a known ``meta``.

    With ``enforce`` (user functions: ``map_partitions``; ``"inferred"``
    when the meta was not the user's), each partition is checked against
    the meta where it is made (see
    :mod:`partframe.kernels.enforce`). Internal kernels leave it off: some
    return an intermediate whose schema differs from the node's meta on
    purpose (a groupby step whose next step reshapes it).
    """

    _parameters = ["func", "meta", "args", "kwargs", "preserves_index", "enforce"]
    _defaults = {
        "args": (), "kwargs": None, "preserves_index": False, "enforce": False,
    }  # fmt: skip
    func: Callable[..., Any]
    meta: Any
    args: Sequence[Any]
    kwargs: dict[str, Any] | None
    preserves_index: bool
    enforce: bool | str

    @property
    def operation(self) -> Any:
        return self.func

    @property
    def _funcname(self) -> str:
        return getattr(self.func, "__name__", "map_partitions").strip("_<>")

    @property
    def _preserves_partitioning(self) -> bool:  # type: ignore[override]
        return bool(self.preserves_index)

    def _args(self) -> list[Any]:
        return list(self.args)

    def _kwargs(self) -> dict[str, Any]:
        return self.kwargs or {}

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    @functools.cached_property
    def _meta_check(self) -> MetaCheck:
        func = self.func
        if func is scalar_to_series and self.args:
            func = self.args[0]
        return MetaCheck(
            self._meta,
            f"map_partitions({function_name(func)})",
            inferred=self.enforce == "inferred",
        )

    def _task(self, index: int) -> Any:
        task = super()._task(index)
        if not self.enforce:
            return task
        # A user function's partition is checked where it is made: a wrong
        # column or dtype fails here, naming the function, and not later in
        # another task (or never).
        return (check_partition, self._meta_check, index, task)

    def _operand_repr(self) -> str:
        return self._funcname


def function_name(func: Any) -> str:
    """A user function's name for messages (``<lambda>``, ``Class.method``).

    Examples
    --------
    >>> function_name(len), function_name(lambda x: x)
    ('len', '<lambda>')
    """
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    if not isinstance(name, str):
        return _short(func)
    return name.rsplit("<locals>.", 1)[-1]  # not the enclosing functions


class Projection(Blockwise):
    """``frame[columns]``: a list gives a DataFrame, a label gives a Series."""

    _parameters = ["frame", "columns"]
    _keeps_rows = True
    frame: Expr
    columns: Any
    operation = staticmethod(select_columns)

    def _validate(self) -> None:
        cols = self.operand("columns")
        columns = self.frame._meta.columns
        wanted = cols if isinstance(cols, list) else [cols]
        try:
            # a hash lookup per label (listing the columns is slow for
            # string labels, and a plan builds many selections)
            if not isinstance(columns, pd.MultiIndex) and all(
                c in columns for c in wanted
            ):
                return
        except TypeError:  # an unhashable label: compared one by one below
            pass
        available = list(columns)
        missing = [c for c in wanted if c not in available]
        if missing:
            raise KeyError(_unknown_columns_message(missing, available))

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta[self.operand("columns")]

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        cols = self.operand("columns")
        if not isinstance(cols, list):
            return [(self.frame, {cols})]
        # The projection selects all of ``cols``, so its frame must provide
        # them all, even when parents need fewer (narrowing here without
        # also narrowing the projection breaks rebuilt file readers).
        return [(self.frame, set(cols))]

    def _operand_repr(self) -> str:
        return repr(self.operand("columns"))

    def _predicate_through(self) -> Expr | None:
        # A selection of columns (or of one column, a Series) keeps every
        # row of its frame as it is.
        return self.frame

    def _key_filter_step(self, column: Any) -> Below | None:
        frame_meta = self.frame._meta
        if isinstance(frame_meta, pd.DataFrame) and isinstance(
            self._meta, pd.DataFrame
        ):
            return Below(self.frame, column) if column in self._meta.columns else None
        return None

    def _no_missing_step(self, column: Any) -> bool | Below:
        if not isinstance(self.frame._meta, pd.DataFrame):
            return False
        if isinstance(self._meta, pd.Series):
            return False if column is not None else self._column_below()
        return False if column is None else Below(self.frame, column)

    def _column_below(self) -> Below:
        """The frame's column this Series selection is."""
        return Below(self.frame, self.operand("columns"))

    def _hash_step(self) -> Below | None:
        return Below(self.frame, None)

    def _widened_step(self, column: Any) -> Any:
        if isinstance(self._meta, pd.Series) and isinstance(
            self.frame._meta, pd.DataFrame
        ):
            return None if column is not None else self._column_below()
        return super()._widened_step(column)

    def _to_client(self) -> Expr:
        """The simplified plan's (a selection of a filter is the filter of
        a selection, which can hand over unbuilt partitions)."""
        simpler = self._simplify()
        return self if simpler is None else simpler._to_client()

    def _simplify(self) -> Expr | None:
        frame, cols = self.frame, self.operand("columns")
        if isinstance(frame, Projection):
            # A selection of a selection: select once from the source.
            return Projection(frame.frame, cols)
        if isinstance(frame, Filter) and isinstance(frame.frame._meta, pd.DataFrame):
            # Select first, then filter: the filter copies fewer columns.
            return Filter(Projection(frame.frame, cols), frame.predicate)
        if isinstance(frame, Assign):
            wanted = set(cols) if isinstance(cols, list) else {cols}
            if not wanted & set(frame.names):
                return Projection(frame.frame, cols)
        return None


def _unknown_columns_message(missing: list[Any], available: list[Any]) -> str:
    import difflib

    names = [str(c) for c in available]
    hints = []
    for m in missing:
        close = difflib.get_close_matches(str(m), names, n=1)
        if close:
            hints.append(f"{m!r} (did you mean {close[0]!r}?)")
        else:
            hints.append(repr(m))
    return (
        f"column(s) not found: {', '.join(hints)}; "
        f"available columns: {', '.join(repr(c) for c in available)}"
    )


class Filter(Blockwise):
    """``frame[mask]`` with a boolean Series aligned with ``frame``."""

    _parameters = ["frame", "predicate", "deferred"]
    _defaults = {"deferred": False}
    frame: Expr
    predicate: Expr
    deferred: bool
    operation = staticmethod(filter_rows)

    def _args(self) -> list[Any]:
        args = [self.frame, self.predicate]
        return [*args, True] if self.deferred else args

    def _to_client(self) -> Expr:
        """Big partitions as :class:`~partframe.kernels.gather.RowGather`:
        the final concat writes each numpy column once, into the result."""
        if isinstance(self._meta, pd.DataFrame):
            return self.substitute_operands(deferred=True)
        return self

    def _validate(self) -> None:
        super()._validate()
        pred = self.predicate
        meta = pred._meta if isinstance(pred, Expr) else pred
        if isinstance(meta, pd.Series) and not (pd.api.types.is_bool_dtype(meta.dtype)):
            raise TypeError(
                f"a filter needs a boolean Series, got dtype {meta.dtype} "
                f"(Series {meta.name!r})"
            )

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _row_filter(self) -> tuple[Expr, Expr] | None:
        pred = self.predicate
        return (self.frame, pred) if isinstance(pred, Expr) else None

    def _hash_step(self) -> Below | None:
        return Below(self.frame, None)

    def _no_missing_step(self, column: Any) -> bool | Below:
        return Below(self.frame, column)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        out = [(self.frame, needed)]
        if isinstance(self.predicate, Expr):
            out.append((self.predicate, None))
        return out


class AssignIndex(Blockwise):
    """``frame.index = index``: partition ``i`` gets the values of partition
    ``i`` of ``index`` (aligned by position, as pandas); the divisions are
    the new index's."""

    _parameters = ["frame", "index"]
    _keeps_rows = True
    frame: Expr
    index: Expr
    operation = staticmethod(set_index_values)

    def _divisions(self) -> Divisions:
        return self.index.divisions

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed), (self.index, None)]


class Assign(Blockwise):
    """Add or replace columns: ``names[i]`` gets ``values[i]``."""

    _parameters = ["frame", "names", "values"]
    _keeps_rows = True
    frame: Expr
    names: list[Any]
    values: list[Any]
    operation = staticmethod(assign_kernel)

    def _args(self) -> list[Any]:
        return [self.frame, list(self.names), *self.values]

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        names = set(self.names)
        if needed is None:
            frame_need = None
        else:
            frame_need = set(needed) - names
        out = [(self.frame, frame_need)]
        out.extend((v, None) for v in self.values if isinstance(v, Expr))
        return out

    def _operand_repr(self) -> str:
        return ", ".join(repr(n) for n in self.names)

    def _value_of(self, column: Any) -> Any:
        """The value last assigned to ``column``."""
        names = list(self.names)
        return self.values[len(names) - 1 - names[::-1].index(column)]

    def _no_missing_step(self, column: Any) -> bool | Below:
        if column is None:
            return False
        if column not in self.names:
            return Below(self.frame, column)
        value = self._value_of(column)
        if isinstance(value, Expr):
            return isinstance(value._meta, pd.Series) and Below(value, None)
        return pd.api.types.is_scalar(value) and not pd.isna(value)

    def _hash_step(self) -> Below | None:
        return Below(self.frame, None)

    def _keeps_keys(self, keys: tuple[Any, ...]) -> bool:
        return not set(keys) & set(self.names)

    def _key_filter_step(self, column: Any) -> Below | None:
        # scalars only: a lazy value is aligned with the unfiltered rows
        if column in self.names or any(isinstance(v, Expr) for v in self.values):
            return None
        return Below(self.frame, column)

    def _widened_step(self, column: Any) -> Any:
        if column is None or column not in self.names:
            return super()._widened_step(column)
        value = self._value_of(column)
        if not isinstance(value, Expr) or not isinstance(value._meta, pd.Series):
            return None
        if value._meta.dtype != column_dtype(self._meta, column):
            return None
        return Below(value, None)

    def _filter_below(
        self,
        columns: set[Any],
        filtered: Callable[[Expr, dict[Any, Any]], Expr | None],
    ) -> Expr | None:
        # A filter not reading the assigned columns filters the frame first;
        # each Series value (row-wise from the frame: the same rows) is
        # filtered alike, so the assignment lines up as before.
        from .rowwise import reframe, rows_in_place

        if columns & set(self.names):
            return None
        frame = filtered(self.frame, {c: c for c in columns})
        if not isinstance(frame, Filter):
            return None
        same = {c: c for c in self.frame._meta.columns}
        keep = rows_in_place(self.frame)
        values = []
        for v in self.values:
            if isinstance(v, Expr) and is_frame_or_series(v._meta):
                # computed from the filtered frame, or else filtered itself
                moved = reframe(v, self.frame, frame, same)
                if moved is None:
                    if reframe(v, self.frame, self.frame, same, keep) is None:
                        return None
                    moved = Filter(v, frame.predicate)
                v = moved
            values.append(v)
        return Assign(frame, list(self.names), values)
