"""Deterministic tokens: the same inputs give the same graph keys everywhere.

``tokenize(*args, **kwargs)`` hashes a normalized form of its arguments.
Pandas and numpy objects hash by content, functions by their qualified name
(or by their cloudpickle bytes when they have no importable name), objects
with ``__pf_tokenize__`` or ``__dask_tokenize__`` by what that returns. The
result does not depend on the process, the run or ``PYTHONHASHSEED``.

Examples
--------
>>> import pandas as pd
>>> a = pd.DataFrame({"x": [1, 2]})
>>> tokenize(a) == tokenize(a.copy())
True
>>> tokenize(a) == tokenize(a.assign(x=[1, 3]))
False
"""

from __future__ import annotations

import datetime
import decimal
import enum
import functools
import hashlib
import inspect
import pathlib
import types
import uuid
from collections.abc import Callable
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd

__all__ = ["normalize_token", "register", "tokenize"]


def tokenize(*args: Any, **kwargs: Any) -> str:
    """Return a deterministic hex token for the arguments.

    Examples
    --------
    >>> tokenize(1, "a", [1.5, None]) == tokenize(1, "a", [1.5, None])
    True
    >>> len(tokenize(sum))
    32
    """
    data = normalize_token((args, sorted(kwargs.items()) if kwargs else ()))
    return hashlib.md5(repr(data).encode(), usedforsecurity=False).hexdigest()


_registry: dict[type, Callable[[Any], Any]] = {}


def register(*types_: type) -> Callable:
    """Register a normalizer for objects of the given types.

    Examples
    --------
    >>> class Point:
    ...     def __init__(self, x): self.x = x
    >>> @register(Point)
    ... def _(p): return ("Point", p.x)
    >>> tokenize(Point(1)) == tokenize(Point(1))
    True
    """

    def decorator(func: Callable) -> Callable:
        for t in types_:
            _registry[t] = func
        return func

    return decorator


_PLAIN = (int, float, complex, str, bytes, bool, type(None), type(Ellipsis))


def normalize_token(x: Any) -> Any:
    """Reduce ``x`` to nested tuples of plain values with a stable ``repr``."""
    typ = type(x)
    if typ in _PLAIN:
        return x
    if typ is tuple or typ is list:
        return (typ.__name__, *[normalize_token(i) for i in x])
    if typ is dict:
        items = [(normalize_token(k), normalize_token(v)) for k, v in x.items()]
        return ("dict", *sorted(items, key=repr))
    if typ is set or typ is frozenset:
        return (typ.__name__, *sorted((normalize_token(i) for i in x), key=repr))
    for cls in typ.__mro__:
        if cls in _registry:
            return _registry[cls](x)
    method = getattr(x, "__pf_tokenize__", None) or getattr(
        x, "__dask_tokenize__", None
    )
    if method is not None and not isinstance(x, type):
        return (typ.__name__, normalize_token(method()))
    if callable(x):
        return _normalize_callable(x)
    return _normalize_pickle(x)


def _normalize_pickle(x: Any) -> Any:
    try:
        data = cloudpickle.dumps(x, protocol=5)
    except Exception:
        # Not serializable: nothing stable to hash. A random token means the
        # object is never confused with another (it just is not shared).
        return ("unpicklable", uuid.uuid4().hex)
    return ("pickle", hashlib.md5(data, usedforsecurity=False).hexdigest())


def _normalize_callable(func: Any) -> Any:
    if isinstance(func, functools.partial):
        return (
            "partial",
            normalize_token(func.func),
            normalize_token(func.args),
            normalize_token(func.keywords),
        )
    if isinstance(func, types.MethodType):
        return ("method", func.__name__, normalize_token(func.__self__))
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None)
    if (
        module
        and qualname
        and "<lambda>" not in qualname
        and "<locals>" not in qualname
        and module != "__main__"
    ):
        return ("callable", module, qualname)
    if inspect.isfunction(func):
        # Lambdas, closures and __main__ functions: hash the code and the
        # values they close over, so equal definitions share a token.
        return _normalize_pickle(func)
    return _normalize_pickle(func)


@register(np.ndarray)
def _normalize_ndarray(x: np.ndarray) -> Any:
    if x.dtype == object:
        return ("ndarray-object", x.shape, _normalize_pickle(x))
    data = np.ascontiguousarray(x).view(np.uint8).data
    digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
    return ("ndarray", str(x.dtype), x.shape, digest)


@register(np.generic)
def _normalize_np_scalar(x: np.generic) -> Any:
    return ("np-scalar", str(x.dtype), repr(x.item()))


@register(np.dtype)
def _normalize_dtype(x: np.dtype) -> Any:
    return ("dtype", str(x))


def _hash_pandas(x: pd.Series | pd.DataFrame | pd.Index) -> str:
    try:
        values = pd.util.hash_pandas_object(x, index=False).to_numpy()
    except TypeError:
        # Unhashable cells (lists, dicts): fall back to pickled bytes.
        return _normalize_pickle(x)[1]
    return hashlib.md5(values.tobytes(), usedforsecurity=False).hexdigest()


@register(pd.DataFrame)
def _normalize_dataframe(df: pd.DataFrame) -> Any:
    return (
        "DataFrame",
        normalize_token(list(df.columns)),
        tuple(str(t) for t in df.dtypes),
        _normalize_index(df.index),
        _hash_pandas(df) if len(df.columns) else len(df),
    )


@register(pd.Series)
def _normalize_series(s: pd.Series) -> Any:
    return (
        "Series",
        normalize_token(s.name),
        str(s.dtype),
        _normalize_index(s.index),
        _hash_pandas(s),
    )


@register(pd.Index)
def _normalize_index(idx: pd.Index) -> Any:
    if isinstance(idx, pd.RangeIndex):
        return ("RangeIndex", idx.start, idx.stop, idx.step, normalize_token(idx.name))
    return (
        "Index",
        type(idx).__name__,
        normalize_token(list(idx.names)),
        str(idx.dtype),
        _hash_pandas(idx),
    )


@register(pd.api.extensions.ExtensionDtype)
def _normalize_extension_dtype(x: Any) -> Any:
    if isinstance(x, pd.CategoricalDtype):
        cats = None if x.categories is None else _normalize_index(x.categories)
        return ("CategoricalDtype", cats, x.ordered)
    return ("ExtensionDtype", str(x), repr(x))


@register(
    pd.Timestamp,
    pd.Timedelta,
    pd.Period,
    pd.Interval,
    datetime.datetime,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    decimal.Decimal,
    pathlib.PurePath,
)
def _normalize_by_repr(x: Any) -> Any:
    return (type(x).__name__, repr(x))


@register(enum.Enum)
def _normalize_enum(x: enum.Enum) -> Any:
    return ("enum", type(x).__module__, type(x).__qualname__, x.name)


@register(slice)
def _normalize_slice(x: slice) -> Any:
    return (
        "slice",
        normalize_token(x.start),
        normalize_token(x.stop),
        normalize_token(x.step),
    )


@register(type)
def _normalize_type(x: type) -> Any:
    return ("type", x.__module__, x.__qualname__)
