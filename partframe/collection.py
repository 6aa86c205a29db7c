"""DataFrame, Series, Index and Scalar: thin facades over expression nodes.

A collection holds one expression (``.expr``) and builds new ones; it holds
no data and computes nothing until ``compute()``. Families of methods live
in mixins next to their kernels (``partframe/methods/``); this module keeps
the core: construction, metadata, column access, operators, and the
collection protocol that connects a plan to a scheduler.
"""

from __future__ import annotations

import functools
import operator
import warnings
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Self, TypeVar

import numpy as np
import pandas as pd

from .base import Collection
from .expr.base import Expr
from .expr.blockwise import (
    Assign,
    AssignIndex,
    Elemwise,
    Filter,
    MapPartitions,
    MethodCall,
    Projection,
    _scalar_to_series,
    _unknown_columns_message,
    aligned,
)
from .expr.meta import emulate, is_frame_or_series, make_meta
from .expr.optimize import optimize, optimize_many
from .expr.reductions import TreeReduction
from .expr.sources import FromGraph
from .graph import flatten_keys
from .kernels.gather import RowGather, assemble, built
from .kernels.partitions import concat_result
from .methods import apply as _apply
from .methods import casting as _casting
from .methods import elementwise as _elementwise
from .methods import groupby as _groupby
from .methods import indexing as _indexing
from .methods import io as _io
from .methods import missing as _missing
from .methods import partitions as _partitions
from .methods import reductions as _reductions
from .methods import shuffle as _shuffle

__all__ = ["DataFrame", "FrameBase", "Index", "Scalar", "Series", "new_collection"]


def new_collection(expr: Expr) -> Any:
    """Wrap ``expr`` in the facade that matches its meta."""
    meta = expr._meta
    if isinstance(meta, pd.DataFrame):
        return DataFrame(expr)
    if isinstance(meta, pd.Series):
        return Series(expr)
    if isinstance(meta, pd.Index):
        return Index(expr)
    return Scalar(expr)


def _concat(parts: list) -> Any:
    """Concatenate computed partitions into one pandas object.

    Partitions may be :class:`RowGather` (not built yet) when the plan was
    built with ``to_client`` (see ``__pf_graph_many__``): several are
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
    if len(nonempty) == 1:
        return nonempty[0]
    return concat_result(nonempty)


def _first(parts: list) -> Any:
    return parts[0]


def _rebuild_frame(dsk: dict, meta: Any, divisions: tuple, keys: list) -> Any:
    return new_collection(FromGraph(dsk, meta, tuple(divisions), list(keys)))


def _as_expr(other: Any) -> Any:
    """The expression of a collection; anything else is a literal operand."""
    if isinstance(other, FrameBase | Scalar):
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
        from . import config

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
        collections: list, optimize_graph: bool, to_client: bool = False
    ) -> tuple[dict, list]:
        """One graph for several frames, optimized together (see base.compute).

        ``to_client``: the partitions go straight to :func:`_concat` in this
        process; the plan of a single frame is then built by its
        ``_to_client`` (a join hands over partitions not built yet).
        """
        from . import config

        exprs = [c._expr for c in collections]
        if to_client and len(exprs) == 1:
            exprs = [exprs[0]._to_client()]
        if optimize_graph:
            exprs = optimize_many(exprs, fuse=config.get("fuse"))
        else:
            from .expr.optimize import lower

            exprs = [lower(e) for e in exprs]
        graph: dict = {}
        for e in exprs:
            graph.update(e.__dask_graph__())
        return graph, [e.__dask_keys__() for e in exprs]

    def __dask_postcompute__(self) -> tuple:
        return _concat, ()

    def _on_failure(self) -> None:
        from .expr.base import walk

        for node in walk(self._expr):
            node._on_failure()

    def __dask_postpersist__(self) -> tuple:
        keys = flatten_keys(self.__dask_keys__())
        return _rebuild_frame, (self._meta, self._expr.divisions, keys)

    def __dask_scheduler__(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        from .scheduler import get

        return get(*args, **kwargs)

    def explain(self, file: Any = None) -> None:
        """Print the plan before and after optimization.

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
        """
        print("Logical plan:", file=file)
        print(self._expr.tree_repr(1), file=file)
        print("Optimized plan:", file=file)
        print(self._optimized.tree_repr(1), file=file)


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
    def dtype(self) -> Any:
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
        return new_collection(Elemwise(op, [_as_expr(a) for a in args]))

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


class FrameBase(
    _reductions.FrameMethods,
    _elementwise.FrameMethods,
    _missing.FrameMethods,
    _casting.FrameMethods,
    _partitions.FrameMethods,
    _indexing.FrameMethods,
    _groupby.FrameMethods,
    _shuffle.FrameMethods,
    _io.FrameMethods,
    _Lazy,
):
    """Shared by DataFrame, Series and Index."""

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
        return new_collection(Elemwise(_get_index, [self.expr]))

    @index.setter
    def index(self, value: Any) -> None:
        if isinstance(self, Index):
            raise AttributeError("an Index has no index to set")
        if not isinstance(value, Index):
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
                self.expr, _partition_len, _sum_list, _sum_list, 0,
                label="len", columns=[],
            )
        )  # fmt: skip

    # -- building blocks ---------------------------------------------------
    def _binop(self, other: Any, op: Callable, reflect: bool = False) -> Any:
        other = _lazy_operand(self, other, None)
        if isinstance(other, FrameBase):
            along = _along_columns(self, other, op, reflect)
            if along is not None:
                return along
            left, right = _align(self, other)
            args = [right.expr, left.expr] if reflect else [left.expr, right.expr]
        else:
            args = (
                [_as_expr(other), self.expr]
                if reflect
                else [self.expr, _as_expr(other)]
            )
        return new_collection(Elemwise(op, args))

    def _unary(self, op: Callable) -> Any:
        return new_collection(Elemwise(op, [self.expr]))

    def _method(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """A partition-wise call of pandas method ``name``."""
        args = tuple(_as_expr(a) for a in args)
        kwargs = {k: v for k, v in kwargs.items()}
        for k, v in kwargs.items():
            if isinstance(v, FrameBase | Scalar):
                raise TypeError(
                    f"{name}(): pass the lazy argument {k}= positionally or compute it"
                )
        return new_collection(MethodCall(self.expr, name, args, kwargs or None))

    def map_partitions(
        self,
        func: Callable,
        *args: Any,
        meta: Any = None,
        preserves_index: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Apply ``func`` to every partition.

        Parameters
        ----------
        func : callable
            Called as ``func(partition, *args, **kwargs)``; frames among
            ``args`` are replaced by their matching partition.
        meta : pandas object or scalar, optional
            An empty object with the result's schema. Inferred by running
            ``func`` on a small stand-in when not given.
        preserves_index : bool, default False
            Promise that ``func`` keeps the index and row order, so divisions
            carry over.

        Each partition ``func`` returns is checked against the meta: a
        Series name, the column order and dtypes that cast back to the same
        values are made to match; other columns or dtypes (a renamed column,
        ``NaN`` in an ``int64`` column, a Series where the meta is a
        DataFrame) raise an error naming ``func``, the partition and the
        difference.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": range(6)}), npartitions=2)
        >>> df.map_partitions(len).compute().tolist()
        [3, 3]
        """
        exprs = [self.expr] + [_as_expr(a) for a in args]
        enforce = "inferred" if meta is None else True
        if meta is None:
            metas = [e._meta if isinstance(e, Expr) else e for e in exprs]
            meta = emulate(func, *metas, nonempty=True, **kwargs)
        elif not is_frame_or_series(meta) and isinstance(meta, dict | list | tuple):
            meta = _meta_from_description(meta, self._meta.index)
        else:
            meta = make_meta(meta)
        if not is_frame_or_series(meta):
            # A scalar per partition: the result is a Series of them.
            meta = pd.Series([], dtype=np.asarray(meta).dtype)
            return new_collection(
                MapPartitions(
                    _scalar_to_series, meta, [func, *exprs], kwargs or None,
                    False, enforce,
                )
            )  # fmt: skip
        node = MapPartitions(
            func, meta, exprs, kwargs or None, preserves_index, enforce
        )
        return new_collection(node)

    def pipe(self, func: Callable, *args: Any, **kwargs: Any) -> Any:
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


def _meta_from_description(desc: Any, index: pd.Index | None = None) -> Any:
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


def _partition_len(part: Any) -> int:
    return len(part)


def _sum_list(values: list) -> int:
    return sum(values)


def _partition_count(part: Any) -> np.int64:
    return np.int64(part.notna().sum())


def _get_index(obj: Any) -> pd.Index:
    return obj.index


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


def _lazy_operand(obj: FrameBase, other: Any, axis: Any) -> Any:
    """``other`` as a one-partition collection when it is an in-memory pandas
    object that pandas aligns with ``obj`` on the index, so it is aligned
    by divisions as pandas aligns by labels (broadcast to every partition,
    each partition would join all of its rows: duplicated rows)."""
    if not _aligns_on_index(obj._meta, other, axis) or not len(other):
        # An empty operand adds no labels: every partition aligns with it alone.
        return other
    from .io.memory import from_pandas

    lazy = from_pandas(other, npartitions=1)
    if obj.npartitions > 1 and not (obj.known_divisions and lazy.known_divisions):
        raise ValueError(
            f"cannot align an in-memory pandas {type(other).__name__} with a "
            f"partframe {type(obj).__name__} of {obj.npartitions} partitions whose "
            "divisions are unknown: set a sorted index first (set_index, or "
            "from_pandas with sort=True), or repartition it to one partition"
        )
    return lazy


def _along_columns(
    a: FrameBase, b: FrameBase, op: Any, reflect: bool, kwargs: dict | None = None
) -> Any:
    """``op(a, b)`` when pandas aligns a lazy Series' labels with a
    DataFrame's columns (``df - df.mean()``, either side), else ``None``.

    ``op`` is an operator or a method name (called with ``kwargs``). The
    Series is computed whole and passed to every partition of the frame: its
    rows are not the frame's rows, so its partitioning does not matter.
    """
    from .expr.elementwise import FrameSeriesOp, WholeOf

    if isinstance(a._meta, pd.Series) and isinstance(b._meta, pd.DataFrame):
        a, b, reflect = b, a, not reflect
    if not (isinstance(a._meta, pd.DataFrame) and isinstance(b._meta, pd.Series)):
        return None
    if isinstance(op, str) and reflect:
        raise TypeError(f"{op}(): call it on the DataFrame, with the Series")
    return new_collection(FrameSeriesOp(a.expr, WholeOf(b.expr), op, reflect, kwargs))


_A = TypeVar("_A", bound="FrameBase")
_B = TypeVar("_B", bound="FrameBase")


def _align(a: _A, b: _B) -> tuple[_A, _B]:
    """Make two collections partition-aligned, or say why they cannot be."""
    ea, eb = a.expr, b.expr
    known = ea.known_divisions and eb.known_divisions
    # One partition each aligns inside the partition, but the result's rows
    # span both sides' divisions: known divisions that differ are unified.
    if aligned(ea, eb) and not (
        known and ea._partitioning != eb._partitioning and ea.divisions != eb.divisions
    ):
        return a, b
    if known:
        divs = _partitions.union_divisions(ea.divisions, eb.divisions)
        return (
            _partitions.repartition_divisions(a, divs),
            _partitions.repartition_divisions(b, divs),
        )
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


class DataFrame(
    _reductions.DataFrameMethods,
    _elementwise.DataFrameMethods,
    _missing.DataFrameMethods,
    _apply.DataFrameMethods,
    _partitions.DataFrameMethods,
    _groupby.DataFrameMethods,
    _shuffle.DataFrameMethods,
    _io.DataFrameMethods,
    FrameBase,
):
    """A lazy pandas DataFrame split into partitions along the index.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> pdf = pd.DataFrame({"x": [1, 2, 3, 4], "y": [1.0, 2.0, 3.0, 4.0]})
    >>> df = partframe.from_pandas(pdf, npartitions=2)
    >>> df[df.x > 2].y.compute().tolist()
    [3.0, 4.0]
    """

    @property
    def columns(self) -> pd.Index:
        """Column labels (from the meta; no computation)."""
        return self._meta.columns

    @columns.setter
    def columns(self, columns: Any) -> None:
        columns = list(columns)
        if len(columns) != len(self._meta.columns):
            raise ValueError(
                f"Length mismatch: the frame has {len(self._meta.columns)} columns, "
                f"{len(columns)} new labels were given"
            )
        self._expr = Elemwise(_set_columns, [self.expr, columns])
        self.__dict__.pop("_optimized", None)

    @property
    def dtypes(self) -> pd.Series:
        """Column dtypes (from the meta)."""
        return self._meta.dtypes

    @property
    def shape(self) -> tuple:
        """``(rows, columns)``; rows is a lazy Scalar."""
        return (self._length(), len(self.columns))

    @property
    def size(self) -> Scalar:
        """Number of cells, lazily."""
        return self._length() * len(self.columns)

    @property
    def ndim(self) -> int:
        return 2

    def __dir__(self) -> list:
        out = set(super().__dir__())
        out.update(c for c in self.columns if isinstance(c, str) and c.isidentifier())
        return sorted(out)

    def __getattr__(self, key: str) -> Any:
        # Column access by attribute, as in pandas. Only called when normal
        # lookup fails, so methods always win.
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            columns = self._meta.columns
        except Exception:
            raise AttributeError(key) from None
        if key in columns:
            return self[key]
        raise AttributeError(
            f"'DataFrame' object has no attribute {key!r}"
            + (
                f"; {_unknown_columns_message([key], list(columns))}"
                if len(columns)
                else ""
            )
        )

    def __setattr__(self, key: str, value: Any) -> None:
        # As pandas' NDFrame.__setattr__: a real attribute (or property) is
        # set as such; an existing column is assigned; anything else becomes
        # a plain attribute, with pandas' warning when it looks like a column.
        if key.startswith("_"):
            object.__setattr__(self, key, value)
            return
        try:
            object.__getattribute__(self, key)
        except AttributeError:
            pass
        else:
            object.__setattr__(self, key, value)
            return
        if key in self._meta.columns:
            self[key] = value
            return
        if isinstance(value, FrameBase) or pd.api.types.is_list_like(value):
            warnings.warn(
                "Pandas doesn't allow columns to be created via a new attribute "
                "name - see https://pandas.pydata.org/pandas-docs/stable/"
                "indexing.html#attribute-access",
                UserWarning,
                stacklevel=2,
            )
        object.__setattr__(self, key, value)

    def __iter__(self) -> Any:
        """The column labels, as pandas (no computation)."""
        return iter(self._meta.columns)

    def __contains__(self, key: Any) -> bool:
        """Is ``key`` a column label (as pandas; no computation)?"""
        return key in self._meta.columns

    def _ipython_key_completions_(self) -> list:
        """The column labels, for IPython's completion of ``df["...``."""
        return list(self._meta.columns)

    def __getitem__(self, key: Any) -> Any:
        if callable(key):  # pandas: df[lambda d: d.x > 0]
            key = key(self)
        if isinstance(key, Series):
            pred = key
            frame, pred = _align(self, pred)
            return new_collection(Filter(frame.expr, pred.expr))
        if isinstance(key, DataFrame):
            # pandas: a boolean frame masks the values, as ``where``.
            return self.where(key)
        if isinstance(key, pd.Series) and pd.api.types.is_bool_dtype(key.dtype):
            raise TypeError(
                "an in-memory boolean pandas Series is aligned with the rows; "
                "wrap it with partframe.from_pandas (df[from_pandas(mask)])"
            )
        if isinstance(key, list | pd.Index | np.ndarray | pd.Series):
            key = list(key)
            if key and all(isinstance(k, bool | np.bool_) for k in key):
                raise TypeError(
                    "filter a partframe DataFrame with a lazy boolean Series "
                    "(df[df.x > 0]), not a list of booleans"
                )
            return new_collection(Projection(self.expr, key))
        if isinstance(key, slice):
            raise TypeError(
                "row slicing with df[a:b] is not supported; use df.loc[a:b] "
                "(label based) or df.head(n)"
            )
        if isinstance(key, Hashable):
            return new_collection(Projection(self.expr, key))
        raise TypeError(f"cannot index a partframe DataFrame with {type(key).__name__}")

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, pd.Index | np.ndarray):
            key = list(key)
        if isinstance(key, list):
            if isinstance(value, DataFrame):
                # As pandas: the value's columns go to the keys by position.
                if len(value.columns) != len(key):
                    raise ValueError(
                        f"Columns must be same length as key: {len(key)} keys "
                        f"{key!r}, {len(value.columns)} columns in the value"
                    )
                values = [value.iloc[:, i] for i in range(len(key))]
            elif isinstance(value, FrameBase):
                raise ValueError(
                    f"Columns must be same length as key: df[{key!r}] = ... takes a "
                    f"DataFrame of {len(key)} columns or a scalar, not a "
                    f"{type(value).__name__}"
                )
            else:
                values = [value] * len(key)
            new = self._assign_many(key, values)
        else:
            new = self._assign_one(key, value)
        self._expr = new.expr
        self.__dict__.pop("_optimized", None)

    def _assign_one(self, name: Hashable, value: Any) -> DataFrame:
        return self._assign_many([name], [value])

    def _assign_many(self, names: list, values: list) -> DataFrame:
        frame = self
        exprs = []
        for v in values:
            if isinstance(v, FrameBase):
                frame, v = _align(frame, v)
                exprs.append(v.expr)
            elif isinstance(v, Scalar):
                exprs.append(v.expr)
            elif isinstance(v, pd.Series | pd.DataFrame | np.ndarray | list):
                raise TypeError(
                    "assigning an in-memory array or pandas Series to a partframe "
                    "DataFrame cannot be aligned with its partitions; wrap it with "
                    "partframe.from_pandas(series, ...) so it has divisions"
                )
            else:
                exprs.append(v)
        # Values of earlier names may be used by later ones only through the
        # frame, which pandas' assign also allows via callables.
        return new_collection(Assign(frame.expr, list(names), exprs))

    def assign(self, **kwargs: Any) -> DataFrame:
        """Add or replace columns; callables receive the frame, as in pandas.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2]}), npartitions=1)
        >>> df.assign(y=df.x * 2, z=lambda d: d.y + 1).compute()
           x  y  z
        0  1  2  3
        1  2  4  5
        """
        out = self
        for name, value in kwargs.items():
            if callable(value) and not isinstance(value, FrameBase | Scalar):
                value = value(out)
            out = out._assign_one(name, value)
        return out

    def _repr_header(self) -> str:
        n, ncols = self.npartitions, len(self.columns)
        return f"partframe.DataFrame<npartitions={n}, ncolumns={ncols}>"


def _set_columns(df: pd.DataFrame, columns: list) -> pd.DataFrame:
    df = df.copy(deep=False)
    df.columns = columns
    return df


class Series(
    _reductions.SeriesMethods,
    _elementwise.SeriesMethods,
    _missing.SeriesMethods,
    _apply.SeriesMethods,
    _partitions.SeriesMethods,
    _groupby.SeriesMethods,
    _shuffle.SeriesMethods,
    _io.SeriesMethods,
    FrameBase,
):
    """A lazy pandas Series split into partitions along the index.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> s = partframe.from_pandas(pd.Series([1, 2, 3], name="x"), npartitions=2)
    >>> (s * 10).compute().tolist()
    [10, 20, 30]
    """

    @property
    def name(self) -> Hashable:
        """The Series name (from the meta)."""
        return self._meta.name

    @property
    def dtype(self) -> Any:
        """The Series dtype (from the meta)."""
        return self._meta.dtype

    @property
    def ndim(self) -> int:
        return 1

    @property
    def shape(self) -> tuple:
        """``(rows,)`` with rows a lazy Scalar."""
        return (self._length(),)

    @property
    def size(self) -> Scalar:
        return self._length()

    def __iter__(self) -> Any:
        """The values, as pandas: computed one partition at a time."""
        for i in range(self.npartitions):
            yield from self.get_partition(i).compute()

    def __contains__(self, key: Any) -> bool:
        # Without it ``in`` would iterate the values; pandas looks in the index.
        raise TypeError(
            "`key in series` looks for an index label, which is known only when "
            "computed: use `key in series.index.compute()`, or "
            "`(series.index == key).any()`"
        )

    def __getitem__(self, key: Any) -> Any:
        if callable(key):  # pandas: s[lambda s: s > 0]
            key = key(self)
        if isinstance(key, Series):
            frame, pred = _align(self, key)
            return new_collection(Filter(frame.expr, pred.expr))
        if isinstance(key, list | pd.Index | np.ndarray) or (
            isinstance(key, pd.Series) and not pd.api.types.is_bool_dtype(key.dtype)
        ):
            # pandas: a list of labels (boolean lists are masks, refused below).
            if not (len(key) and all(isinstance(k, bool | np.bool_) for k in key)):
                return self.loc[list(key)]
        raise TypeError(
            "index a partframe Series with a lazy boolean Series (s[s > 0]); "
            "for labels use s.loc[...]"
        )

    def to_frame(self, name: Any = None) -> DataFrame:
        """The Series as a one-column DataFrame."""
        if name is None:
            return self._method("to_frame")
        return self._method("to_frame", name)


class Index(FrameBase):
    """A lazy pandas Index (the index of a frame)."""

    @property
    def name(self) -> Hashable:
        return self._meta.name

    @property
    def dtype(self) -> Any:
        return self._meta.dtype

    def __repr__(self) -> str:
        return f"partframe.Index<npartitions={self.npartitions}, dtype={self.dtype}>"

    # pandas' Index has no count; Dask's takes only split_every (not the
    # frames' axis and numeric_only).
    def count(self, split_every: int | None = None) -> Scalar:  # type: ignore[override]
        """Number of non-missing labels, lazily.

        pandas' Index has no ``count`` (``index.notna().sum()``); Dask's has,
        and code written for Dask uses it.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2, 3]},
        ...                            index=[1.0, None, 3.0]), npartitions=2)
        >>> df.index.count().compute()
        np.int64(2)
        """
        return new_collection(
            TreeReduction(
                self.expr, _partition_count, _sum_list, _sum_list, np.int64(0),
                label="count", split_every=split_every,
            )
        )  # fmt: skip
