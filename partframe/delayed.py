"""Lazy calls of any Python function: ``partframe.delayed``.

``delayed(func)(*args, **kwargs)`` does not call ``func``: it returns a
:class:`Delayed`, one node of a task graph. Delayed values flow into further
calls, operators (``a + b``), attribute and item access (``d.real``,
``d[0]``) and method calls (``d.upper()``), each adding one task. Nothing
runs until ``compute()``, ``persist()`` or :func:`partframe.compute`.

A node keeps only its own task and the nodes it depends on; the full graph is
assembled when asked for (``__dask_graph__``), so building a long chain costs
linear time. Keys are content-addressed (``pure=True``: the same function and
arguments give the same key, so shared work is done once) or unique (the
default, since a function may have side effects or randomness).

Every task is plain data made of module-level functions
(``kernels.calls.apply_kwargs`` and ``call_method``, ``getattr``,
``operator.*``), so graphs pickle and run on the process and distributed
schedulers. Delayed objects implement the Dask
collection protocol, so a ``distributed.Client`` computes and persists them.

Examples
--------
>>> import partframe
>>> @partframe.delayed(pure=True)
... def inc(x):
...     return x + 1
>>> a = inc(1)
>>> b = inc(a) * 10
>>> b.compute(scheduler="sync")
30
>>> inc(1).key == a.key
True
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from .base import Collection, is_collection
from .graph import quote
from .kernels.calls import apply_kwargs, call_method
from .kernels.calls import make_namedtuple as _make_namedtuple
from .tokenize import tokenize

__all__ = ["Delayed", "delayed"]


# --- task functions: module level, so graphs pickle by reference -------------


def single_key(values: list) -> Any:
    """Pick the only value of a one-key computation (the postcompute step)."""
    return values[0]


# --- turning Python values into task arguments -------------------------------

_CONTAINERS = (list, tuple, set, frozenset, dict)


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _to_task(x: Any, deps: dict) -> tuple[Any, bool]:
    """Translate ``x`` into a task argument; collect the collections it holds.

    Returns ``(arg, lazy)``: ``lazy`` says whether ``x`` contained a
    collection. When it did not, ``arg`` is ``x`` itself and the caller quotes
    it if needed; when it did, containers become tasks that rebuild them.
    ``deps`` maps ``id(collection)`` to the collection.
    """
    if isinstance(x, Delayed):
        deps[id(x)] = x
        return x._key, True
    if is_collection(x):
        deps[id(x)] = x
        finalize, extra = x.__dask_postcompute__()
        return (finalize, x.__dask_keys__(), *[_literal(e) for e in extra]), True
    typ = type(x)
    if typ not in _CONTAINERS and not _is_namedtuple(x):
        return x, False
    if typ is dict:
        items = [(_to_task(k, deps), _to_task(v, deps)) for k, v in x.items()]
        if not any(k[1] or v[1] for k, v in items):
            return x, False
        pairs = [[_protect(*k), _protect(*v)] for k, v in items]
        return (dict, pairs), True
    parts = [_to_task(i, deps) for i in x]
    if not any(lazy for _, lazy in parts):
        return x, False
    elems = [_protect(a, lazy) for a, lazy in parts]
    if typ is list:
        return elems, True
    if _is_namedtuple(x):
        return (_make_namedtuple, typ, elems), True
    return (typ, elems), True


def _literal(x: Any) -> Any:
    """Protect a plain value that a graph could misread as a task or key list."""
    if type(x) in _CONTAINERS or _is_namedtuple(x):
        return quote(x)
    return x


def _protect(task: Any, lazy: bool) -> Any:
    return task if lazy else _literal(task)


def _arg(x: Any, deps: dict) -> Any:
    return _protect(*_to_task(x, deps))


def _funcname(func: Any) -> str:
    while hasattr(func, "func"):  # functools.partial
        func = func.func
    name = getattr(func, "__name__", None) or type(func).__name__
    return "lambda" if name == "<lambda>" else name


def _make_key(prefix: str, pure: bool, *token_args: Any) -> str:
    token = tokenize(*token_args) if pure else uuid.uuid4().hex
    return f"{prefix}-{token}"


def _call(
    func: Any,
    args: tuple,
    kwargs: dict,
    *,
    pure: bool,
    nout: int | None = None,
    name: str | None = None,
    prefix: str | None = None,
    method: str | None = None,
) -> Delayed:
    """Build the node computing ``func(*args, **kwargs)`` (or a method call)."""
    deps: dict = {}
    fn = _arg(func, deps)
    targs = [_arg(a, deps) for a in args]
    if method is not None:
        tkwargs = (dict, [[k, _arg(v, deps)] for k, v in kwargs.items()])
        task: tuple = (apply_kwargs, call_method, tkwargs, targs[0], method, *targs[1:])
    elif kwargs:
        tkwargs = (dict, [[k, _arg(v, deps)] for k, v in kwargs.items()])
        task = (apply_kwargs, fn, tkwargs, *targs)
    elif isinstance(func, Delayed) or not callable(func):
        task = (apply_kwargs, fn, {}, *targs)
    else:
        task = (fn, *targs)
    if name is None:
        prefix = prefix or (method if method is not None else _funcname(func))
        name = _make_key(prefix, pure, func, method, args, kwargs)
    return Delayed(name, {name: task}, tuple(deps.values()), nout)


# --- the collection -----------------------------------------------------------


class Delayed(Collection):
    """A lazy value: one key of a task graph and the nodes it depends on.

    Build one with :func:`delayed`; the constructor is internal.

    Parameters
    ----------
    key : str
        The graph key holding this value.
    layer : dict
        This node's own tasks (usually just ``{key: task}``).
    deps : tuple
        Collections whose graphs ``layer`` refers to.
    nout : int, optional
        Number of outputs when the value is a tuple to unpack.

    Examples
    --------
    >>> import partframe
    >>> d = partframe.delayed("hello")
    >>> d.upper().compute(scheduler="sync")
    'HELLO'
    """

    __slots__ = ("_deps", "_key", "_layer", "_nout")
    _key: str
    _layer: dict[str, Any]
    _deps: tuple[Delayed, ...]
    _nout: int | None

    # NumPy defers to our reflected operators (``array + delayed``) instead
    # of making an object array of Delayed.
    __array_ufunc__ = None

    def __init__(
        self, key: str, layer: dict, deps: tuple = (), nout: int | None = None
    ) -> None:
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_layer", layer)
        object.__setattr__(self, "_deps", deps)
        object.__setattr__(self, "_nout", nout)

    # -- the collection protocol --

    @property
    def key(self) -> str:
        """The graph key of this value."""
        return self._key

    @property
    def dask(self) -> dict:
        """The task graph (as ``__dask_graph__``; Dask's tools look for it)."""
        return self.__dask_graph__()

    def __dask_graph__(self) -> dict:
        # Iterative walk over the nodes: long chains must not recurse.
        dsk: dict = {}
        seen: set = set()
        stack: list = [self]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, Delayed):
                dsk.update(node._layer)
                stack.extend(node._deps)
            else:
                dsk.update(node.__dask_graph__())
        return dsk

    def __dask_keys__(self) -> list:
        return [self._key]

    def __dask_layers__(self) -> tuple:
        return (self._key,)

    def __dask_tokenize__(self) -> str:
        return self._key

    def __dask_postcompute__(self) -> tuple:
        return single_key, ()

    def __dask_postpersist__(self) -> tuple:
        return _rebuild, (self._key, self._nout)

    # -- plain Python behaviour --

    def __repr__(self) -> str:
        return f"Delayed({self._key!r})"

    def __hash__(self) -> int:
        return hash(self._key)

    def __reduce__(self) -> tuple:
        return (Delayed, (self._key, self._layer, self._deps, self._nout))

    def __dir__(self) -> list:
        return dir(type(self))

    def __getattr__(self, attr: str) -> Delayed:
        if attr.startswith("_"):
            raise AttributeError(f"Delayed has no attribute {attr!r}")
        return _DelayedAttr(self, attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        raise TypeError("Delayed objects are immutable")

    def __bool__(self) -> bool:
        raise TypeError("the truth value of a Delayed object is not known lazily")

    def __len__(self) -> int:
        if self._nout is None:
            raise TypeError(
                "Delayed objects of unspecified length have no len(); "
                "pass nout= to partframe.delayed to unpack the result"
            )
        return self._nout

    def __iter__(self) -> Iterator[Delayed]:
        if self._nout is None:
            raise TypeError(
                "Delayed objects of unspecified length are not iterable; "
                "pass nout= to partframe.delayed to unpack the result"
            )
        return iter([self[i] for i in range(self._nout)])

    def __contains__(self, item: Any) -> bool:
        raise TypeError("'in' on a Delayed object cannot be lazy")

    def __call__(self, *args: Any, **kwargs: Any) -> Delayed:
        pure = kwargs.pop("pure", False)
        name = kwargs.pop("dask_key_name", None)
        return _call(self, args, kwargs, pure=pure, name=name, prefix="call")

    # Operators are pure (dask does the same): ``a + b`` twice is one task.
    def __getitem__(self, key: Any) -> Delayed:
        return _call(operator.getitem, (self, key), {}, pure=True)

    def __neg__(self) -> Delayed:
        return _call(operator.neg, (self,), {}, pure=True)

    def __pos__(self) -> Delayed:
        return _call(operator.pos, (self,), {}, pure=True)

    def __invert__(self) -> Delayed:
        return _call(operator.invert, (self,), {}, pure=True)

    def __abs__(self) -> Delayed:
        return _call(operator.abs, (self,), {}, pure=True)


def _rebuild(dsk: dict, key: str, nout: int | None) -> Delayed:
    """Make a Delayed backed by ``dsk`` (the postpersist step)."""
    return Delayed(key, dict(dsk), (), nout)


def _binary(op: Callable) -> tuple[Callable, Callable]:
    def method(self: Delayed, other: Any) -> Delayed:
        return _call(op, (self, other), {}, pure=True)

    def reflected(self: Delayed, other: Any) -> Delayed:
        return _call(op, (other, self), {}, pure=True)

    return method, reflected


_BINARY = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "matmul": operator.matmul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
    "lshift": operator.lshift,
    "rshift": operator.rshift,
    "and": operator.and_,
    "or": operator.or_,
    "xor": operator.xor,
    "divmod": divmod,
}
for _name, _op in _BINARY.items():
    _m, _r = _binary(_op)
    _m.__name__, _r.__name__ = f"__{_name}__", f"__r{_name}__"
    setattr(Delayed, _m.__name__, _m)
    setattr(Delayed, _r.__name__, _r)
for _name, _op in {
    "lt": operator.lt,
    "le": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
}.items():
    _m, _ = _binary(_op)
    _m.__name__ = f"__{_name}__"
    setattr(Delayed, _m.__name__, _m)
del _name, _op, _m, _r, _


class _DelayedAttr(Delayed):
    """``obj.attr``: a value, or a method when called (``obj.upper()``)."""

    __slots__ = ("_attr", "_obj")
    _obj: Delayed
    _attr: str

    def __init__(self, obj: Delayed, attr: str) -> None:
        key = _make_key(f"getattr-{attr}", True, obj, attr)
        super().__init__(key, {key: (getattr, obj._key, attr)}, (obj,))
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_attr", attr)

    def __reduce__(self) -> tuple:
        return (_DelayedAttr, (self._obj, self._attr))

    def __call__(self, *args: Any, **kwargs: Any) -> Delayed:
        # One task calling the method, not getattr then call.
        pure = kwargs.pop("pure", False)
        name = kwargs.pop("dask_key_name", None)
        nout = kwargs.pop("nout", None)
        return _call(
            None,
            (self._obj, *args),
            kwargs,
            pure=pure,
            nout=nout,
            name=name,
            method=self._attr,
        )


class _DelayedLeaf(Delayed):
    """A delayed function (or plain value) not yet called."""

    __slots__ = ("_obj", "_pure")
    _obj: Any
    _pure: bool

    def __init__(
        self, obj: Any, key: str, pure: bool = False, nout: int | None = None
    ) -> None:
        super().__init__(key, {key: _literal(obj)}, (), nout)
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_pure", pure)

    def __reduce__(self) -> tuple:
        return (_DelayedLeaf, (self._obj, self._key, self._pure, self._nout))

    def __call__(self, *args: Any, **kwargs: Any) -> Delayed:
        pure = kwargs.pop("pure", self._pure)
        name = kwargs.pop("dask_key_name", None)
        return _call(self._obj, args, kwargs, pure=pure, nout=self._nout, name=name)


def delayed(
    obj: Any = None,
    pure: bool = False,
    nout: int | None = None,
    name: str | None = None,
) -> Any:
    """Wrap a function or a value so that using it builds a task graph.

    Parameters
    ----------
    obj : callable or object
        A function: calling the result adds a task. A value: the result is a
        lazy stand-in for it; delayed values inside lists, tuples, sets and
        dicts are found and computed. Without ``obj``, return a decorator
        (``@delayed(pure=True)``).
    pure : bool, default False
        Calls with the same function and arguments get the same key, so they
        are computed once. Leave ``False`` for functions with side effects or
        randomness: every call then gets a unique key.
    nout : int, optional
        The call returns a tuple of ``nout`` values; the result can be
        unpacked (``a, b = f(x)``).
    name : str, optional
        The key of this object in the graph (for a value or an uncalled
        function).

    Returns
    -------
    Delayed
        Or a decorator when ``obj`` is not given.

    Examples
    --------
    >>> import partframe
    >>> def add(x, y=0):
    ...     return x + y
    >>> total = partframe.delayed(add)(1, y=partframe.delayed(2))
    >>> (total * 3).compute(scheduler="sync")
    9
    >>> q, r = partframe.delayed(divmod, nout=2)(7, 2)
    >>> partframe.compute(q, r, scheduler="sync")
    (3, 1)
    >>> partframe.delayed({"a": [total, 1]}).compute(scheduler="sync")
    {'a': [3, 1]}
    """
    if obj is None:

        def decorator(func: Any) -> Any:
            return delayed(func, pure=pure, nout=nout, name=name)

        return decorator
    if isinstance(obj, Delayed):
        return obj
    if nout is not None and (type(nout) is not int or nout < 0):
        raise ValueError(f"nout must be None or a non-negative integer, not {nout!r}")
    if is_collection(obj) or type(obj) in _CONTAINERS or _is_namedtuple(obj):
        deps: dict = {}
        task, lazy = _to_task(obj, deps)
        if lazy:
            key = name or _make_key(type(obj).__name__, pure, obj)
            return Delayed(key, {key: task}, tuple(deps.values()), nout)
    if name is None:
        prefix = _funcname(obj) if callable(obj) else type(obj).__name__
        name = _make_key(prefix, pure, obj, nout)
    return _DelayedLeaf(obj, name, pure=pure, nout=nout)
