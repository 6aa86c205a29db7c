"""The ``.str``, ``.dt`` and ``.cat`` accessors of a lazy Series.

Each accessor method builds one partition-wise node calling the same pandas
accessor method on every partition. The result's schema comes from a small
non-empty stand-in (pandas answers differently on empty data: no columns for
``str.partition``, object for ``str.split``), and empty partitions return it.

Using an accessor on a Series of the wrong dtype raises ``AttributeError``
at once, naming the Series and its dtype, as pandas does.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, TypeVar

import numpy as np
import pandas as pd

from ..collection._core import as_expr, new_collection
from ..expr.base import Expr
from ..expr.elementwise import NonemptyCall
from ..expr.meta import make_meta, meta_nonempty
from ..kernels import elementwise as kernels
from .alike import same_schema, upcast_alike, widens

if TYPE_CHECKING:
    from ..collection import DataFrame, Series

__all__ = ["CategoricalAccessor", "DatetimeAccessor", "StringAccessor"]


class Accessor:
    """Base: holds the Series; subclasses name the pandas accessor."""

    _accessor: ClassVar[str] = ""
    _kind: ClassVar[str] = ""

    def __init__(self, series: Any) -> None:
        meta = series._meta
        try:
            getattr(meta, self._accessor)
        except AttributeError as exc:
            raise AttributeError(
                f"Can only use .{self._accessor} accessor with {self._kind} values: "
                f"{type(meta).__name__} {meta.name!r} has dtype {meta.dtype}"
            ) from exc
        self._series = series

    @property
    def _meta_accessor(self) -> Any:
        return getattr(self._series._meta, self._accessor)

    @property
    def _keeps_index(self) -> bool:
        # an Index's accessor changes the labels themselves: its divisions go
        return not isinstance(self._series._meta, pd.Index)

    def _property(self, attr: str) -> Any:
        node = NonemptyCall(
            self._series.expr,
            kernels.accessor_attr,
            (self._accessor, attr),
            None,
            None,
            self._keeps_index,
        )
        return self._alike(node)

    def _call(self, attr: str, *args: Any, **kwargs: Any) -> Any:
        args = tuple(as_expr(a) for a in args)
        node = NonemptyCall(
            self._series.expr,
            kernels.accessor_call,
            (self._accessor, attr, *args),
            kwargs or None,
            None,
            self._keeps_index,
        )
        return self._alike(node)

    def _alike(self, node: NonemptyCall) -> Any:
        """``node``'s partitions, cast alike where pandas decides the dtype
        from the whole column: an int or bool result that missing values
        widen (``str.len()`` float64 where a string is missing, ``dt.year``
        float64 where a date is ``NaT``) is wide in every partition when
        some value is missing anywhere (:func:`~.alike.upcast_alike`)."""
        out = new_collection(node)
        wide = _missing_meta(node)
        return out if wide is None else upcast_alike(out, wide, narrow_meta=True)

    def __dir__(self) -> list:
        return sorted(
            set(super().__dir__()) | set(self._properties) | set(self._methods)
        )

    _properties: ClassVar[tuple] = ()
    _methods: ClassVar[tuple] = ()

    if TYPE_CHECKING:
        # The properties and methods ``_install`` sets from the two tables,
        # which a type checker cannot see: a Series, or a DataFrame for the
        # few that expand (``extract``, ``partition``, ``components``...).
        def __getattr__(self, name: str) -> Any: ...


def _make_property(accessor: str, attr: str) -> property:
    def get(self: Accessor) -> Any:
        return self._property(attr)

    get.__name__ = attr
    get.__doc__ = f"``Series.{accessor}.{attr}`` of every value, lazily."
    return property(get)


def _make_method(accessor: str, attr: str) -> Any:
    def method(self: Accessor, *args: Any, **kwargs: Any) -> Any:
        return self._call(attr, *args, **kwargs)

    method.__name__ = attr
    method.__doc__ = (
        f"``Series.{accessor}.{attr}(...)`` partition by partition; arguments "
        "as in pandas."
    )
    return method


_A = TypeVar("_A", bound=type[Accessor])


def _install(cls: _A) -> _A:
    for attr in cls._properties:
        if attr not in cls.__dict__:
            setattr(cls, attr, _make_property(cls._accessor, attr))
    for attr in cls._methods:
        if attr not in cls.__dict__:
            setattr(cls, attr, _make_method(cls._accessor, attr))
    return cls


def _missing_meta(node: NonemptyCall) -> Any:
    """The meta of ``node`` (an accessor call on a Series) on values some of
    which are missing, when pandas widens its dtypes for them; else None."""
    meta = node.frame._meta
    if not isinstance(meta, pd.Series) or not isinstance(
        node._meta, pd.Series | pd.DataFrame
    ):
        return None
    dtype = meta.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return None  # cannot hold a missing value
    if node.frame._has_no_missing():
        return None  # the source and the steps since keep every value
    sample = meta_nonempty(meta)
    probe = sample.where(np.arange(len(sample)) % 2 == 0)
    args = [meta_nonempty(a._meta) if isinstance(a, Expr) else a for a in node.args]
    try:
        wide = make_meta(node.func(probe, *args, **(node.kwargs or {})))
    except Exception:
        return None
    if same_schema(wide, node._meta) or not widens(node._meta, wide):
        return None
    return wide


@_install
class StringAccessor(Accessor):
    """String methods of a lazy Series, as pandas' ``Series.str``.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> s = partframe.from_pandas(pd.Series(["a-b", "C-d-e", None]), npartitions=2)
    >>> s.str.upper().compute().tolist()
    ['A-B', 'C-D-E', nan]
    >>> s.str.contains("b", na=False).compute().tolist()
    [True, False, False]
    >>> s.str.split("-", n=2, expand=True).compute().columns.tolist()
    [0, 1, 2]
    """

    _accessor = "str"
    _kind = "string"
    _methods = (
        "capitalize", "casefold", "center", "contains", "count", "decode",
        "encode", "endswith", "extract", "find", "fullmatch", "get", "index",
        "isalnum", "isalpha", "isdecimal", "isdigit", "islower", "isnumeric",
        "isspace", "istitle", "isupper", "join", "len", "ljust", "lower",
        "lstrip", "match", "normalize", "pad", "partition", "removeprefix",
        "removesuffix", "repeat", "replace", "rfind", "rindex", "rjust",
        "rpartition", "rstrip", "slice", "slice_replace", "startswith",
        "strip", "swapcase", "title", "translate", "upper", "wrap", "zfill",
        "findall",
    )  # fmt: skip

    def __getitem__(self, key: Any) -> Any:
        """``s.str[i]``: each value's item ``i`` (a character, or an element
        of a list, as ``str.get``); ``s.str[a:b]``: ``str.slice``, as pandas.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series(["x_1", None, "y_22"]), npartitions=2)
        >>> s.str.split("_").str[1].compute().tolist()
        ['1', nan, '22']
        >>> s.str[:1].compute().tolist()
        ['x', nan, 'y']
        """
        if isinstance(key, slice):
            return self._call("slice", key.start, key.stop, key.step)
        return self._call("get", key)

    def split(
        self, pat: Any = None, *, n: int = -1, expand: bool = False, regex: Any = None
    ) -> Series | DataFrame:
        """Split strings; ``expand=True`` needs ``n`` to know the columns.

        With ``expand=True`` the result always has ``n + 1`` columns (pandas
        drops trailing columns that no row fills; it sees all rows at once).

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series(["a b", "c"]), npartitions=2)
        >>> s.str.split().compute().tolist()
        [['a', 'b'], ['c']]
        >>> s.str.split(n=1, expand=True).compute()
           0    1
        0  a    b
        1  c  NaN
        """
        return self._split("split", pat, n, expand, regex)

    def rsplit(
        self, pat: Any = None, *, n: int = -1, expand: bool = False
    ) -> Series | DataFrame:
        """Split strings from the right; see :meth:`split`.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series(["a b c"]), npartitions=1)
        >>> s.str.rsplit(n=1, expand=True).compute()
             0  1
        0  a b  c
        """
        return self._split("rsplit", pat, n, expand, None)

    def _split(
        self, method: str, pat: Any, n: int, expand: bool, regex: Any
    ) -> Series | DataFrame:
        kwargs: dict = {"pat": pat, "n": n}
        if regex is not None:
            kwargs["regex"] = regex
        if not expand:
            return self._call(method, **kwargs)
        if n is None or n < 1:
            raise ValueError(
                f"str.{method}(expand=True) needs n= (the maximum number of "
                "splits): the number of columns must be known before the data "
                "is read"
            )
        sample = getattr(pd.Series(["x"], dtype=self._series.dtype).str, method)(
            expand=True, **kwargs
        )
        meta = sample.reindex(columns=range(n + 1)).iloc[:0]
        meta = meta.astype({c: sample.dtypes.iloc[0] for c in meta.columns})
        meta.index = self._series._meta.index[:0]
        node = NonemptyCall(
            self._series.expr, kernels.split_expand, (method, kwargs, meta), None, meta
        )
        return new_collection(node)

    def cat(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: ``str.cat`` without ``others`` is a reduction.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series(["a"]), npartitions=1)
        >>> s.str.cat()
        Traceback (most recent call last):
        ...
        NotImplementedError: str.cat joins across partitions; ...
        """
        raise NotImplementedError(
            "str.cat joins across partitions; use s + other for elementwise "
            "concatenation, or compute and join"
        )


@_install
class DatetimeAccessor(Accessor):
    """Datetime and timedelta methods of a lazy Series, as pandas' ``.dt``.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> s = partframe.from_pandas(
    ...     pd.Series(pd.date_range("2024-01-01 10:30", periods=3, freq="D")),
    ...     npartitions=2)
    >>> s.dt.day.compute().tolist()
    [1, 2, 3]
    >>> s.dt.floor("h").compute().dt.hour.tolist()
    [10, 10, 10]
    >>> s.dt.tz is None
    True
    """

    _accessor = "dt"
    _kind = "datetimelike"
    _properties = (
        "year", "month", "day", "hour", "minute", "second", "microsecond",
        "nanosecond", "date", "time", "timetz", "dayofweek", "day_of_week",
        "weekday", "dayofyear", "day_of_year", "quarter", "is_month_start",
        "is_month_end", "is_quarter_start", "is_quarter_end", "is_year_start",
        "is_year_end", "is_leap_year", "daysinmonth", "days_in_month",
        "days", "seconds", "microseconds", "nanoseconds", "components",
    )  # fmt: skip
    _methods = (
        "floor", "ceil", "round", "strftime", "tz_localize", "tz_convert",
        "normalize", "total_seconds", "to_period", "day_name", "month_name",
        "isocalendar", "as_unit",
    )  # fmt: skip

    @property
    def tz(self) -> datetime.tzinfo | None:
        """The time zone (from the meta; no computation)."""
        return self._meta_accessor.tz

    @property
    def unit(self) -> str:
        """The resolution unit (from the meta; no computation)."""
        return self._meta_accessor.unit


@_install
class CategoricalAccessor(Accessor):
    """Categorical methods of a lazy Series, as pandas' ``.cat``.

    partframe's categorical metas carry their categories (the categories are
    known), so ``categories`` and ``ordered`` answer without computing.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> s = partframe.from_pandas(pd.Series(["b", "a", "b"], dtype="category"),
    ...                           npartitions=2)
    >>> s.cat.codes.compute().tolist()
    [1, 0, 1]
    >>> s.cat.add_categories(["c"]).cat.categories.tolist()
    ['a', 'b', 'c']
    """

    _accessor = "cat"
    _kind = "categorical"
    _properties = ("codes",)
    _methods = (
        "set_categories", "add_categories", "remove_categories",
        "rename_categories", "reorder_categories", "as_ordered", "as_unordered",
    )  # fmt: skip

    @property
    def categories(self) -> pd.Index:
        """The categories (from the meta; no computation)."""
        return self._meta_accessor.categories

    @property
    def ordered(self) -> bool:
        """Whether the categories are ordered (from the meta)."""
        return bool(self._meta_accessor.ordered)

    @property
    def known(self) -> bool:
        """Whether the categories are known: always, in partframe."""
        return True

    def as_known(self) -> Series:
        """The Series itself: its categories are already known.

        Examples
        --------
        >>> import pandas as pd, partframe
        >>> s = partframe.from_pandas(pd.Series(["a"], dtype="category"),
        ...                           npartitions=1)
        >>> s.cat.as_known().cat.categories.tolist()
        ['a']
        """
        return self._series

    def as_unknown(self) -> NoReturn:
        """Not supported: partframe keeps categories known.

        Unknown categories made Dask slow and ``concat`` results object-typed;
        every categorical meta here carries its categories.
        """
        raise NotImplementedError(
            "partframe keeps categories known; there is no unknown-categories state"
        )

    def remove_unused_categories(self) -> NoReturn:
        """Not supported partition-wise (each partition uses different ones).

        Compute ``s.unique()`` and ``set_categories`` with the result instead.
        """
        raise NotImplementedError(
            "cat.remove_unused_categories needs to see every partition; compute "
            "the used values (s.unique()) and call cat.set_categories"
        )
