"""The facade's core: lazy objects over expression nodes.

A collection holds one expression (``.expr``) and builds new ones; it holds
no data and computes nothing until ``compute()``. This module holds what
every facade module needs: :func:`new_collection` (wraps an expression in
the class registered for its meta's type), :class:`FrameBase` (metadata,
operators, display and the collection protocol that connects a plan to a
scheduler), :class:`Scalar`, and the alignment of two collections. The
method modules (``partframe/methods/``, ``partframe/groupby/``, the IO
readers) import this module only, never the classes made of them
(``collection/frame.py``), so the facade has no import cycle.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Self, TypeVar

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionDtype

from .. import config
from ..base import Collection
from ..expr.base import Expr
from ..expr.blockwise import (
    AssignIndex,
    Elemwise,
    MethodCall,
    aligned,
)
from ..expr.optimize import lower, optimize, optimize_many
from ..expr.reductions import TreeReduction
from ..expr.repartition import RepartitionDivisions
from ..expr.sources import FromGraph, pandas_source
from ..expr.target import Target, current, using
from ..graph import flatten_keys
from ..kernels.gather import RowGather, assemble, built
from ..kernels.partitions import (
    concat_result,
    index_of,
    partition_len,
    union_divisions,
)

if TYPE_CHECKING:
    from .frame import Index

# The facade class of each pandas meta type, filled by ``collection/frame.py``
# (``register``) so that the method modules, which build collections, need
# not import the classes that are made of them.
_FACADES: dict[type, type] = {}


def register(meta_type: type, cls: type) -> None:
    """Make :func:`new_collection` wrap expressions whose meta is a
    ``meta_type`` in ``cls``."""
    _FACADES[meta_type] = cls


def new_collection(expr: Expr) -> Any:
    """Wrap ``expr`` in the facade that matches its meta."""
    meta = expr._meta
    for meta_type, cls in _FACADES.items():
        if isinstance(meta, meta_type):
            return cls(expr)
    return Scalar(expr)


def _concat(parts: list) -> Any:
    """Concatenate computed partitions into one pandas object.

    Partitions may be :class:`RowGather` (not built yet) when the plan was
    built for a ``to_client`` target (see ``__pf_graph_many__``): several are
    assembled into the result at once, and anything else is built first.
    """
    if any(isinstance(p, RowGather) for p in parts):
        gathers = [p for p in parts if len(p)]
        if len(gathers) > 1 and all(isinstance(p, RowGather) for p in gathers):
            return assemble(gathers)
        parts = [built(p) for p in parts]
    if len(parts) == 1:
        return parts[0]
    nonempty = [p for p in parts if len(p)]
    if not nonempty:
        return parts[0]
    if isinstance(parts[0], pd.Index):
        return nonempty[0].append(nonempty[1:]) if len(nonempty) > 1 else nonempty[0]
    # empty partitions still tell a column pandas widened for missing values
    # (concat_result keeps that widening, and skips them otherwise)
    return concat_result(parts)


def _first(parts: list) -> Any:
    return parts[0]


def _rebuild_frame(dsk: dict, meta: Any, divisions: tuple, keys: list) -> Any:
    return new_collection(FromGraph(dsk, meta, tuple(divisions), list(keys)))


def as_expr(other: Any) -> Any:
    """The expression of a lazy object; anything else is a literal operand."""
    if isinstance(other, _Lazy):
        return other.expr
    return other


class _Lazy(Collection):
    """What every lazy partframe object shares: an expression and its graph."""

    def __init__(self, expr: Expr) -> None:
        if not isinstance(expr, Expr):
            raise TypeError(
                f"{type(self).__name__} wraps an expression, got {type(expr)}"
            )
        self._expr = expr

    @property
    def expr(self) -> Expr:
        """The expression node this object stands for."""
        return self._expr

    @functools.cached_property
    def _optimized(self) -> Expr:
        return optimize(self._expr, fuse=config.get("fuse"))

    @property
    def _meta(self) -> Any:
        return self._expr._meta

    @property
    def _name(self) -> str:
        return self._expr._name

    # -- collection protocol --------------------------------------------
    def __dask_graph__(self) -> dict:
        return self._optimized.__dask_graph__()

    def __dask_keys__(self) -> list:
        return self._optimized.__dask_keys__()

    def __dask_layers__(self) -> tuple:
        return (self._optimized._name,)

    def __dask_tokenize__(self) -> str:
        return self._expr._name

    @staticmethod
    def __dask_optimize__(dsk: dict, keys: Any, **kwargs: Any) -> dict:
        return dsk

    @staticmethod
    def __pf_graph_many__(
        collections: list, optimize_graph: bool, target: Target | None = None
    ) -> tuple[dict, list]:
        """One graph for several frames, optimized together (see base.compute)
        and planned for ``target`` (the run; None: the default).

        With ``target.to_client`` the partitions go straight to
        :func:`_concat` in this process; the plan of a single frame is then
        built by its ``_to_client`` (a join hands over partitions not built
        yet).
        """
        target = current() if target is None else target
        exprs = [c._expr for c in collections]
        if target.to_client and len(exprs) == 1:
            exprs = [exprs[0]._to_client()]
        with using(target):
            if optimize_graph:
                exprs = optimize_many(exprs, fuse=config.get("fuse"))
            else:
                exprs = [lower(e) for e in exprs]
        graph: dict = {}
        for e in exprs:
            graph.update(e.__dask_graph__())
        return graph, [e.__dask_keys__() for e in exprs]

    def __dask_postcompute__(self) -> tuple:
        return _concat, ()

    def _on_failure(self) -> None:
        from ..expr.base import walk

        for node in walk(self._expr):
            node._on_failure()

    def __dask_postpersist__(self) -> tuple:
        keys = flatten_keys(self.__dask_keys__())
        return _rebuild_frame, (self._meta, self._expr.divisions, keys)

    def __dask_scheduler__(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        from ..scheduler import get

        return get(*args, **kwargs)

    def explain(
        self, file: Any = None, analyze: bool = False, scheduler: Any = None
    ) -> None:
        """Print the plan before and after optimization, each node with its
        estimated rows.

        Parameters
        ----------
        file : file-like, optional
            Where to print (default: standard output).
        analyze : bool, default False
            Also run the plan and show, on each node of the optimized plan,
            the rows it made, its tasks and the seconds they took together.
        scheduler : {"threads", "sync"}, optional
            Where ``analyze`` runs the plan (default ``"threads"``).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2], "y": [3, 4]}),
        ...                            npartitions=1)
        >>> df[df.x > 1].y.explain()  # doctest: +ELLIPSIS
        Logical plan:
        ...
        Optimized plan:
        ...
        >>> df[df.x > 1].explain(analyze=True, scheduler="sync")  # doctest: +ELLIPSIS
        Logical plan:
          Filter()  [~1 rows]
        ...
        Optimized plan, run on 'sync' in ... s:
          Fused[...]  [~1 rows; ran: 1 rows, 1 task, ... s]
        ...
        """
        from ..diagnostics.analyze import analyze as run_plan
        from ..diagnostics.analyze import format_plan

        print("Logical plan:", file=file)
        print(format_plan(self._expr), file=file)
        if not analyze:
            print("Optimized plan:", file=file)
            print(format_plan(self._optimized), file=file)
            return
        run = run_plan(self, scheduler)
        where = "threads" if scheduler is None else scheduler
        print(
            f"Optimized plan, run on {where!r} in {run.wall_seconds:.3f} s:",
            file=file,
        )
        print(run.plan.tree_repr(1, note=run.note), file=file)


class Scalar(_Lazy):
    """A lazy single value, such as the result of ``df.x.sum()``."""

    if TYPE_CHECKING:
        # Set after the class from _BINARY_OPS and the unary table: a Scalar,
        # or a frame when the other operand is one.
        def __add__(self, other: Any) -> Any: ...
        def __radd__(self, other: Any) -> Any: ...
        def __sub__(self, other: Any) -> Any: ...
        def __rsub__(self, other: Any) -> Any: ...
        def __mul__(self, other: Any) -> Any: ...
        def __rmul__(self, other: Any) -> Any: ...
        def __truediv__(self, other: Any) -> Any: ...
        def __rtruediv__(self, other: Any) -> Any: ...
        def __floordiv__(self, other: Any) -> Any: ...
        def __rfloordiv__(self, other: Any) -> Any: ...
        def __mod__(self, other: Any) -> Any: ...
        def __rmod__(self, other: Any) -> Any: ...
        def __pow__(self, other: Any) -> Any: ...
        def __rpow__(self, other: Any) -> Any: ...
        def __and__(self, other: Any) -> Any: ...
        def __rand__(self, other: Any) -> Any: ...
        def __or__(self, other: Any) -> Any: ...
        def __ror__(self, other: Any) -> Any: ...
        def __xor__(self, other: Any) -> Any: ...
        def __rxor__(self, other: Any) -> Any: ...
        def __neg__(self) -> Scalar: ...
        def __pos__(self) -> Scalar: ...
        def __invert__(self) -> Scalar: ...
        def __abs__(self) -> Scalar: ...

    def __dask_postcompute__(self) -> tuple:
        return _first, ()

    def __dask_postpersist__(self) -> tuple:
        keys = flatten_keys(self.__dask_keys__())
        return _rebuild_frame, (self._meta, (None, None), keys)

    @property
    def dtype(self) -> np.dtype[Any] | ExtensionDtype:
        """The dtype of the value (from its meta)."""
        meta = self._meta
        return getattr(meta, "dtype", np.asarray(meta).dtype)

    def __repr__(self) -> str:
        return f"partframe.Scalar<{self._expr._funcname}, dtype={self.dtype}>"

    def __bool__(self) -> bool:
        raise TypeError(
            "the truth value of a lazy partframe Scalar is unknown until it is "
            "computed: call .compute() first"
        )

    def _binop(self, other: Any, op: Callable, reflect: bool = False) -> Any:
        if isinstance(other, FrameBase):
            return other._binop(self, op, reflect=not reflect)
        args = [other, self.expr] if reflect else [self.expr, other]
        return new_collection(Elemwise(op, [as_expr(a) for a in args]))

    def _unary(self, op: Callable) -> Scalar:
        return new_collection(Elemwise(op, [self.expr]))


def _binary(op: Callable, reflect: bool = False) -> Callable:
    def method(self: Any, other: Any) -> Any:
        return self._binop(other, op, reflect=reflect)

    method.__name__ = f"__{'r' if reflect else ''}{op.__name__.strip('_')}__"
    return method


def _unary(op: Callable) -> Callable:
    def method(self: Any) -> Any:
        return self._unary(op)

    method.__name__ = f"__{op.__name__.strip('_')}__"
    return method


_BINARY_OPS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
    "and": operator.and_,
    "or": operator.or_,
    "xor": operator.xor,
}


_COMPARISONS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


_P = ParamSpec("_P")
_R = TypeVar("_R")


class FrameBase(_Lazy):
    """Shared by DataFrame, Series and Index: metadata, operators, display.

    The methods come from the method modules (``partframe/methods/``),
    mixed in by ``collection/frame.py``; they test ``isinstance(x,
    FrameBase)`` and build results with :func:`new_collection`, so they
    never import the classes made of them.
    """

    # pandas defers binary operators to objects of a higher priority
    # (DataFrame's is 4000): ``pandas_series - lazy`` runs here, aligned.
    __pandas_priority__ = 5000

    # -- metadata ----------------------------------------------------------
    @property
    def divisions(self) -> tuple:
        """Index boundaries of the partitions (all ``None`` when unknown)."""
        return self._expr.divisions

    @property
    def known_divisions(self) -> bool:
        """Are the divisions known?"""
        return self._expr.known_divisions

    @property
    def npartitions(self) -> int:
        """The number of partitions."""
        return self._expr.npartitions

    @property
    def index(self) -> Index:
        """The (lazy) index; settable to a lazy Index of the same partitions."""
        return new_collection(Elemwise(index_of, [self.expr]))

    @index.setter
    def index(self, value: Any) -> None:
        if isinstance(self._meta, pd.Index):
            raise AttributeError("an Index has no index to set")
        if not (isinstance(value, FrameBase) and isinstance(value._meta, pd.Index)):
            raise TypeError(
                f"{type(self).__name__}.index = ... takes a lazy partframe Index "
                f"partitioned as the frame (e.g. df.index * 10), not a "
                f"{type(value).__name__}; use set_index() to index by a column"
            )
        if not aligned(self.expr, value.expr):
            raise ValueError(
                "the new index is not partitioned as the frame: pandas assigns it "
                "by position, so it must come from this frame (e.g. df.index * 10)"
            )
        self._expr = AssignIndex(self.expr, value.expr)
        self.__dict__.pop("_optimized", None)

    def __len__(self) -> int:
        return int(self._length().compute())

    def _length(self) -> Scalar:
        """The number of rows, lazily (reads no columns)."""
        return new_collection(
            TreeReduction(
                self.expr, partition_len, sum, sum, 0,
                label="len", columns=[],
            )
        )  # fmt: skip

    # -- building blocks ---------------------------------------------------
    def _binop(self, other: Any, op: Callable, reflect: bool = False) -> Any:
        other = lazy_operand(self, other, None)
        if isinstance(other, FrameBase):
            along = along_columns(self, other, op, reflect)
            if along is not None:
                return along
            left, right = align(self, other)
            args = [right.expr, left.expr] if reflect else [left.expr, right.expr]
        else:
            args = (
                [as_expr(other), self.expr] if reflect else [self.expr, as_expr(other)]
            )
        return new_collection(Elemwise(op, args))

    def _unary(self, op: Callable) -> Any:
        return new_collection(Elemwise(op, [self.expr]))

    def _method(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """A partition-wise call of pandas method ``name``."""
        args = tuple(as_expr(a) for a in args)
        kwargs = {k: v for k, v in kwargs.items()}
        for k, v in kwargs.items():
            if isinstance(v, FrameBase | Scalar):
                raise TypeError(
                    f"{name}(): pass the lazy argument {k}= positionally or compute it"
                )
        return new_collection(MethodCall(self.expr, name, args, kwargs or None))

    def pipe(
        self,
        func: Callable[Concatenate[Self, _P], _R],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _R:
        """``func(self, *args, **kwargs)``, as in pandas."""
        return func(self, *args, **kwargs)

    def copy(self, deep: bool = True) -> Self:
        """A copy: a new facade over the same (immutable) plan.

        Partitions are never modified in place, so a shallow copy is also a
        deep one (``deep`` is accepted for pandas' sake): assigning a
        column to the original or to the copy leaves the other as it was.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2]}), npartitions=1)
        >>> c = df.copy()
        >>> df["y"] = df.x * 2
        >>> list(c.columns), list(df.columns)
        (['x'], ['x', 'y'])
        """
        return new_collection(self.expr)

    # -- display -----------------------------------------------------------
    def _repr_header(self) -> str:
        return f"partframe.{type(self).__name__}<npartitions={self.npartitions}>"

    def __repr__(self) -> str:
        meta = self._meta
        lines = [self._repr_header()]
        if isinstance(meta, pd.DataFrame):
            dtypes = meta.dtypes
            width = max([len(str(c)) for c in meta.columns] + [6])
            lines.append(f"{'column':<{width}}  dtype")
            lines.extend(f"{c!s:<{width}}  {t}" for c, t in dtypes.items())
        else:
            lines.append(f"name: {meta.name!r}, dtype: {meta.dtype}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        meta = self._meta
        head = f"<b>{self._repr_header()}</b>"
        if isinstance(meta, pd.DataFrame):
            rows = "".join(
                f"<tr><td>{c}</td><td>{t}</td></tr>" for c, t in meta.dtypes.items()
            )
            return f"{head}<table><tr><th>column</th><th>dtype</th></tr>{rows}</table>"
        return f"{head}<p>name: {meta.name!r}, dtype: {meta.dtype}</p>"

    def __bool__(self) -> bool:
        raise ValueError(
            f"the truth value of a partframe {type(self).__name__} is ambiguous "
            "(and unknown until computed); use .any(), .all() or .compute()"
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(
            f"converting a lazy partframe {type(self).__name__} to numpy would "
            "compute it implicitly; call .compute() first"
        )


def is_dataframe(x: Any) -> bool:
    """Is ``x`` a lazy partframe DataFrame?"""
    return isinstance(x, FrameBase) and isinstance(x._meta, pd.DataFrame)


def is_series(x: Any) -> bool:
    """Is ``x`` a lazy partframe Series?"""
    return isinstance(x, FrameBase) and isinstance(x._meta, pd.Series)


def meta_from_description(desc: Any, index: pd.Index | None = None) -> Any:
    """An empty frame or Series from a ``{column: dtype}`` dict, a list of
    ``(column, dtype)`` pairs or a ``(name, dtype)`` tuple.

    A description names no index: the result keeps ``index``'s (the input's
    meta index, as Dask does), since most functions keep the index; an
    empty RangeIndex without one.
    """
    index = pd.RangeIndex(0) if index is None else index[:0]
    if isinstance(desc, dict):
        desc = list(desc.items())
    if isinstance(desc, tuple) and len(desc) == 2:
        return pd.Series([], name=desc[0], dtype=desc[1], index=index)
    if isinstance(desc, list):
        return pd.DataFrame(
            {k: pd.Series([], dtype=v, index=index) for k, v in desc}, index=index
        )
    raise TypeError(f"cannot make a meta from {desc!r}")


def _aligns_on_index(meta: Any, other: Any, axis: Any) -> bool:
    """Does pandas align the in-memory ``other`` with ``meta`` on the index?

    A DataFrame aligns a pandas DataFrame on its index, and a Series on its
    columns unless ``axis`` is the index (as pandas' operators and methods);
    a Series aligns any pandas Series or DataFrame on its index.
    """
    if isinstance(other, pd.DataFrame):
        return isinstance(meta, pd.DataFrame | pd.Series)
    if isinstance(other, pd.Series):
        if isinstance(meta, pd.DataFrame):
            return axis in (0, "index", "rows")
        return isinstance(meta, pd.Series)
    return False


def lazy_operand(obj: FrameBase, other: Any, axis: Any) -> Any:
    """``other`` as a one-partition collection when it is an in-memory pandas
    object that pandas aligns with ``obj`` on the index, so it is aligned
    by divisions as pandas aligns by labels (broadcast to every partition,
    each partition would join all of its rows: duplicated rows)."""
    if not _aligns_on_index(obj._meta, other, axis) or not len(other):
        # An empty operand adds no labels: every partition aligns with it alone.
        return other
    lazy = new_collection(pandas_source(other, npartitions=1))
    if obj.npartitions > 1 and not (obj.known_divisions and lazy.known_divisions):
        raise ValueError(
            f"cannot align an in-memory pandas {type(other).__name__} with a "
            f"partframe {type(obj).__name__} of {obj.npartitions} partitions whose "
            "divisions are unknown: set a sorted index first (set_index, or "
            "from_pandas with sort=True), or repartition it to one partition"
        )
    return lazy


def along_columns(
    a: FrameBase, b: FrameBase, op: Any, reflect: bool, kwargs: dict | None = None
) -> Any:
    """``op(a, b)`` when pandas aligns a lazy Series' labels with a
    DataFrame's columns (``df - df.mean()``, either side), else ``None``.

    ``op`` is an operator or a method name (called with ``kwargs``). The
    Series is computed whole and passed to every partition of the frame: its
    rows are not the frame's rows, so its partitioning does not matter.
    """
    from ..expr.elementwise import FrameSeriesOp, WholeOf

    if isinstance(a._meta, pd.Series) and isinstance(b._meta, pd.DataFrame):
        a, b, reflect = b, a, not reflect
    if not (isinstance(a._meta, pd.DataFrame) and isinstance(b._meta, pd.Series)):
        return None
    if isinstance(op, str) and reflect:
        raise TypeError(f"{op}(): call it on the DataFrame, with the Series")
    return new_collection(FrameSeriesOp(a.expr, WholeOf(b.expr), op, reflect, kwargs))


_A = TypeVar("_A", bound="FrameBase")
_B = TypeVar("_B", bound="FrameBase")


def _repartitioned(frame: _A, divisions: tuple) -> _A:
    if divisions == tuple(frame.divisions):
        return frame
    return new_collection(RepartitionDivisions(frame.expr, divisions))


def align(a: _A, b: _B) -> tuple[_A, _B]:
    """Make two collections partition-aligned, or say why they cannot be."""
    ea, eb = a.expr, b.expr
    if ea._partitioning == eb._partitioning:
        return a, b  # (divisions may cost a lowering or a sample: not asked)
    known = ea.known_divisions and eb.known_divisions
    # One partition each aligns inside the partition, but the result's rows
    # span both sides' divisions: known divisions that differ are unified.
    if aligned(ea, eb) and not (
        known and ea._partitioning != eb._partitioning and ea.divisions != eb.divisions
    ):
        return a, b
    if known:
        divs = union_divisions(ea.divisions, eb.divisions)
        return _repartitioned(a, divs), _repartitioned(b, divs)
    raise ValueError(
        "cannot align two collections whose partitions come from different "
        f"sources with unknown divisions ({ea.npartitions} and {eb.npartitions} "
        "partitions). Set a sorted index on both (set_index, or from_pandas with "
        "sort=True) so partframe knows their divisions, or merge them on a column."
    )


_op: Callable[..., Any]
for _name, _op in {**_BINARY_OPS, **_COMPARISONS}.items():
    for _cls in (FrameBase, Scalar):
        setattr(_cls, f"__{_name}__", _binary(_op))
        if _name in _BINARY_OPS:
            setattr(_cls, f"__r{_name}__", _binary(_op, reflect=True))
_UNARY_OPS: dict[str, Callable[..., Any]] = {
    "neg": operator.neg,
    "pos": operator.pos,
    "invert": operator.invert,
    "abs": operator.abs,
}
for _name, _op in _UNARY_OPS.items():
    for _cls in (FrameBase, Scalar):
        setattr(_cls, f"__{_name}__", _unary(_op))
