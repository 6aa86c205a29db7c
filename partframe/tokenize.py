"""Deterministic tokens: the same inputs give the same graph keys everywhere.

``tokenize(*args, **kwargs)`` hashes a normalized form of its arguments.

- Plain values keep their type: ``1``, ``1.0``, ``True`` and ``"1"`` differ.
  Dicts and sets do not depend on their order.
- Pandas objects hash by content (``hash_pandas_object``) plus their index,
  column labels, names and exact dtypes (categories, time zones, nullable);
  object columns that are not pure strings are hashed exactly (by pickle),
  since ``hash_pandas_object`` reads such cells as ``str``.
- Numpy arrays hash by bytes, dtype and shape.
- Importable functions hash by qualified name. Lambdas, closures and
  ``__main__`` functions hash by definition: code without line numbers,
  defaults, closed-over values and the globals they read; so equal
  definitions share a token.
- ``functools.partial`` and bound methods hash by their parts; dataclasses by
  their fields; objects with ``__pf_tokenize__`` or ``__dask_tokenize__`` by
  what that returns; other objects by their cloudpickle bytes, and objects
  that cannot be pickled get a random token (never shared, never colliding).

The result does not depend on the process, the run or ``PYTHONHASHSEED``
(random tokens aside).

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

import dataclasses
import datetime
import decimal
import enum
import functools
import hashlib
import inspect
import pathlib
import threading
import types
import uuid
import weakref
from collections.abc import Callable
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd

from .kernels.arrays import datetime_ints, masked_parts
from .threadpool import WORKERS, client_pool

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
        _dispatch.clear()  # (a subclass may have resolved to another)
        return func

    return decorator


_PLAIN = (int, float, complex, str, bytes, bool, type(None), type(Ellipsis))


def normalize_token(x: Any) -> Any:
    """Reduce ``x`` to nested tuples of plain values with a stable ``repr``.

    Examples
    --------
    >>> normalize_token({"b": 1, "a": [1.0, None]})
    ('dict', ('a', ('list', 1.0, None)), ('b', 1))
    """
    typ = type(x)
    if typ in _PLAIN:
        return x
    handler = _dispatch.get(typ)
    if handler is not None:
        return handler(x)
    if typ is tuple or typ is list:
        return (typ.__name__, *[normalize_token(i) for i in x])
    if typ is dict:
        items = [(normalize_token(k), normalize_token(v)) for k, v in x.items()]
        return ("dict", *sorted(items, key=repr))
    if typ is set or typ is frozenset:
        return (typ.__name__, *sorted((normalize_token(i) for i in x), key=repr))
    handler = _handler_of(typ)
    if handler is None:
        # (types without a normalizer of their own, functions for one:
        # looked up once, then normalized as below directly)
        handler = _normalize_other
    _dispatch[typ] = handler
    return handler(x)


def _normalize_other(x: Any) -> Any:
    """The normalized form of an object of a type without a normalizer."""
    typ = type(x)
    method = getattr(x, "__pf_tokenize__", None) or getattr(
        x, "__dask_tokenize__", None
    )
    if method is not None and not isinstance(x, type):
        return (typ.__module__, typ.__qualname__, normalize_token(method()))
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return (
            "dataclass",
            typ.__module__,
            typ.__qualname__,
            *[
                (f.name, normalize_token(getattr(x, f.name)))
                for f in dataclasses.fields(x)
            ],
        )
    if callable(x):
        return _normalize_callable(x)
    return _normalize_pickle(x)


#: The normalizer of each type met so far (registered ones, classes defining
#: ``__pf_tokenize__`` or ``__dask_tokenize__``, else
#: :func:`_normalize_other`): a plan's nodes are tokenized often, each holding
#: other nodes and functions, so looking the normalizer up once per type
#: matters.
_dispatch: dict[type, Callable[[Any], Any]] = {}


def _handler_of(typ: type) -> Callable[[Any], Any] | None:
    for cls in typ.__mro__:
        if cls in _registry:
            return _registry[cls]
    if issubclass(typ, type):
        return None
    for attr in ("__pf_tokenize__", "__dask_tokenize__"):
        if callable(getattr(typ, attr, None)):
            return functools.partial(
                _normalize_by_method, typ.__module__, typ.__qualname__, attr
            )
    return None


def _normalize_by_method(module: str, qualname: str, attr: str, x: Any) -> Any:
    return (module, qualname, normalize_token(getattr(x, attr)()))


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
        return (
            "method",
            normalize_token(func.__func__),
            normalize_token(func.__self__),
        )
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
        # Lambdas, closures and __main__ functions: hash what defines them
        # (code without line numbers, defaults, closed-over values, globals
        # they read), so equal definitions share a token.
        try:
            return _normalize_function_by_value(func)
        except Exception:
            return _normalize_pickle(func)
    return _normalize_pickle(func)


_seen = threading.local()


def _normalize_function_by_value(func: types.FunctionType) -> Any:
    active = getattr(_seen, "active", None)
    if active is None:
        active = _seen.active = set()
    if id(func) in active:
        # Recursion (a function reading itself or a sibling through globals).
        return ("recursive-function", func.__qualname__)
    active.add(id(func))
    try:
        code = func.__code__
        names = _global_names(code)
        globs = func.__globals__
        used = [(name, normalize_token(globs[name])) for name in names if name in globs]
        cells = func.__closure__ or ()
        return (
            "function",
            func.__module__,
            func.__qualname__,
            _normalize_code(code),
            normalize_token(func.__defaults__),
            normalize_token(func.__kwdefaults__),
            tuple(normalize_token(c.cell_contents) for c in cells),
            tuple(used),
        )
    finally:
        active.discard(id(func))


def _global_names(code: types.CodeType) -> list:
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names.update(_global_names(c))
    return sorted(names)


def _normalize_code(code: types.CodeType) -> Any:
    return (
        "code",
        code.co_code,
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_flags,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        tuple(
            _normalize_code(c) if isinstance(c, types.CodeType) else normalize_token(c)
            for c in code.co_consts
        ),
    )


@register(types.ModuleType)
def _normalize_module(x: types.ModuleType) -> Any:
    return ("module", x.__name__)


@register(np.ndarray)
def _normalize_ndarray(x: np.ndarray) -> Any:
    if x.dtype == object:
        return ("ndarray-object", x.shape, _normalize_pickle(x))
    data = np.ascontiguousarray(x).view(np.uint8).data
    digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
    return ("ndarray", x.dtype.str, str(x.dtype), x.shape, digest)


@register(np.generic)
def _normalize_np_scalar(x: np.generic) -> Any:
    return ("np-scalar", str(x.dtype), repr(x.item()))


#: Normalized plain numpy dtypes: ``str(dtype)`` runs numpy's Python-level
#: name code (tens of microseconds), and every meta tokenized normalizes each
#: of its columns' dtypes. Few distinct dtypes exist; equal plain dtypes
#: print alike.
_DTYPE_TOKENS: dict[np.dtype, tuple[str, str, str]] = {}


@register(np.dtype)
def _normalize_dtype(x: np.dtype) -> Any:
    out = _DTYPE_TOKENS.get(x)
    if out is not None:
        return out
    out = ("dtype", x.str, str(x))
    # (plain dtypes only: equal structured dtypes may print differently)
    plain = x.names is None and x.subdtype is None and x.metadata is None
    if plain and len(_DTYPE_TOKENS) < 4096:
        _DTYPE_TOKENS[x] = out
    return out


_EXACT_OBJECT_KINDS = frozenset({"string", "bytes", "empty"})


def _inexact_object_columns(x: pd.Series | pd.DataFrame | pd.Index) -> list:
    """Object columns that ``hash_pandas_object`` cannot hash exactly.

    It hashes object cells by ``str``, so ``1`` and ``"1"`` would collide;
    only columns of pure strings (or bytes) are safe.
    """
    if isinstance(x, pd.DataFrame):
        cols = [x.iloc[:, i] for i, t in enumerate(x.dtypes) if t == np.dtype(object)]
    elif x.dtype == np.dtype(object) and not isinstance(x, pd.MultiIndex):
        cols = [x]
    else:
        return []
    return [
        c
        for c in cols
        if pd.api.types.infer_dtype(c, skipna=False) not in _EXACT_OBJECT_KINDS
    ]


def _hash_pandas(x: pd.Series | pd.DataFrame | pd.Index) -> Any:
    """A content hash of the values (not the index) of ``x``.

    Columns backed by numpy, masked (nullable) and Arrow arrays are hashed
    through their raw buffers, which is several times faster than
    ``hash_pandas_object``; object columns go through ``hash_pandas_object``
    plus an exact fallback for cells that are not plain strings.
    """
    if isinstance(x, pd.DataFrame):
        # (each column's array, without building a Series for it)
        arrays = list(x._iter_column_arrays())
    elif isinstance(x, pd.MultiIndex):
        return _hash_pandas_slow(x)
    else:
        arrays = [x.array]
    h = _TreeHash()
    for arr in arrays:
        if not _feed_buffers(h, arr):
            h.update(str(_hash_pandas_slow(pd.Series(arr, copy=False))).encode())
    return h.hexdigest()


_BLOCK = 1 << 18  # bytes per block of a big buffer
_PARALLEL_MIN = 1 << 20  # hash blocks in threads from this many bytes


def _sha1_blocks(blocks: list) -> list:
    return [hashlib.sha1(b, usedforsecurity=False).digest() for b in blocks]


class _TreeHash:
    """A sha1 of many buffers whose big buffers are hashed block by block.

    A buffer of ``_BLOCK`` bytes or more enters the final sha1 as the
    digests of its ``_BLOCK``-sized blocks (a one-level hash tree), so the
    digest depends only on the bytes, while the blocks can be hashed on
    several cores: ``hashlib`` releases the GIL. One core hashing every
    byte of a big frame is what ``from_pandas`` would otherwise wait for.
    """

    def __init__(self) -> None:
        self.items: list = []

    def update(self, data: Any) -> None:
        self.items.append(data)

    def hexdigest(self) -> str:
        seq: list = []
        blocks: list = []
        for item in self.items:
            view = memoryview(item).cast("B")
            if view.nbytes < _BLOCK:
                seq.append(view)
                continue
            for start in range(0, view.nbytes, _BLOCK):
                seq.append(len(blocks))
                blocks.append(view[start : start + _BLOCK])
        digests = _hash_blocks(blocks)
        h = hashlib.sha1(usedforsecurity=False)
        for item in seq:
            h.update(digests[item] if type(item) is int else item)
        return h.hexdigest()


def _hash_blocks(blocks: list) -> list:
    """sha1 digests of ``blocks``; big inputs are split in one group per
    core, the first hashed by the calling thread, the others by the
    client pool."""
    if WORKERS < 2 or len(blocks) < 2 or len(blocks) * _BLOCK < _PARALLEL_MIN:
        return _sha1_blocks(blocks)
    step = -(-len(blocks) // WORKERS)
    groups = [blocks[i : i + step] for i in range(0, len(blocks), step)]
    pool = client_pool()
    futures = [pool.submit(_sha1_blocks, g) for g in groups[1:]]
    out = _sha1_blocks(groups[0])
    for f in futures:
        out.extend(f.result())
    return out


def _feed_buffers(h: Any, arr: Any) -> bool:
    """Feed the raw buffers of ``arr`` to ``h``; False when it has none usable."""
    if isinstance(arr, pd.arrays.NumpyExtensionArray):
        arr = arr.to_numpy()
    h.update(f"|{type(arr).__name__}:{len(arr)}|".encode())
    if isinstance(arr, np.ndarray):
        if arr.dtype == object:
            return False
        h.update(np.ascontiguousarray(arr).view(np.uint8).data)
        return True
    if isinstance(arr, pd.arrays.DatetimeArray | pd.arrays.TimedeltaArray):
        h.update(np.ascontiguousarray(datetime_ints(arr)).view(np.uint8).data)
        return True
    if isinstance(arr, pd.Categorical):
        h.update(np.ascontiguousarray(arr.codes).view(np.uint8).data)
        h.update(repr(normalize_token(arr.dtype)).encode())
        return True
    if isinstance(
        arr, pd.arrays.BooleanArray | pd.arrays.IntegerArray | pd.arrays.FloatingArray
    ):
        data, mask = masked_parts(arr)
        # Values under the mask are arbitrary: zero them so equal arrays hash equal.
        if mask.any():
            data = data.copy()
            data[mask] = 0
        h.update(np.ascontiguousarray(data).view(np.uint8).data)
        h.update(np.ascontiguousarray(mask).view(np.uint8).data)
        return True
    pa_array = getattr(arr, "_pa_array", None)
    if pa_array is not None:
        chunked = (
            pa_array.combine_chunks()
            if hasattr(pa_array, "combine_chunks")
            else pa_array
        )
        # Slices share their parent's buffers: the offset and length say
        # which part is ours, so equal tokens mean equal content.
        h.update(f"{chunked.type}:{chunked.offset}:{len(chunked)}".encode())
        for buf in chunked.buffers():
            if buf is not None:
                h.update(buf)
        return True
    return False


def _hash_pandas_slow(x: Any) -> Any:
    try:
        values = pd.util.hash_pandas_object(x, index=False).to_numpy()
        extra = [_normalize_pickle(c.to_numpy()) for c in _inexact_object_columns(x)]
    except TypeError:
        # Unhashable cells (lists, dicts): fall back to pickled bytes.
        return _normalize_pickle(x)
    digest = hashlib.md5(values.tobytes(), usedforsecurity=False).hexdigest()
    return (digest, *extra) if extra else digest


#: Frames and Series of at least this many cells keep their content hash
#: (see :func:`_content_hash`); smaller ones are hashed each time.
_CACHE_MIN_CELLS = 1 << 12
#: ``id(obj) -> (weakref to obj, shallow copy, manager, arrays, digest)``.
_content_cache: dict[int, tuple[Any, ...]] = {}
_content_stats = {"hashed": 0}


def _content_hash(x: pd.DataFrame | pd.Series) -> Any:
    """``_hash_pandas(x)``, computed once per object while it is unchanged.

    The same big frame is tokenized again each time a plan starts from it
    (every ``from_pandas`` of an interactive session's data), and hashing
    its bytes is the costliest part of building a small plan. So the digest
    of a big frame is kept, with a weak reference to the frame (the entry
    goes when the frame does) and a *shallow copy* of it: under pandas'
    copy-on-write that copy is a live reference to the frame's blocks, so
    any write through pandas (``df.loc[...] = ``, ``df[col] = ``, in-place
    methods) must first copy the written block, which then is a new array.
    The digest is reused only while the frame holds exactly the same
    manager and block arrays (compared by identity, the arrays kept alive
    by the entry so no id is reused). Labels, dtypes and the index are not
    kept: they are normalized every time (they may change in place without
    a copy of the data). A write that bypasses pandas (into a NumPy array
    the frame was built on with ``copy=False``, or through ``.array``'s
    buffer) is not seen, as pandas' own copy-on-write does not see it.
    """
    if x.size < _CACHE_MIN_CELLS:
        return _hash_pandas(x)
    mgr = x._mgr
    arrays = tuple(b.values for b in mgr.blocks)
    key = id(x)
    entry = _content_cache.get(key)
    if (
        entry is not None
        and entry[0]() is x
        and entry[2] is mgr
        and len(entry[3]) == len(arrays)
        and all(a is b for a, b in zip(entry[3], arrays))
    ):
        return entry[4]
    digest = _hash_pandas(x)
    keep = x.copy(deep=False)

    def forget(ref: Any, key: int = key, cache: dict = _content_cache) -> None:
        # No lock: the garbage collector may call this anywhere, in this
        # very module too. Under the GIL the worst a race does is drop an
        # entry that is still good (it is hashed again when next asked).
        # (The cache is bound here: at interpreter exit globals may be gone.)
        held = cache.get(key)
        if held is not None and held[0] is ref:
            cache.pop(key, None)

    entry = (weakref.ref(x, forget), keep, mgr, arrays, digest)
    _content_stats["hashed"] += 1
    _content_cache[key] = entry
    return digest


def content_hashes() -> int:
    """How many big frames' contents were hashed (not found kept) so far:
    tests check that the same unchanged frame is hashed once."""
    return _content_stats["hashed"]


@register(pd.DataFrame)
def _normalize_dataframe(df: pd.DataFrame) -> Any:
    return (
        "DataFrame",
        _normalize_index(df.columns),
        # (the columns' dtypes, without building the ``dtypes`` Series)
        tuple(normalize_token(a.dtype) for a in df._iter_column_arrays()),
        _normalize_index(df.index),
        # (no rows: nothing to hash beyond the labels and dtypes; a plan's
        # metas are empty frames, tokenized with every node holding one)
        _content_hash(df) if len(df.columns) and len(df) else len(df),
    )


@register(pd.Series)
def _normalize_series(s: pd.Series) -> Any:
    return (
        "Series",
        normalize_token(s.name),
        normalize_token(s.dtype),
        _normalize_index(s.index),
        _content_hash(s) if len(s) else 0,
    )


@register(pd.Index)
def _normalize_index(idx: pd.Index) -> Any:
    if isinstance(idx, pd.RangeIndex):
        return ("RangeIndex", idx.start, idx.stop, idx.step, normalize_token(idx.name))
    if isinstance(idx, pd.MultiIndex):
        dtype = tuple(normalize_token(lev.dtype) for lev in idx.levels)
    else:
        dtype = normalize_token(idx.dtype)
    return (
        "Index",
        type(idx).__name__,
        normalize_token(list(idx.names)),
        dtype,
        getattr(idx, "freqstr", None),
        _index_values(idx) if len(idx) else 0,
    )


#: Indexes up to this long (column labels, mostly) are normalized label by
#: label: cheaper than hashing their buffers, and exact.
_SMALL_INDEX = 64


def _index_values(idx: pd.Index) -> Any:
    """The values of a non-empty ``idx``: its labels, normalized one by one,
    when it is small and backed by NumPy or Arrow; else a content hash."""
    if len(idx) <= _SMALL_INDEX and not isinstance(idx, pd.MultiIndex):
        values = idx._values
        pa_array = getattr(values, "_pa_array", None)
        items: list | None = None
        if pa_array is not None:
            items = pa_array.to_pylist()
        elif type(values) is np.ndarray:
            items = values.tolist()
        if items is not None:
            return ("labels", *[normalize_token(v) for v in items])
    return _hash_pandas(idx)


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
