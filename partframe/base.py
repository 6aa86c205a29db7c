"""The collection protocol and the functions that run collections.

A partframe collection (a delayed value, a DataFrame...) is anything that
implements the Dask collection protocol:

- ``__dask_graph__()``: the task graph (a dict);
- ``__dask_keys__()``: the keys of its outputs (a nested list, or one key);
- ``__dask_postcompute__()``: ``(finalize, extra_args)``; the result is
  ``finalize(values, *extra_args)``;
- ``__dask_postpersist__()``: ``(rebuild, extra_args)``; the persisted
  collection is ``rebuild(graph_of_values, *extra_args)``;
- ``__dask_tokenize__()``: its deterministic name;
- ``__dask_optimize__(dsk, keys)``: graph-level optimization (may be identity).

Using Dask's names means a ``distributed.Client`` accepts our objects in
``compute``, ``persist`` and ``submit`` as they are. :func:`compute` is the
one place where a collection, its graph and a scheduler meet.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from typing import Any

from .callbacks import Callback
from .graph import flatten_keys, quote
from .scheduler import _is_distributed_client, get_scheduler

__all__ = ["Collection", "compute", "is_collection", "persist"]


def is_collection(x: Any) -> bool:
    """Does ``x`` implement the collection protocol (and is not a class)?"""
    return not isinstance(x, type) and hasattr(x, "__dask_graph__")


class Collection:
    """Mixin giving ``compute``, ``persist`` and ``visualize`` to collections."""

    def __dask_graph__(self) -> dict:
        raise NotImplementedError

    def __dask_keys__(self) -> Any:
        raise NotImplementedError

    @staticmethod
    def __dask_optimize__(dsk: dict, keys: Any, **kwargs: Any) -> dict:
        return dsk

    def compute(self, **kwargs: Any) -> Any:
        """Compute this object and return its value.

        Parameters
        ----------
        scheduler : str, distributed.Client or callable, optional
            ``"sync"``, ``"threads"`` (default), ``"processes"`` or a Client.
        progress : bool, default False
            Draw a progress bar on the terminal.
        **kwargs
            Passed to the scheduler (``num_workers``, ``callbacks``...).
        """
        (result,) = compute(self, **kwargs)
        return result

    def persist(self, **kwargs: Any) -> Any:
        """Compute this object and return it backed by its computed values."""
        (result,) = persist(self, **kwargs)
        return result

    def visualize(self, filename: str | None = "mydask", **kwargs: Any) -> Any:
        """Draw the task graph with graphviz (the ``visualize`` extra)."""
        from .diagnostics.visualize import visualize

        return visualize(self, filename=filename, **kwargs)


def _merge_graphs(collections: list, optimize_graph: bool) -> tuple[dict, list]:
    dsk: dict = {}
    keys: list = []
    by_optimizer: dict = {}
    for c in collections:
        by_optimizer.setdefault(getattr(c, "__dask_optimize__", None), []).append(c)
    for opt, group in by_optimizer.items():
        group_dsk: dict = {}
        group_keys: list = []
        for c in group:
            group_dsk.update(c.__dask_graph__())
            group_keys.append(c.__dask_keys__())
        if optimize_graph and opt is not None:
            group_dsk = opt(group_dsk, group_keys)
        dsk.update(group_dsk)
    keys = [c.__dask_keys__() for c in collections]
    return dsk, keys


def _run(
    collections: list,
    scheduler: Any,
    optimize_graph: bool,
    progress: bool,
    kwargs: dict,
) -> list:
    dsk, keys = _merge_graphs(collections, optimize_graph)
    get = get_scheduler(scheduler)
    with ExitStack() as stack:
        if progress:
            from .diagnostics.progress import ProgressBar

            bar = ProgressBar()
            if _is_distributed_client(scheduler):
                kwargs = {**kwargs, "progress_bar": bar}
            else:
                stack.enter_context(bar)
        return get(dsk, keys, **kwargs)


def compute(
    *args: Any,
    scheduler: Any = None,
    optimize_graph: bool = True,
    progress: bool = False,
    callbacks: Iterable[Callback] = (),
    **kwargs: Any,
) -> tuple:
    """Compute several collections at once, sharing their common work.

    Non-collection arguments are returned as they are.

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
    """
    collections = [a for a in args if is_collection(a)]
    if not collections:
        return tuple(args)
    if callbacks:
        kwargs["callbacks"] = list(callbacks)
    values = _run(collections, scheduler, optimize_graph, progress, kwargs)
    it = iter(values)
    out = []
    for a in args:
        if is_collection(a):
            finalize, extra = a.__dask_postcompute__()
            out.append(finalize(next(it), *extra))
        else:
            out.append(a)
    return tuple(out)


def persist(
    *args: Any,
    scheduler: Any = None,
    optimize_graph: bool = True,
    progress: bool = False,
    **kwargs: Any,
) -> tuple:
    """Compute collections and return new ones whose graphs hold the values.

    With a ``distributed.Client`` as ``scheduler``, the values stay on the
    cluster (``client.persist``).

    Examples
    --------
    >>> import partframe
    >>> a = partframe.delayed(sum)([1, 2, 3])
    >>> (p,) = partframe.persist(a, scheduler="sync")
    >>> p.compute(scheduler="sync")
    6
    """
    if _is_distributed_client(scheduler):
        out = scheduler.persist(list(args), optimize_graph=optimize_graph)
        return tuple(out)
    collections = [a for a in args if is_collection(a)]
    if not collections:
        return tuple(args)
    values = _run(collections, scheduler, optimize_graph, progress, kwargs)
    it = iter(values)
    out = []
    for a in args:
        if not is_collection(a):
            out.append(a)
            continue
        value = next(it)
        keys = a.__dask_keys__()
        flat_keys = flatten_keys(keys)
        flat_vals = _flatten_like(keys, value)
        # A value that looks like a task, key or list must stay data.
        dsk = {
            k: quote(v) if type(v) in (tuple, list, str) else v
            for k, v in zip(flat_keys, flat_vals)
        }
        rebuild, extra = a.__dask_postpersist__()
        out.append(rebuild(dsk, *extra))
    return tuple(out)


def _flatten_like(keys: Any, values: Any) -> list:
    if type(keys) is list:
        out: list = []
        for k, v in zip(keys, values):
            out.extend(_flatten_like(k, v))
        return out
    return [values]
