"""DataFrame, Series and Index: :class:`FrameBase` plus the method
families of ``partframe/methods/`` (mixins next to their kernels); and
:class:`Array`, the lazy boolean array of an Index's ``isna``, ``notna``
and ``isin``.

Importing this module registers the classes with
:func:`~partframe.collection._core.new_collection`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Iterator
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionDtype, no_default

from ..expr.blockwise import (
    Assign,
    Elemwise,
    Filter,
    MapPartitions,
    Projection,
    _unknown_columns_message,
)
from ..expr.elementwise import NonemptyCall, WholeOf
from ..expr.meta import meta_nonempty
from ..expr.reductions import TreeReduction
from ..expr.sources import FromGraph
from ..graph import flatten_keys
from ..kernels.elementwise import index_mask, index_str_mask, map_elements
from ..kernels.partitions import partition_count, set_columns
from ..methods import apply as _apply
from ..methods import casting as _casting
from ..methods import elementwise as _elementwise
from ..methods import groupby as _groupby
from ..methods import indexing as _indexing
from ..methods import io as _io
from ..methods import merge as _merge
from ..methods import missing as _missing
from ..methods import operators as _operators
from ..methods import partitions as _partitions
from ..methods import reductions as _reductions
from ..methods import reshape as _reshape
from ..methods import set_index as _set_index
from ..methods import shuffle as _shuffle
from ..methods import windows as _windows
from ..methods.accessors import StringAccessor
from ._core import (
    FrameBase,
    Scalar,
    align,
    new_collection,
    register,
)

__all__ = ["Array", "DataFrame", "Index", "Series"]


# A column-wise reduction's result: Series for a DataFrame, else Scalar.
_R = TypeVar("_R")


class _FrameMethods(
    _reductions.FrameMethods[_R],
    _operators.FrameMethods,
    _elementwise.FrameMethods,
    _missing.FrameMethods,
    _casting.FrameMethods,
    _partitions.FrameMethods,
    _indexing.FrameMethods,
    _apply.FrameMethods,
    _groupby.FrameMethods,
    _shuffle.FrameMethods,
    _io.FrameMethods,
    Generic[_R],
):
    """The methods DataFrame, Series and Index share (on top of FrameBase)."""


class DataFrame(
    _reductions.DataFrameMethods,
    _operators.DataFrameMethods,
    _elementwise.DataFrameMethods,
    _missing.DataFrameMethods,
    _apply.DataFrameMethods,
    _partitions.DataFrameMethods,
    _set_index.DataFrameMethods,
    _groupby.DataFrameMethods,
    _shuffle.DataFrameMethods,
    _merge.DataFrameMethods,
    _io.DataFrameMethods,
    _windows.WindowMethods,
    _reshape.ReshapeMethods,
    _FrameMethods["Series"],
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

    @staticmethod
    def from_dict(
        data: dict, npartitions: int | None = None, **kwargs: Any
    ) -> DataFrame:
        """``partframe.from_dict`` (Dask's ``DataFrame.from_dict`` spelling).

        Examples
        --------
        >>> import partframe
        >>> df = partframe.DataFrame.from_dict({"x": [1, 2]}, npartitions=1)
        >>> df.x.sum().compute()
        np.int64(3)
        """
        from ..io.memory import from_dict

        return from_dict(data, npartitions=npartitions, **kwargs)

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
        self._expr = Elemwise(set_columns, [self.expr, columns])
        self.__dict__.pop("_optimized", None)

    @property
    def dtypes(self) -> pd.Series:
        """Column dtypes (from the meta)."""
        return self._meta.dtypes

    @property
    def shape(self) -> tuple[Scalar, int]:
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

    def __getattr__(self, key: str) -> Series:
        # Column access by attribute, as in pandas. Only called when normal
        # lookup fails, so methods always win.
        if key.startswith("_") and (
            key.startswith("__") or "_expr" not in self.__dict__
        ):
            # dunders (protocols probed by Python and libraries) and any
            # name while the frame is being built or unpickled
            raise AttributeError(key)
        try:
            columns = self._meta.columns
        except Exception:
            raise AttributeError(key) from None
        if key in columns:
            return self[key]  # ``_merge`` after ``merge(indicator=True)`` too
        if key.startswith("_"):
            raise AttributeError(key)
        if hasattr(pd.DataFrame, key):
            # a pandas method or property partframe lacks, not a column
            raise AttributeError(
                f"'DataFrame' object has no attribute {key!r}: partframe does "
                f"not implement pandas' DataFrame.{key}; map_partitions runs "
                "pandas on each partition where that gives the answer"
            )
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

    def __iter__(self) -> Iterator[Hashable]:
        """The column labels, as pandas (no computation)."""
        return iter(self._meta.columns)

    def __contains__(self, key: Any) -> bool:
        """Is ``key`` a column label (as pandas; no computation)?"""
        return key in self._meta.columns

    def _ipython_key_completions_(self) -> list:
        """The column labels, for IPython's completion of ``df["...``."""
        return list(self._meta.columns)

    # Lazy objects and functions are Hashable too: their overloads, listed
    # first, win for them.
    @overload
    def __getitem__(  # type: ignore[overload-overlap]
        self, key: Series | Array | DataFrame | list[Any] | np.ndarray
    ) -> DataFrame: ...
    @overload
    def __getitem__(  # type: ignore[overload-overlap]
        self, key: Callable[[DataFrame], Any]
    ) -> DataFrame | Series: ...
    @overload
    def __getitem__(self, key: Hashable) -> Series: ...
    def __getitem__(self, key: Any) -> DataFrame | Series:
        if callable(key):  # pandas: df[lambda d: d.x > 0]
            key = key(self)
        if isinstance(key, Array):
            return _row_mask(self, key)
        if isinstance(key, Series):
            pred = key
            frame, pred = align(self, pred)
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
                frame, v = align(frame, v)
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


class _OneDimensional:
    """``dtype``, ``ndim`` and ``shape`` of a one-dimensional collection."""

    # Provided by the collection this is mixed into (FrameBase).
    _meta: Any
    if TYPE_CHECKING:

        def _length(self) -> Scalar: ...

    @property
    def dtype(self) -> np.dtype[Any] | ExtensionDtype:
        """The dtype (from the meta)."""
        return self._meta.dtype

    @property
    def ndim(self) -> int:
        return 1

    @property
    def shape(self) -> tuple[Scalar]:
        """``(rows,)`` with rows a lazy Scalar."""
        return (self._length(),)


class Series(
    _reductions.SeriesMethods,
    _operators.SeriesMethods,
    _elementwise.SeriesMethods,
    _missing.SeriesMethods,
    _apply.SeriesMethods,
    _partitions.SeriesMethods,
    _groupby.SeriesMethods,
    _shuffle.SeriesMethods,
    _io.SeriesMethods,
    _windows.WindowMethods,
    _reshape.ReshapeMethods,
    _partitions.OrderMethods,
    _FrameMethods[Scalar],
    _OneDimensional,
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
    def size(self) -> Scalar:
        return self._length()

    def __iter__(self) -> Iterator[Any]:
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

    def __getitem__(self, key: Any) -> Series:
        if callable(key):  # pandas: s[lambda s: s > 0]
            key = key(self)
        if isinstance(key, Array):
            return _row_mask(self, key)
        if isinstance(key, Series):
            frame, pred = align(self, key)
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


def _concat_arrays(parts: list[Any]) -> np.ndarray:
    return np.concatenate([np.asarray(p, dtype=bool) for p in parts])


def _rebuild_array(
    dsk: dict[Any, Any], meta: Any, divisions: tuple[Any, ...], keys: list[Any]
) -> Array:
    return Array(FromGraph(dsk, meta, tuple(divisions), list(keys)))


class Array(_OneDimensional, _apply.FrameMethods, FrameBase):
    """A lazy one-dimensional boolean NumPy array, partitioned as the frame
    it comes from: the result of ``Index.isna``, ``notna`` and ``isin``,
    where pandas returns a NumPy array (and Dask a lazy array).

    Partition ``i`` holds the values for the rows of the frame's partition
    ``i`` (as a boolean pandas Index, so the plan treats it as any
    partitioned pandas object), so it filters that frame
    (``df[df.index.isin(labels)]``, as pandas takes a boolean array) and
    combines with other such arrays (``~``, ``&``, ``|``, ``^``); computed,
    the partitions are concatenated into one NumPy array, equal to pandas'
    result.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2, 3]},
    ...                            index=[1.0, None, 3.0]), npartitions=2)
    >>> df.index.isna().compute()
    array([False,  True, False])
    >>> df[df.index.isin([1.0, 3.0])].x.compute().tolist()
    [1, 3]
    """

    def __repr__(self) -> str:
        return f"partframe.Array<npartitions={self.npartitions}, dtype={self.dtype}>"

    def _repr_html_(self) -> str:
        return f"<b>{self!r}</b>"

    def __dask_postcompute__(self) -> tuple[Any, ...]:
        return _concat_arrays, ()

    def __dask_postpersist__(self) -> tuple[Any, ...]:
        keys = flatten_keys(self.__dask_keys__())
        return _rebuild_array, (self._meta, self._expr.divisions, keys)

    # Operators between such arrays are partition-wise on their boolean
    # Index partitions: the result is an Array again.
    if TYPE_CHECKING:
        # Set on FrameBase (collection._core) from its tables.
        def __and__(self, other: Any) -> Array: ...
        def __rand__(self, other: Any) -> Array: ...
        def __or__(self, other: Any) -> Array: ...
        def __ror__(self, other: Any) -> Array: ...
        def __xor__(self, other: Any) -> Array: ...
        def __rxor__(self, other: Any) -> Array: ...
        def __invert__(self) -> Array: ...

    def _binop(self, other: Any, op: Callable[..., Any], reflect: bool = False) -> Any:
        return _as_array(super()._binop(other, op, reflect))

    def _unary(self, op: Callable[..., Any]) -> Any:
        return _as_array(super()._unary(op))

    def _reduce(self, func: Callable[..., Any], empty: Any) -> Scalar:
        return new_collection(
            TreeReduction(self.expr, func, func, func, empty, label=func.__name__)
        )

    def sum(self) -> Scalar:
        """How many values are true."""
        return self._reduce(np.sum, np.int64(0))

    def any(self) -> Scalar:
        """Is any value true?"""
        return self._reduce(np.any, np.False_)

    def all(self) -> Scalar:
        """Are all values true?"""
        return self._reduce(np.all, np.True_)


def _as_array(out: Any) -> Any:
    if isinstance(out, Index) and out.dtype == bool:
        return Array(out.expr)
    return out


def _row_mask(frame: FrameBase, mask: Array) -> Any:
    """``frame[mask]`` for a boolean Array from the same partitions."""
    if frame.expr._partitioning != mask.expr._partitioning:
        raise ValueError(
            "a lazy boolean array filters the frame it comes from (partition "
            "by partition, as pandas takes an array by position), e.g. "
            "df[df.index.isin(labels)]"
        )
    return new_collection(Filter(frame.expr, mask.expr))


_BOOL_INDEX = pd.Index([], dtype=bool)


class Index(_partitions.OrderMethods, _FrameMethods[Scalar], FrameBase):
    """A lazy pandas Index (the index of a frame)."""

    @property
    def name(self) -> Hashable:
        return self._meta.name

    @property
    def dtype(self) -> np.dtype[Any] | ExtensionDtype:
        return self._meta.dtype

    def __repr__(self) -> str:
        return f"partframe.Index<npartitions={self.npartitions}, dtype={self.dtype}>"

    # pandas' Index.isna, notna and isin return a NumPy array: here a lazy
    # Array over every partition. Its partitions keep the index's rows (the
    # index's partitioning, so it filters the frame), not its values (so
    # its divisions are unknown).
    def _mask(self, method: str, *args: Any) -> Array:
        node = MapPartitions(
            index_mask, _BOOL_INDEX, [self.expr, method, *args], None, True, False
        )
        return Array(node)

    def isna(self) -> Array:  # type: ignore[override]
        """Which labels are missing, as a lazy boolean :class:`Array`
        (examples there)."""
        return self._mask("isna")

    def isnull(self) -> Array:  # type: ignore[override]
        """Alias of :meth:`isna`."""
        return self._mask("isna")

    def notna(self) -> Array:  # type: ignore[override]
        """Which labels are not missing, as a lazy boolean :class:`Array`."""
        return self._mask("notna")

    def notnull(self) -> Array:  # type: ignore[override]
        """Alias of :meth:`notna`."""
        return self._mask("notna")

    def isin(self, values: Any) -> Array:  # type: ignore[override]
        """Is each label in ``values`` (a list-like, or a lazy Series or
        Index, computed whole in the same graph), as a lazy boolean
        :class:`Array`.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2, 3]}),
        ...                            npartitions=2)
        >>> df.index.isin([0, 2]).compute()
        array([ True, False,  True])
        """
        if isinstance(values, FrameBase):
            if not isinstance(values._meta, pd.Series | pd.Index):
                raise TypeError("Index.isin() with a lazy argument needs a Series")
            return self._mask("isin", WholeOf(values.expr))
        if isinstance(values, Scalar) or not pd.api.types.is_list_like(values):
            raise TypeError(
                "only list-like objects are allowed to be passed to isin(), "
                f"you passed a `{type(values).__name__}`"
            )
        return self._mask("isin", list(values))

    def to_series(self, index: Any = None, name: Any = no_default) -> Series:
        """The labels as a lazy Series indexed by themselves, as pandas.

        Each partition becomes the Series of its labels, so the result
        keeps the index's partitions and divisions (``df.index.to_series()``
        aligns with ``df``). ``index=`` (other labels) is not supported.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2, 3]},
        ...                            index=[10, 20, 30]), npartitions=2)
        >>> (df.index.to_series() + df.x).compute().tolist()
        [11, 22, 33]
        """
        if index is not None:
            raise NotImplementedError(
                "Index.to_series(index=...) is not supported: use "
                "to_series() and set the index of the result"
            )
        if name is no_default:
            return self._method("to_series")
        return self._method("to_series", None, name)

    def map(self, mapper: Any, na_action: Any = None, meta: Any = None) -> Index:
        """Labels mapped through a function (or a dict), partition by
        partition, as pandas' ``Index.map``.

        The dtype comes from calling ``mapper`` on a non-empty stand-in
        (``meta=``, a dtype or an empty Index, gives it instead). The
        labels change, so the divisions become unknown.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2, 3]},
        ...                            index=[10, 20, 30]), npartitions=2)
        >>> df.index.map(lambda v: v // 10).compute().tolist()
        [1, 2, 3]
        """
        given = None
        if meta is not None:
            dtype = meta.dtype if hasattr(meta, "dtype") else meta
            given = pd.Index([], dtype=dtype, name=self.name)
        node = NonemptyCall(
            self.expr, map_elements, (mapper, na_action, {}), None, given, False
        )
        return new_collection(node)

    @property
    def str(self) -> StringAccessor:
        """String methods of the labels (``.str``), as pandas' ``Index.str``:
        each partition's labels, so a method gives a lazy Index (or a
        DataFrame for the few that expand) with unknown divisions.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2]},
        ...                            index=["a", "b"]), npartitions=1)
        >>> df.index.str.upper().compute().tolist()
        ['A', 'B']
        """
        return _IndexStringAccessor(self)

    def nunique(self, dropna: bool = True, split_every: int | None = None) -> Scalar:
        """Number of distinct labels, as pandas (lazy Scalar).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2, 3]},
        ...                            index=[5, 5, 7]), npartitions=2)
        >>> df.index.nunique().compute()
        2
        """
        return self.to_series().nunique(dropna=dropna, split_every=split_every)

    def drop_duplicates(
        self,
        keep: Literal["first", "last", False] = "first",
        split_out: int | None = None,
    ) -> Index:
        """The labels without repeats, as pandas' ``Index.drop_duplicates``
        (a :meth:`Series.drop_duplicates` of the labels, indexed by
        themselves, whose index is the result)."""
        series = self.to_series()
        return series.drop_duplicates(keep=keep, split_out=split_out).index

    def unique(self, split_out: int | None = None) -> Index:
        """The distinct labels in order of first appearance, as pandas'
        ``Index.unique`` (lazy).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2, 3, 4]},
        ...                            index=[5, 3, 5, 7]), npartitions=2,
        ...                            sort=False)
        >>> df.index.unique().compute().tolist()
        [5, 3, 7]
        """
        return self.drop_duplicates(split_out=split_out)

    def to_frame(self, index: bool = True, name: Any = no_default) -> DataFrame:
        """The labels as a one-column lazy DataFrame, as pandas.

        With ``index=True`` (the default) the frame keeps the labels as its
        index, with the index's partitions and divisions. With
        ``index=False`` its index numbers the rows from 0 across all
        partitions, as pandas' RangeIndex (``reset_index(drop=True)``).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2, 3]},
        ...                            index=[10, 20, 30]), npartitions=2)
        >>> df.index.to_frame(name="k").k.compute().tolist()
        [10, 20, 30]
        """
        frame = (
            self._method("to_frame")
            if name is no_default
            else self._method("to_frame", True, name)
        )
        return frame if index else frame.reset_index(drop=True)

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
                self.expr, partition_count, sum, sum, np.int64(0),
                label="count", split_every=split_every,
            )
        )  # fmt: skip


class _IndexStringAccessor(StringAccessor):
    """``Index.str``: where pandas gives a NumPy array of bools (an Index's
    ``startswith``, ``contains``...), a lazy boolean :class:`Array`
    partitioned as the index (as :meth:`Index.isin`)."""

    def _call(self, attr: str, *args: Any, **kwargs: Any) -> Any:
        if not any(isinstance(a, FrameBase | Scalar) for a in args):
            sample = meta_nonempty(self._series._meta)
            try:
                res = getattr(sample.str, attr)(*args, **kwargs)
            except Exception:
                res = None  # raised again, with pandas' message, below
            if isinstance(res, np.ndarray):
                node = MapPartitions(
                    index_str_mask,
                    _BOOL_INDEX,
                    [self._series.expr, attr, tuple(args), dict(kwargs)],
                    None,
                    True,
                    False,
                )
                return Array(node)
        return super()._call(attr, *args, **kwargs)


def _index_comparison(name: str) -> Callable[[Index, Any], Array]:
    # pandas' Index compared with a value is a NumPy array of bools: here a
    # lazy boolean Array partitioned as the index, so it filters the frame
    # (df[df.index > 2]).
    def compare(self: Index, other: Any) -> Array:
        if not pd.api.types.is_scalar(other) or isinstance(other, FrameBase | Scalar):
            raise TypeError(
                f"partframe.Index {name} takes a plain value, got "
                f"{type(other).__name__}; to compare the index with a lazy "
                "Series, make it a column first (df.reset_index())"
            )
        return self._mask(f"__{name}__", other)

    compare.__name__ = f"__{name}__"
    return compare


for _cmp in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(Index, f"__{_cmp}__", _index_comparison(_cmp))

register(pd.DataFrame, DataFrame)
register(pd.Series, Series)
register(pd.Index, Index)
