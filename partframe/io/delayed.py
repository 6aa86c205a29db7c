"""Frames from delayed values and function calls, and frames to delayed values.

- :func:`from_delayed`: one partition per :class:`~partframe.Delayed`;
- :func:`from_map`: one partition per element of an iterable,
  ``func(element, *args, **kwargs)``;
- :func:`to_delayed`: one Delayed per partition, all sharing one graph.

When ``meta`` is not given it is inferred from the first partition, which is
then computed (``from_delayed``) or called (``from_map``) once at once, as
Dask does. Pass ``meta=`` to build the plan without computing anything.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..collection._core import meta_from_description, new_collection
from ..expr.base import Expr
from ..expr.blockwise import apply_kwargs, function_name
from ..expr.meta import is_frame_or_series, make_meta
from ..expr.partitions import check_divisions
from ..graph import quote
from ..kernels.enforce import MetaCheck, check_partition

if TYPE_CHECKING:
    from ..delayed import Delayed

__all__ = ["FromDelayed", "FromMap", "from_delayed", "from_map", "to_delayed"]


def _literal(x: Any) -> Any:
    return x if type(x) in (int, float, bool, type(None)) else quote(x)


def _check_divisions(
    divisions: Sequence | None, n: int, call: str, index: pd.Index
) -> tuple:
    """Known divisions of ``index`` checked, or unknown ones (``None``, or
    all ``None``)."""
    unknown = isinstance(divisions, list | tuple) and all(d is None for d in divisions)
    if divisions is None or (unknown and len(divisions) == n + 1):
        return (None,) * (n + 1)
    return check_divisions(divisions, call, n, index)


def _as_meta(meta: Any, source: str) -> Any:
    """``meta`` as an empty pandas object: a DataFrame or Series, or a
    description of one (``{column: dtype}``, ``[(column, dtype), ...]``,
    ``(name, dtype)``), as ``map_partitions`` takes."""
    if isinstance(meta, dict | list | tuple):
        meta = meta_from_description(meta)
    meta = make_meta(meta)
    if not is_frame_or_series(meta) or isinstance(meta, pd.Index):
        raise TypeError(
            f"{source}: meta must be a pandas DataFrame or Series, "
            f"got {type(meta).__name__}"
        )
    return meta


class FromDelayed(Expr):
    """Partitions that are the values of delayed objects."""

    _parameters = ["parts", "meta", "divisions_", "verify_meta"]
    _defaults = {"verify_meta": True}
    parts: list[Delayed]
    meta: Any
    divisions_: tuple[Any, ...]
    verify_meta: bool

    @functools.cached_property
    def _meta(self) -> Any:
        return self.meta

    def _divisions(self) -> tuple:
        return tuple(self.divisions_)

    def _layer(self) -> dict:
        graph: dict = {}
        check = MetaCheck(self.meta, "from_delayed")
        for i, part in enumerate(self.parts):
            graph.update(part.__dask_graph__())
            key = part.key
            if self.verify_meta:
                graph[(self._name, i)] = (check_partition, check, i, key)
            else:
                graph[(self._name, i)] = key
        return graph

    def _operand_repr(self) -> str:
        return f"{len(self.parts)} delayed"


class FromMap(Expr):
    """Partition ``i`` is ``func(inputs[i], *args, **kwargs)``."""

    _parameters = ["func", "inputs", "args", "kwargs", "meta", "divisions_", "check"]
    _defaults = {"args": (), "kwargs": None, "check": True}
    func: Callable[..., Any]
    inputs: Sequence[Any]
    args: Sequence[Any]
    kwargs: dict[str, Any] | None
    meta: Any
    divisions_: tuple[Any, ...]
    check: bool

    @property
    def _funcname(self) -> str:
        name = getattr(self.func, "__name__", "from_map")
        return "from-map-" + name.strip("_<>")

    @functools.cached_property
    def _meta(self) -> Any:
        return self.meta

    def _divisions(self) -> tuple:
        return tuple(self.divisions_)

    def _layer(self) -> dict:
        args = [_literal(a) for a in self.args]
        graph: dict = {}
        check = MetaCheck(self.meta, f"from_map({function_name(self.func)})")
        for i, element in enumerate(self.inputs):
            if self.kwargs:
                kw = quote(self.kwargs)
                task: tuple = (apply_kwargs, self.func, kw, _literal(element), *args)
            else:
                task = (self.func, _literal(element), *args)
            if self.check:
                task = (check_partition, check, i, task)
            graph[(self._name, i)] = task
        return graph

    def _operand_repr(self) -> str:
        return f"{self._funcname}, {len(self.inputs)} inputs"


def from_delayed(
    parts: Any,
    meta: Any = None,
    divisions: Sequence | None = None,
    verify_meta: bool = True,
) -> Any:
    """A frame with one partition per delayed value.

    Parameters
    ----------
    parts : Delayed or list of Delayed
        Each computes to a pandas DataFrame (or Series).
    meta : pandas object or description, optional
        The schema of every partition (or ``{column: dtype}``,
        ``[(column, dtype), ...]``, ``(name, dtype)``). When not given, the
        first part is **computed now** and its empty version used (as Dask
        does).
    divisions : sequence, optional
        ``len(parts) + 1`` index boundaries, if known.
    verify_meta : bool, default True
        Check each partition against ``meta`` when it is computed: exact
        differences (dtypes that cast back to the same values, a Series
        name, the column order) are repaired, others raise an error naming
        the partition (see :mod:`partframe.kernels.enforce`).

    Returns
    -------
    DataFrame or Series

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> make = partframe.delayed(pd.DataFrame)
    >>> parts = [make({"x": [i, i + 1]}, index=[2 * i, 2 * i + 1]) for i in (0, 1)]
    >>> df = partframe.from_delayed(parts, meta=pd.DataFrame({"x": [0]}),
    ...                             divisions=[0, 2, 3])
    >>> df.compute().x.tolist()
    [0, 1, 1, 2]
    """
    from ..delayed import Delayed, delayed

    if isinstance(parts, Delayed):
        parts = [parts]
    parts = [p if isinstance(p, Delayed) else delayed(p) for p in parts]
    if not parts:
        raise ValueError("from_delayed needs at least one part")
    if meta is None:
        meta = parts[0].compute()
    meta = _as_meta(meta, "from_delayed")
    divs = _check_divisions(
        divisions, len(parts), "from_delayed(divisions=...)", meta.index
    )
    return new_collection(FromDelayed(parts, meta, divs, verify_meta))


def from_map(
    func: Callable,
    iterable: Iterable,
    args: Sequence = (),
    meta: Any = None,
    divisions: Sequence | None = None,
    enforce_metadata: bool = True,
    **kwargs: Any,
) -> Any:
    """A frame with one partition per element: ``func(element, *args, **kwargs)``.

    Parameters
    ----------
    func : callable
        Returns a pandas DataFrame or Series.
    iterable : iterable
        One element per partition (file names, ranges, parameters...).
    args : sequence, optional
        Extra positional arguments for every call.
    meta : pandas object or description, optional
        The schema of every partition (or ``{column: dtype}``,
        ``[(column, dtype), ...]``, ``(name, dtype)``). When not given,
        ``func`` is **called now** on the first element to learn it (as
        Dask does).
    divisions : sequence, optional
        ``len(iterable) + 1`` index boundaries, if known.
    enforce_metadata : bool, default True
        Check each partition against ``meta`` as ``verify_meta`` does in
        :func:`from_delayed`.
    **kwargs
        Keyword arguments for every call.

    Returns
    -------
    DataFrame or Series

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> def load(start, step=1):
    ...     return pd.DataFrame({"x": range(start, start + 2 * step, step)})
    >>> df = partframe.from_map(load, [0, 10], step=5)
    >>> df.npartitions, df.compute().x.tolist()
    (2, [0, 5, 10, 15])
    """
    inputs = list(iterable)
    if not inputs:
        raise ValueError("from_map needs at least one element")
    args = tuple(args)
    if meta is None:
        meta = func(inputs[0], *args, **kwargs)
    meta = _as_meta(meta, "from_map")
    divs = _check_divisions(
        divisions, len(inputs), "from_map(divisions=...)", meta.index
    )
    node = FromMap(func, inputs, args, kwargs or None, meta, divs, enforce_metadata)
    return new_collection(node)


def to_delayed(frame: Any, optimize_graph: bool = True) -> list:
    """One Delayed per partition of ``frame``; they share one graph.

    Parameters
    ----------
    frame : DataFrame or Series
    optimize_graph : bool, default True
        Build the graph from the optimized plan (fused tasks, pruned
        columns).

    Returns
    -------
    list of Delayed

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> df = partframe.from_pandas(pd.DataFrame({"x": range(4)}), npartitions=2)
    >>> [len(p) for p in partframe.compute(*to_delayed(df))]
    [2, 2]
    """
    from ..delayed import Delayed

    expr = frame._optimized if optimize_graph else frame.expr
    graph = expr.__dask_graph__()
    return [Delayed(key, graph) for key in expr.__dask_keys__()]
