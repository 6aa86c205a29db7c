"""The collection protocol and the functions that run collections.

A partframe collection (a delayed value, a DataFrame...) is anything that
implements the Dask collection protocol:

- ``__dask_graph__()``: the task graph (a dict);
- ``__dask_keys__()``: the keys of its outputs (a nested list);
- ``__dask_layers__()``: names of its graph layers (for Dask's
  ``HighLevelGraph``; a flat dict graph is one layer);
- ``__dask_postcompute__()``: ``(finalize, extra_args)``; the result is
  ``finalize(values, *extra_args)``;
- ``__dask_postpersist__()``: ``(rebuild, extra_args)``; the persisted
  collection is ``rebuild(graph_of_values, *extra_args)``;
- ``__dask_tokenize__()``: its deterministic name;
- ``__dask_optimize__(dsk, keys)``: graph-level optimization (may be identity).

Using Dask's names means a ``distributed.Client`` accepts our objects in
``compute`` and ``persist`` as they are (it wraps them with
``dask.base.collections_to_expr``). :func:`compute` is the one place where a
collection, its graph and a scheduler meet.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import Any

from . import config
from .callbacks import Callback
from .expr.base import Expr
from .expr.optimize import optimize
from .expr.target import Target, set_default
from .graph import flatten_keys, quote
from .resources import run_scope
from .scheduler import (
    _is_distributed_client,
    distributed_active,
    get_scheduler,
    runs_on_threads,
    shares_memory,
)

__all__ = ["Collection", "compute", "is_collection", "persist"]


def is_collection(x: Any) -> bool:
    """Does ``x`` implement the collection protocol (and is not a class)?

    Examples
    --------
    >>> import partframe
    >>> is_collection(partframe.delayed(1)), is_collection(1)
    (True, False)
    """
    return not isinstance(x, type) and callable(getattr(x, "__dask_graph__", None))


class Collection:
    """Mixin giving ``compute``, ``persist`` and ``visualize`` to collections."""

    __slots__ = ()

    def __dask_graph__(self) -> dict:
        raise NotImplementedError

    def __dask_keys__(self) -> Any:
        raise NotImplementedError

    @staticmethod
    def __dask_optimize__(dsk: Any, keys: Any, **kwargs: Any) -> Any:
        # Identity: the local schedulers cull and fuse by themselves, and a
        # distributed Client hands us a HighLevelGraph it expects back.
        return dsk

    def _on_failure(self) -> None:
        """Clean up after a compute of this object failed (default:
        nothing; a write removes its staged files)."""

    def compute(self, **kwargs: Any) -> Any:
        """Compute this object and return its value.

        Parameters
        ----------
        scheduler : str, distributed.Client or callable, optional
            ``"sync"``, ``"threads"`` (default), ``"processes"`` or a Client.
        progress : bool, default False
            Draw a progress bar on the terminal.
        **kwargs
            Passed to :func:`partframe.compute` and the scheduler
            (``num_workers``, ``callbacks``...).

        Examples
        --------
        >>> import partframe
        >>> (partframe.delayed(2) ** 10).compute(scheduler="sync")
        1024
        """
        (result,) = compute(self, **kwargs)
        return result

    def persist(self, **kwargs: Any) -> Any:
        """Compute this object and return it backed by its computed values.

        Examples
        --------
        >>> import partframe
        >>> p = (partframe.delayed(2) + 1).persist(scheduler="sync")
        >>> p.compute(scheduler="sync")
        3
        """
        (result,) = persist(self, **kwargs)
        return result

    def visualize(self, filename: str | None = "mydask", **kwargs: Any) -> Any:
        """Draw the task graph with graphviz (the ``visualize`` extra).

        See :func:`partframe.diagnostics.visualize`.
        """
        from .diagnostics.visualize import visualize

        return visualize(self, filename=filename, **kwargs)


# --- finding collections inside containers ----------------------------------


def _unpack(args: tuple) -> tuple[list, Callable[[list], tuple]]:
    """Find the collections in ``args`` (and in lists, tuples, sets, dicts,
    named tuples and dataclasses inside them).

    Returns the distinct collections and ``repack(values)``, which rebuilds
    ``args`` with each collection replaced by its value.
    """
    collections: list = []
    index: dict[int, int] = {}

    def walk(x: Any) -> Any:
        # A plan: ("c", i) a collection, ("v", x) a value as is,
        # ("t", builder, [plans]) a container to rebuild.
        if is_collection(x):
            i = index.setdefault(id(x), len(collections))
            if i == len(collections):
                collections.append(x)
            return ("c", i)
        typ = type(x)
        if typ in (list, tuple, set, frozenset):
            parts = [walk(i) for i in x]
            if all(p[0] == "v" for p in parts):
                return ("v", x)
            return ("t", typ, parts)
        if typ is dict:
            parts = [walk(v) for v in x.values()]
            if all(p[0] == "v" for p in parts):
                return ("v", x)
            return ("t", _DictOf(list(x)), parts)
        if isinstance(x, tuple) and hasattr(typ, "_fields"):
            parts = [walk(i) for i in x]
            if all(p[0] == "v" for p in parts):
                return ("v", x)
            return ("t", _Star(typ), parts)
        if dataclasses.is_dataclass(x) and not isinstance(x, type):
            names = [f.name for f in dataclasses.fields(x) if f.init]
            parts = [walk(getattr(x, n)) for n in names]
            if all(p[0] == "v" for p in parts):
                return ("v", x)
            return ("t", _Kwargs(typ, names), parts)
        return ("v", x)

    plans = [walk(a) for a in args]

    def build(plan: tuple, values: list) -> Any:
        if plan[0] == "c":
            return values[plan[1]]
        if plan[0] == "v":
            return plan[1]
        return plan[1]([build(p, values) for p in plan[2]])

    def repack(values: list) -> tuple:
        return tuple(build(p, values) for p in plans)

    return collections, repack


class _DictOf:
    def __init__(self, keys: list) -> None:
        self.keys = keys

    def __call__(self, values: list) -> dict:
        return dict(zip(self.keys, values))


class _Star:
    def __init__(self, typ: type) -> None:
        self.typ = typ

    def __call__(self, values: list) -> Any:
        return self.typ(*values)


class _Kwargs:
    def __init__(self, typ: type, names: list) -> None:
        self.typ, self.names = typ, names

    def __call__(self, values: list) -> Any:
        return self.typ(**dict(zip(self.names, values)))


# --- running ------------------------------------------------------------------


def _merge_graphs(
    collections: list, optimize_graph: bool, target: Target | None = None
) -> tuple[dict, list]:
    """One graph for all ``collections`` (optimized per optimizer) and their keys.

    Collections whose type has ``__pf_graph_many__(collections, optimize,
    target)`` (partframe frames) build their graph together, so a sub-plan
    they share is optimized and computed once; it returns the graph and
    each one's keys. ``target`` describes the run to the planner
    (:mod:`partframe.expr.target`): whether it is distributed, whether the
    values go straight to the collections' ``__dask_postcompute__`` in this
    process (then a frame may hand its final concat partitions not built
    yet, :mod:`partframe.kernels.gather`), and how to compute while
    planning.
    """
    dsk: dict = {}
    keys: list = [None] * len(collections)
    joint: dict = {}
    by_optimizer: dict = {}
    for i, c in enumerate(collections):
        hook = getattr(type(c), "__pf_graph_many__", None)
        if hook is not None:
            joint.setdefault(hook, []).append(i)
        else:
            by_optimizer.setdefault(getattr(c, "__dask_optimize__", None), []).append(i)
    for hook, idx in joint.items():
        group = [collections[i] for i in idx]
        hook_dsk, group_keys = hook(group, optimize_graph, target)
        dsk.update(hook_dsk)
        for i, k in zip(idx, group_keys):
            keys[i] = k
    for opt, idx in by_optimizer.items():
        group_dsk: dict = {}
        for i in idx:
            group_dsk.update(collections[i].__dask_graph__())
            keys[i] = collections[i].__dask_keys__()
        if optimize_graph and opt is not None:
            group_dsk = opt(group_dsk, [keys[i] for i in idx])
        dsk.update(group_dsk)
    return dsk, keys


def _run(
    collections: list,
    scheduler: Any,
    optimize_graph: bool,
    progress: bool,
    kwargs: dict,
    final: bool = False,
) -> list:
    """The values of ``collections``; ``final``: they are to be finalized
    (``__dask_postcompute__``) right away, as in :func:`compute`."""
    get = get_scheduler(scheduler)
    with ExitStack() as stack:
        # What the graph holds outside memory (spill folders) goes when
        # the run ends, however it ends.
        stack.enter_context(run_scope())
        shared = shares_memory(get)
        target = Target(
            distributed=distributed_active(scheduler),
            to_client=final and shared,
            shared=shared,
            threads=runs_on_threads(get),
            compute=functools.partial(_compute_partitions, get),
        )
        dsk, keys = _merge_graphs(collections, optimize_graph, target)
        if not _is_distributed_client(scheduler):
            dsk = _gather_futures(dsk)
        if progress:
            from .diagnostics.progress import ProgressBar

            bar = ProgressBar()
            if _is_distributed_client(scheduler):
                # The cluster reports completions to the adapter, which
                # draws the bar; registering it here too would count twice.
                kwargs = {**kwargs, "progress_bar": bar}
            else:
                stack.enter_context(bar)
        try:
            return get(dsk, keys, **kwargs)
        except BaseException:
            for c in collections:
                if isinstance(c, Collection):
                    c._on_failure()
            raise


def _compute_partitions(get: Callable[..., Any], expr: Expr) -> list:
    """The partitions of the plan ``expr``, computed now with ``get``: what
    a plan may need while it is made (``set_index`` sample statistics)."""
    opt = optimize(expr, fuse=config.get("fuse"))
    with run_scope():
        return get(opt.__dask_graph__(), opt.__dask_keys__())


def _default_target() -> Target:
    """The target of planning outside a run: the configured scheduler."""
    get = get_scheduler(None)
    return Target(
        distributed=distributed_active(),
        shared=shares_memory(get),
        threads=runs_on_threads(get),
        compute=functools.partial(_compute_partitions, get),
    )


set_default(_default_target)


def _is_future(x: Any) -> bool:
    cls = type(x)
    return cls.__name__ == "Future" and cls.__module__.startswith("distributed")


def _as_data(value: Any) -> Any:
    # A value that looks like a task, key or list must stay data.
    return quote(value) if type(value) in (tuple, list, str) else value


def _gather_futures(dsk: dict) -> dict:
    """Replace futures (from a persist on a cluster) by their values.

    A collection persisted on a ``distributed.Client`` and then computed on
    a local scheduler: fetch its values from the cluster.
    """
    futures = {k: v for k, v in dsk.items() if _is_future(v)}
    if not futures:
        return dsk
    by_client: dict = {}
    for k, f in futures.items():
        by_client.setdefault(id(f.client), (f.client, []))[1].append(k)
    dsk = dict(dsk)
    for client, ks in by_client.values():
        for k, value in zip(ks, client.gather([futures[k] for k in ks])):
            dsk[k] = _as_data(value)
    return dsk


def compute(
    *args: Any,
    scheduler: Any = None,
    optimize_graph: bool = True,
    progress: bool = False,
    callbacks: Iterable[Callback] = (),
    traverse: bool = True,
    **kwargs: Any,
) -> tuple:
    """Compute several collections at once, sharing their common work.

    Collections inside lists, tuples, sets, dicts, named tuples and
    dataclasses are found and replaced by their values (``traverse=True``).
    Other arguments are returned as they are.

    Parameters
    ----------
    *args
        Collections (delayed values, frames) or plain objects.
    scheduler : str, distributed.Client or callable, optional
        Where to run; defaults to ``partframe.config.get("scheduler")``.
    optimize_graph : bool, default True
        Apply each collection's graph optimizations.
    progress : bool, default False
        Draw a progress bar.
    callbacks : iterable of Callback
        Listeners for this call only.
    traverse : bool, default True
        Look for collections inside Python containers.
    **kwargs
        Passed to the scheduler (``num_workers``).

    Returns
    -------
    tuple
        One value per argument.

    Examples
    --------
    >>> import partframe
    >>> a = partframe.delayed(sum)([1, 2, 3])
    >>> b = a * 2
    >>> partframe.compute(a, b, 7, scheduler="sync")
    (6, 12, 7)
    >>> partframe.compute({"x": [a, b]}, scheduler="sync")
    ({'x': [6, 12]},)
    """
    if scheduler is None:
        scheduler = config.get("scheduler")
    if traverse:
        collections, repack = _unpack(args)
    else:
        collections = [a for a in args if is_collection(a)]
        repack = _top_level_repack(args)
    if not collections:
        return tuple(args)
    if callbacks:
        kwargs["callbacks"] = list(callbacks)
    values = _run(collections, scheduler, optimize_graph, progress, kwargs, final=True)
    results = []
    for c, v in zip(collections, values):
        finalize, extra = c.__dask_postcompute__()
        results.append(finalize(v, *extra))
    return repack(results)


def persist(
    *args: Any,
    scheduler: Any = None,
    optimize_graph: bool = True,
    progress: bool = False,
    callbacks: Iterable[Callback] = (),
    traverse: bool = True,
    **kwargs: Any,
) -> tuple:
    """Compute collections and return new ones whose graphs hold the values.

    With a local scheduler the new graphs hold the values themselves. With a
    ``distributed.Client`` as ``scheduler`` the values stay on the cluster:
    the graphs hold futures (``client.persist``), and the call returns
    without waiting for them.

    Parameters
    ----------
    *args
        Collections, or containers of them, or plain objects.
    scheduler : str, distributed.Client or callable, optional
        Where to run; defaults to ``partframe.config.get("scheduler")``.
    optimize_graph : bool, default True
        Apply each collection's graph optimizations.
    progress : bool, default False
        Draw a progress bar (local schedulers).
    callbacks : iterable of Callback
        Listeners for this call only (local schedulers).
    traverse : bool, default True
        Look for collections inside Python containers.
    **kwargs
        Passed to the scheduler.

    Returns
    -------
    tuple
        One persisted collection (or unchanged object) per argument.

    Examples
    --------
    >>> import partframe
    >>> a = partframe.delayed(sum)([1, 2, 3])
    >>> (p,) = partframe.persist(a, scheduler="sync")
    >>> list(p.__dask_graph__().values())
    [6]
    >>> p.compute(scheduler="sync")
    6
    """
    if scheduler is None:
        scheduler = config.get("scheduler")
    if traverse:
        collections, repack = _unpack(args)
    else:
        collections = [a for a in args if is_collection(a)]
        repack = _top_level_repack(args)
    if not collections:
        return tuple(args)
    if _is_distributed_client(scheduler):
        return repack(scheduler.persist(collections, optimize_graph=optimize_graph))
    if callbacks:
        kwargs["callbacks"] = list(callbacks)
    values = _run(collections, scheduler, optimize_graph, progress, kwargs)
    out = []
    for c, value in zip(collections, values):
        keys = c.__dask_keys__()
        dsk = {
            k: _as_data(v)
            for k, v in zip(flatten_keys(keys), _flatten_like(keys, value))
        }
        rebuild, extra = c.__dask_postpersist__()
        out.append(rebuild(dsk, *extra))
    return repack(out)


def _top_level_repack(args: tuple) -> Callable[[list], tuple]:
    def repack(values: list) -> tuple:
        it: Iterator = iter(values)
        return tuple(next(it) if is_collection(a) else a for a in args)

    return repack


def _flatten_like(keys: Any, values: Any) -> list:
    if type(keys) is list:
        out: list = []
        for k, v in zip(keys, values):
            out.extend(_flatten_like(k, v))
        return out
    return [values]
